"""Confirming delivery, which starts windows that run from delivery."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Status


@pytest.fixture
def car(shop, customer):
    terms = shop.publish_terms(7 * DAY, window_from_delivery=True)
    return customer.buy(terms.id, [("CAR", 1, ETHER)], "ORDER-CAR")


def test_confirm_delivery_by_an_agent_starts_the_window(ledger, chain, staff, car) -> None:
    assert car.status is Status.AWAITING_DELIVERY and car.time_left is None
    when = car.purchased_at + 3 * DAY
    chain.set_next_block_time(when)
    delivered = staff.confirm_delivery(car.id)
    assert delivered.delivered_at == when and delivered.status is Status.OPEN
    assert delivered.deadline == when + 7 * DAY
    assert ledger.purchase(car.id).delivered_at == when


def test_confirm_delivery_twice_rejected(shop, car) -> None:
    first = shop.confirm_delivery(car.id)
    with pytest.raises(errors.AlreadyDelivered) as info:
        shop.confirm_delivery(car.id)
    assert (info.value.purchase_id, info.value.delivered_at) == (car.id, first.delivered_at)


def test_confirm_delivery_by_a_stranger_rejected(ledger, shop, car, stranger) -> None:
    with pytest.raises(errors.NotMerchantAgent) as info:
        MerchantDesk(ledger, stranger, shop.merchant_id).confirm_delivery(car.id)
    assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, stranger.address)
    assert ledger.purchase(car.id).delivered_at == 0


def test_confirm_delivery_of_another_shops_purchase_rejected(ledger, car, bob) -> None:
    other = ledger.register_merchant(bob)
    with pytest.raises(errors.InvalidInput, match="not at merchant"):
        other.confirm_delivery(car.id)
    assert ledger.purchase(car.id).delivered_at == 0


def test_settle_waits_for_delivery(ledger, chain, car, stranger) -> None:
    chain.advance_time(30 * DAY)
    with pytest.raises(errors.AwaitingDelivery) as info:
        ledger.settle(stranger, [car.id])
    assert info.value.purchase_id == car.id
