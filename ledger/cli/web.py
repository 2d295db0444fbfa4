"""``ledger serve``: the web page for customers and merchants (``ledger.web``)."""

from __future__ import annotations

import gc
import io
from contextlib import ExitStack, closing
from typing import TYPE_CHECKING

import click

from .. import node, render
from ..errors import InvalidInput
from ..extras import require
from . import main
from .context import Env, pass_env
from .parse import a_number

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..client import Ledger

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
    With no node running, no --rpc and no --deployment, it serves a first look instead: the demo's shops and customers on an
    anvil node of its own, gone when the server stops (nothing of this project's is written or changed).

    \b
    Example:
      ledger serve                                     # a first look: the demo's data
      ledger node start && ledger deploy && ledger serve
      ledger --rpc https://rpc.example --account relayer serve --port 8080 --origin https://shop.example
    """
    require("web", "the web page", "fastapi", "uvicorn", "jinja2", "python_multipart", "segno")
    import uvicorn  # the web stack only where the page is served

    from ..build import project_root
    from ..web import create_app
    from ..web.app import Origin

    origin = Origin.of(origin or default_origin(host, port)).url  # checked before anything is connected
    with ExitStack() as stack:
        if not env.rpc and env.deployment_file is None and node.running(env.home) is None:
            ledger, relayer = _first_look(stack)
        else:
            if not env.account_spec:
                env.account_spec = "0"
            ledger, relayer = env.ledger, env.account
        app = create_app(ledger, relayer, project_root() / "node_modules", origin, int(session_hours * 3_600),
                         render.Units(ledger.w3).amount)
        click.echo(f"serving ledger {ledger.address} at {app.state.site.origin.url}/ (listening on {host}:{port}; "
                   "Ctrl-C stops)")
        # What is loaded by now lives as long as the server: keep it out of the collector's full passes, which
        # otherwise walk it all every few requests (tens of milliseconds each, at random).
        gc.collect()
        gc.freeze()
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def _first_look(stack: ExitStack) -> tuple[Ledger, LocalAccount]:
    """The demo's ledger on an anvil node of its own, stopped with ``stack``; its relayer."""
    from rich.console import Console

    from ..chain import AnvilChain
    from ..demo import run

    click.echo("no node is running here and no --rpc was given: serving a first look, the demo's shops and "
               "customers on an anvil node of its own (gone when this stops; for your own ledger: `ledger node "
               "start && ledger deploy`, then `ledger serve`). Setting the demo up…")
    chain = stack.enter_context(closing(AnvilChain()))
    ledger = run(Console(file=io.StringIO()), chain)  # the story itself is `ledger demo`'s to tell
    click.echo(f"a wallet reaches its node at {chain.url} (chain id {chain.chain_id}); the demo's shop owners are "
               "development accounts 1 and 3, its customers 4 to 6 (`ledger --rpc "
               f"{chain.url} accounts` lists them)")
    return ledger, chain.accounts()[0]
