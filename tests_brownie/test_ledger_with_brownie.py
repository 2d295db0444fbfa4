"""The contract works through brownie's own tooling: compiled by `brownie compile`, driven by brownie."""

import brownie
from brownie import chain

MUG = ("0x" + b"MUG".hex()).ljust(66, "0")
LINES = [(MUG, 2, 10**17)]
ORDER = "0x" + "11" * 32


def test_buy_and_return_refunds_price_less_fee(ledger, terms, accounts):
    customer = accounts[3]
    tx = ledger.buy(terms, brownie.ZERO_ADDRESS, LINES, ORDER, brownie.ZERO_ADDRESS, 0, {"from": customer, "value": 2 * 10**17})
    event = tx.events["PurchaseRecorded"]
    purchase, lines = event["purchase"], event["lines"]
    assert ledger.balance() == 2 * 10**17
    before = customer.balance()
    refund = ledger.returnItems(purchase, lines, 1, "0x" + "00" * 32, {"from": customer})
    assert refund.events["ItemsReturned"]["refund"] == 18 * 10**16
    assert customer.balance() - before == 18 * 10**16  # brownie's local network charges no gas here
    assert ledger.balance() == 2 * 10**16


def test_late_return_reverts_with_the_custom_error(ledger, terms, accounts):
    tx = ledger.buy(terms, brownie.ZERO_ADDRESS, LINES, ORDER, brownie.ZERO_ADDRESS, 0, {"from": accounts[3], "value": 2 * 10**17})
    event = tx.events["PurchaseRecorded"]
    chain.sleep(8 * 86_400)
    chain.mine()
    with brownie.reverts():
        ledger.returnItems(event["purchase"], event["lines"], 1, "0x" + "00" * 32, {"from": accounts[3]})


def test_settlement_pays_the_merchant(ledger, terms, accounts):
    tx = ledger.buy(terms, brownie.ZERO_ADDRESS, LINES, ORDER, brownie.ZERO_ADDRESS, 0, {"from": accounts[3], "value": 2 * 10**17})
    chain.sleep(8 * 86_400)
    before = accounts[1].balance()
    ledger.settle([tx.events["PurchaseRecorded"]["purchase"]], {"from": accounts[5]})
    assert accounts[1].balance() - before == 2 * 10**17
