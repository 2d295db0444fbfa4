"""The web application: what every page shares (the ledger, the relayer, the store of sessions and pending
texts, the site's own origin, templates, assets), one middleware that every request passes (the origin it
is for, a JSON body in UTF-8, the session cookie, the security headers), and one place that turns errors
into a clear page or JSON answer with a 4xx status, never a stack trace."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import render
from ..client import Ledger
from ..errors import InvalidInput, LedgerError
from ..texts import TextStore
from ..webhooks import Subscriptions
from . import views
from .errors import NotSignedIn, TooManyPending
from .store import WebStore
from .views import Visit

HERE = Path(__file__).parent
SESSION_SECONDS = 3_600
"""How long a sign-in lasts."""

COOKIE = "ledger_session"

HSTS = "max-age=31536000"
"""``Strict-Transport-Security`` on every answer of an https origin: for a year the browser reaches the site by
https only, so nobody on the network can strip the session cookie's transport down to plain http. Not
``includeSubDomains``: the shop's other hosts are not the ledger's to decide."""
"""The session cookie: a random token, nothing else (the session itself is kept by the server)."""

VENDOR = {"chart.umd.min.js": ("chart.js", "dist/chart.umd.min.js")}
"""Browser libraries served from ``node_modules`` (npm package, file inside it): no CDN."""

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""On every answer: no script but the site's own files, never inside another site's frame, no guessing of
content types, no address (which may carry an order link) sent to other sites."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

MAX_BODY = 256 * 1024
"""Bytes a request's body may have: a form or a JSON request carries a 10,000-character text at most."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """The address people open the site at (scheme, host, port): what sign-in messages name, and the only
    ``Host`` (and, on a write, ``Origin``) the server answers."""

    url: str
    """``scheme://host[:port]``, the port left out when it is the scheme's own."""

    @classmethod
    def of(cls, text: str) -> Origin:
        """``Origin`` from ``https://shop.example`` (a trailing ``/`` is allowed; a path, query or user is not)."""
        refusal = InvalidInput(f"{text!r} is not a site's origin: give scheme and host (and a port if it is not "
                               "the usual one), such as https://shop.example or http://127.0.0.1:8000")
        try:
            parts = urlsplit(text.strip())
            hostname, port = parts.hostname, parts.port
        except ValueError as error:  # a malformed IPv6 address, a port that is not a number from 0 to 65535
            raise refusal from error
        if parts.scheme not in ("http", "https") or not hostname or port == 0 or parts.path not in ("", "/") \
                or parts.query or parts.fragment or parts.username is not None:
            raise refusal
        host = hostname if ":" not in hostname else f"[{hostname}]"
        if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
            host = f"{host}:{port}"
        return cls(f"{parts.scheme}://{host}")

    @property
    def host(self) -> str:
        """``host[:port]``: the EIP-4361 domain, and the ``Host`` header a request must carry."""
        return self.url.split("://", 1)[1]

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")

    def refusal(self, request: Request) -> tuple[int, str] | None:
        """Why a request is not for this site (status, words), or None when it is."""
        host = request.headers.get("host", "").lower()
        if host not in (self.host, self.host + (":443" if self.secure else ":80")):
            return 421, (f"this server answers for {self.url} only, not for {host or 'a request without a Host'}: "
                         f"open {self.url}")
        sent_from = request.headers.get("origin")
        if request.method in WRITES and sent_from is not None and sent_from.lower() != self.url:
            return 403, f"this request came from {sent_from}, not from {self.url}: nothing was done"
        return None


@dataclass
class Site:
    """What the routes share, kept on ``app.state.site``."""

    ledger: Ledger
    relayer: LocalAccount | None
    store: WebStore
    node_modules: Path
    origin: Origin
    session_seconds: int = SESSION_SECONDS
    clock: Callable[[], float] = time.time
    amount: Callable[[int, str], str] = field(default=lambda value, token: render.amount(value, token))

    @property
    def texts(self) -> TextStore:
        """The ledger's off-chain texts (in the same database as the store)."""
        return self.ledger.texts

    @cached_property
    def webhooks(self) -> Subscriptions:
        """The shops' webhooks set on the page, in the same database: ``ledger index --follow`` on that database
        delivers them."""
        return Subscriptions(self.texts.engine)


def create_app(ledger: Ledger, relayer: LocalAccount | None, node_modules: Path,
               origin: str = "http://127.0.0.1:8000", session_seconds: int = SESSION_SECONDS,
               amount: Callable[[int, str], str] | None = None) -> FastAPI:
    """The app for one ledger at ``origin`` (the address people open); ``relayer`` pays the gas of the returns
    it relays (None: no relaying). Sessions and pending texts are kept in the database of the ledger's texts
    (its index), shared by every server on that database."""
    app = FastAPI(title="ledger", description="Purchases, gasless returns and shop history on the ledger.",
                  version="0.1.0")
    site = Site(ledger, relayer, WebStore(ledger.texts.engine), node_modules, Origin.of(origin), session_seconds)
    if amount is not None:
        site.amount = amount
    app.state.site = site
    app.middleware("http")(_guard)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_api_route("/vendor/{name}", _vendor, include_in_schema=False)
    _handle_errors(app)
    from . import (  # the routes
        customer,
        exchanges,
        feedback,
        merchant,
        payments,
        profile,
        receipts,
        session,
        staff,
        texts,
        wallet,
        webhooks,
    )

    for module in (session, customer, exchanges, feedback, merchant, payments, profile, receipts, staff, texts,
                   wallet, webhooks):
        app.include_router(module.router)
    return app


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every request: refused unless it is for this site's origin and its JSON body is UTF-8; its session read
    from the cookie (and the cookie set or cleared as the request left it); the security headers on the answer."""
    site = request.app.state.site
    refused = site.origin.refusal(request) or await _body_refusal(request)
    request.state.visit = Visit(site.store, None if refused else request.cookies.get(COOKIE), views.now(request))
    if refused is not None:
        response = views.problem(request, *refused)
    else:
        try:
            response = await call_next(request)
        except Exception:  # noqa: BLE001 (the one place an unexpected error becomes an answer)
            log.exception("unexpected error on %s", request.url.path)
            response = views.problem(request, 500, "something went wrong on the server; nothing was sent. Try "
                                                   "again, and tell the shop if it happens again")
    _cookie(site, request.state.visit, response)
    response.headers.update(SECURITY_HEADERS)
    if site.origin.secure:  # a browser that reached the site over https never goes back to plain http for it
        response.headers["Strict-Transport-Security"] = HSTS
    if not request.url.path.startswith(("/static/", "/vendor/")):
        response.headers["Cache-Control"] = "no-store"  # pages and answers may hold personal data
    return response


async def _body_refusal(request: Request) -> tuple[int, str] | None:
    """Why a write's body is refused (status, words): larger than ``MAX_BODY`` or of no stated length (read
    before any session or CSRF check, so it is bounded first), or JSON not in UTF-8 (JSON readers would guess
    UTF-16 or UTF-32 from its first bytes)."""
    if request.method not in WRITES:
        return None
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return 411, "say the request body's length (Content-Length): a body of no stated length is not read"
    if int(length) > MAX_BODY:
        return 413, f"a request's body is at most {MAX_BODY // 1024} KB: send less"
    kind = request.headers.get("content-type", "").lower()
    if "json" not in kind:
        return None
    charset = next((p.split("=", 1)[1].strip(' "') for p in kind.split(";")[1:] if p.strip().startswith("charset=")),
                   "utf-8")
    try:
        if charset.replace("-", "") != "utf8":
            raise UnicodeError(charset)
        (await request.body()).decode("utf-8")
    except UnicodeError:
        return 415, "send the request's JSON in UTF-8 (Content-Type: application/json)"
    return None


def _cookie(site: Site, visit: Visit, response: Response) -> None:
    """Set the session cookie when the request made a new session; clear it when it ended one."""
    if visit.new_token is not None and visit.session is not None:
        response.set_cookie(COOKIE, visit.new_token, max_age=visit.session.expires_at - visit.at, path="/",
                            secure=site.origin.secure, httponly=True, samesite="lax")
    elif visit.ended and visit.token is not None:
        response.delete_cookie(COOKIE, path="/", secure=site.origin.secure, httponly=True, samesite="lax")


def _vendor(request: Request, name: str) -> FileResponse:
    """A browser library from ``node_modules``."""
    if name not in VENDOR:
        raise HTTPException(404, f"no asset named {name}")
    package, inside = VENDOR[name]
    path = request.app.state.site.node_modules / package / inside
    if not path.is_file():
        raise HTTPException(404, f"{package} is not installed in {path.parent}: run `npm ci` in the checkout")
    return FileResponse(path, media_type="text/javascript")


def _status(error: LedgerError) -> int:
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, TooManyPending):
        return 429
    if isinstance(error, PermissionError):
        return 403
    if isinstance(error, LookupError):
        return 404
    return 400


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, error: LedgerError) -> Response:
        return views.problem(request, _status(error), str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return views.problem(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in error.errors()]
        return views.problem(request, 422, "; ".join(parts))

