"""Publishing and retiring return terms; a purchase keeps the terms it was made under."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import ReturnTerms
from tests.support.world import DAY, buy, simulate


def test_publish_terms_stores_them_exactly(ledger, shop) -> None:
    terms = shop.publish_terms(30 * DAY, restocking_fee_bps=250, delivery_wait=10 * DAY, item_must_be_returned=True)
    assert terms == ReturnTerms(terms.id, shop.merchant_id, 30 * DAY, 250, 10 * DAY, True, False)
    assert terms.window_from_delivery
    assert ledger.terms(terms.id) == terms
    assert shop.terms() == [terms]
    assert not shop.publish_terms(DAY).window_from_delivery


def test_publish_and_retire_terms_count_the_active_terms(ledger, shop) -> None:
    assert ledger.merchant(shop.merchant_id).active_terms == 0
    first, second = shop.publish_terms(DAY), shop.publish_terms(2 * DAY)
    assert shop.info().active_terms == 2
    shop.retire_terms(first.id)
    assert shop.info().active_terms == 1
    shop.retire_terms(second.id)
    assert shop.info().active_terms == 0


def test_publish_terms_rejects_a_fee_above_100_percent(ledger, shop, owner) -> None:
    with pytest.raises(errors.FeeTooHigh, match="more than 100 %"):
        shop.publish_terms(DAY, restocking_fee_bps=10_001)
    with pytest.raises(errors.FeeTooHigh) as info:  # the contract refuses it too
        simulate(ledger, ledger.contract.functions.publishTerms(shop.merchant_id, DAY, 10_001, 0, False), owner)
    assert (info.value.fee_bps, info.value.max_bps) == (10_001, 10_000)
    assert shop.terms() == []


def test_publish_terms_accepts_a_fee_of_exactly_100_percent(shop, customer) -> None:
    terms = shop.publish_terms(DAY, restocking_fee_bps=10_000)
    assert terms.restocking_fee_bps == 10_000
    purchase = buy(shop, customer, terms.id, [("MUG", 1, 1000)], "order-1")
    assert customer.return_items(purchase.id).amount == 0  # the whole price is kept


def test_publish_terms_numbers_ids_across_merchants(ledger, shop, bob) -> None:
    first = shop.publish_terms(DAY)
    other = ledger.register_merchant(bob).publish_terms(2 * DAY)
    second = shop.publish_terms(3 * DAY)
    assert (first.id, other.id, second.id) == (1, 2, 3)
    assert [t.id for t in shop.terms()] == [1, 3]


def test_publish_terms_is_owner_only(staff, agent) -> None:
    with pytest.raises(errors.NotMerchantOwner) as info:
        staff.publish_terms(DAY)
    assert (info.value.merchant_id, info.value.caller) == (staff.merchant_id, agent.address)


def test_retire_terms_blocks_new_purchases_only(ledger, shop, week_terms, customer) -> None:
    before = buy(shop, customer, week_terms.id, [("MUG", 1, 1000)], "order-1")
    quoted = shop.quote(week_terms.id, [("MUG", 1, 1000)], "order-2", customer=customer.address)
    shop.retire_terms(week_terms.id)
    assert ledger.terms(week_terms.id).retired
    with pytest.raises(errors.TermsRetired) as info:  # an order signed before still cannot be bought
        customer.buy(quoted)
    assert info.value.terms_id == week_terms.id
    with pytest.raises(errors.TermsRetired):
        shop.quote(week_terms.id, [("MUG", 1, 1000)], "order-3", customer=customer.address)
    (kept,) = ledger.purchases(merchant_id=shop.merchant_id)
    assert kept == replace(customer.purchase(before.id), as_of=kept.as_of)  # two reads: the clock may tick between
    refund = customer.return_items(before.id)
    assert refund.amount == 900  # the 10 % fee of the retired terms still applies


def test_retire_terms_twice_rejected(shop, week_terms) -> None:
    shop.retire_terms(week_terms.id)
    with pytest.raises(errors.TermsRetired) as info:
        shop.retire_terms(week_terms.id)
    assert info.value.terms_id == week_terms.id


def test_retire_terms_is_owner_only(ledger, staff, week_terms) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        staff.retire_terms(week_terms.id)
    assert not ledger.terms(week_terms.id).retired


def test_retire_terms_of_another_merchant_rejected(ledger, week_terms, bob) -> None:
    other = ledger.register_merchant(bob)
    with pytest.raises(errors.NotMerchantOwner):
        other.retire_terms(week_terms.id)


def test_unknown_terms_rejected(ledger, shop, customer) -> None:
    for action in (lambda: ledger.terms(42), lambda: shop.retire_terms(42),
                   lambda: shop.quote(42, [("MUG", 1, 1000)], "order-1", customer=customer.address)):
        with pytest.raises(errors.UnknownTerms) as info:
            action()
        assert info.value.terms_id == 42


def test_new_terms_do_not_change_a_purchase_already_made(ledger, chain, shop, week_terms, customer) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 1000)], "order-1")
    shop.retire_terms(week_terms.id)
    shop.publish_terms(DAY, restocking_fee_bps=5_000)
    again = customer.purchase(purchase.id)
    assert (again.return_window, again.restocking_fee_bps) == (7 * DAY, 1_000)
    assert ledger.terms(week_terms.id) == ReturnTerms(week_terms.id, shop.merchant_id, 7 * DAY, 1_000, 0, False, True)
    chain.advance_time(2 * DAY)  # past the new terms' window, inside the old one
    assert customer.return_items(purchase.id).amount == 900


def test_terms_of_lists_only_that_merchant(ledger, shop, week_terms, bob) -> None:
    other = ledger.register_merchant(bob)
    other.publish_terms(DAY)
    assert [t.id for t in ledger.terms_of(shop.merchant_id)] == [week_terms.id]
    assert isinstance(MerchantDesk(ledger.reads, ledger.outbox, bob, other.merchant_id).terms()[0], ReturnTerms)
