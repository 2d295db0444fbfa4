"""Store credit: a return taken as credit at the same merchant (with its bonus), spent on a later purchase."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER

from ledger import errors
from ledger.client import MerchantDesk


@pytest.fixture
def purchase(shop, week_terms, customer):
    """Alice's 2-line purchase (10 % restocking fee) at a shop adding a 10 % bonus to store credit."""
    shop.set_credit_bonus(1_000)
    return customer.buy(week_terms.id, [("COAT", 1, ETHER), ("HAT", 1, ETHER)], "C-1")


def test_return_for_credit_adds_the_bonus_and_pays_no_money(ledger, chain, customer, purchase, shop) -> None:
    escrow = chain.w3.eth.get_balance(ledger.address)
    credit = customer.return_for_credit(purchase.id, [1])
    refund = ETHER * 9 // 10
    assert (credit.kind, credit.lines, credit.amount) == ("credit", (1,), refund + refund // 10)
    assert customer.credit(shop.merchant_id) == credit.amount
    assert chain.w3.eth.get_balance(ledger.address) == escrow  # the money stays, now backing the credit
    after = ledger.purchase(purchase.id)
    assert after.returned_lines == {1} and after.refunded == credit.amount
    assert [r.kind for r in customer.refunds()] == ["credit"]


def test_bonus_comes_out_of_what_the_merchant_keeps(shop, customer) -> None:
    no_fee = shop.publish_terms(7 * DAY)
    shop.set_credit_bonus(1_000)
    purchase = customer.buy(no_fee.id, [("COAT", 1, ETHER)], "C-2")
    credit = customer.return_for_credit(purchase.id)
    assert credit.amount == ETHER  # everything returned at no fee: nothing left to fund a bonus


def test_credit_pays_a_later_purchase_at_the_same_shop(ledger, chain, shop, week_terms, customer, purchase,
                                                       alice) -> None:
    held = customer.return_for_credit(purchase.id, [1]).amount
    escrow = chain.w3.eth.get_balance(ledger.address)
    later = customer.buy(week_terms.id, [("SCARF", 1, ETHER)], "C-3", use_credit=held)
    assert later.paid == later.price == ETHER
    assert chain.w3.eth.get_balance(ledger.address) - escrow == ETHER - held  # only the rest was paid in ETH
    assert customer.credit(shop.merchant_id) == 0
    refund = customer.return_items(later.id)  # a purchase paid with credit returns money like any other
    assert refund.amount == ETHER * 9 // 10


def test_credit_cannot_be_spent_twice(ledger, week_terms, customer, purchase, shop) -> None:
    held = customer.return_for_credit(purchase.id, [1]).amount
    customer.buy(week_terms.id, [("SCARF", 1, ETHER)], "C-4", use_credit=held)
    with pytest.raises(errors.InsufficientCredit) as info:
        customer.buy(week_terms.id, [("SCARF", 1, ETHER)], "C-5", use_credit=held)
    assert (info.value.requested, info.value.available) == (held, 0)


def test_credit_is_only_good_at_the_shop_that_gave_it(ledger, customer, purchase, bob) -> None:
    held = customer.return_for_credit(purchase.id, [1]).amount
    elsewhere = ledger.register_merchant(bob).publish_terms(7 * DAY)
    with pytest.raises(errors.InsufficientCredit) as info:
        customer.buy(elsewhere.id, [("SCARF", 1, ETHER)], "C-6", use_credit=held)
    assert info.value.available == 0


def test_credit_return_follows_the_return_rules(ledger, chain, customer, purchase, stranger) -> None:
    with pytest.raises(errors.NotCustomer):
        ledger.customer_desk(stranger).return_for_credit(purchase.id)
    customer.return_for_credit(purchase.id, [0])
    with pytest.raises(errors.AlreadyReturned):
        customer.return_for_credit(purchase.id, [0])
    chain.advance_time(8 * DAY)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_for_credit(purchase.id, [1])


def test_settlement_after_a_credit_return_pays_the_rest(ledger, chain, shop, customer, purchase, stranger) -> None:
    credit = customer.return_for_credit(purchase.id, [1])
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id])
    assert settled.amount == 2 * ETHER - credit.amount


def test_credit_bonus_is_owner_only(ledger, shop, staff) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        staff.set_credit_bonus(500)
    with pytest.raises(errors.FeeTooHigh):
        MerchantDesk(ledger, shop.account, shop.merchant_id).set_credit_bonus(10_001)


def test_more_credit_than_the_price_refused(week_terms, customer) -> None:
    with pytest.raises(errors.InvalidInput, match="more than the price"):
        customer.buy(week_terms.id, [("SCARF", 1, ETHER)], "C-7", use_credit=2 * ETHER)
