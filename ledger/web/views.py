"""How pages and answers are made: the templates with what every page needs (who is signed in, the CSRF
token, money and time in words), the signed-in visitor, and problems as a page or as JSON."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from .. import render
from ..errors import LedgerError

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["words"] = render.terms_words
templates.env.filters["short"] = render.who
templates.env.filters["iso"] = lambda ts: datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
templates.env.filters["utc"] = lambda ts: datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class NotSignedIn(LedgerError, PermissionError):
    """Raised when a page needs a signed-in wallet and the session has none (or it expired)."""

    def __init__(self) -> None:
        super().__init__("sign in with your wallet first (your session may have expired)")


class BadCsrf(LedgerError, PermissionError):
    """Raised when a form or request lacks this session's CSRF token (it came from another site, or an old page)."""

    def __init__(self) -> None:
        super().__init__("this form is out of date or came from another site: reload the page and try again")


def site(request: Request) -> Any:
    """The shared ``Site`` (ledger, relayer, texts, clock)."""
    return request.app.state.site


def now(request: Request) -> int:
    """The server's clock, in whole seconds."""
    return int(site(request).clock())


def visitor(request: Request) -> str | None:
    """The signed-in address, or None (an expired sign-in is forgotten here)."""
    signed_in_at = request.session.get("signed_in_at")
    if signed_in_at is None:
        return None
    if now(request) >= signed_in_at + site(request).session_seconds:
        request.session.clear()
        return None
    return request.session.get("address")


def signed_in(request: Request) -> str:
    """The signed-in address, or ``NotSignedIn``."""
    address = visitor(request)
    if address is None:
        raise NotSignedIn()
    return address


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def check_csrf(request: Request, given: object) -> None:
    """``BadCsrf`` unless ``given`` is this session's token."""
    expected = request.session.get("csrf")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise BadCsrf()


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the visitor, the CSRF token and the money formatter."""
    return templates.TemplateResponse(request, name, {
        "me": visitor(request), "csrf": csrf_token(request), "amount": site(request).amount, "now": now(request),
        **context}, status_code=status)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def problem(request: Request, status: int, message: str) -> Response:
    """A problem for the visitor: JSON ``{"error": …}`` for the API, else the error page."""
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return page(request, "error.html", status=status, message=message, code=status)
