"""Goodwill refunds: staff pay a customer back out of what a purchase still holds."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Reason
from tests.support.world import DAY, ETHER, assert_kept, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("DESK", 1, ETHER), ("CHAIR", 1, ETHER // 2)])


def test_goodwill_refund_pays_the_customer_out_of_escrow(ledger, chain, staff, purchase, alice, agent) -> None:
    escrow = chain.w3.eth.get_balance(ledger.address)
    refund = staff.goodwill_refund(purchase.id, ETHER // 4, "late delivery", "parcel lost for a week")
    assert (refund.kind, refund.amount, refund.customer, refund.by) == ("goodwill", ETHER // 4, alice.address, agent.address)
    assert refund.reason is Reason.LATE_DELIVERY
    assert_kept(ledger, refund.reference, "parcel lost for a week", "contact")
    assert escrow - chain.w3.eth.get_balance(ledger.address) == ETHER // 4
    assert ledger.purchase(purchase.id).refunded == ETHER // 4


def test_goodwill_refund_of_everything_left_works_after_the_window_closed(ledger, chain, staff, purchase,
                                                                          stranger) -> None:
    chain.advance_time(8 * DAY)
    assert staff.goodwill_refund(purchase.id, 1).amount == 1
    assert staff.goodwill_refund(purchase.id, purchase.paid - 1).amount == purchase.paid - 1
    assert ledger.purchase(purchase.id).in_escrow == 0
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == 0  # nothing left for the merchant


def test_goodwill_refund_above_escrow_rejected(staff, purchase) -> None:
    staff.goodwill_refund(purchase.id, ETHER)
    with pytest.raises(errors.RefundExceedsEscrow) as info:
        staff.goodwill_refund(purchase.id, purchase.paid - ETHER + 1)
    assert info.value.purchase_id == purchase.id
    assert (info.value.requested, info.value.available) == (purchase.paid - ETHER + 1, purchase.paid - ETHER)


def test_goodwill_then_return_is_capped_at_what_is_left(staff, customer, purchase) -> None:
    staff.goodwill_refund(purchase.id, purchase.paid - 100)
    refund = customer.return_items(purchase.id)
    assert refund.amount == 100
    assert customer.purchase(purchase.id).in_escrow == 0


def test_goodwill_refund_by_a_stranger_rejected(ledger, shop, purchase, stranger) -> None:
    with pytest.raises(errors.NotMerchantAgent) as info:
        MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id).goodwill_refund(purchase.id, 1)
    assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, stranger.address)
    assert ledger.purchase(purchase.id).refunded == 0


def test_goodwill_refund_after_settlement_has_nothing_left(ledger, chain, staff, purchase, stranger) -> None:
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [purchase.id])
    with pytest.raises(errors.RefundExceedsEscrow) as info:
        staff.goodwill_refund(purchase.id, 1)
    assert (info.value.requested, info.value.available) == (1, 0)


def test_goodwill_on_a_purchase_paid_with_credit_gives_that_part_back_as_credit(chain, shop, week_terms, customer,
                                                                                purchase) -> None:
    held = customer.return_for_credit(purchase.id, [1]).amount  # 0.45 ETH of credit, no bonus
    paid_half_with_credit = buy(shop, customer, week_terms.id, [("LAMP", 1, 2 * held)], "ORDER-2", use_credit=held)
    balance = chain.w3.eth.get_balance(customer.address)
    shop.goodwill_refund(paid_half_with_credit.id, 2 * held)
    assert chain.w3.eth.get_balance(customer.address) - balance == held  # the money part as money...
    assert customer.credit(shop.merchant_id) == held  # ...and the credit part as credit


@pytest.mark.parametrize("amount", [0, -1])
def test_goodwill_refund_needs_a_positive_amount(chain, staff, purchase, agent, amount) -> None:
    nonce = chain.w3.eth.get_transaction_count(agent.address)
    with pytest.raises(errors.InvalidInput, match="positive"):
        staff.goodwill_refund(purchase.id, amount)
    assert chain.w3.eth.get_transaction_count(agent.address) == nonce
