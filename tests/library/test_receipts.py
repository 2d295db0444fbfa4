"""Receipts: what was bought, from whom, under which terms, and what came back, split by how it came back
(money, store credit, a new order); the PDF is a PDF that names the order."""

from __future__ import annotations

from ledger.names import Product
from ledger.receipts import pdf, refund_words
from ledger.render import amount
from tests.support.world import ETHER, buy


def test_a_receipt_names_the_shop_products_order_and_splits_money_from_credit(ledger, shop, staff, week_terms,
                                                                             customer) -> None:
    shop.set_profile("Kettle & Co", "help@kettle.example")
    shop.import_catalogue([Product("MUG", "Blue mug"), Product("TEA", "Green tea")])
    bought = buy(shop, customer, week_terms.id, [("MUG", 2, ETHER // 100), ("TEA", 1, ETHER // 10)], "ORDER-1001")
    customer.return_items(bought.id, [0])
    customer.return_for_credit(bought.id, [1])
    staff.goodwill_refund(bought.id, ETHER // 1000, "late delivery")

    r = ledger.receipt(bought.id)
    assert (r.shop, r.support, r.order_number) == ("Kettle & Co (shop #1)", "help@kettle.example", "ORDER-1001")
    assert [(line.product, line.quantity, line.returned) for line in r.lines] == [("Blue mug", 2, True),
                                                                                  ("Green tea", 1, True)]
    assert [x.kind for x in r.refunds] == ["return", "credit", "goodwill"]
    money = sum(x.amount for x in r.refunds if x.kind in ("return", "goodwill"))
    assert r.refunded_money == money and r.refunded_credit == r.refunds[1].amount > 0
    assert r.refunded_money + r.refunded_credit == ledger.purchase(bought.id).refunded
    assert refund_words(r.refunds[0], r.purchase.lines) == "return 2× MUG"
    assert "7 days from purchase" in r.terms

    document = pdf(r, amount)
    assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
    assert b"(Receipt ORDER-1001)" in document  # its title names the order
