"""Buying: the price goes into escrow and the purchase records what was agreed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import DAY, ETHER

from ledger import errors
from ledger.models import NATIVE, LineItem, Status
from ledger.validate import hash_of


def test_buy_pays_the_price_into_escrow(ledger, chain, week_terms, customer, alice) -> None:
    before = chain.w3.eth.get_balance(ledger.address)
    purchase = customer.buy(week_terms.id, [LineItem("SOFA", 1, 2 * ETHER), LineItem("CUSHION", 4, ETHER // 10)],
                            "ORDER-7")
    assert chain.w3.eth.get_balance(ledger.address) - before == 2 * ETHER + 4 * ETHER // 10
    assert purchase.customer == alice.address
    assert purchase.merchant_id == week_terms.merchant_id and purchase.terms_id == week_terms.id
    assert purchase.token == NATIVE
    assert purchase.price == purchase.paid == 2 * ETHER + 4 * ETHER // 10
    assert purchase.lines == (LineItem("SOFA", 1, 2 * ETHER), LineItem("CUSHION", 4, ETHER // 10))
    assert purchase.order_ref == "0x" + hash_of("ORDER-7").hex()
    assert purchase.status is Status.OPEN and purchase.time_left == 7 * DAY
    assert purchase.deadline == purchase.purchased_at + 7 * DAY
    assert (purchase.refunded, purchase.returned_lines, purchase.settled) == (0, frozenset(), False)
    assert purchase.purchased_at == chain.w3.eth.get_block(purchase.block_number)["timestamp"]


def test_buy_copies_the_terms_into_the_purchase(ledger, shop, customer) -> None:
    terms = shop.publish_terms(3 * DAY, restocking_fee_bps=300, window_from_delivery=True, item_must_be_returned=True)
    purchase = customer.buy(terms.id, [("BIKE", 1, ETHER)], "ORDER-8")
    assert (purchase.return_window, purchase.restocking_fee_bps) == (3 * DAY, 300)
    assert purchase.window_from_delivery and purchase.item_must_be_returned
    assert purchase.status is Status.AWAITING_DELIVERY and purchase.deadline is None


def test_purchase_lookup_returns_state_and_time_left(ledger, chain, week_terms, customer) -> None:
    purchase = customer.buy(week_terms.id, [("LAMP", 1, 5000)], "ORDER-9")
    chain.advance_time(2 * DAY)
    found = ledger.purchase(purchase.id)
    assert found == replace(purchase, as_of=found.as_of)  # everything recorded comes back as bought
    assert found.time_left == purchase.deadline - found.as_of
    assert 5 * DAY - 2 <= found.time_left <= 5 * DAY


def test_buy_rejects_more_lines_than_the_contract_tracks(week_terms, customer) -> None:
    with pytest.raises(errors.LineCount) as info:
        customer.buy(week_terms.id, [(f"SKU-{i}", 1, 1) for i in range(33)], "ORDER-BIG")
    assert (info.value.count, info.value.max_lines) == (33, 32)


def test_buy_accepts_the_most_lines_allowed(week_terms, customer) -> None:
    purchase = customer.buy(week_terms.id, [(f"SKU-{i}", 1, 1) for i in range(32)], "ORDER-32")
    assert len(purchase.lines) == 32


def test_buy_rejects_a_zero_total_before_sending(chain, week_terms, customer, alice) -> None:
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.InvalidInput, match="purchase total"):
        customer.buy(week_terms.id, [("FREEBIE", 1, 0), ("SAMPLE", 3, 0)], "ORDER-0")
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


def test_buy_rejects_a_zero_quantity_before_sending(chain, week_terms, customer, alice) -> None:
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.InvalidInput, match="quantity"):
        customer.buy(week_terms.id, [("MUG", 0, 100)], "ORDER-1")
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


def test_free_lines_may_ride_along(week_terms, customer) -> None:
    purchase = customer.buy(week_terms.id, [("MUG", 1, 100), ("GIFT-CARD", 1, 0)], "ORDER-2")
    assert purchase.price == 100


def test_unknown_purchase_is_reported(ledger, week_terms, customer) -> None:
    customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    with pytest.raises(errors.UnknownPurchase, match="no purchase 0x" + "ab" * 32) as info:
        ledger.purchase("0x" + "ab" * 32)
    assert info.value.purchase_id == "0x" + "ab" * 32
    with pytest.raises(errors.UnknownPurchase):
        customer.return_items("0x" + "ab" * 32)


def test_same_order_a_second_later_is_a_second_purchase(chain, week_terms, customer) -> None:
    first = customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    chain.advance_time(1)
    second = customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    assert first.id != second.id


def test_sku_that_is_not_text_round_trips_as_hex(week_terms, customer) -> None:
    raw = "0x" + "ff" * 31 + "00"
    purchase = customer.buy(week_terms.id, [(raw, 1, 100), ("MUG", 1, 100)], "ORDER-3")
    assert purchase.lines[0].sku == raw and purchase.lines[1].sku == "MUG"
    assert customer.return_items(purchase.id, [0]).amount == 90  # the lines hash still matches


def test_status_filter_names_the_choices(ledger) -> None:
    with pytest.raises(errors.InvalidInput, match="choose one of awaiting_delivery, open"):
        ledger.purchases(status="lost")
