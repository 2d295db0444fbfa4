"""Settlement: once a window closes, anyone pays what was kept to the merchant."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER

from ledger import errors
from ledger.models import Status


def _buy(customer, terms, n):
    return [customer.buy(terms.id, [("BOOK", 1, ETHER)], f"ORDER-{i}") for i in range(n)]


def test_settle_pays_what_was_kept_for_many_purchases_in_one_transaction(ledger, chain, shop, week_terms, customer,
                                                                          stranger) -> None:
    purchases = _buy(customer, week_terms, 3)
    refund = customer.return_items(purchases[0].id)
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    chain.advance_time(8 * DAY)
    settled = ledger.settle(stranger, [p.id for p in purchases])
    assert {s.block_number for s in settled} == {settled[0].block_number}
    assert [s.amount for s in settled] == [ETHER - refund.amount, ETHER, ETHER]
    assert {s.payout for s in settled} == {payout} and payout == ledger.chain.accounts()[6].address
    assert chain.w3.eth.get_balance(payout) - before == 3 * ETHER - refund.amount
    assert chain.w3.eth.get_balance(ledger.address) == 0
    assert all(Status.SETTLED in ledger.purchase(p.id).statuses for p in purchases)


def test_settle_before_the_window_closes_rejected(ledger, chain, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(customer, week_terms, 1)
    chain.set_next_block_time(purchase.deadline - 1)
    with pytest.raises(errors.ReturnWindowOpen) as info:
        ledger.settle(stranger, [purchase.id])
    assert (info.value.deadline, info.value.timestamp) == (purchase.deadline, purchase.deadline - 1)


def test_settle_at_the_deadline_succeeds(ledger, chain, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(customer, week_terms, 1)
    chain.set_next_block_time(purchase.deadline)
    assert ledger.settle(stranger, [purchase.id])[0].amount == ETHER


def test_settle_twice_rejected(ledger, chain, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [purchase.id])
    with pytest.raises(errors.AlreadySettled) as info:
        ledger.settle(stranger, [purchase.id])
    assert info.value.purchase_id == purchase.id


def test_settle_is_all_or_nothing(ledger, chain, week_terms, customer, stranger) -> None:
    (closed,) = _buy(customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    still_open = customer.buy(week_terms.id, [("PEN", 1, ETHER)], "ORDER-LATE")
    with pytest.raises(errors.ReturnWindowOpen) as info:
        ledger.settle(stranger, [closed.id, still_open.id])
    assert (info.value.purchase_id, info.value.deadline) == (still_open.id, still_open.deadline)
    assert not ledger.purchase(closed.id).settled
    assert chain.w3.eth.get_balance(ledger.address) == 2 * ETHER


def test_merchant_settles_from_the_deadline_on(chain, shop, week_terms, customer) -> None:
    (purchase,) = _buy(customer, week_terms, 1)
    chain.set_next_block_time(purchase.deadline - 1)
    assert shop.settle() == []  # not closed yet: nothing is sent
    chain.set_next_block_time(purchase.deadline)
    (settled,) = shop.settle()
    assert (settled.purchase_id, settled.amount) == (purchase.id, ETHER)


def test_merchant_settles_every_closed_purchase(ledger, chain, shop, week_terms, customer) -> None:
    closed = _buy(customer, week_terms, 2)
    chain.advance_time(8 * DAY)
    still_open = _buy(customer, week_terms, 1)
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    settled = shop.settle()
    assert sorted(s.purchase_id for s in settled) == sorted(p.id for p in closed)
    assert len({s.tx_hash for s in settled}) == 1
    assert chain.w3.eth.get_balance(payout) - before == 2 * ETHER
    assert chain.w3.eth.get_balance(ledger.address) == sum(p.in_escrow for p in still_open)
    assert shop.settle() == []


def test_settle_a_fully_returned_purchase_pays_nothing(ledger, chain, shop, customer, stranger) -> None:
    terms = shop.publish_terms(7 * DAY)  # no restocking fee: everything goes back
    (purchase,) = _buy(customer, terms, 1)
    customer.return_items(purchase.id)
    chain.advance_time(8 * DAY)
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    assert ledger.settle(stranger, [purchase.id])[0].amount == 0
    assert chain.w3.eth.get_balance(payout) == before
    assert ledger.purchase(purchase.id).settled


def test_settle_nothing_is_refused(ledger, stranger) -> None:
    with pytest.raises(errors.InvalidInput, match="no purchases"):
        ledger.settle(stranger, [])


def test_settle_the_same_purchase_twice_in_one_call_refused(ledger, chain, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    nonce = chain.w3.eth.get_transaction_count(stranger.address)
    with pytest.raises(errors.InvalidInput, match="given twice"):
        ledger.settle(stranger, [purchase.id, purchase.id])
    assert chain.w3.eth.get_transaction_count(stranger.address) == nonce
