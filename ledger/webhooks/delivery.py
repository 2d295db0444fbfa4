"""Posting the index's events to webhooks: one event per request, signed, in chain order, each at least once.

A webhook's events go out one at a time, in the order of the chain; its place moves past an event only once the
receiver answered it with a 2xx, so a stop at any moment (or a crash) leaves the place at the last event taken,
and the next run posts again at most the one event that was in flight. A receiver that fails (an answer other
than 2xx, no answer within the timeout, a refused connection) holds back that webhook's later events; the same
event is tried again after a back-off that doubles from ``Backoff.first`` up to ``Backoff.cap`` seconds. Other
webhooks go on meanwhile.

Only events from final blocks are posted: blocks the index holds that are at least ``confirmations`` below the
chain's head, whichever process caught the index up (the page's queries catch it up to the head). Before an
event goes out, its block as the chain has it now must be the block the index holds (when the index still keeps
that block's hash, the last 128 blocks): a block replaced since it was indexed stops the round until a catch-up
has rewound the index. A rewind moves a webhook's place back to the fork (``Store.rewind``), so the events that
replace undone ones are not skipped. With 0 confirmations every block is final once indexed: on a chain whose
newest blocks can be replaced (a reorg, a local chain reverted to a snapshot), an event already posted from an
undone block is not taken back; give as many confirmations as the chain's reorgs can be deep.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.client import HTTPException
from typing import TYPE_CHECKING

from sqlalchemy import select
from web3.exceptions import BlockNotFound

from ..codec import hex_of
from ..history import schema
from .events import pending
from .signing import EVENT_ID_HEADER, SIGNATURE_HEADER, sign
from .subscriptions import Subscriptions, Webhook

if TYPE_CHECKING:
    from ..history import History

TIMEOUT = 10.0
"""Seconds a receiver has to answer a request."""

BATCH = 100
"""Events read from the index at a time for one webhook."""

USER_AGENT = "ledger-webhooks/1"


@dataclass(frozen=True)
class Backoff:
    """How long a failing webhook waits before its event is tried again: ``first`` seconds after the first
    failure, twice as long after each further one, never more than ``cap``."""

    first: float = 1.0
    cap: float = 60.0

    def after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` tries in a row failed (1 or more)."""
        return float(min(self.cap, self.first * 2 ** min(failures - 1, 62)))


@dataclass(frozen=True)
class Failure:
    """A try that failed: the webhook, the event, how it failed, and when the next try is."""

    webhook: Webhook
    event_id: str
    error: str
    tries: int
    """Tries of this webhook in a row that failed, this one included."""
    retry_in: float
    retry_at: float
    """The next try's time (Unix seconds)."""

    def __str__(self) -> str:
        at = datetime.fromtimestamp(self.retry_at, tz=timezone.utc).strftime("%H:%M:%S UTC")
        return (f"webhook {self.webhook.shown}: {self.error} for event {self.event_id} (try {self.tries}); "
                f"next try in {self.retry_in:g} s, at {at}")


@dataclass
class Round:
    """What one round of deliveries did."""

    delivered: int = 0
    failures: list[Failure] = field(default_factory=list)
    held: str | None = None
    """Why the round stopped before the final blocks' events were all out, if it had to (a block replaced since
    it was indexed: the next catch-up rewinds the index)."""


class Undelivered(Exception):
    """A request the receiver did not take, in words (``Failure.error``)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: the event was not taken (and a signed body is not sent on to
    another address the receiver names)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
"""Made once: building an opener took a sixth of a delivery's time to a local receiver (0.7 of 4.7 ms)."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT) -> None:
    """POST ``body`` to ``url``; ``Undelivered`` saying how, unless the receiver answered with a 2xx."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(65_536)
            status = answer.status
    except urllib.error.HTTPError as error:
        error.close()
        moved = " (a redirect is not followed: give the address it points to)" if 300 <= error.code < 400 else ""
        raise Undelivered(f"the receiver answered HTTP {error.code}{moved}") from None
    except urllib.error.URLError as error:
        raise Undelivered(_unreached(error.reason, timeout)) from None
    except (OSError, HTTPException) as error:
        raise Undelivered(_unreached(error, timeout)) from None
    if not 200 <= status < 300:
        raise Undelivered(f"the receiver answered HTTP {status}")


def _unreached(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused (is the receiver running?)"
    return f"the receiver could not be reached ({reason})"


class Deliverer:
    """Posts the events of an index to webhooks (``deliver``), keeping their places in its database."""

    def __init__(self, history: History, confirmations: int = 0, backoff: Backoff = Backoff(),
                 timeout: float = TIMEOUT, batch: int = BATCH, clock: Callable[[], float] = time.monotonic) -> None:
        self.history = history
        self.confirmations = confirmations
        self.backoff = backoff
        self.timeout = timeout
        self.batch = batch
        self.clock = clock
        self.subscriptions = Subscriptions(history.store.engine)
        self._due: dict[tuple[int, str], float] = {}
        """When each failing webhook may be tried again (``clock`` time)."""

    def wait(self) -> float | None:
        """Seconds until the soonest try of a failing webhook is due; None when none is waiting."""
        if not self._due:
            return None
        return max(0.0, min(self._due.values()) - self.clock())

    def deliver(self, webhooks: list[Webhook], stop: threading.Event | None = None) -> Round:
        """Post each webhook's events from final blocks, in chain order, until its receiver has them all or
        fails (or ``stop`` is set: the request under way is finished first). A webhook waiting for its back-off
        is passed over, and so is one the database does not know (``Subscriptions.add`` makes it known; a page's
        webhook removed meanwhile is not known any more)."""
        done = Round()
        final = self._final_block()
        if final is None:
            return done
        chain_id, ledger, up_to = final
        blocks: dict[int, tuple[str, int]] = {}
        for webhook in webhooks:
            if self._due.get(webhook.key, 0.0) > self.clock():
                continue
            try:
                self._deliver_one(webhook, chain_id, ledger, up_to, blocks, done, stop)
            except _Held as held:
                done.held = str(held)
                return done
        return done

    def _deliver_one(self, webhook: Webhook, chain_id: int, ledger: str, up_to: int,
                     blocks: dict[int, tuple[str, int]], done: Round, stop: threading.Event | None) -> None:
        while stop is None or not stop.is_set():
            place = self.subscriptions.delivered(webhook)
            if place is None:
                return
            with self.history.store.reading() as db:
                events = pending(db, place, up_to, webhook.merchant_id, self.batch)
            if not events:
                return
            for event in events:
                if stop is not None and stop.is_set():
                    return
                block_hash, block_time = self._block(event.block_number, blocks)
                event_id = event.event_id(chain_id)
                body = event.body(chain_id, ledger, block_hash, block_time)
                try:
                    post(webhook.url, body, {SIGNATURE_HEADER: sign(webhook.secret, body), EVENT_ID_HEADER: event_id},
                         self.timeout)
                except Undelivered as failure:
                    done.failures.append(self._failed(webhook, event_id, str(failure)))
                    return
                self._due.pop(webhook.key, None)
                done.delivered += 1
                if not self.subscriptions.taken(webhook, place, event.place):
                    break  # the index was rewound meanwhile: read on from where that left the webhook
                place = event.place

    def _failed(self, webhook: Webhook, event_id: str, error: str) -> Failure:
        tries = self.subscriptions.failed(webhook, error)
        wait = self.backoff.after(tries)
        self._due[webhook.key] = self.clock() + wait
        return Failure(webhook, event_id, error, tries, wait, time.time() + wait)

    def _final_block(self) -> tuple[int, str, int] | None:
        """The index's chain id and ledger, and the last block whose events may go out: held by the index and
        ``confirmations`` below the head; None before the index has a deployment."""
        with self.history.store.reading() as db:
            row = db.execute(select(schema.progress)).first()
        if row is None:
            return None
        head = self.history.indexer.w3.eth.block_number
        return int(row.chain_id), row.ledger, min(int(row.last_block), head - self.confirmations)

    def _block(self, number: int, blocks: dict[int, tuple[str, int]]) -> tuple[str, int]:
        """The hash and time of block ``number`` as the chain has it, if that is the block the index holds."""
        if number not in blocks:
            try:
                block = self.history.indexer.w3.eth.get_block(number)
            except BlockNotFound:
                raise _Held(f"the chain has no block {number} any more: the next catch-up rewinds the index") from None
            block_hash = hex_of(block["hash"])
            kept = self.history.store.block_hash(number)
            if kept is not None and kept != block_hash:
                raise _Held(f"block {number} was replaced after it was indexed: the next catch-up rewinds the index")
            blocks[number] = block_hash, int(block["timestamp"])
        return blocks[number]


class _Held(Exception):
    """The chain no longer has a block whose events were about to go out (``Round.held``)."""
