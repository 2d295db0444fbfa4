"""The merchant's pages (owner or agent, role read on chain): the shop's headline numbers for a period with their
change from the period before and its charts (all from ``Ledger.figures``, as ``ledger figures`` shows them), the
history newest first with filters in people's words and pages from the index, and a CSV export of the same
selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import render, validate
from ..desks import MerchantDesk
from ..errors import InvalidInput, NotMerchantAgent
from ..models import PERIODS, Purchase, Role, Status
from . import figures
from .views import page, signed_in, site

router = APIRouter()

PAGE_SIZE = 20


@dataclass(frozen=True)
class Filters:
    """What the history is narrowed to, from the query string (empty fields mean no filter)."""

    status: str = ""
    sku: str = ""
    customer: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> dict[str, Any]:
        """Keyword arguments for ``Ledger.purchases`` (the status by its words: ``render.STATES``)."""
        if self.status and self.status not in render.STATES:
            raise InvalidInput(f"{self.status!r} is not a purchase status: choose one of {', '.join(render.STATES)}")
        _, status, left_out = render.STATES[self.status] if self.status else ("", None, ())
        return {"status": status, "excluding": left_out, "sku": self.sku or None,
                "customer": validate.address(self.customer, "customer") if self.customer else None,
                "since": _day(self.since, "from", 0), "until": _day(self.until, "until", 86_399)}

    def link(self, **extra: str) -> str:
        """The query string of these filters (and ``extra``), for links to other pages and the export."""
        fields = {**self.__dict__, **extra}
        return urlencode({key: value for key, value in fields.items() if value})


def _day(text: str, what: str, plus: int) -> int | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(f"{what} date {text!r} is not a date: use YYYY-MM-DD") from error
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) + plus


def staff_only(request: Request, merchant_id: int) -> str:
    """The visitor, if owner or agent of the merchant (on chain); ``NotMerchantAgent`` otherwise."""
    me = signed_in(request)
    ledger = site(request).ledger
    ledger.merchant(merchant_id)  # UnknownMerchant first
    if ledger.role(merchant_id, me) is Role.NONE:
        raise NotMerchantAgent(merchant_id, me)
    return me


def staff_desk(request: Request, merchant_id: int) -> MerchantDesk:
    """The signed-in staff member's desk at this shop (owner or agent, on chain; ``NotMerchantAgent`` else)."""
    return site(request).ledger.merchant_desk(staff_only(request, merchant_id), merchant_id)


SETTLE_BATCH = 100
"""Purchases one "settle them" press pays out (about 14,000 gas each, far below a block)."""


def waiting_for_settlement(request: Request, merchant_id: int) -> list[Purchase]:
    """The shop's oldest purchases whose window has closed, unsettled: one batch's worth and one more (which
    tells that more wait)."""
    return site(request).ledger.settleable(merchant_id, limit=SETTLE_BATCH + 1)


PERIOD = "30d"
"""The period the dashboard opens with: a month is what "how are we doing" usually asks about."""


@router.get("/shop/{merchant_id}", include_in_schema=False)
def history(request: Request, merchant_id: int, status: str = "", sku: str = "", customer: str = "",
            since: str = "", until: str = "", after: str = "", period: str = PERIOD) -> Response:
    """The shop's headline numbers and charts for ``period`` and one page of its purchases (newest first,
    ``after`` the last one of the page before)."""
    staff_only(request, merchant_id)
    filters = Filters(status, sku, customer, since, until)
    ledger = site(request).ledger
    found = ledger.figures(merchant_id, period)
    rows = ledger.purchases(merchant_id=merchant_id, limit=PAGE_SIZE + 1, after=after or None, newest_first=True,
                            **filters.query())
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    held = ledger.held_back(merchant_id)
    waiting = ledger.count_purchases(merchant_id=merchant_id, status=Status.CLOSED, up_to=SETTLE_BATCH + 1 + len(held))
    waiting -= len(held)
    return page(request, "shop.html", merchant_id=merchant_id, rows=rows, filters=filters, waiting=waiting, held=held,
                settle_batch=SETTLE_BATCH, period=period, periods=PERIODS,
                headline=[(f, render.headline(f, site(request).amount)) for f in found],
                period_words=render.period_words(period), feedback_notes=render.feedback_notes(found[0]),
                reviews=ledger.reviews(merchant_id), paid=render.paid,
                next_link=filters.link(after=rows[-1].id, period=period) if more else None,
                charts=figures.charts(ledger, merchant_id, found), window_state=render.window_state,
                state_words=render.state_words, states=render.STATES)


@router.get("/shop/{merchant_id}/export.csv", include_in_schema=False)
def export(request: Request, merchant_id: int, status: str = "", sku: str = "", customer: str = "",
           since: str = "", until: str = "") -> Response:
    """Every purchase the filters select, as CSV (``render.PURCHASES_COLUMNS``: the command line's ``ledger
    export``)."""
    ledger = site(request).ledger
    rows = staff_desk(request, merchant_id).export(**Filters(status, sku, customer, since, until).query())
    text = render.purchases_csv(rows, ledger.labels(row.purchase for row in rows), render.Units(ledger.w3))
    return Response(text, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="merchant-{merchant_id}-purchases.csv"'})


@router.get("/shop/{merchant_id}/returns", include_in_schema=False)
def returns(request: Request, merchant_id: int) -> Response:
    """The shop's returns, newest first, with the tracking numbers customers gave."""
    ledger = site(request).ledger
    rows = staff_desk(request, merchant_id).returns()
    return page(request, "returns.html", merchant_id=merchant_id, rows=rows, labels=ledger.labels(r.purchase for r in rows))


@router.get("/shop/{merchant_id}/returns.csv", include_in_schema=False)
def returns_csv(request: Request, merchant_id: int) -> Response:
    """The shop's returns as CSV (``render.RETURNS_COLUMNS``: the command line's ``ledger returns --output``)."""
    ledger = site(request).ledger
    rows = staff_desk(request, merchant_id).returns()
    text = render.returns_csv(rows, ledger.labels(r.purchase for r in rows), render.Units(ledger.w3))
    return Response(text, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="merchant-{merchant_id}-returns.csv"'})
