"""``ledger serve``: the web page for customers and merchants (``ledger.web``)."""

from __future__ import annotations

import gc

import click

from ..errors import InvalidInput
from ..extras import require
from . import main
from .context import Env, pass_env
from .parse import a_number

ANY_ADDRESS = ("0.0.0.0", "::", "")
"""Listening addresses that say nothing about the address people open."""


def default_origin(host: str, port: int) -> str:
    """The origin of the address the server listens on; ``InvalidInput`` when that is every address, which
    names no site."""
    if host in ANY_ADDRESS:
        raise InvalidInput(f"listening on {host or 'every address'}, the server cannot tell the address people open: "
                           "give it with --origin, such as --origin https://shop.example")
    from ..web.app import Origin

    try:
        return Origin.of(f"http://{f'[{host}]' if ':' in host else host}:{port}").url
    except InvalidInput as error:
        raise InvalidInput(f"--host {host!r} is not an address to listen on: give one such as 127.0.0.1") from error


@main.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8000, show_default=True, help="Port.")
@click.option("--origin", metavar="URL",
              help="The address people open (scheme, host, port), such as https://shop.example: sign-in messages "
                   "name it, and requests for any other host are refused. Default: http://HOST:PORT.")
@click.option("--session-hours", type=click.FloatRange(0.01, 24 * 366), default=1.0, show_default=True,
              callback=a_number, help="How long a wallet sign-in lasts (at most a year).")
@pass_env
def serve(env: Env, host: str, port: int, origin: str | None, session_hours: float) -> None:
    """Serve the page where customers pay order links, see their purchases, return gaslessly (signing in
    and signing the return with their own wallet) or for store credit, contact the shop and give feedback,
    and merchants see history, charts and a CSV export and act on purchases from their wallet. --account pays the
    gas of the returns it relays (default: development account 0 on a local node). Sessions, sign-in nonces and
    notes waiting for their transaction are kept in the index's database, so servers sharing it share them.

    \b
    Example:
      ledger node start && ledger deploy && ledger serve
      ledger --rpc https://rpc.example --account relayer serve --port 8080 --origin https://shop.example
    """
    require("web", "the web page", "fastapi", "uvicorn", "jinja2", "python_multipart", "segno")
    import uvicorn  # the web stack only where the page is served

    from ..build import project_root
    from ..web import create_app
    from ..web.app import Origin

    origin = Origin.of(origin or default_origin(host, port)).url  # checked before anything is connected
    if not env.account_spec:
        env.account_spec = "0"
    app = create_app(env.ledger, env.account, project_root() / "node_modules", origin, int(session_hours * 3_600),
                     env.units.amount)
    click.echo(f"serving ledger {env.ledger.address} at {app.state.site.origin.url}/ (listening on {host}:{port}; "
               "Ctrl-C stops)")
    # What is loaded by now lives as long as the server: keep it out of the collector's full passes, which
    # otherwise walk it all every few requests (tens of milliseconds each, at random).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
