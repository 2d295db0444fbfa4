"""How pages and answers are made: the templates with what every page needs (who is signed in, the CSRF
token, money and time in words), the signed-in visitor, and problems as a page or as JSON."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from .. import render, timefmt
from ..errors import InvalidInput
from .errors import BadCsrf, NotSignedIn
from .store import Session, WebStore

if TYPE_CHECKING:
    from ..client import Ledger
    from ..models import Purchase
    from ..names import Names
    from .app import Site

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["words"] = render.terms_words
templates.env.filters["short"] = render.who
templates.env.filters["iso"] = timefmt.iso


def when(timestamp: int) -> Markup:
    """A time as ``<time datetime="ISO 8601">``, in UTC words for a browser without JavaScript; app.js writes it
    in the visitor's own zone, so no page shows a UTC time beside the visitor's."""
    return Markup('<time class="local-time" datetime="{}">{}</time>').format(timefmt.iso(timestamp),
                                                                           timefmt.utc(timestamp))


templates.env.filters["when"] = when


class ShopNames:
    """The shops' names and order numbers for one page: each shop's names read once (``Ledger.names``)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.seen: dict[int, Names] = {}

    def __call__(self, merchant_id: int) -> Names:
        if merchant_id not in self.seen:
            self.seen[merchant_id] = self.ledger.names(merchant_id)
        return self.seen[merchant_id]

    def order(self, purchase: Purchase) -> str:
        """The shop's order number of a purchase ('' when not kept here)."""
        return self.ledger.order_numbers([purchase]).get(purchase.id, "")


def site(request: Request) -> Site:
    """The shared ``Site`` (ledger, relayer, store, origin, clock)."""
    shared: Site = request.app.state.site
    return shared


def now(request: Request) -> int:
    """The server's clock, in whole seconds."""
    return int(site(request).clock())


class Visit:
    """The visitor's session for one request, read from the store when first asked for; what the answer must
    do with the cookie (set a new token, or clear it) is noted here and done by the app's middleware."""

    def __init__(self, store: WebStore, token: str | None, at: int) -> None:
        self.store, self.token, self.at = store, token, at
        self._session: Session | None = None
        self._looked = token is None
        self.new_token: str | None = None
        self.ended = False

    @property
    def session(self) -> Session | None:
        if not self._looked:
            self._looked = True
            self._session = None if self.token is None else self.store.find(self.token, self.at)
            self.ended = self._session is None  # a cookie that opens nothing is cleared
        return self._session

    def start(self, lasts: int, address: str | None = None) -> Session:
        """A new session in place of the current one (which ends for good)."""
        if self.session is not None:
            self.store.close(self.session.key)
        self.new_token, self._session = self.store.open(self.at, lasts, address)
        self._looked, self.ended = True, False
        return self._session

    def end(self) -> None:
        """End the session for good: its row goes, so a copy of the cookie opens nothing."""
        if self.session is not None:
            self.store.close(self.session.key)
        self._session, self.new_token, self.ended = None, None, True


def visit(request: Request) -> Visit:
    """This request's ``Visit`` (made by the app's middleware)."""
    made: Visit = request.state.visit
    return made


def visitor(request: Request) -> str | None:
    """The signed-in address, or None (an ended or expired session opens nothing)."""
    session = visit(request).session
    return None if session is None else session.address


def signed_in(request: Request) -> str:
    """The signed-in address, or ``NotSignedIn``."""
    address = visitor(request)
    if address is None:
        raise NotSignedIn()
    return address


def csrf_token(request: Request) -> str:
    """This session's CSRF token; a visitor without a session gets one (not signed in) on first use."""
    session = visit(request).session or visit(request).start(site(request).session_seconds)
    return session.csrf


def check_csrf(request: Request, given: object) -> None:
    """``BadCsrf`` unless ``given`` is this session's token."""
    session = visit(request).session
    if session is None or not isinstance(given, str) or not hmac.compare_digest(session.csrf, given):
        raise BadCsrf()


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the visitor, the CSRF token and the money formatter."""
    if "csrf" not in context:
        context["csrf"] = csrf_token(request)
    return templates.TemplateResponse(request, name, {
        "me": visitor(request), "amount": site(request).amount, "now": now(request),
        "names": ShopNames(site(request).ledger), **context}, status_code=status)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def problem(request: Request, status: int, message: str) -> Response:
    """A problem for the visitor: JSON ``{"error": …}`` for the API, else the error page."""
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    session = visit(request).session  # an error page makes no session: it has no form to protect
    return page(request, "error.html", status=status, message=message, code=status,
                csrf=session.csrf if session else "")


def whole(value: object, what: str, then: str) -> int:
    """A whole number as a page's script sends it: a JSON number, or (for 256-bit values, which a script's
    numbers would round) its decimal string; ``true``, ``5.9`` or ``"0x5"`` are refused with what to do
    (``then``), as every other JSON input is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    raise InvalidInput(f"{what} must be a whole number: {then}")
