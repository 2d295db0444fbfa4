"""The contracts work through brownie's own tooling: compiled by `brownie compile`, driven by brownie."""

import brownie
from brownie import chain

ZERO = "0x" + "00" * 32


def test_buy_a_signed_order_and_return_it_for_the_price_less_fee(ledger, terms, quote, accounts):
    customer = accounts[3]
    order, packed, lines, signature = quote(customer)
    tx = ledger.buy(packed, lines, 0, signature, {"from": customer, "value": order.total})
    event = tx.events["PurchaseRecorded"]
    assert event["purchaseId"] == order.purchase_id(chain.id, ledger.address) == tx.return_value
    assert event["customer"] == customer and ledger.balance() == 2 * 10**17
    before = customer.balance()
    refund = ledger.returnItems(packed, lines, 1, ZERO, {"from": customer})
    assert refund.events["ItemsReturned"]["refund"] == 18 * 10**16
    assert customer.balance() - before == 18 * 10**16  # brownie's local network charges no gas here
    assert ledger.balance() == 2 * 10**16


def test_an_order_is_bought_once_by_its_customer_as_signed(ledger, terms, quote, accounts):
    order, packed, lines, signature = quote(accounts[3])
    with brownie.reverts():  # made out to accounts[3]
        ledger.buy(packed, lines, 0, signature, {"from": accounts[4], "value": order.total})
    cheaper = [(sku, quantity, price // 2) for sku, quantity, price in lines]
    _, tampered, _, _ = quote(accounts[3], [(line.sku, line.quantity, line.unit_price // 2) for line in order.lines])
    with brownie.reverts():  # the shop signed another price
        ledger.buy(tampered, cheaper, 0, signature, {"from": accounts[3], "value": order.total // 2})
    ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})
    with brownie.reverts():  # bought already
        ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})


def test_an_expired_order_reverts(ledger, terms, quote, accounts):
    order, packed, lines, signature = quote(accounts[3], valid_for=60)
    chain.sleep(120)
    chain.mine()
    with brownie.reverts():
        ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})


def test_late_return_reverts(ledger, terms, quote, accounts):
    order, packed, lines, signature = quote(accounts[3])
    ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})
    chain.sleep(8 * 86_400)
    chain.mine()
    with brownie.reverts():
        ledger.returnItems(packed, lines, 1, ZERO, {"from": accounts[3]})


def test_settlement_pays_the_merchant_and_skips_what_is_still_open(ledger, terms, quote, accounts):
    order, packed, lines, signature = quote(accounts[3])
    ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})
    chain.sleep(8 * 86_400)
    chain.mine()
    later, later_packed, later_lines, later_signature = quote(accounts[4], order_ref="0x" + "22" * 32)
    ledger.buy(later_packed, later_lines, 0, later_signature, {"from": accounts[4], "value": later.total})
    before = accounts[1].balance()
    tx = ledger.settle([packed, later_packed], {"from": accounts[5]})
    assert accounts[1].balance() - before == 2 * 10**17
    assert tx.events["Settled"]["purchaseId"] == order.purchase_id(chain.id, ledger.address)
    skipped = tx.events["SettlementSkipped"]
    assert skipped["purchaseId"] == later.purchase_id(chain.id, ledger.address) and skipped["reason"] == 2  # open


def test_only_the_buyer_reviews_through_the_feedback_contract(ledger, feedback, terms, quote, accounts):
    order, packed, lines, signature = quote(accounts[3])
    ledger.buy(packed, lines, 0, signature, {"from": accounts[3], "value": order.total})
    tx = feedback.review(packed, 5, "0x" + "ab" * 32, {"from": accounts[3]})
    assert tx.events["ReviewPosted"]["rating"] == 5
    with brownie.reverts():
        feedback.review(packed, 1, "0x" + "cd" * 32, {"from": accounts[4]})
