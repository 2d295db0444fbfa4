"""The web application: what every page shares (the ledger, the relayer, the text store, sessions,
templates, assets) and one place that turns errors into a clear page or JSON answer with a 4xx status,
never a stack trace."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from .. import render
from ..client import Ledger
from ..errors import LedgerError
from ..texts import KeptText, TextStore
from . import views
from .views import NotSignedIn

HERE = Path(__file__).parent
SESSION_SECONDS = 3_600
"""How long a sign-in lasts."""

VENDOR = {"chart.umd.min.js": ("chart.js", "dist/chart.umd.min.js")}
"""Browser libraries served from ``node_modules`` (npm package, file inside it): no CDN."""

log = logging.getLogger(__name__)


@dataclass
class Site:
    """What the routes share, kept on ``app.state.site``."""

    ledger: Ledger
    relayer: LocalAccount | None
    texts: TextStore
    node_modules: Path
    session_seconds: int = SESSION_SECONDS
    clock: Callable[[], float] = time.time
    amount: Callable[[int, str], str] = field(default=lambda value, token: render.amount(value, token))
    pending: dict[str, tuple[KeptText, float]] = field(default_factory=dict)
    """Texts sealed for a transaction not yet landed, by hash, with when they lapse (``web.texts``)."""


def create_app(ledger: Ledger, relayer: LocalAccount | None, node_modules: Path, secret: str | None = None,
               session_seconds: int = SESSION_SECONDS, amount: Callable[[int, str], str] | None = None) -> FastAPI:
    """The app for one ledger; ``relayer`` pays the gas of the returns it relays (None: no relaying).

    ``secret`` signs the session cookies (a random one by default: sessions end with the process)."""
    app = FastAPI(title="ledger", description="Purchases, gasless returns and shop history on the ledger.",
                  version="0.1.0")
    site = Site(ledger, relayer, ledger.texts, node_modules, session_seconds)
    if amount is not None:
        site.amount = amount
    app.state.site = site
    app.add_middleware(SessionMiddleware, secret_key=secret or secrets.token_hex(32), max_age=session_seconds,
                       same_site="strict", session_cookie="ledger_session")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_api_route("/vendor/{name}", _vendor, include_in_schema=False)
    _handle_errors(app)
    from . import customer, feedback, merchant, payments, session, staff, texts, wallet  # the routes

    for module in (session, customer, feedback, merchant, payments, staff, texts, wallet):
        app.include_router(module.router)
    return app


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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return views.problem(request, 500, "something went wrong on the server; nothing was sent. Try again, "
                                           "and tell the shop if it happens again")

