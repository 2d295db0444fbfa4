"""The shop's figures as data for Chart.js, from the index: sales and refunds per day, return rate by SKU,
contacts per purchase, CSAT and NPS over time, and what is settled against what is still in escrow.
Amounts are in ETH (whole units of an 18-decimal token) for the picture; exact amounts are in the table and
the CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any

from ..history.counting import (
    net_promoter,  # the one definition of NPS, as `ledger figures` uses it
)

UNIT = 10**18


def charts(ledger: Any, merchant_id: int) -> dict[str, Any]:
    """Every chart's data for one shop."""
    purchases = ledger.purchases(merchant_id=merchant_id)
    day_of = _Days(ledger)
    return {"sales": _sales(ledger, purchases, day_of), "skus": _return_rate(purchases),
            "contacts": _contacts_per_purchase(ledger, merchant_id, purchases),
            "feedback": _feedback(ledger, merchant_id, day_of), "escrow": _escrow(purchases)}


class _Days:
    """The UTC day of a block, each block read once."""

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self._seen: dict[int, str] = {}

    def __call__(self, block_number: int) -> str:
        if block_number not in self._seen:
            self._seen[block_number] = _date(self._ledger.w3.eth.get_block(block_number)["timestamp"])
        return self._seen[block_number]


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def _sales(ledger: Any, purchases: list[Any], day_of: _Days) -> dict[str, Any]:
    """Sales and refunds per day."""
    sales: dict[str, float] = defaultdict(float)
    refunds: dict[str, float] = defaultdict(float)
    ours = {p.id for p in purchases}
    for purchase in purchases:
        sales[_date(purchase.purchased_at)] += purchase.paid / UNIT
    for refund in ledger.refunds():
        if refund.purchase_id in ours:
            refunds[day_of(refund.block_number)] += refund.amount / UNIT
    days = sorted(set(sales) | set(refunds))
    return {"labels": days, "sales": [sales[d] for d in days], "refunds": [refunds[d] for d in days]}


def _return_rate(purchases: list[Any]) -> dict[str, Any]:
    """Per SKU, the share of the units sold that came back, in per cent."""
    sold: Counter[str] = Counter()
    returned: Counter[str] = Counter()
    for purchase in purchases:
        for index, line in enumerate(purchase.lines):
            sold[line.sku] += line.quantity
            if index in purchase.returned_lines:
                returned[line.sku] += line.quantity
    skus = sorted(sold)
    return {"labels": skus, "rates": [round(100 * returned[s] / sold[s], 1) for s in skus]}


def _contacts_per_purchase(ledger: Any, merchant_id: int, purchases: list[Any]) -> dict[str, Any]:
    """How many purchases had 0, 1, 2 or 3 and more contacts (those that count: ``counting.contacts``)."""
    per_purchase = Counter(c.purchase_id for c in ledger.contacts(merchant_id=merchant_id)
                           if c.purchase_id and c.counted)
    buckets = Counter(min(per_purchase[p.id], 3) for p in purchases)
    return {"labels": ["0", "1", "2", "3 or more"], "purchases": [buckets[n] for n in range(4)]}


def _feedback(ledger: Any, merchant_id: int, day_of: _Days) -> dict[str, Any]:
    """Average CSAT (1 to 5) and NPS (-100 to 100) of the scores given each day that count."""
    csat: dict[str, list[int]] = defaultdict(list)
    nps: dict[str, list[int]] = defaultdict(list)
    for kind, by_day in (("csat", csat), ("nps", nps)):
        for score in (s for s in ledger.scores(kind, merchant_id) if s.counted):
            by_day[day_of(score.block_number)].append(score.score)
    days = sorted(set(csat) | set(nps))
    return {"labels": days, "csat": [sum(csat[d]) / len(csat[d]) if csat[d] else None for d in days],
            "nps": [net_promoter(nps[d]) for d in days]}


def _escrow(purchases: list[Any]) -> dict[str, Any]:
    """What the shop was paid out, what still waits in escrow, and what went back to customers."""
    settled = sum(p.paid - p.refunded for p in purchases if p.settled)
    held = sum(p.in_escrow for p in purchases)
    refunded = sum(p.refunded for p in purchases)
    return {"labels": ["settled", "in escrow", "refunded"], "amounts": [settled / UNIT, held / UNIT, refunded / UNIT]}
