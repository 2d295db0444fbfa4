"""ERC-20 purchases: plain tokens, fee-on-transfer tokens and tokens whose transfer returns nothing."""

from __future__ import annotations

import pytest
from conftest import DAY, deploy_contract, send
from eth_account import Account

from ledger import errors

UNIT = 10**6


def _token(chain, accounts, test_artifacts, name, *args):
    token = deploy_contract(chain, accounts[0], test_artifacts[name], *args)
    for holder in accounts[3:5]:
        send(chain, accounts[0], token.functions.mint(holder.address, 1_000 * UNIT))
    return token


@pytest.fixture(params=["TestToken", "NoReturnToken"])
def token(request, chain, accounts, test_artifacts):
    args = ("Test Dollar", "TUSD") if request.param == "TestToken" else ()
    return _token(chain, accounts, test_artifacts, request.param, *args)


def test_token_purchase_return_and_settlement(ledger, chain, shop, week_terms, customer, alice, token,
                                              stranger) -> None:
    balance = token.functions.balanceOf
    purchase = customer.buy(week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-1", token=token.address)
    assert purchase.token == token.address and purchase.paid == purchase.price == 50 * UNIT
    assert balance(ledger.address).call() == 50 * UNIT
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == 27 * UNIT
    assert balance(alice.address).call() == 1_000 * UNIT - 50 * UNIT + 27 * UNIT
    chain.advance_time(8 * DAY)
    payout = ledger.merchant(shop.merchant_id).payout
    (settled,) = ledger.settle(stranger, [purchase.id])
    assert settled.amount == 23 * UNIT == balance(payout).call()
    assert balance(ledger.address).call() == 0


def test_fee_on_transfer_token_counts_what_arrived(ledger, chain, shop, week_terms, customer, accounts,
                                                   test_artifacts, stranger) -> None:
    token = _token(chain, accounts, test_artifacts, "FeeOnTransferToken", 100)  # 1 % burnt per transfer
    purchase = customer.buy(week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-2", token=token.address)
    assert purchase.price == 50 * UNIT and purchase.paid == 49_500_000
    assert token.functions.balanceOf(ledger.address).call() == purchase.paid
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == (30 * UNIT * purchase.paid // purchase.price) * 9_000 // 10_000
    held = token.functions.balanceOf(ledger.address).call()
    assert held == purchase.paid - refund.amount == customer.purchase(purchase.id).in_escrow
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id])
    assert settled.amount == held
    assert token.functions.balanceOf(ledger.address).call() == 0


def test_token_purchase_without_funds_refused_before_sending(ledger, chain, week_terms, token, accounts) -> None:
    poor = Account.create()
    send(chain, accounts[0], token.functions.mint(poor.address, UNIT))
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(accounts[0].sign_transaction({
        "to": poor.address, "value": 10**18, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
        "nonce": chain.w3.eth.get_transaction_count(accounts[0].address), "chainId": chain.chain_id,
    }).raw_transaction))
    with pytest.raises(errors.InsufficientFunds) as info:
        ledger.customer_desk(poor).buy(week_terms.id, [("HAT", 1, 2 * UNIT)], "T-3", token=token.address)
    assert (info.value.needed, info.value.available) == (2 * UNIT, UNIT)
    assert chain.w3.eth.get_transaction_count(poor.address) == 0
