"""``ledger index``: catch the history index up with the chain (once, or following new blocks and posting the
events to the webhooks: ``ledger.webhooks``)."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from ..errors import InvalidInput
from . import main
from .context import Env, pass_env
from .parse import a_number

if TYPE_CHECKING:
    from ..history import History, SyncReport
    from ..webhooks import Deliverer, Round, Webhook

SECRET_VARIABLE = "LEDGER_WEBHOOK_SECRET"

BAR_FROM = 10_000
"""Blocks behind from which a catch-up shows a progress bar."""


@main.command(name="index")
@click.option("--follow", is_flag=True, help="Keep following new blocks until interrupted (Ctrl-C).")
@click.option("--confirmations", type=click.IntRange(0, 10_000), default=0, show_default=True,
              help="Leave this many of the newest blocks out (for real networks, where they may be replaced).")
@click.option("--poll", type=click.FloatRange(0.1, 3_600), default=2.0, show_default=True, callback=a_number,
              help="Seconds between looks for new blocks with --follow.")
@click.option("--webhook", "webhook_url", metavar="URL",
              help="With --follow: post each purchase, return, refund, exchange, contact and settlement from blocks "
                   "--confirmations deep to URL, as JSON signed with the secret (docs/webhooks.md).")
@click.option("--secret", envvar=SECRET_VARIABLE, show_envvar=True,
              help=f"The webhook's shared secret, 16 characters or more; better given as {SECRET_VARIABLE}, which "
                   "`ps` does not show.")
@click.option("--shop", "merchant_id", type=click.IntRange(min=1),
              help="Post only this shop's events to --webhook (default: every shop's).")
@pass_env
def index(env: Env, follow: bool, confirmations: int, poll: float, webhook_url: str | None, secret: str | None,
          merchant_id: int | None) -> None:
    """Catch the purchase-history index up with the chain: history.sqlite next to the deployment
    file, or the database LEDGER_DATABASE_URL names (postgresql://…). Queries catch it up by themselves;
    this does it ahead of time, and --follow keeps it current. A follower also posts the events to the
    webhooks the shops' staff set on the page (/shop/N/webhooks), and to --webhook.

    \b
    Example:
      ledger index
      LEDGER_DATABASE_URL=postgresql://shop@db/ledger ledger index --follow --confirmations 12
      LEDGER_WEBHOOK_SECRET=… ledger index --follow --confirmations 12 --webhook https://shop.example/events
    """
    webhook = _webhook(follow, webhook_url, secret, merchant_id)
    history = env.ledger.history
    history.indexer.confirmations = confirmations
    if not follow:
        _tell(env, _sync_with_bar(env, history), history.store.url)
        return
    from ..webhooks import Deliverer

    deliverer = Deliverer(history, confirmations)
    if webhook is not None:
        deliverer.subscriptions.add(webhook, int(time.time()))
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
            waiting = _deliver(env, deliverer, webhook, stop)
            stop.wait(poll if waiting is None else min(poll, waiting))
    except KeyboardInterrupt:
        return
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _webhook(follow: bool, url: str | None, secret: str | None, merchant_id: int | None) -> Webhook | None:
    """The webhook the command line gives, checked before anything runs; None without --webhook."""
    if url is None:
        if merchant_id is not None:
            raise InvalidInput("--shop says whose events go to --webhook: give --webhook URL too")
        return None
    if not follow:
        raise InvalidInput("--webhook needs --follow: the follower posts the events, and tries again until the "
                           "receiver takes each one")
    if secret is None:
        raise InvalidInput(f"the webhook needs a secret to sign with: set {SECRET_VARIABLE} (16 characters or more, "
                           "shared with the receiver), or give --secret")
    from ..webhooks import Webhook

    return Webhook(url, secret, merchant_id)


def _deliver(env: Env, deliverer: Deliverer, webhook: Webhook | None, stop: threading.Event) -> float | None:
    """Post what is due to the page's webhooks and the command line's (which stands for a page's with the same
    shop and URL); each failure is one line on stderr. The seconds until a failing one is due again."""
    targets = {hook.key: hook for hook in deliverer.subscriptions.page_webhooks()}
    if webhook is not None:
        targets[webhook.key] = webhook
    if not targets:
        return None
    done = deliverer.deliver(list(targets.values()), stop)
    _tell_round(env, done)
    return deliverer.wait()


def _tell_round(env: Env, done: Round) -> None:
    errors = Console(stderr=True, emoji=False, markup=False, highlight=False, soft_wrap=True)
    for failure in done.failures:
        errors.print(f"note: {failure}")
    if done.held is not None:
        errors.print(f"note: webhooks wait: {done.held}")
    if done.delivered:
        env.emit({"webhook_events": done.delivered}, f"posted {done.delivered:,} events to webhooks")


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
