"""Formatting at the edge (demo and command line): amounts, times and rich tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from rich.table import Table

from . import timefmt
from .models import NATIVE, ContactMoment, Figures, Purchase, RatingSummary, ReturnTerms, Review


def amount(value: int, token: str = NATIVE, decimals: int = 18, symbol: str | None = None) -> str:
    """``1.25 ETH`` for 1.25e18 wei; trailing zeros trimmed, at most 6 decimals shown."""
    unit = symbol or ("ETH" if token == NATIVE else f"{token[:6]}…")
    quantity = (Decimal(value) / Decimal(10) ** decimals).quantize(Decimal("0.000001")).normalize()
    return f"{quantity:f} {unit}"


def who(address: str, names: Mapping[str, str] | None = None) -> str:
    """A known name for an address, or its short form ``0x15d3…a65``."""
    if names and address in names:
        return names[address]
    return f"{address[:6]}…{address[-3:]}"


def merchant(merchant_id: int, names: Mapping[int, str] | None = None) -> str:
    """A merchant's name if known, else ``#3``."""
    return names.get(merchant_id, f"#{merchant_id}") if names else f"#{merchant_id}"


def window(seconds: int) -> str:
    """``365 days``, ``7 days``, or ``no returns``."""
    return "no returns" if seconds == 0 else timefmt.duration(seconds)


def terms_table(
    terms: Iterable[ReturnTerms], title: str = "Return terms", merchants: Mapping[int, str] | None = None
) -> Table:
    table = Table(title=title)
    for column in ("terms", "merchant", "window", "starts at", "fee", "item goes back", "state"):
        table.add_column(column)
    for t in terms:
        table.add_row(
            f"#{t.id}", merchant(t.merchant_id, merchants), window(t.return_window),
            "delivery" if t.window_from_delivery else "purchase", f"{t.restocking_fee_bps / 100:g} %",
            "yes" if t.item_must_be_returned else "no (keep it)", "retired" if t.retired else "current",
        )
    return table


def purchases_table(
    purchases: Iterable[Purchase],
    now: int,
    title: str = "Purchases",
    names: Mapping[str, str] | None = None,
    merchants: Mapping[int, str] | None = None,
) -> Table:
    table = Table(title=title)
    for column in ("purchase", "customer", "merchant", "lines", "paid", "refunded", "status", "return window"):
        table.add_column(column)
    for p in purchases:
        lines = ", ".join(
            f"{line.quantity}× {line.sku}" + (" (returned)" if i in p.returned_lines else "")
            for i, line in enumerate(p.lines)
        )
        table.add_row(
            p.id[:8], who(p.customer, names), merchant(p.merchant_id, merchants), lines, amount(p.paid, p.token),
            amount(p.refunded, p.token), p.status.value.replace("_", " "), window_state(p, now),
        )
    return table


def window_state(p: Purchase, now: int) -> str:
    """``closes in 3 days``, ``closed 2 days ago``, ``starts at delivery`` or ``no returns``."""
    if p.return_window == 0:
        return "no returns"
    deadline = p.deadline
    if deadline is None:
        return f"{window(p.return_window)} from delivery"
    if deadline > now:
        return f"closes {timefmt.relative(deadline, now)}"
    return f"closed {timefmt.relative(deadline, now)}"


def contacts_table(
    contacts: Iterable[ContactMoment],
    now: int,
    title: str = "Contact moments",
    names: Mapping[str, str] | None = None,
    merchants: Mapping[int, str] | None = None,
) -> Table:
    table = Table(title=title)
    for column in ("when", "merchant", "customer", "channel", "about", "purchase", "logged by"):
        table.add_column(column)
    for c in contacts:
        table.add_row(
            timefmt.relative(c.occurred_at, now), merchant(c.merchant_id, merchants), who(c.customer, names),
            c.channel.name.lower().replace("_", " "), c.kind.name.lower().replace("_", " "),
            c.purchase_id[:8] if c.purchase_id else "-", who(c.logged_by, names),
        )
    return table


def figures_table(
    figures: Iterable[Figures], title: str = "Figures", merchants: Mapping[int, str] | None = None
) -> Table:
    table = Table(title=title)
    for column in ("merchant", "purchases", "sales", "refunds", "return rate", "contacts per purchase", "rating",
                   "CSAT", "NPS", "settled"):
        table.add_column(column)
    for f in figures:
        table.add_row(
            merchant(f.merchant_id, merchants), str(f.purchases), amount(f.sales, f.token), amount(f.refunds, f.token),
            f"{f.return_rate:.0%}", f"{f.contacts_per_purchase:.2f}", _score(f.average_rating, "{:.1f}/5"),
            _score(f.csat, "{:.1f}/5"), _score(f.nps, "{:+.0f}"), amount(f.settled, f.token),
        )
    return table


def _score(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def reviews_table(reviews: Iterable[Review], summary: RatingSummary | None = None, title: str = "Reviews",
                  names: Mapping[str, str] | None = None) -> Table:
    caption = None
    if summary is not None and summary.reviews:
        per_sku = ", ".join(f"{sku} {avg:.1f} ({n})" for sku, (avg, n) in summary.by_sku.items())
        caption = f"average {summary.average:.1f}/5 over {summary.reviews} review(s); by SKU: {per_sku}"
    table = Table(title=title, caption=caption)
    for column in ("purchase", "customer", "rating", "SKUs", "returned", "rewritten"):
        table.add_column(column)
    for r in reviews:
        table.add_row(r.purchase_id[:8], who(r.customer, names), "★" * r.rating + "☆" * (5 - r.rating),
                      ", ".join(r.skus), "yes" if r.returned else "", "yes" if r.replaced else "")
    return table
