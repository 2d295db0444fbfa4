"""Purchase history and figures, for a merchant and for a customer across merchants."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.models import NATIVE, SkuFigures, Status
from tests.support.world import DAY, ETHER, buy, deploy_contract, send


@pytest.fixture
def history(ledger, chain, shop, staff, week_terms, customer, alice, bob):
    """Alice buys twice and Bob once at the shop; Alice also buys at a second shop."""
    bob_desk = ledger.customer_desk(bob)
    early = buy(shop, customer, week_terms.id, [("MUG", 2, ETHER), ("TEA", 1, ETHER)], "A-1")
    chain.advance_time(DAY)
    middle = buy(shop, bob_desk, week_terms.id, [("TEA", 3, ETHER)], "B-1")
    chain.advance_time(DAY)
    late = buy(shop, customer, week_terms.id, [("PLATE", 1, ETHER)], "A-2")
    other_shop = ledger.register_merchant(bob)
    elsewhere = buy(other_shop, customer, other_shop.publish_terms(DAY).id, [("BOOK", 1, ETHER)], "X-1")
    customer.return_items(early.id, [1])  # TEA back: 0.9 ETH refunded
    bob_desk.return_items(middle.id)  # everything back: 2.7 ETH refunded
    staff.log_contact(alice.address, "chat", "question", purchase_id=early.id)
    staff.log_contact(bob.address, "phone", "return help", purchase_id=middle.id)
    customer.log_contact(shop.merchant_id, "email", "feedback")
    return {"early": early, "middle": middle, "late": late, "elsewhere": elsewhere, "other_shop": other_shop}


def ids(purchases):
    return [p.id for p in purchases]


def test_purchases_by_merchant_customer_sku_and_time(shop, customer, alice, history) -> None:
    h = history
    assert ids(shop.purchases()) == ids([h["early"], h["middle"], h["late"]])
    assert ids(shop.purchases(customer=alice.address)) == ids([h["early"], h["late"]])
    assert ids(customer.purchases()) == ids([h["early"], h["late"], h["elsewhere"]])  # across merchants
    assert ids(customer.purchases(merchant_id=h["other_shop"].merchant_id)) == ids([h["elsewhere"]])
    assert ids(shop.purchases(sku="TEA")) == ids([h["early"], h["middle"]])
    assert shop.purchases(sku="SPOON") == []
    middle = h["middle"]
    assert ids(shop.purchases(since=middle.purchased_at)) == ids([middle, h["late"]])
    assert ids(shop.purchases(until=middle.purchased_at)) == ids([h["early"], middle])
    assert ids(shop.purchases(since=middle.purchased_at, until=middle.purchased_at)) == ids([middle])


def test_purchases_by_status(ledger, chain, shop, history, stranger) -> None:
    h = history
    assert ids(shop.purchases(status="returned")) == ids([h["middle"]])
    assert ids(shop.purchases(status=Status.PARTLY_RETURNED)) == ids([h["early"]])
    assert ids(shop.purchases(status="open")) == ids([h["early"], h["middle"], h["late"]])
    chain.advance_time(6 * DAY)  # the first two windows close; the last one is still open
    assert ids(shop.purchases(status="closed")) == ids([h["early"], h["middle"]])
    shop.settle()
    assert ids(shop.purchases(status="settled")) == ids([h["early"], h["middle"]])
    assert ids(shop.purchases(status="open")) == ids([h["late"]])


def test_purchases_awaiting_delivery_until_the_longest_wait(chain, shop, customer) -> None:
    terms = shop.publish_terms(7 * DAY, delivery_wait=10 * DAY)
    waiting = buy(shop, customer, terms.id, [("CAR", 1, ETHER)], "C-1")
    assert ids(shop.purchases(status="awaiting_delivery")) == [waiting.id]
    chain.advance_time(10 * DAY)  # never confirmed: the window runs from the end of the longest wait
    assert shop.purchases(status="awaiting_delivery") == []
    assert ids(shop.purchases(status="open")) == [waiting.id]


def test_figures_count_sales_refunds_returns_and_contacts(ledger, chain, shop, staff, history) -> None:
    (figures,) = shop.figures()
    assert figures.token == NATIVE and figures.merchant_id == shop.merchant_id
    assert figures.purchases == 3
    assert figures.sales == 7 * ETHER  # 3 + 3 + 1; the other shop's book is not counted here
    assert figures.refunds == ETHER * 9 // 10 + 3 * ETHER * 9 // 10
    assert figures.returned_purchases == 2
    assert figures.return_rate_by_value == pytest.approx(3.6 / 7)  # what came back of what was paid
    assert (figures.units_returned, figures.units_sold) == (4, 7) and figures.return_rate_by_units == 4 / 7
    assert [(s.sku, s.units_returned, s.units_sold, s.purchases) for s in figures.skus] == [
        ("MUG", 0, 2, 1), ("PLATE", 0, 1, 1), ("TEA", 4, 4, 2)]
    assert figures.average_order == 7 * ETHER // 3 and figures.in_escrow == figures.sales - figures.refunds
    assert figures.contacts == 3 and figures.contacts_per_purchase == pytest.approx(1.0)
    assert figures.settled == 0 and figures.period == "all" and figures.previous is None
    staff.goodwill_refund(history["late"].id, ETHER // 10)  # money back, but not a return
    chain.advance_time(8 * DAY)
    shop.settle()
    (after,) = shop.figures()
    assert after.refunds == figures.refunds + ETHER // 10 and after.returned_purchases == 2
    # kept: 3 - 0.9 (early) + 3 - 2.7 (middle) + 1 - 0.1 (late)
    assert after.settled == after.sales - after.refunds == 3_300_000_000_000_000_000 and after.in_escrow == 0
    (other,) = ledger.figures(history["other_shop"].merchant_id)
    assert (other.purchases, other.sales, other.refunds, other.contacts, other.return_rate_by_value,
            other.return_rate_by_units) == (1, ETHER, 0, 0, 0.0, 0.0)


def test_figures_of_a_period_are_its_purchases_with_the_period_before(ledger, chain, shop, staff, customer,
                                                                      week_terms, alice, history) -> None:
    chain.advance_time(8 * DAY)  # the history's three purchases fall in the 7 days before the last 7
    recent = buy(shop, customer, week_terms.id, [("MUG", 1, ETHER // 2)], "A-3")
    staff.log_contact(alice.address, "chat", "question", purchase_id=recent.id)
    (week,) = shop.figures("7d")
    assert (week.period, week.until - week.since + 1) == ("7d", 7 * DAY)
    assert (week.purchases, week.sales, week.refunds, week.units_sold, week.contacts) == (1, ETHER // 2, 0, 1, 1)
    assert [(s.sku, s.units_sold) for s in week.skus] == [("MUG", 1)]
    before = week.previous
    assert before is not None and before.until == week.since - 1 and before.previous is None
    assert (before.purchases, before.sales, before.units_returned, before.units_sold) == (3, 7 * ETHER, 4, 7)
    assert before.contacts == 3  # two about its purchases, one naming none made in it
    (everything,) = shop.figures("all")
    assert everything.purchases == 4 and everything.contacts == 4 and everything.since is None
    assert shop.figures("90d")[0].previous.purchases == 0
    with pytest.raises(errors.InvalidInput, match="is not a period: choose one of 7d, 30d, 90d, all"):
        shop.figures("week")


def test_figures_of_each_token_stand_apart(ledger, chain, shop, week_terms, customer, alice, accounts,
                                          test_artifacts, history) -> None:
    """A return rate by value is of one token: 36 of 40 dollars back is 90 %, whatever the shop's ETH did; units
    add up over tokens, so the SKUs are the shop's in each."""
    dollar = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(chain, accounts[0], dollar.functions.mint(alice.address, 1_000 * 10**6))
    shop.accept_token(dollar.address)
    paid = buy(shop, customer, week_terms.id, [("MUG", 1, 40 * 10**6)], "T-1", token=dollar.address)
    customer.return_items(paid.id)  # 10 % restocking fee
    eth, dollars = shop.figures()
    assert (eth.token, eth.sales, eth.refunds) == (NATIVE, 7 * ETHER, ETHER * 36 // 10)
    assert (dollars.token, dollars.sales, dollars.refunds, dollars.units_sold) == (dollar.address, 40 * 10**6,
                                                                                 36 * 10**6, 1)
    assert dollars.return_rate_by_value == 0.9 and eth.return_rate_by_value == pytest.approx(3.6 / 7)
    assert eth.skus == dollars.skus and eth.skus[0] == SkuFigures("MUG", 3, 1, 2)


def test_a_period_without_sales_in_a_token_shows_zeros_next_to_the_period_before(chain, shop, history) -> None:
    chain.advance_time(8 * DAY)
    (week,) = shop.figures("7d")
    assert (week.token, week.purchases, week.sales, week.average_order, week.return_rate_by_value) == (
        NATIVE, 0, 0, 0, 0.0)
    assert week.previous.purchases == 3


def test_purchases_newest_first_page_by_page_and_without_a_status(shop, history) -> None:
    h = history
    newest = ids([h["late"], h["middle"], h["early"]])
    assert ids(shop.purchases(newest_first=True)) == newest
    first = shop.purchases(newest_first=True, limit=2)
    assert ids(first) == newest[:2]
    assert ids(shop.purchases(newest_first=True, limit=2, after=first[-1].id)) == newest[2:]
    # "window open" as people mean it: a line is left to send back (Bob's purchase is all back, window or not)
    assert ids(shop.purchases(status="open", excluding=["returned"])) == ids([h["early"], h["late"]])


def test_figures_of_a_merchant_without_purchases_are_zero(ledger, shop) -> None:
    (figures,) = shop.figures()
    assert (figures.purchases, figures.sales, figures.refunds, figures.settled) == (0, 0, 0, 0)
    assert figures.return_rate_by_value == figures.return_rate_by_units == figures.contacts_per_purchase == 0.0
    assert figures.average_order == figures.in_escrow == 0 and figures.skus == ()


def test_figures_of_an_unknown_merchant_rejected(ledger) -> None:
    with pytest.raises(errors.UnknownMerchant):
        ledger.figures(99)


def test_refunds_lists_returns_and_goodwill(ledger, staff, customer, history, alice) -> None:
    staff.goodwill_refund(history["late"].id, 5, note="sorry")
    refunds = customer.refunds()
    assert [(r.kind, r.purchase_id) for r in refunds] == [("return", history["early"].id), ("goodwill", history["late"].id)]
    assert all(r.customer == alice.address for r in refunds)
