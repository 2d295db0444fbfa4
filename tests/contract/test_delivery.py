"""Confirming delivery, which starts windows that run from delivery: once, inside the longest wait the
terms state, never before the purchase or in the future; unconfirmed, the window runs from the end of that
wait, so nothing waits for delivery forever."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Status
from tests.support.world import DAY, ETHER, buy

WAIT = 14 * DAY
"""The longest wait for delivery in the terms of ``car``."""


@pytest.fixture
def car(shop, customer):
    terms = shop.publish_terms(7 * DAY, delivery_wait=WAIT)
    return buy(shop, customer, terms.id, [("CAR", 1, ETHER)], "ORDER-CAR")


def test_confirm_delivery_by_an_agent_starts_the_window(ledger, chain, staff, car) -> None:
    assert car.status is Status.AWAITING_DELIVERY and car.deadline == car.purchased_at + WAIT + 7 * DAY
    when = car.purchased_at + 3 * DAY
    chain.set_next_block_time(when)
    delivered = staff.confirm_delivery(car.id)
    assert delivered.delivered_at == when and delivered.status is Status.OPEN
    assert delivered.deadline == when + 7 * DAY
    assert ledger.purchase(car.id).delivered_at == when


def test_a_confirmation_late_in_the_wait_leaves_the_whole_window(ledger, chain, staff, customer, car) -> None:
    """Issue #20's first case: on day 10 of a 14-day wait, the parcel still on its way and the customer entitled
    to return until day 21, an agent with no budget and no mandate confirms delivery. It cannot date it back
    to the purchase (there is no such call any more): the window runs its full 7 days from the confirmation,
    and the customer's return on day 16 is refunded."""
    chain.set_next_block_time(car.purchased_at + 10 * DAY)
    delivered = staff.confirm_delivery(car.id)
    assert delivered.delivered_at == car.purchased_at + 10 * DAY
    assert delivered.deadline == delivered.delivered_at + 7 * DAY  # the whole window, from the confirmation
    chain.set_next_block_time(car.purchased_at + 16 * DAY)
    assert customer.return_items(car.id).amount == ETHER
    old = ledger.w3.keccak(text="confirmDelivery((uint256,uint256,uint256,uint256,bytes32,bytes32),uint40)")[:4]
    assert old.hex() not in "".join(f["selector"] for f in _selectors(ledger))  # no back-dating call exists


def _selectors(ledger) -> list[dict]:
    from eth_utils import function_abi_to_4byte_selector

    return [{"selector": function_abi_to_4byte_selector(f).hex()} for f in ledger.contract.abi if f["type"] == "function"]


def test_confirm_delivery_twice_rejected(ledger, shop, car) -> None:
    first = shop.confirm_delivery(car.id)
    with pytest.raises(errors.InvalidDelivery) as info:
        shop.confirm_delivery(car.id)
    assert info.value.purchase_id == car.id
    assert "was confirmed already, on" in str(info.value) and "its window runs until" in str(info.value)  # one reason
    assert ledger.purchase(car.id).delivered_at == first.delivered_at


@pytest.mark.parametrize("late", [0, 1])
def test_confirm_delivery_until_the_longest_wait_is_over(ledger, chain, shop, car, late) -> None:
    chain.set_next_block_time(car.purchased_at + WAIT - 1 + late)  # at purchase + wait the window has begun
    if not late:
        assert shop.confirm_delivery(car.id).delivered_at == car.purchased_at + WAIT - 1
        return
    with pytest.raises(errors.InvalidDelivery):
        shop.confirm_delivery(car.id)
    assert ledger.purchase(car.id).delivered_at == 0


def test_confirm_delivery_only_for_windows_from_delivery(ledger, shop, week_terms, customer) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)], "ORDER-MUG")
    with pytest.raises(errors.InvalidDelivery, match="runs from its purchase, not from delivery"):
        shop.confirm_delivery(purchase.id)
    assert ledger.purchase(purchase.id).deadline == purchase.purchased_at + 7 * DAY


def test_confirm_delivery_of_a_returned_or_settled_purchase_rejected(chain, shop, customer, car) -> None:
    customer.return_items(car.id)
    with pytest.raises(errors.AlreadyReturned):
        shop.confirm_delivery(car.id)
    settled = buy(shop, customer, car.terms_id, [("VAN", 1, ETHER)], "ORDER-VAN")
    chain.advance_time(WAIT + 8 * DAY)
    shop.settle([settled.id])
    with pytest.raises(errors.AlreadySettled):
        shop.confirm_delivery(settled.id)


def test_confirm_delivery_by_a_stranger_rejected(ledger, shop, car, stranger) -> None:
    with pytest.raises(errors.NotMerchantAgent) as info:
        MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id).confirm_delivery(car.id)
    assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, stranger.address)
    assert ledger.purchase(car.id).delivered_at == 0


def test_confirm_delivery_of_another_shops_purchase_rejected(ledger, car, bob) -> None:
    other = ledger.register_merchant(bob)
    with pytest.raises(errors.InvalidInput, match="not at merchant"):
        other.confirm_delivery(car.id)
    assert ledger.purchase(car.id).delivered_at == 0


def test_window_runs_from_the_longest_wait_when_delivery_is_never_confirmed(ledger, chain, customer, car,
                                                                            stranger) -> None:
    deadline = car.purchased_at + WAIT + 7 * DAY
    chain.set_next_block_time(car.purchased_at + WAIT - 1)
    waiting = ledger.settle(stranger, [car.id])
    assert waiting.skipped == ((car.id, "awaiting_delivery"),)
    chain.set_next_block_time(car.purchased_at + WAIT)
    opened = ledger.settle(stranger, [car.id])
    assert opened.skipped == ((car.id, "window_open"),)
    found = ledger.purchase(car.id)
    assert found.status is Status.OPEN and found.deadline == deadline and not found.awaiting_delivery
    chain.set_next_block_time(deadline)
    (settled,) = ledger.settle(stranger, [car.id]).settled
    assert settled.amount == ETHER
    assert ledger.purchase(car.id).settled


def test_return_after_the_longest_wait_until_the_window_closes(chain, customer, car) -> None:
    chain.set_next_block_time(car.purchased_at + WAIT + 7 * DAY - 1)
    assert customer.return_items(car.id).amount == ETHER


def test_confirm_delivery_after_the_longest_wait_says_so(ledger, chain, shop, car) -> None:
    chain.advance_time(WAIT + 1)  # a block after the wait: the window runs already
    with pytest.raises(errors.InvalidDelivery, match="the longest wait for delivery of purchase .* ended on .* so its "
                                                     "window runs already"):
        shop.confirm_delivery(car.id)
    assert ledger.purchase(car.id).delivered_at == 0
