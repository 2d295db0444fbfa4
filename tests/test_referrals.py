"""Referral commissions: paid at settlement, out of what the merchant keeps, so returns earn nothing."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER

from ledger import errors


@pytest.fixture
def referred(shop, week_terms, customer, bob):
    """A 2-line purchase by Alice referred by Bob, at a shop paying 5 % commission."""
    shop.set_referral_commission(500)
    return customer.buy(week_terms.id, [("BOOT", 1, ETHER), ("LACE", 1, ETHER)], "R-1", referrer=bob.address)


def test_commission_is_paid_at_settlement_on_what_was_kept(ledger, chain, shop, referred, bob, stranger) -> None:
    assert (referred.referrer, referred.referral_bps) == (bob.address, 500)
    before = chain.w3.eth.get_balance(bob.address)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [referred.id])
    assert settled.commission == 2 * ETHER * 5 // 100 and settled.referrer == bob.address
    assert settled.amount == 2 * ETHER - settled.commission
    assert chain.w3.eth.get_balance(bob.address) - before == settled.commission


def test_a_returned_purchase_earns_no_commission(ledger, chain, shop, week_terms, customer, bob, stranger) -> None:
    no_fee = shop.publish_terms(7 * DAY)
    shop.set_referral_commission(500)
    purchase = customer.buy(no_fee.id, [("BOOT", 1, ETHER)], "R-2", referrer=bob.address)
    customer.return_items(purchase.id)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id])
    assert (settled.commission, settled.amount) == (0, 0)


def test_a_partly_returned_purchase_earns_on_what_was_kept(ledger, chain, customer, referred, stranger) -> None:
    refund = customer.return_items(referred.id, [1])  # 10 % restocking fee stays with the merchant
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [referred.id])
    kept = 2 * ETHER - refund.amount
    assert settled.commission == kept * 5 // 100 and settled.amount == kept - settled.commission


def test_referrer_sees_its_earnings_and_their_purchases(ledger, chain, referred, bob, stranger) -> None:
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [referred.id])
    (earning,) = ledger.referral_earnings(bob.address)
    assert earning.purchase_id == referred.id and earning.commission == ETHER // 10


def test_commission_changes_do_not_touch_purchases_made(ledger, chain, shop, referred, stranger) -> None:
    shop.set_referral_commission(9_000)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [referred.id])
    assert settled.commission == ETHER // 10  # still 5 %


def test_no_referrer_no_commission(ledger, chain, shop, week_terms, customer, stranger) -> None:
    shop.set_referral_commission(500)
    purchase = customer.buy(week_terms.id, [("BOOT", 1, ETHER)], "R-3")
    assert purchase.referral_bps == 0
    chain.advance_time(8 * DAY)
    assert ledger.settle(stranger, [purchase.id])[0].commission == 0


def test_self_referral_refused(week_terms, customer, alice) -> None:
    with pytest.raises(errors.SelfReferral):
        customer.buy(week_terms.id, [("BOOT", 1, ETHER)], "R-4", referrer=alice.address)


def test_commission_setting_is_owner_only_and_at_most_100_percent(shop, staff) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        staff.set_referral_commission(100)
    with pytest.raises(errors.FeeTooHigh):
        shop.set_referral_commission(10_001)
