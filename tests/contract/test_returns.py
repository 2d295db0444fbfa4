"""Automatic refunds inside the return window, whole or some lines, and their limits."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.models import Status
from tests.support.world import DAY, ETHER, assert_kept, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("SHOES", 1, ETHER), ("SOCKS", 3, ETHER // 100)], "ORDER-1")


def test_return_refunds_price_less_fee_from_escrow(ledger, chain, customer, purchase, alice) -> None:
    escrow = chain.w3.eth.get_balance(ledger.address)
    refund = customer.return_items(purchase.id)
    price = ETHER + 3 * ETHER // 100
    assert refund.amount == price - price // 10
    assert refund.reference == "0x" + "00" * 32  # no shipment: the items stay with the customer
    assert refund.kind == "return" and refund.lines == (0, 1) and refund.customer == alice.address
    assert escrow - chain.w3.eth.get_balance(ledger.address) == refund.amount
    after = customer.purchase(purchase.id)
    assert after.refunded == refund.amount and Status.RETURNED in after.statuses
    assert after.in_escrow == price - refund.amount  # the restocking fee stays for the merchant


def test_return_pays_the_customer(chain, customer, purchase, alice) -> None:
    balance = chain.w3.eth.get_balance(alice.address)
    refund = customer.return_items(purchase.id, [0])
    receipt_block = chain.w3.eth.get_block(refund.block_number, full_transactions=True)
    (tx,) = [t for t in receipt_block["transactions"] if t["from"] == alice.address]
    fee = chain.w3.eth.get_transaction_receipt(tx["hash"])
    gas_cost = fee["gasUsed"] * fee["effectiveGasPrice"]
    assert chain.w3.eth.get_balance(alice.address) == balance + refund.amount - gas_cost


def test_return_some_lines_then_the_rest(customer, purchase) -> None:
    first = customer.return_items(purchase.id, [1])
    assert first.amount == (3 * ETHER // 100) * 9 // 10
    middle = customer.purchase(purchase.id)
    assert middle.returned_lines == {1} and middle.status is Status.PARTLY_RETURNED
    assert middle.open_lines == (0,)
    second = customer.return_items(purchase.id)  # the default is every line still open
    assert second.lines == (0,) and second.amount == ETHER * 9 // 10


def test_return_a_line_twice_rejected(customer, purchase) -> None:
    first = customer.return_items(purchase.id, [0])
    with pytest.raises(errors.AlreadyReturned) as info:
        customer.return_items(purchase.id, [0, 1])
    assert (info.value.purchase_id, info.value.line_mask) == (purchase.id, 0b01)
    after = customer.purchase(purchase.id)
    assert after.refunded == first.amount and after.returned_lines == {0}  # line 1 was not returned either


def test_return_everything_twice_refused_by_the_library(customer, purchase) -> None:
    customer.return_items(purchase.id)
    with pytest.raises(errors.InvalidInput, match="already returned"):
        customer.return_items(purchase.id)


def test_return_unknown_line_rejected(customer, purchase) -> None:
    with pytest.raises(errors.InvalidInput, match=r"line 3 \(index 2\) does not exist: purchase .* has 2 line\(s\)"):
        customer.return_items(purchase.id, [2])


def test_return_by_someone_else_rejected_before_sending(ledger, chain, purchase, stranger) -> None:
    nonce = chain.w3.eth.get_transaction_count(stranger.address)
    with pytest.raises(errors.NotCustomer) as info:
        ledger.customer_desk(stranger).return_items(purchase.id)
    assert info.value.caller == stranger.address
    assert chain.w3.eth.get_transaction_count(stranger.address) == nonce


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_return_window_boundaries(chain, customer, purchase, alice, offset) -> None:
    deadline = purchase.deadline
    chain.set_next_block_time(deadline + offset)
    if offset < 0:
        assert customer.return_items(purchase.id).amount > 0
        return
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.ReturnWindowClosed) as info:
        customer.return_items(purchase.id)
    assert (info.value.deadline, info.value.timestamp) == (deadline, deadline + offset)
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce
    assert "closed on" in str(info.value) and "UTC" in str(info.value)


def test_return_allowed_before_delivery_when_window_runs_from_delivery(shop, customer) -> None:
    terms = shop.publish_terms(7 * DAY, delivery_wait=30 * DAY)
    purchase = buy(shop, customer, terms.id, [("CAR", 1, ETHER)], "ORDER-CAR")
    assert customer.return_items(purchase.id).amount == ETHER


@pytest.mark.parametrize("offset", [-1, 0])
def test_return_window_runs_from_delivery(chain, shop, customer, offset) -> None:
    terms = shop.publish_terms(7 * DAY, delivery_wait=60 * DAY)
    purchase = buy(shop, customer, terms.id, [("CAR", 1, ETHER)], "ORDER-CAR")
    chain.advance_time(30 * DAY)  # a long delivery does not eat into the window
    delivered = shop.confirm_delivery(purchase.id)
    deadline = delivered.delivered_at + 7 * DAY
    assert delivered.deadline == deadline
    chain.set_next_block_time(deadline + offset)
    if offset < 0:
        assert customer.return_items(purchase.id).amount == ETHER
    else:
        with pytest.raises(errors.ReturnWindowClosed) as info:
            customer.return_items(purchase.id)
        assert (info.value.purchase_id, info.value.deadline, info.value.timestamp) == (purchase.id, deadline, deadline)


def test_return_needs_a_shipment_when_the_item_must_come_back(shop, customer) -> None:
    terms = shop.publish_terms(7 * DAY, item_must_be_returned=True)
    purchase = buy(shop, customer, terms.id, [("TV", 1, ETHER)], "ORDER-TV")
    with pytest.raises(errors.ShipmentRequired) as info:
        customer.return_items(purchase.id)
    assert info.value.purchase_id == purchase.id
    assert customer.purchase(purchase.id).refunded == 0
    refund = customer.return_items(purchase.id, shipment_ref="PARCEL-123")
    assert_kept(customer.outbox, refund.reference, "PARCEL-123", "shipment")
    assert refund.amount == ETHER


def test_no_returns_terms_refuse_every_return(chain, shop, customer) -> None:
    terms = shop.publish_terms(0)
    purchase = buy(shop, customer, terms.id, [("FOOD", 1, 1000)], "ORDER-F")
    assert purchase.status is Status.CLOSED and purchase.time_left == 0
    chain.set_next_block_time(purchase.purchased_at + 1)
    with pytest.raises(errors.ReturnWindowClosed) as info:
        customer.return_items(purchase.id)
    assert (info.value.deadline, info.value.timestamp) == (purchase.purchased_at, purchase.purchased_at + 1)


def test_no_returns_terms_refuse_a_return_before_delivery(ledger, chain, shop, customer) -> None:
    """A 0-second window means no returns, also while a from-delivery window waits for delivery."""
    terms = shop.publish_terms(0, delivery_wait=DAY)
    purchase = buy(shop, customer, terms.id, [("FOOD", 1, 1000)], "ORDER-F")
    assert not purchase.window_open
    escrow = chain.w3.eth.get_balance(ledger.address)
    with pytest.raises(errors.ReturnWindowClosed) as info:
        customer.return_items(purchase.id)
    assert info.value.purchase_id == purchase.id
    assert chain.w3.eth.get_balance(ledger.address) == escrow


def test_return_of_no_lines_refused_with_a_true_message(chain, customer, purchase, alice) -> None:
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.InvalidInput) as info:
        customer.return_items(purchase.id, [])
    assert "already returned" not in str(info.value)  # nothing was returned yet
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


def test_quote_matches_the_refund(ledger, customer, purchase) -> None:
    order = purchase.order
    quoted = ledger.call(ledger.contract.functions.quoteReturn(order.packed(), order.line_tuples(), 0b10))
    assert quoted == purchase.refund_for((1,))
    assert customer.return_items(purchase.id, [1]).amount == quoted
