"""A shop's returns list (`MerchantDesk.returns`): newest first, for money, for credit and in exchanges, each
with its purchase, its time and the tracking number the customer gave; never another shop's returns, nor a
goodwill refund; the index and the log scan give the same rows."""

from __future__ import annotations

from ledger.models import LineItem
from ledger.render import RETURNS_COLUMNS, returns_csv
from ledger.timefmt import iso
from tests.support.world import DAY, ETHER, buy, twin


def test_the_returns_list_is_newest_first_with_tracking_numbers_and_times(
        ledger, shop, staff, week_terms, customer, accounts, chain) -> None:
    first = buy(shop, customer, week_terms.id, [("MUG", 2, ETHER // 100), ("TEA", 1, ETHER // 10)], "ORDER-1")
    second = buy(shop, customer, week_terms.id, [("POT", 1, ETHER // 5)], "ORDER-2")
    customer.return_items(first.id, [0], shipment_ref="PARCEL-NL-1")
    chain.advance_time(DAY)
    customer.return_for_credit(second.id, [0])
    staff.goodwill_refund(first.id, ETHER // 1000, "late delivery")  # a refund, not a return: not listed
    other = ledger.register_merchant(accounts[7])  # another shop's return is not listed either
    other_terms = other.publish_terms(7 * DAY)
    theirs = buy(other, customer, other_terms.id, [("HAT", 1, ETHER // 100)], "THEIRS-1")
    customer.return_items(theirs.id, [0], shipment_ref="PARCEL-THEIRS")

    rows = staff.returns()
    assert [(r.purchase.id, r.refund.kind) for r in rows] == [(second.id, "credit"), (first.id, "return")]
    latest, earlier = rows
    assert earlier.tracking == "PARCEL-NL-1" and latest.tracking is None
    assert [line.sku for line in earlier.lines] == ["MUG"] and earlier.refund.amount > 0
    assert latest.refund.refunded_at - earlier.refund.refunded_at >= DAY
    assert chain.block_time(earlier.refund.block_number) == earlier.refund.refunded_at
    assert [r.refund for r in staff.returns(limit=1)] == [latest.refund]

    # the log scan reads the same refunds, with the shop and the time
    assert twin(ledger, False).reads.refunds(merchant_id=shop.merchant_id) == ledger.reads.refunds(
        merchant_id=shop.merchant_id)

    text = returns_csv(rows, ledger.labels(r.purchase for r in rows), lambda value, token: (str(value), "ETH"))
    header, *lines = text.splitlines()
    assert header == ",".join(RETURNS_COLUMNS) and len(lines) == 2
    assert "PARCEL-NL-1" in lines[1] and "ORDER-1" in lines[1]
    assert lines[1].startswith(f"{iso(earlier.refund.refunded_at)},{first.id}")


def test_an_exchange_shows_in_the_returns_list(ledger, shop, week_terms, customer) -> None:
    old = buy(shop, customer, week_terms.id, [("SHOE-41", 1, ETHER // 10)], "ORDER-7")
    new = shop.quote(week_terms.id, [LineItem("SHOE-42", 1, ETHER // 10)], "ORDER-8", customer=customer.address)
    customer.exchange(old.id, new, [0])
    (row,) = shop.returns()
    assert row.refund.kind == "exchange" and row.purchase.id == old.id
