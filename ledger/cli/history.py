"""``ledger index``: catch the history index up with the chain (once, or following new blocks)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, Progress, TextColumn

from . import main
from .context import Env, pass_env
from .parse import a_number

if TYPE_CHECKING:
    from ..history import History, SyncReport

BAR_FROM = 10_000
"""Blocks behind from which a catch-up shows a progress bar."""


@main.command(name="index")
@click.option("--follow", is_flag=True, help="Keep following new blocks until interrupted (Ctrl-C).")
@click.option("--confirmations", type=click.IntRange(0, 10_000), default=0, show_default=True,
              help="Leave this many of the newest blocks out (for real networks, where they may be replaced).")
@click.option("--poll", type=click.FloatRange(0.1, 3_600), default=2.0, show_default=True, callback=a_number,
              help="Seconds between looks for new blocks with --follow.")
@pass_env
def index(env: Env, follow: bool, confirmations: int, poll: float) -> None:
    """Catch the purchase-history index up with the chain: .ledger/history.sqlite next to the deployment
    file, or the database LEDGER_DATABASE_URL names (postgresql://…). Queries catch it up by themselves;
    this does it ahead of time, and --follow keeps it current.

    \b
    Example:
      ledger index
      LEDGER_DATABASE_URL=postgresql://shop@db/ledger ledger index --follow --confirmations 12
    """
    history = env.ledger.history
    history.indexer.confirmations = confirmations
    if not follow:
        _tell(env, _sync_with_bar(env, history), history.store.url)
        return
    stop = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        if stop.is_set():  # asked twice: stop at once (a window being written is rolled back, not half kept)
            raise KeyboardInterrupt
        stop.set()  # the window being read and written is finished first

    # Handlers of our own, whatever this process inherited (a parent may have ignored SIGINT for it).
    previous = {number: signal.signal(number, interrupted) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.is_set():
            report = _sync_with_bar(env, history)
            if report.windows or report.went_back:
                _tell(env, report, history.store.url)
            stop.wait(poll)
    except KeyboardInterrupt:
        return
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _sync_with_bar(env: Env, history: History) -> SyncReport:
    last = history.store.start(env.chain.chain_id, env.ledger.address, env.ledger.feedback.address,
                               env.ledger.from_block)
    behind = env.chain.w3.eth.block_number - last
    if env.as_json or behind < BAR_FROM:
        return history.sync()
    with Progress(TextColumn("indexing blocks"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  console=env.console, transient=True) as bar:
        task = bar.add_task("index", total=behind)
        return history.sync(lambda report: bar.update(task, completed=report.end - last))


def _tell(env: Env, report: SyncReport, url: str) -> None:
    where = url.split("@")[-1] if url.startswith("postgresql") else url
    went_back = f"note: {report.went_back}\n" if report.went_back else ""
    env.emit(report, lambda: went_back + (
        f"indexed blocks {report.start:,} to {report.end:,} ({report.records:,} events in {report.windows} "
        f"windows) into {where}" if report.windows else f"index up to date at block {report.end:,} ({where})"))
