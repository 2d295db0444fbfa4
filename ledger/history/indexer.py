"""Following the chain into the store: from the deployment block to the head (less an optional number of
confirmations), window by window, each window written in one transaction with the progress, so a run
killed at any moment resumes where the database says and ends with the same rows.

Reorgs: the hashes of the last ``depth`` blocks indexed are kept. Before reading on, the indexer finds
the newest kept block the chain still has unchanged; anything after it is rewound and read again. A
window whose logs or first block do not match the chain's headers is dropped and the check runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..abi.decoder import Decoder
from ..chain import Provider
from ..codec import hex_of
from ..contracts import LedgerContracts
from ..errors import BlockReplaced, IndexMoved, IndexStuck
from .logs import LogReader, LogWindow
from .store import Store
from .workers import WORKER_AFTER, WORKERS, Preparer, Workers

REORG_DEPTH = 128
"""Blocks whose hashes are kept; a reorg deeper than that rebuilds the index from the deployment block."""

STUCK_TRIES = 5
"""Times in a row a window may be undone (another indexer wrote first, or a block was replaced) with the index
no further, before a sync gives up: a database that refuses the same rows every time is not a race."""

ANALYZE_AFTER = 10_000
"""Events indexed in one catch-up past which the database gathers its planner's statistics (``Store.analyze``)."""



@dataclass
class SyncReport:
    """What one catch-up did."""

    start: int
    """First block read."""
    end: int
    """Last block indexed now."""
    head: int
    """The block the index caught up to (the chain's head less the confirmations)."""
    windows: int = 0
    records: int = 0
    rewound_to: int | None = None
    """The block the index went back to after a reorg, if it had to."""
    went_back: str | None = None
    """Why it had to, in words: the chain no longer had what the index held (shorter, or blocks replaced)."""
    refusals: int = 0
    """Windows the node refused (each one halved)."""


Progress = Callable[[SyncReport], None]
"""Called after each window written, with the report so far."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block (and back as it was after). A catch-up makes millions of
    objects that live for a window each and hold no cycles (reference counting frees them); the collector's
    passes over them took up to a fifth of a long catch-up's CPU (measured on 330,221 events into SQLite:
    8,188-8,969 events/s with it, 9,221-9,691 with the pause). What cycles the block leaves are collected once
    the collector is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Indexer:
    """Catches a store up with a ledger's events."""

    def __init__(self, ledger: LedgerContracts, store: Store, confirmations: int = 0, depth: int = REORG_DEPTH,
                 analyze_after: int = ANALYZE_AFTER, worker_after: int | None = WORKER_AFTER) -> None:
        self.ledger = ledger
        self.analyze_after = analyze_after
        self.worker_after = worker_after
        """Logs in one window past which the rest of a catch-up over HTTP is read by worker processes
        (``ahead.Workers``); None: never."""
        self.w3 = ledger.w3
        self.store = store
        self.confirmations = confirmations
        self.depth = depth
        self.abis = [ledger.contract.abi, ledger.feedback.abi]
        self.reader = LogReader(self.w3, [ledger.address, ledger.feedback.address])
        self.preparer = Preparer(self.w3, Decoder(self.abis), store.engine.dialect)
        self.workers: Workers | None = None
        """The worker processes of the catch-up under way, if it has them."""
        self._no_workers = False
        """Set when worker processes could not be started at all: they are not tried again."""

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Index every block up to the head (less the confirmations); report what was done."""
        with collector_paused():
            return self._sync(progress)

    def _sync(self, progress: Progress | None) -> SyncReport:
        ledger = self.ledger
        last = self.store.start(ledger.chain.chain_id, ledger.address, ledger.feedback.address, ledger.from_block)
        report = SyncReport(last + 1, last, last)
        if self._up_to_date(last):
            return report
        refused_before = self.reader.refusals
        stuck = 0
        while True:
            try:
                fork = self._fork_point(last)
                if fork != last:
                    report.went_back = self._why_rewound(fork, last)
                    self.store.rewind(fork)
                    report.rewound_to = fork if report.rewound_to is None else min(report.rewound_to, fork)
                    report.start, last = min(report.start, fork + 1), fork
                report.head = max(ledger.from_block - 1, self.w3.eth.block_number - self.confirmations)
                last = self._catch_up(last, report, progress)
                report.end, report.refusals = last, self.reader.refusals - refused_before
                if report.records >= self.analyze_after:
                    self.store.analyze()
                return report
            except (BlockReplaced, IndexMoved) as undone:
                moved = self.store.start(ledger.chain.chain_id, ledger.address, ledger.feedback.address,
                                         ledger.from_block)
                stuck = stuck + 1 if moved == last else 0
                if stuck >= STUCK_TRIES:
                    raise IndexStuck(
                        f"the index stayed at block {last}: the window after it was undone {stuck} times in a row "
                        f"({undone}). If no other indexer is writing to the same database, it refuses these rows: "
                        "delete the index (the SQLite file, or the PostgreSQL database) and it is rebuilt from the "
                        "chain") from undone
                last = moved

    def _catch_up(self, last: int, report: SyncReport, progress: Progress | None) -> int:
        kept = self.store.recent_blocks()
        # Only the last ``depth`` blocks below the head can still be replaced: their headers are read and
        # their hashes kept; a catch-up over older blocks reads logs alone.
        keep_from = report.head - self.depth + 1
        try:
            for window in self.reader.windows(last + 1, report.head, lambda w: self.preparer.prepare(w, keep_from)):
                headers, prepared = window.prepared
                first = headers.get(window.start)
                if first is not None and window.start - 1 in kept and first["parentHash"] != kept[window.start - 1]:
                    raise BlockReplaced(f"block {window.start - 1} was replaced")
                hashes = {n: h["hash"] for n, h in headers.items()}
                if any(r.block_number in hashes and r.block_hash != hashes[r.block_number] for r in prepared.records):
                    raise BlockReplaced(f"a block of {window.start}-{window.end} was replaced while it was read")
                self.store.write(last, window.end, prepared, hashes, keep_from)
                kept = {n: h for n, h in {**kept, **hashes}.items() if n >= keep_from}
                last = window.end
                report.end, report.windows = last, report.windows + 1
                report.records += len(prepared.records)
                if progress is not None:
                    progress(report)
                self._hand_over(window, report.head, keep_from)
        finally:
            self.reader.remote, self.reader.depth = None, 1
            if self.workers is not None:
                self.workers.close()
                self.workers = None
        return last

    def _hand_over(self, window: LogWindow, head: int, keep_from: int) -> None:
        """Start worker processes once the catch-up proves long (the node answers over HTTP, this window was
        full enough, and more are left); once they are ready, have them read the windows after those being
        read, one window ahead each."""
        provider = self.w3.provider
        # Only through the library's own provider: a custom one may carry headers or middleware a URL does not.
        if (self.workers is None and self.worker_after is not None and not self._no_workers
                and type(provider) is Provider and window.count >= self.worker_after and window.end < head):
            try:
                self.workers = Workers(WORKERS, str(provider.endpoint_uri), provider.patience,
                                       self.reader.addresses, self.abis, self.store.engine.dialect)
            except OSError:  # no interpreter to start (an embedded Python): the reader's thread reads on
                self._no_workers = True
        workers = self.workers
        if workers is not None and self.reader.remote is None and workers.ready():
            self.reader.remote = lambda start, end: workers.read(start, end, keep_from)
            self.reader.depth = len(workers.members)

    def _why_rewound(self, fork: int, last: int) -> str:
        """The sentence that explains a rewind to block ``fork`` of an index that held up to ``last``."""
        head = self.w3.eth.block_number
        if head < last:
            what = (f"the chain is at block {head}, behind the index (block {last}): it went back (a node restarted "
                    "from an older save?)")
        else:
            what = (f"block {fork + 1} is not the one indexed any more: the chain went back and grew again (a "
                    "reorg, or a node restarted from an older save)")
        return f"{what}; the index forgot what it held after block {fork} and read the chain again from there"

    def _up_to_date(self, last: int) -> bool:
        """Whether the index holds the head already, unchanged: one request in the usual case of a query
        right after another, where the full check (``_fork_point``, the head, the logs) would take four."""
        number, latest, _ = self.ledger.chain.head("latest")
        if number - self.confirmations != last:
            return False
        known = self.store.block_hash(last)
        head = latest if self.confirmations == 0 else hex_of(self.w3.eth.get_block(last)["hash"])
        return known is not None and known == head

    def _fork_point(self, last: int) -> int:
        """The newest block indexed that the chain still has unchanged (``last`` when nothing was replaced)."""
        head = self.w3.eth.block_number
        for number, known in sorted(self.store.recent_blocks().items(), reverse=True):
            if number <= head and hex_of(self.w3.eth.get_block(number)["hash"]) == known:
                return min(number, last)
        return self.ledger.from_block - 1 if last >= self.ledger.from_block else last
