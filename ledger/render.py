"""Formatting at the edge (demo and command line): amounts, times, terms in words and rich tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from . import timefmt, validate
from .history.counting import ONLY_HERE
from .models import (
    DAY,
    NATIVE,
    PERIODS,
    ContactMoment,
    Figures,
    Purchase,
    PurchaseRow,
    RatingSummary,
    ReturnRow,
    ReturnTerms,
    Review,
    SkuFigures,
    Status,
)
from .orders import Order
from .tokens import token_info

if TYPE_CHECKING:  # rich (the cli extra) is imported where a table is drawn: the page uses only the words here
    from rich.console import Group
    from rich.table import Table
    from web3 import Web3

    from .names import Labels, Names

def amount(value: int, token: str = NATIVE, decimals: int = 18, symbol: str | None = None) -> str:
    """``1.25 ETH`` for 1.25e18 wei; trailing zeros trimmed, at most 6 decimals shown."""
    quantity = (Decimal(value) / Decimal(10) ** decimals).quantize(Decimal("0.000001")).normalize()
    return f"{quantity:f} {unit(token, symbol)}"


def unit(token: str, symbol: str | None = None) -> str:
    """What an amount of ``token`` is counted in: ``ETH``, its symbol, or ``0x5FbD…`` without one."""
    return symbol or ("ETH" if token == NATIVE else f"{token[:6]}…")


def decimal(value: int, decimals: int = 18) -> str:
    """An amount exactly, as a decimal in whole tokens: ``1.25`` for 1.25e18 wei, ``0.000000000000000001``."""
    quantity = Decimal(value).scaleb(-decimals)
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Units:
    """Amounts in their token's own units, each token's decimals and symbol read from it once: what the command
    line prints and what the page's and the command line's CSV files hold."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._tokens: dict[str, tuple[int, str | None]] = {NATIVE: (18, "ETH")}

    def info(self, token: str) -> tuple[int, str | None]:
        """The token's decimals (18 when it does not say) and its symbol (None when it has none fit to show)."""
        token = validate.address(token, "token")
        if token not in self._tokens:
            self._tokens[token] = token_info(self.w3, token)
        return self._tokens[token]

    def decimals(self, token: str) -> int:
        return self.info(token)[0]

    def symbol(self, token: str) -> str:
        """What a token's amounts are called: ETH, its symbol, or ``units of token 0x…``."""
        return self.info(token)[1] or f"units of token {token}"

    def __call__(self, value: int, token: str = NATIVE) -> tuple[str, str]:
        """An amount exactly in whole tokens, and the token's symbol: ``("1.25", "ETH")``."""
        return decimal(value, self.decimals(token)), self.symbol(token)

    def amount(self, value: int, token: str = NATIVE) -> str:
        """``1.5 ETH`` or ``12.3 USDC`` (at most 6 decimals shown)."""
        decimals, symbol = self.info(token)
        return amount(value, token, decimals, symbol)


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


class HasTerms(Protocol):
    """Anything that carries return terms: published terms, an order, a purchase."""

    @property
    def return_window(self) -> int: ...
    @property
    def restocking_fee_bps(self) -> int: ...
    @property
    def delivery_wait(self) -> int: ...
    @property
    def item_must_be_returned(self) -> bool: ...


def _latest_start(delivery_wait: int) -> str:
    """``day 14`` (after purchase), or ``36 hours after purchase`` for a wait of no whole days."""
    if delivery_wait % DAY == 0:
        return f"day {delivery_wait // DAY}"
    return f"{timefmt.duration(delivery_wait)} after purchase"


def window_start(terms: HasTerms) -> str:
    """``purchase``, or ``delivery (or from day 14 if delivery is never confirmed)``."""
    if not terms.delivery_wait:
        return "purchase"
    return f"delivery (or from {_latest_start(terms.delivery_wait)} if delivery is never confirmed)"


def terms_words(terms: HasTerms) -> str:
    """``30 days from delivery (or from day 14 if delivery is never confirmed), restocking fee 5 %, item goes
    back``; ``no returns (final sale)`` when there is no window."""
    if terms.return_window == 0:
        return "no returns (final sale)"
    return (f"{window(terms.return_window)} from {window_start(terms)}, "
            f"restocking fee {terms.restocking_fee_bps / 100:g} %, "
            f"{'item goes back' if terms.item_must_be_returned else 'keep the item'}")


def deadline_words(p: Purchase, zone: tzinfo | None = None) -> str:
    """When the return window closes (or closed), in the reader's zone and relative to ``p.as_of``."""
    if p.return_window == 0:
        return "no returns (final sale)"
    verb = "closes" if p.deadline > p.as_of else "closed"
    text = f"{verb} {timefmt.local(p.deadline, zone)} ({timefmt.relative(p.deadline, p.as_of)})"
    if p.awaiting_delivery:
        text = f"starts at delivery, not confirmed yet; {text} at the latest"
    if p.extension_days:
        text += f", {p.extension_days} day{'s' if p.extension_days != 1 else ''} added by the shop"
    return text


def order_view(
    order: Order,
    purchase_id: str,
    now: int,
    zone: tzinfo | None = None,
    price: Callable[[int, str], str] = amount,
    names: Mapping[str, str] | None = None,
    merchants: Mapping[int, str] | None = None,
    title: str = "Order",
    shop: Names | None = None,
) -> Group:
    """What a shop-signed order says: lines (with the products' names, given the shop's ``Names``), total,
    terms in words, referral, expiry and purchase id."""
    from rich.console import Group
    from rich.table import Table

    def name(address: str) -> str:
        return (names or {}).get(address, address)

    lines = Table(title=title)
    named = shop is not None and any(line.sku in shop.products for line in order.lines)
    for column in ("line", "sku", *(("product",) if named else ()), "quantity", "unit price", "total"):
        lines.add_column(column)
    for i, line in enumerate(order.lines):
        lines.add_row(str(i + 1), line.sku, *((shop.product(line.sku),) if shop and named else ()), str(line.quantity),
                      price(line.unit_price, order.token), price(line.total, order.token))
    buyer = "anyone (once)" if order.customer == NATIVE else name(order.customer)
    seller = shop.shop if shop else f"merchant {merchant(order.merchant_id, merchants)}"
    facts = [
        f"{seller} sells to {buyer} for {price(order.total, order.token)}",
        f"terms #{order.terms_id}: {terms_words(order)}",
    ]
    if order.referrer != NATIVE:
        facts.append(f"referrer {name(order.referrer)} earns {order.referral_bps / 100:g} % of what the shop keeps")
    facts += [
        f"valid until {timefmt.local(order.expiry, zone)} ({timefmt.relative(order.expiry, now)})",
        f"purchase id {purchase_id}",
    ]
    return Group(lines, *facts)


def terms_table(
    terms: Iterable[ReturnTerms], title: str = "Return terms", merchants: Mapping[int, str] | None = None
) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in ("terms", "merchant", "window", "starts at", "fee", "item goes back", "state"):
        table.add_column(column)
    for t in terms:
        table.add_row(
            f"#{t.id}", merchant(t.merchant_id, merchants), window(t.return_window),
            f"delivery, or {_latest_start(t.delivery_wait)}" if t.delivery_wait else "purchase",
            f"{t.restocking_fee_bps / 100:g} %",
            "yes" if t.item_must_be_returned else "no (keep it)", "retired" if t.retired else "current",
        )
    return table


def purchases_table(
    purchases: Iterable[Purchase],
    now: int,
    title: str = "Purchases",
    names: Mapping[str, str] | None = None,
    labels: Labels | None = None,
) -> Table:
    """Purchases with their shop's and products' names and the shop's order number where known (``labels``).
    A customer or a shop that every row shares goes in the title, not in a column of its own: the table fits
    a narrower terminal."""
    from rich.table import Table

    purchases = list(purchases)

    def shop(p: Purchase) -> str:
        return labels.shop(p.merchant_id) if labels else f"shop #{p.merchant_id}"

    one_customer = len({p.customer for p in purchases}) == 1
    one_shop = len({p.merchant_id for p in purchases}) == 1
    if purchases and one_shop:
        title += f" at {shop(purchases[0])}"
    if purchases and one_customer:
        title += f" by {who(purchases[0].customer, names)}"
    table = Table(title=title)
    columns = ("purchase", "order", *(() if one_customer else ("customer",)), *(() if one_shop else ("shop",)),
               "lines", "paid", "refunded", "status", "return window")
    for column in columns:  # amounts whole on one line; the rest wraps around them
        table.add_column(column, no_wrap=column in ("paid", "refunded"))
    for p in purchases:
        lines = ", ".join(
            f"{line.quantity}× {labels.product(p.merchant_id, line.sku) if labels else line.sku}"
            + (" (returned)" if i in p.returned_lines else "")
            for i, line in enumerate(p.lines)
        )
        table.add_row(
            p.id[:10], labels.order(p.id) if labels else "", *(() if one_customer else (who(p.customer, names),)),
            *(() if one_shop else (shop(p),)), lines, amount(p.paid, p.token), amount(p.refunded, p.token),
            p.status.value.replace("_", " "), window_state(p, now),
        )
    return table


RETURNS_COLUMNS = ("returned_at", "purchase_id", "order_number", "shop", "customer", "kind", "lines", "refund",
                   "token", "refund_raw", "tracking_number", "tx_hash")
"""The columns of a returns list as CSV, the same from the page and the command line."""


def returns_rows(rows: Iterable[ReturnRow], labels: Labels, units: Callable[[int, str], tuple[str, str]]) -> list[list[str]]:
    """A returns list as rows of ``RETURNS_COLUMNS``: ISO 8601 times (UTC), the refund as a decimal with the
    token's symbol (``units``: amount → (decimal text, symbol)) and in the smallest unit, names for products."""
    found = []
    for row in rows:
        refund, p = row.refund, row.purchase
        decimal, symbol = units(refund.amount, p.token)
        found.append([
            timefmt.iso(refund.refunded_at), p.id, labels.order(p.id), labels.shop(p.merchant_id), p.customer,
            refund.kind, "; ".join(f"{line.quantity}× {labels.product(p.merchant_id, line.sku)}" for line in row.lines),
            decimal, symbol, str(refund.amount), row.tracking or "", refund.tx_hash])
    return found


def returns_csv(rows: Iterable[ReturnRow], labels: Labels, units: Callable[[int, str], tuple[str, str]]) -> str:
    """A returns list as CSV (``RETURNS_COLUMNS``)."""
    return _csv(RETURNS_COLUMNS, returns_rows(rows, labels, units))


PURCHASES_COLUMNS = ("purchased_at", "purchase_id", "order_number", "shop", "customer", "status", "lines", "skus",
                     "paid", "refunded", "token", "paid_raw", "refunded_raw", "refund_kinds", "returned",
                     "tracking_numbers", "return_deadline", "tx_hash")
"""The columns of a shop's purchase history as CSV, the same from the page and the command line: times and
amounts as in ``RETURNS_COLUMNS``; ``refund_kinds`` names each refund (``return``, ``credit``, ``exchange``,
``goodwill``, ``kept``, ``bonus``), ``returned`` the lines that came back."""


def purchases_rows(rows: Iterable[PurchaseRow], labels: Labels,
                   units: Callable[[int, str], tuple[str, str]]) -> list[list[str]]:
    """A shop's purchases as rows of ``PURCHASES_COLUMNS``."""
    found = []
    for row in rows:
        p = row.purchase
        paid, symbol = units(p.paid, p.token)

        def lines(indexes: Iterable[int], p: Purchase = p) -> str:
            return "; ".join(f"{p.lines[i].quantity}× {labels.product(p.merchant_id, p.lines[i].sku)}" for i in indexes)

        found.append([
            timefmt.iso(p.purchased_at), p.id, labels.order(p.id), labels.shop(p.merchant_id), p.customer,
            p.status.value, lines(range(len(p.lines))), "; ".join(line.sku for line in p.lines), paid,
            units(p.refunded, p.token)[0], symbol, str(p.paid), str(p.refunded),
            "; ".join(refund.kind for refund in row.refunds), lines(sorted(p.returned_lines)),
            "; ".join(row.tracking), timefmt.iso(p.deadline), p.tx_hash])
    return found


def purchases_csv(rows: Iterable[PurchaseRow], labels: Labels, units: Callable[[int, str], tuple[str, str]]) -> str:
    """A shop's purchases as CSV (``PURCHASES_COLUMNS``)."""
    return _csv(PURCHASES_COLUMNS, purchases_rows(rows, labels, units))


def _csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def returns_table(rows: Sequence[ReturnRow], labels: Labels, now: int, title: str = "Returns") -> Table:
    """A shop's returns, newest first: when, purchase, order number, customer, lines, refund, tracking number."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("when", "purchase", "order", "customer", "kind", "lines", "refund", "tracking"):
        table.add_column(column, no_wrap=column == "refund")
    for row in rows:
        refund, p = row.refund, row.purchase
        table.add_row(timefmt.relative(refund.refunded_at, now), p.id[:10], labels.order(p.id), who(p.customer),
                      refund.kind, ", ".join(f"{line.quantity}× {labels.product(p.merchant_id, line.sku)}"
                                             for line in row.lines),
                      amount(refund.amount, p.token), row.tracking or "none given")
    return table


STATES: dict[str, tuple[str, Status, tuple[Status, ...]]] = {
    "window_open": ("window open", Status.OPEN, (Status.RETURNED,)),
    "awaiting_delivery": ("awaiting delivery", Status.AWAITING_DELIVERY, ()),
    "to_settle": ("window closed, to settle", Status.CLOSED, ()),
    "settled": ("settled", Status.SETTLED, ()),
    "partly_returned": ("partly returned", Status.PARTLY_RETURNED, ()),
    "returned": ("returned", Status.RETURNED, ()),
}
"""Where a purchase stands, in the words people use (the dashboard's filter): each name's words, the status it
is in and those it is not in. "Window open" means a line is left to send back, so a purchase returned in full
is "returned" alone, window or not."""


def state_words(p: Purchase) -> str:
    """Every state of ``STATES`` a purchase is in, in words (``window open · partly returned``): a row listed
    under a filter always says that filter's words."""
    return " · ".join(words for words, status, left_out in STATES.values()
                      if status in p.statuses and not p.statuses & set(left_out))


def window_state(p: Purchase, now: int) -> str:
    """``closes in 3 days``, ``closed 2 days ago``, ``closes in 21 days at the latest`` (awaiting delivery) or
    ``no returns``."""
    if p.return_window == 0:
        return "no returns"
    if p.deadline <= now:
        return f"closed {timefmt.relative(p.deadline, now)}"
    if p.awaiting_delivery:
        return f"closes {timefmt.relative(p.deadline, now)} at the latest"
    return f"closes {timefmt.relative(p.deadline, now)}"


def contacts_table(
    contacts: Iterable[ContactMoment],
    now: int,
    title: str = "Contact moments",
    names: Mapping[str, str] | None = None,
    merchants: Mapping[int, str] | None = None,
) -> Table:
    from rich.table import Table

    contacts = list(contacts)
    left_out = sum(1 for c in contacts if not c.counted)
    caption = (f"{left_out} contact(s) not counted in the shop's figures (see why)" if left_out else None)
    table = Table(title=title, caption=caption)
    for column in ("when", "merchant", "customer", "channel", "about", "purchase", "logged by", "counted"):
        table.add_column(column)
    for c in contacts:
        table.add_row(
            timefmt.relative(c.occurred_at, now), merchant(c.merchant_id, merchants), who(c.customer, names),
            c.channel.name.lower().replace("_", " "), c.kind.name.lower().replace("_", " "),
            c.purchase_id[:8] if c.purchase_id else "-", who(c.logged_by, names),
            "yes" if c.counted else f"no: {c.not_counted_because}",
        )
    return table


@dataclass(frozen=True)
class Figure:
    """One headline number in words, as the command line and the dashboard both show it."""

    key: str
    """The ``Figures`` field or property it shows (``ledger figures --json`` has it under that name)."""
    label: str
    value: int | float | None
    """The number itself (smallest units for an amount, a share from 0 to 1 for a rate)."""
    shown: str
    detail: str
    """What it counts, beside a rate or an average: ``2 of 3 units``."""
    change: str
    """How it moved from the period before (``+20% (was 1 ETH)``); empty without a period before."""
    was: float | None = None
    """The number in the period before (None without one, or without a score then)."""


Change = Callable[[float, float], str]
"""How a figure's change from the period before is said: in per cent, in points, as a difference."""


def headline(f: Figures, money: Callable[[int, str], str] = amount) -> list[Figure]:
    """A shop's figures in one token as headline numbers, each with what it counts and its change from the
    period before (``f.previous``); ``money`` writes an amount."""
    before = _rows(f.previous, money) if f.previous is not None else None
    figures = []
    for index, (key, label, value, shown, detail, how) in enumerate(_rows(f, money)):
        change, was = "", None
        if before is not None:
            was, was_shown = before[index][2], before[index][3]
            moved = (how(value, was) if value is not None and was is not None
                     else "no score before" if value is not None else "no score now" if was is not None else "")
            change = f"{moved} (was {was_shown})" if moved else ""
        figures.append(Figure(key, label, value, shown, detail, change, was))
    return figures


def _rows(f: Figures, money: Callable[[int, str], str]) -> list[tuple[str, str, float | None, str, str, Change]]:
    """(key, label, value, shown, detail, how its change is said) of each headline figure."""
    def cash(value: int) -> str:
        return money(value, f.token)

    return [
        ("purchases", "Purchases", f.purchases, str(f.purchases), "", _relative),
        ("sales", "Sales", f.sales, cash(f.sales), "", _relative),
        ("average_order", "Average order", f.average_order, cash(f.average_order),
         f"over {_count(f.purchases, 'purchase')}", _relative),
        ("refunds", "Refunds", f.refunds, cash(f.refunds),
         f"{_count(f.returned_purchases, 'purchase')} with a return", _relative),
        ("return_rate_by_value", "Return rate by value", f.return_rate_by_value, _percent(f.return_rate_by_value),
         f"{cash(f.refunds)} of {cash(f.sales)}", _points),
        ("return_rate_by_units", "Return rate by units", f.return_rate_by_units, _percent(f.return_rate_by_units),
         f"{f.units_returned} of {_count(f.units_sold, 'unit')}", _points),
        ("in_escrow", "In escrow", f.in_escrow, cash(f.in_escrow), "", _relative),
        ("settled", "Settled", f.settled, cash(f.settled), "", _relative),
        ("contacts_per_purchase", "Contacts per purchase", f.contacts_per_purchase, f"{f.contacts_per_purchase:.2f}",
         _count(f.contacts, "contact"), _difference("{:+.2f}")),
        ("average_rating", "Rating", f.average_rating, _score(f.average_rating, "{:.1f}/5"),
         f"{_count(f.reviews, 'review')}, {f.reviews_only_here} from one-shop wallets", _difference("{:+.1f}")),
        ("csat", "CSAT", f.csat, _score(f.csat, "{:.1f}/5"), _count(f.csat_scores, "score"), _difference("{:+.1f}")),
        ("nps", "NPS", f.nps, _score(f.nps, "{:+.0f}"), _count(f.nps_scores, "score"), _difference("{:+.0f} points")),
    ]


def _relative(now: float, before: float) -> str:
    if now == before:
        return "no change"
    return "new" if not before else f"{(now - before) / before:+.0%}"


def _points(now: float, before: float) -> str:
    return f"{100 * (now - before):+.1f} points"


def _difference(form: str) -> Change:
    return lambda now, before: form.format(now - before)


def _percent(rate: float) -> str:
    return f"{rate:.1%}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def figures_table(
    figures: Iterable[Figures], title: str = "Figures", merchants: Mapping[int, str] | None = None
) -> Group:
    """The headline numbers (``headline``), one column per shop and token, each with what it counts and its
    change from the period before; under it, what the feedback figures mean and leave out."""
    from rich.console import Group
    from rich.table import Table

    figures = list(figures)
    table = Table(title=title, show_lines=True)
    table.add_column("")
    for f in figures:
        table.add_column(f"{merchant(f.merchant_id, merchants)} · {unit(f.token)}")
    columns = [headline(f) for f in figures]
    for index, first in enumerate(columns[0] if columns else []):
        table.add_row(first.label, *("\n".join(part for part in (c[index].shown, c[index].detail, c[index].change)
                                                if part) for c in columns))
    return Group(table, *(feedback_notes(figures[0]) if figures else []))


def period_words(period: str) -> str:
    """``the last 30 days`` (changes against the 30 days before), or ``all time``."""
    days = PERIODS[period]
    return "all time" if days is None else f"the last {days} days (change: on the {days} days before)"


def skus_table(f: Figures, title: str = "Return rate by SKU") -> Table:
    """Each SKU's units sold and returned, the rate with its count beside it."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("SKU", "return rate", "purchases"):
        table.add_column(column)
    for sku in f.skus:
        table.add_row(sku.sku, sku_rate(sku), str(sku.purchases))
    return table


def sku_rate(sku: SkuFigures) -> str:
    """``50.0% (2 of 4 units)``: never a rate without what it counts."""
    return f"{_percent(sku.return_rate)} ({sku.units_returned} of {_count(sku.units_sold, 'unit')})"


def feedback_notes(f: Figures) -> list[str]:
    """What the feedback figures mean and what they leave out, in words (the CLI's caption, the page's notes)."""
    notes = [f"from one-shop wallets: {ONLY_HERE}"]
    left_out = [f"{n} {what}" for n, what in ((f.reviews_not_counted, "review(s) of purchases fully refunded"),
                                             (f.scores_not_counted, "NPS/CSAT score(s)"),
                                             (f.contacts_not_counted, "contact(s)")) if n]
    if left_out:
        notes.append("not counted: " + ", ".join(left_out) + " (each listed with the reason)")
    return notes


def paid(value: int, token: str = NATIVE) -> str:
    """What a purchase paid; below what ``amount`` shows, the exact number of smallest units (``1 wei``)."""
    shown = amount(value, token)
    if value and shown.startswith("0 "):
        return f"{value:,} wei" if token == NATIVE else f"{value:,} units of {token[:6]}…"
    return shown


def _score(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def reviews_table(reviews: Iterable[Review], summary: RatingSummary | None = None, title: str = "Reviews",
                  names: Mapping[str, str] | None = None) -> Table:
    from rich.table import Table

    caption = None
    if summary is not None and (summary.reviews or summary.not_counted):
        lines = []
        if summary.reviews:
            per_sku = ", ".join(f"{sku} {avg:.1f} ({n})" for sku, (avg, n) in summary.by_sku.items())
            lines.append(f"average {summary.average:.1f}/5 over {summary.reviews} review(s); by SKU: {per_sku}")
            lines.append(f"{summary.only_here} of them {ONLY_HERE}")
        if summary.not_counted:
            lines.append(f"{summary.not_counted} review(s) not counted: the purchase was fully refunded")
        caption = "\n".join(lines)
    table = Table(title=title, caption=caption)
    for column in ("purchase", "customer", "rating", "SKUs", "paid", "kept", "counted", "bought elsewhere",
                   "rewritten"):
        table.add_column(column)
    for r in reviews:
        kept = "yes" if r.kept else "no: fully refunded"
        if r.kept and r.returned:
            kept = "partly returned"
        table.add_row(r.purchase_id[:8], who(r.customer, names), "★" * r.rating + "☆" * (5 - r.rating),
                      ", ".join(r.skus), paid(r.paid, r.token), kept, "yes" if r.counted else "no",
                      "yes" if r.bought_elsewhere else "no", "yes" if r.replaced else "")
    return table
