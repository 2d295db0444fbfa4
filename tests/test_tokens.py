"""ERC-20 purchases: only tokens the shop lists are taken; plain tokens, fee-on-transfer tokens and tokens
whose transfer returns nothing."""

from __future__ import annotations

import pytest
from conftest import DAY, buy, deploy_contract, send
from eth_account import Account

from ledger import errors
from ledger.models import NATIVE

UNIT = 10**6


def _token(chain, accounts, test_artifacts, name, *args):
    token = deploy_contract(chain, accounts[0], test_artifacts[name], *args)
    for holder in accounts[3:5]:
        send(chain, accounts[0], token.functions.mint(holder.address, 1_000 * UNIT))
    return token


TOKEN_ARGS = {"TestToken": ("Test Dollar", "TUSD"), "NoReturnToken": (), "FeeOnTransferToken": (100,),
              "BonusOnTransferToken": ()}
"""Constructor arguments; the fee-on-transfer token burns 1 % of each transfer."""


def _accepted(chain, shop, accounts, test_artifacts, name):
    """A token minted to alice and bob and listed by the shop."""
    token = _token(chain, accounts, test_artifacts, name, *TOKEN_ARGS[name])
    shop.accept_token(token.address)
    return token


@pytest.fixture
def token(chain, shop, accounts, test_artifacts):
    """A plain token the shop accepts."""
    return _accepted(chain, shop, accounts, test_artifacts, "TestToken")


@pytest.mark.parametrize("kind", ["TestToken", "NoReturnToken"])
def test_token_purchase_return_and_settlement(ledger, chain, shop, week_terms, customer, alice, accounts,
                                              test_artifacts, stranger, kind) -> None:
    token = _accepted(chain, shop, accounts, test_artifacts, kind)
    balance = token.functions.balanceOf
    purchase = buy(shop, customer, week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-1",
                   token=token.address)
    assert purchase.token == token.address and purchase.paid == purchase.price == 50 * UNIT
    assert balance(ledger.address).call() == 50 * UNIT
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == 27 * UNIT
    assert balance(alice.address).call() == 1_000 * UNIT - 50 * UNIT + 27 * UNIT
    chain.advance_time(8 * DAY)
    payout = ledger.merchant(shop.merchant_id).payout
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == 23 * UNIT == balance(payout).call()
    assert balance(ledger.address).call() == 0


def test_fee_on_transfer_token_counts_what_arrived(ledger, chain, shop, week_terms, customer, accounts,
                                                   test_artifacts, stranger) -> None:
    token = _accepted(chain, shop, accounts, test_artifacts, "FeeOnTransferToken")
    purchase = buy(shop, customer, week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-2",
                   token=token.address)
    assert purchase.price == 50 * UNIT and purchase.paid == 49_500_000
    assert token.functions.balanceOf(ledger.address).call() == purchase.paid
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == (30 * UNIT * purchase.paid // purchase.price) * 9_000 // 10_000
    held = token.functions.balanceOf(ledger.address).call()
    assert held == purchase.paid - refund.amount == customer.purchase(purchase.id).in_escrow
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == held
    assert token.functions.balanceOf(ledger.address).call() == 0


def test_token_purchase_without_funds_refused_before_sending(ledger, chain, shop, week_terms, token,
                                                             accounts) -> None:
    poor = Account.create()
    send(chain, accounts[0], token.functions.mint(poor.address, UNIT))
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(accounts[0].sign_transaction({
        "to": poor.address, "value": 10**18, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
        "nonce": chain.w3.eth.get_transaction_count(accounts[0].address), "chainId": chain.chain_id,
    }).raw_transaction))
    order = shop.quote(week_terms.id, [("HAT", 1, 2 * UNIT)], "T-3", customer=poor.address, token=token.address)
    with pytest.raises(errors.InsufficientFunds) as info:
        ledger.customer_desk(poor).buy(order)
    assert (info.value.needed, info.value.available) == (2 * UNIT, UNIT)
    assert chain.w3.eth.get_transaction_count(poor.address) == 0


def test_accept_token_lists_and_unlists_a_token(ledger, shop, accounts, test_artifacts, chain) -> None:
    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    assert ledger.accepts(shop.merchant_id, NATIVE)  # ETH always
    assert not ledger.accepts(shop.merchant_id, token.address)
    listed = shop.accept_token(token.address)
    assert listed.named("TokenAccepted")[0].args == {
        "merchantId": shop.merchant_id, "token": token.address, "accepted": True}
    assert ledger.accepts(shop.merchant_id, token.address)
    shop.accept_token(token.address, accepted=False)
    assert not ledger.accepts(shop.merchant_id, token.address)


def test_a_token_is_accepted_per_shop(ledger, shop, bob, accounts) -> None:
    token = accounts[9].address
    other = ledger.register_merchant(bob)
    other.accept_token(token)
    assert ledger.accepts(other.merchant_id, token) and not ledger.accepts(shop.merchant_id, token)


def test_accept_token_is_owner_only_and_refuses_eth_and_the_ledger(ledger, shop, staff, agent, accounts) -> None:
    with pytest.raises(errors.NotMerchantOwner) as info:
        staff.accept_token(accounts[9].address)
    assert info.value.caller == agent.address
    for address in (NATIVE, ledger.address):
        with pytest.raises(errors.InvalidAddress):
            shop.accept_token(address)
    assert not ledger.accepts(shop.merchant_id, accounts[9].address)


def test_quote_in_a_token_the_shop_does_not_accept_refused(shop, week_terms, customer, accounts) -> None:
    with pytest.raises(errors.InvalidInput, match="does not accept token .*: accept it first"):
        shop.quote(week_terms.id, [("HAT", 1, UNIT)], "T-4", customer=customer.address, token=accounts[9].address)


def test_buy_in_a_token_the_shop_stopped_accepting_refused(ledger, shop, week_terms, customer, token) -> None:
    order = shop.quote(week_terms.id, [("HAT", 1, UNIT)], "T-5", customer=customer.address, token=token.address)
    shop.accept_token(token.address, accepted=False)
    with pytest.raises(errors.TokenNotAccepted, match="does not accept token") as info:
        customer.buy(order)
    assert (info.value.merchant_id, info.value.token) == (shop.merchant_id, token.address)
    assert token.functions.balanceOf(ledger.address).call() == 0


def test_more_arriving_than_was_due_is_never_recorded_as_paid(ledger, chain, shop, week_terms, customer, bob,
                                                              accounts, test_artifacts, stranger) -> None:
    """A listed token whose balance rises by twice the price on a purchase: the ledger records what was due,
    so a full return refunds the price, and Bob's escrow in the same token is untouched (it would pay for the
    difference if what arrived were recorded)."""
    token = _accepted(chain, shop, accounts, test_artifacts, "BonusOnTransferToken")
    balance = token.functions.balanceOf
    bobs = buy(shop, ledger.customer_desk(bob), week_terms.id, [("HAT", 1, 10 * UNIT)], "B-1", token=token.address)
    alices = buy(shop, customer, week_terms.id, [("HAT", 1, 10 * UNIT)], "B-2", token=token.address)
    assert (bobs.paid, alices.paid) == (10 * UNIT, 10 * UNIT)  # 20 arrived for each; 10 was due
    assert balance(ledger.address).call() == 40 * UNIT
    assert customer.return_items(alices.id).amount == 9 * UNIT  # the price less the 10 % fee, not 18
    assert ledger.customer_desk(bob).return_items(bobs.id).amount == 9 * UNIT  # Bob's is all there
