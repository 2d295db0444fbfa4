"""Store credit: a return taken as credit at the same merchant (with its bonus on the money part), spent
on a later purchase, and cashed out (money part only) once the shop stops trading or its delay passed."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.models import CASHABLE_WHEN_CLOSED, Credit
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, buy

HELD, HELD_CASH = ETHER * 99 // 100, ETHER * 9 // 10
"""Credit for returning the 1 ETH hat: 0.9 ETH (10 % restocking fee) plus the 10 % bonus on it."""


@pytest.fixture
def purchase(shop, week_terms, customer):
    """Alice's 2-line purchase (10 % restocking fee) at a shop adding a 10 % bonus to store credit."""
    shop.set_credit_bonus(1_000)
    return buy(shop, customer, week_terms.id, [("COAT", 1, ETHER), ("HAT", 1, ETHER)], "C-1")


@pytest.fixture
def held(customer, purchase) -> int:
    """The hat returned for credit."""
    return customer.return_for_credit(purchase.id, [1]).amount


def test_return_for_credit_adds_the_bonus_and_pays_no_money(ledger, chain, customer, purchase, shop) -> None:
    escrow = chain.w3.eth.get_balance(ledger.address)
    credit = customer.return_for_credit(purchase.id, [1])
    assert (credit.kind, credit.lines, credit.amount) == ("credit", (1,), HELD)
    assert customer.credit_held(shop.merchant_id) == Credit(HELD, HELD_CASH, CASHABLE_WHEN_CLOSED)  # no delay set
    assert chain.w3.eth.get_balance(ledger.address) == escrow  # the money stays, now backing the credit
    after = ledger.purchase(purchase.id)
    assert after.returned_lines == {1} and after.refunded == credit.amount
    assert [r.kind for r in customer.refunds()] == ["credit"]


@pytest.mark.parametrize(("fee_bps", "bonus_bps"), [(0, 1_000), (1_000, 10_000)])
def test_bonus_is_capped_at_what_the_merchant_keeps(shop, customer, fee_bps, bonus_bps) -> None:
    shop.set_credit_bonus(bonus_bps)
    terms = shop.publish_terms(7 * DAY, restocking_fee_bps=fee_bps)
    purchase = buy(shop, customer, terms.id, [("COAT", 1, ETHER)], "C-2")
    credit = customer.return_for_credit(purchase.id)
    assert credit.amount == ETHER  # the refund and a bonus of at most the fee: all the merchant kept


def test_credit_pays_a_later_purchase_at_the_same_shop(ledger, chain, shop, week_terms, customer, held) -> None:
    escrow = chain.w3.eth.get_balance(ledger.address)
    later = buy(shop, customer, week_terms.id, [("SCARF", 1, ETHER)], "C-3", use_credit=held)
    assert later.paid == later.price == ETHER and later.credit_used == held
    assert chain.w3.eth.get_balance(ledger.address) - escrow == ETHER - held  # only the rest was paid in ETH
    assert customer.credit(shop.merchant_id) == 0


def test_spending_credit_uses_the_bonus_part_first(shop, week_terms, customer, held) -> None:
    buy(shop, customer, week_terms.id, [("PIN", 1, ETHER // 20)], "C-4", use_credit=ETHER // 20)
    left = customer.credit_held(shop.merchant_id)
    assert (left.amount, left.cash) == (held - ETHER // 20, HELD_CASH)  # 0.05 of the 0.09 bonus went first


def test_value_paid_with_credit_comes_back_as_credit(ledger, chain, shop, week_terms, customer, held) -> None:
    later = buy(shop, customer, week_terms.id, [("SCARF", 1, ETHER)], "C-5", use_credit=held)
    escrow = chain.w3.eth.get_balance(ledger.address)
    refund = customer.return_items(later.id)
    assert refund.amount == ETHER * 9 // 10
    money = refund.amount * (ETHER - held) // ETHER  # only the 0.01 ETH paid in money comes back as money
    assert escrow - chain.w3.eth.get_balance(ledger.address) == money
    back = customer.credit_held(shop.merchant_id)
    assert back.amount == refund.amount - money
    assert back.cash == back.amount * HELD_CASH // HELD  # of which money in the share it was spent


def test_bonus_is_on_the_money_part_only(ledger, shop, week_terms, customer, held) -> None:
    later = buy(shop, customer, week_terms.id, [("BAG", 1, 2 * ETHER)], "C-6", use_credit=held)
    customer.return_for_credit(later.id)
    (issued,) = ledger.events("CreditIssued", later.id)
    amount = 2 * ETHER * 9 // 10
    cash = amount * (2 * ETHER - held) // (2 * ETHER)
    assert (issued.args["amount"], issued.args["bonus"]) == (amount, cash // 10)


def test_credit_cannot_be_spent_twice(shop, week_terms, customer, held) -> None:
    buy(shop, customer, week_terms.id, [("SCARF", 1, ETHER)], "C-7", use_credit=held)
    with pytest.raises(errors.InsufficientCredit) as info:
        buy(shop, customer, week_terms.id, [("SCARF", 1, ETHER)], "C-8", use_credit=held)
    assert (info.value.requested, info.value.available) == (held, 0)


def test_credit_is_only_good_at_the_shop_that_gave_it(ledger, customer, held, bob) -> None:
    elsewhere = ledger.register_merchant(bob)
    terms = elsewhere.publish_terms(7 * DAY)
    with pytest.raises(errors.InsufficientCredit) as info:
        buy(elsewhere, customer, terms.id, [("SCARF", 1, ETHER)], "C-9", use_credit=held)
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


def test_settlement_after_a_credit_return_pays_the_rest(ledger, chain, purchase, held, stranger) -> None:
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == 2 * ETHER - held


def test_cash_out_is_locked_while_the_shop_trades(shop, customer, held) -> None:
    with pytest.raises(errors.CreditLocked) as info:
        customer.cash_out_credit(shop.merchant_id)
    assert info.value.merchant_id == shop.merchant_id and info.value.available_at == CASHABLE_WHEN_CLOSED
    assert "retires all its terms" in str(info.value)


def test_cash_out_once_the_shop_has_no_active_terms(ledger, chain, shop, week_terms, customer, held,
                                                   accounts) -> None:
    shop.retire_terms(week_terms.id)
    assert shop.info().active_terms == 0
    escrow, payout = chain.w3.eth.get_balance(ledger.address), chain.w3.eth.get_balance(accounts[6].address)
    assert customer.cash_out_credit(shop.merchant_id) == HELD_CASH  # the money part to the customer...
    assert chain.w3.eth.get_balance(accounts[6].address) - payout == HELD - HELD_CASH  # ...the bonus to the shop
    assert escrow - chain.w3.eth.get_balance(ledger.address) == HELD
    assert customer.credit_held(shop.merchant_id) == Credit(0, 0, 0)
    with pytest.raises(errors.NothingToWithdraw):
        customer.cash_out_credit(shop.merchant_id)


def test_cash_out_after_the_shops_delay(chain, shop, customer, purchase) -> None:
    shop.set_credit_cash_out_delay(10 * DAY)
    credit = customer.return_for_credit(purchase.id, [1])
    issued = chain.w3.eth.get_block(credit.block_number)["timestamp"]
    assert customer.credit_held(shop.merchant_id).cashable_at == issued + 10 * DAY
    with pytest.raises(errors.CreditLocked) as info:
        customer.cash_out_credit(shop.merchant_id)
    assert info.value.available_at == issued + 10 * DAY
    chain.set_next_block_time(issued + 10 * DAY)
    assert customer.cash_out_credit(shop.merchant_id) == HELD_CASH


def test_credit_settings_are_owner_only_and_checked(ledger, shop, staff, owner) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        staff.set_credit_bonus(500)
    with pytest.raises(errors.NotMerchantOwner):
        staff.set_credit_cash_out_delay(DAY)
    with pytest.raises(errors.FeeTooHigh, match="more than 100 %"):
        shop.set_credit_bonus(10_001)
    call = ledger.contract.functions.setCreditBonus(shop.merchant_id, 10_001)
    with pytest.raises(errors.FeeTooHigh), mapped_errors(ledger.errors):
        call.call({"from": owner.address})


def test_more_credit_than_the_total_refused(shop, week_terms, customer) -> None:
    with pytest.raises(errors.InvalidInput, match="more than the order's total"):
        buy(shop, customer, week_terms.id, [("SCARF", 1, ETHER)], "C-10", use_credit=2 * ETHER)


# ---------------------------------------------------------------- issue #20: credit that belongs to the customer


@pytest.mark.parametrize("bonus_bps", [1_000, 10_000])
def test_a_credit_bonus_is_never_paid_out_of_the_other_lines_refunds(ledger, chain, shop, customer, bonus_bps,
                                                                      stranger) -> None:
    """Issue #20: two 1 ETH lines, 0 % fee, a 10 % (or 100 %) bonus: line one for credit gave 1.1 credit and
    line two then refunded 0.9 (0 with a 100 % bonus). Now the bonus waits for what the shop is sure to keep,
    line two refunds its full 1.0, and a customer who returned everything ends with all 2 ETH."""
    shop.set_credit_bonus(bonus_bps)
    terms = shop.publish_terms(7 * DAY)
    purchase = buy(shop, customer, terms.id, [("TV", 1, ETHER), ("RADIO", 1, ETHER)], "W-1")
    credit = customer.return_for_credit(purchase.id, [0])
    assert credit.amount == ETHER  # nothing the shop is sure to keep yet: the bonus is owed at settlement
    (issued,) = ledger.events("CreditIssued", purchase.id)
    assert (issued.args["bonus"], issued.args["bonusAtSettlement"]) == (0, ETHER * bonus_bps // 10_000)
    assert customer.return_items(purchase.id, [1]).amount == ETHER  # line two: its full share
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [purchase.id])
    assert customer.credit(shop.merchant_id) == ETHER  # the shop kept nothing, so there is no bonus to give
    assert ledger.events("BonusCredited", purchase.id) == []


def test_the_bonus_owed_is_credited_at_settlement_out_of_what_the_shop_keeps(ledger, chain, shop, customer,
                                                                            stranger) -> None:
    shop.set_credit_bonus(1_000)
    terms = shop.publish_terms(7 * DAY)
    purchase = buy(shop, customer, terms.id, [("TV", 1, ETHER), ("RADIO", 1, ETHER)], "W-2")
    customer.return_for_credit(purchase.id, [0])
    assert ledger.call(ledger.contract.functions.pendingBonusOf(bytes.fromhex(purchase.id[2:]))) == ETHER // 10
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == ETHER - ETHER // 10  # the radio kept, less the bonus now given
    assert customer.credit(shop.merchant_id) == ETHER + ETHER // 10
    assert [r.kind for r in customer.refunds()] == ["credit", "bonus"]
    assert ledger.call(ledger.contract.functions.pendingBonusOf(bytes.fromhex(purchase.id[2:]))) == 0


def test_a_bonus_owed_is_capped_at_what_the_shop_keeps(ledger, chain, shop, staff, customer, stranger) -> None:
    """The shop's own goodwill after the credit return leaves less to keep: the bonus never reaches into escrow."""
    shop.set_credit_bonus(10_000)
    terms = shop.publish_terms(7 * DAY)
    purchase = buy(shop, customer, terms.id, [("TV", 1, ETHER), ("RADIO", 1, ETHER)], "W-3")
    customer.return_for_credit(purchase.id, [0])
    shop.goodwill_refund(purchase.id, ETHER * 3 // 4)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == 0 and customer.credit(shop.merchant_id) == ETHER + ETHER // 4


def test_a_credit_keeps_its_cash_out_date_whatever_the_shop_does_later(ledger, chain, shop, staff, week_terms,
                                                                       customer, purchase) -> None:
    """Issue #20: the date read the shop's current delay (raised to 136 years after the credit was given) and the
    latest issue (a 1-wei goodwill refund by an agent restarted the clock for all of it)."""
    shop.set_credit_cash_out_delay(10 * DAY)
    credit = customer.return_for_credit(purchase.id, [1])
    due = chain.w3.eth.get_block(credit.block_number)["timestamp"] + 10 * DAY
    shop.set_credit_cash_out_delay(2**32 - 1)  # about 136 years, for credit issued from now on
    later = buy(shop, customer, week_terms.id, [("PIN", 1, ETHER // 10)], "C-20", use_credit=ETHER // 20)
    shop.set_budget(staff.account.address, 1)
    staff.goodwill_refund(later.id, 1)  # 1 wei: part of it comes back as credit
    assert customer.credit_held(shop.merchant_id).cashable_at == due
    chain.set_next_block_time(due)
    assert customer.cash_out_credit(shop.merchant_id) > 0


def test_credit_added_later_joins_the_earlier_date(chain, shop, week_terms, customer, purchase) -> None:
    shop.set_credit_cash_out_delay(10 * DAY)
    first = customer.return_for_credit(purchase.id, [1])
    due = chain.w3.eth.get_block(first.block_number)["timestamp"] + 10 * DAY
    chain.advance_time(5 * DAY)
    customer.return_for_credit(purchase.id, [0])
    assert customer.credit_held(shop.merchant_id).cashable_at == due


def test_credit_in_a_token_the_shop_no_longer_takes_is_cashable_at_once(ledger, chain, shop, customer, alice,
                                                                         accounts, test_artifacts) -> None:
    """Issue #20: credit in a token the shop unlists could be neither spent nor cashed out while the shop trades."""
    from tests.support.world import deploy_contract, send

    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(chain, accounts[0], token.functions.mint(alice.address, 10_000))
    shop.accept_token(token.address)
    terms = shop.publish_terms(7 * DAY)
    purchase = buy(shop, customer, terms.id, [("MUG", 1, 1_000)], "T-1", token=token.address)
    customer.return_for_credit(purchase.id)
    with pytest.raises(errors.CreditLocked):
        customer.cash_out_credit(shop.merchant_id, token.address)
    shop.accept_token(token.address, False)
    assert customer.cash_out_credit(shop.merchant_id, token.address) == 1_000
    assert token.functions.balanceOf(alice.address).call() == 10_000
