"""``ledger serve``: the web page for customers and merchants (``ledger.web``)."""

from __future__ import annotations

import gc
import os

import click

from . import main
from .context import Env, pass_env
from .parse import a_number

SECRET_VARIABLE = "LEDGER_WEB_SECRET"


@main.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8000, show_default=True, help="Port.")
@click.option("--session-hours", type=click.FloatRange(0.01, 24 * 366), default=1.0, show_default=True,
              callback=a_number, help="How long a wallet sign-in lasts (at most a year).")
@pass_env
def serve(env: Env, host: str, port: int, session_hours: float) -> None:
    """Serve the page where customers pay order links, see their purchases, return gaslessly (signing in
    and signing the return with their own wallet) or for store credit, contact the shop and give feedback,
    and merchants see history, charts and a CSV export and act on purchases from their wallet. --account pays the
    gas of the returns it relays (default: development account 0 on a local node). Session cookies are
    signed with LEDGER_WEB_SECRET (random if unset: sign-ins end with the server).

    \b
    Example:
      ledger node start && ledger deploy && ledger serve
      ledger --rpc https://rpc.example --account relayer serve --host 0.0.0.0 --port 8080
    """
    import uvicorn  # the web stack only where the page is served

    from ..build import project_root
    from ..web import create_app

    if not env.account_spec:
        env.account_spec = "0"
    app = create_app(env.ledger, env.account, project_root() / "node_modules", os.environ.get(SECRET_VARIABLE),
                     int(session_hours * 3_600), env.amount)
    click.echo(f"serving ledger {env.ledger.address} at http://{host}:{port}/ (Ctrl-C stops)")
    # What is loaded by now lives as long as the server: keep it out of the collector's full passes, which
    # otherwise walk it all every few requests (tens of milliseconds each, at random).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning")
