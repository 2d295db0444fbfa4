"""The shop's figures of a period as data for Chart.js, each chart with the same numbers in words for its table (the
text a screen reader gets): sales and refunds per day, return rate by SKU, contacts per purchase, CSAT and NPS
per day, and what is settled against what is still in escrow. The totals are the library's (``Ledger.figures``,
as ``ledger figures`` shows them); what is drawn per day follows the same rule: the period's purchases, and the
feedback about them (``counting.about``). Amounts are drawn in ETH, from ETH purchases only (no token is added to
another); exact amounts of every token are in the headline numbers and the CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from .. import render
from ..history.counting import (
    about,
    net_promoter,  # the one definition of NPS, as `ledger figures` uses it
)
from ..models import NATIVE, Figures, Period, Purchase

UNIT = 10**18


def charts(ledger: Any, merchant_id: int, figures: Sequence[Figures]) -> dict[str, Any]:
    """Every chart's data for one shop over the period of ``figures`` (``Ledger.figures``): for each, the labels
    and its series, each with its values and the same values in words."""
    shown = figures[0]
    period = Period(shown.period, shown.until) if shown.until is not None else None
    purchases = ledger.purchases(merchant_id=merchant_id, since=shown.since, until=shown.until)
    day_of = _Days(ledger)
    eth = next((f for f in figures if f.token == NATIVE), None)
    return {"sales": _sales(ledger, [p for p in purchases if p.token == NATIVE]),
            "sku": _return_rate(shown),
            "contacts": _contacts_per_purchase(ledger, merchant_id, purchases, period),
            "feedback": _feedback(ledger, merchant_id, purchases, period, day_of),
            "escrow": _escrow(eth)}


def _chart(heading: str, labels: list[str], *series: dict[str, Any]) -> dict[str, Any]:
    """A chart: what its labels are (the heading of its table's first column), the labels, and its series."""
    return {"heading": heading, "labels": labels, "series": list(series)}


def _series(label: str, values: list[Any], words: Callable[[Any], str] | list[str]) -> dict[str, Any]:
    """One series: its values, and the same in words (each value written by ``words``, or the words given)."""
    return {"label": label, "values": values, "shown": words if isinstance(words, list) else [words(v) for v in values]}


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


def _eth(value: float) -> str:
    return f"{value:g} ETH"


def _sales(ledger: Any, purchases: list[Purchase]) -> dict[str, Any]:
    """Sales and refunds (of those sales) per day, in ETH."""
    sales: dict[str, float] = defaultdict(float)
    refunds: dict[str, float] = defaultdict(float)
    for purchase in purchases:
        sales[_date(purchase.purchased_at)] += purchase.paid / UNIT
    ours = {p.id for p in purchases}
    for refund in ledger.refunds():
        if refund.purchase_id in ours:
            refunds[_date(refund.refunded_at)] += refund.amount / UNIT
    days = sorted(set(sales) | set(refunds))
    return _chart("Day (UTC)", days, _series("Sales (ETH)", [sales[d] for d in days], _eth),
                  _series("Refunds (ETH)", [refunds[d] for d in days], _eth))


def _return_rate(figures: Figures) -> dict[str, Any]:
    """Per SKU, the share of the units sold that came back, in per cent, with the units beside it."""
    return _chart("SKU", [s.sku for s in figures.skus],
                  _series("Returned (% of units)", [round(100 * s.return_rate, 1) for s in figures.skus],
                          [render.sku_rate(s) for s in figures.skus]))


def _contacts_per_purchase(ledger: Any, merchant_id: int, purchases: list[Purchase],
                           period: Period | None) -> dict[str, Any]:
    """How many purchases had 0, 1, 2 or 3 and more contacts (those that count: ``counting.contacts``)."""
    contacts = ledger.contacts(merchant_id=merchant_id)
    if period is not None:
        contacts = about({p.id for p in purchases}, period, [], [], [], contacts)[3]
    per_purchase = Counter(c.purchase_id for c in contacts if c.purchase_id and c.counted)
    buckets = Counter(min(per_purchase[p.id], 3) for p in purchases)
    return _chart("Contacts", ["0", "1", "2", "3 or more"],
                  _series("Purchases", [buckets[n] for n in range(4)], lambda n: f"{n} purchase{'' if n == 1 else 's'}"))


def _feedback(ledger: Any, merchant_id: int, purchases: list[Purchase], period: Period | None,
              day_of: _Days) -> dict[str, Any]:
    """Average CSAT (1 to 5) and NPS (-100 to 100) of the scores that count, by the day they were given."""
    nps, csat = ledger.scores("nps", merchant_id), ledger.scores("csat", merchant_id)
    if period is not None:
        _, nps, csat, _ = about({p.id for p in purchases}, period, [], nps, csat,
                                ledger.contacts(merchant_id=merchant_id))
    by_day: dict[str, dict[str, list[int]]] = {"csat": defaultdict(list), "nps": defaultdict(list)}
    for kind, scores in (("csat", csat), ("nps", nps)):
        for score in (s for s in scores if s.counted):
            by_day[kind][day_of(score.block_number)].append(score.score)
    days = sorted(set(by_day["csat"]) | set(by_day["nps"]))
    return _chart("Day (UTC)", days,
                  _series("CSAT", [sum(v) / len(v) if (v := by_day["csat"][d]) else None for d in days],
                          lambda value: "–" if value is None else f"{value:.1f} / 5"),
                  _series("NPS", [net_promoter(by_day["nps"][d]) for d in days],
                          lambda value: "–" if value is None else f"{value:+.0f}"))


def _escrow(figures: Figures | None) -> dict[str, Any]:
    """Of the ETH paid in the period: what the shop was paid out, what still waits in escrow, what went back."""
    amounts = [0, 0, 0] if figures is None else [figures.settled, figures.in_escrow, figures.refunds]
    return _chart("Where it is", ["settled", "in escrow", "refunded"], _series("ETH", [a / UNIT for a in amounts], _eth))
