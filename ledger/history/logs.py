"""Reading logs in windows the reader sizes itself, so it works against a real provider: it starts small,
doubles the window while answers stay small, narrows it when answers grow large (full blocks hold hundreds
of events each, and a window is held in memory and written in one transaction), and halves it when the node
refuses a range or says the answer has too many results (public providers cap about 2,000 blocks or 10,000
results a call)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3Exception, Web3RPCError
from web3.types import RPCEndpoint

from ..errors import NodeError

FIRST_WINDOW = 100
"""Blocks asked for first: a busy chain's blocks hold hundreds of events each; quiet ones double it fast."""

LARGEST_WINDOW = 100_000

SMALL_ANSWER = 2_000
"""Logs in an answer below which the next window may be twice as wide."""

LARGE_ANSWER = 20_000
"""Logs in an answer above which the next window is narrowed to bring about half as many: the memory of a
catch-up stays bounded however full the blocks are."""


@dataclass
class LogWindow:
    """The logs of blocks ``start`` to ``end`` (inclusive), oldest first."""

    start: int
    end: int
    logs: list[Any]
    prepared: Any = None
    """What the reader's ``prepare`` made of the logs, on the thread that read them (or the worker's)."""
    count: int = -1
    """How many logs the window holds (``logs`` is empty when a worker process read and prepared them)."""

    def __post_init__(self) -> None:
        if self.count < 0:
            self.count = len(self.logs)


class LogReader:
    """``eth_getLogs`` over a block range for some addresses, window by window."""

    def __init__(self, w3: Web3, addresses: list[ChecksumAddress], first: int = FIRST_WINDOW,
                 largest: int = LARGEST_WINDOW) -> None:
        self.w3 = w3
        self.addresses = addresses
        self.size = first
        self.largest = largest
        self.refusals = 0
        """How often the node refused a window (each time it was halved)."""
        self.depth = 1
        """Windows read ahead at once, from a node over HTTP (one per worker process when they read)."""
        self.remote: Callable[[int, int], LogWindow] | None = None
        """Reads and prepares a window elsewhere (``ahead.WindowWorker``), in place of ``fetch_logs`` and
        ``prepare``: the node's refusal of a range raised as from ``fetch_logs``, an error of the preparation
        handed back as the window's ``prepared``."""

    def windows(self, start: int, end: int, prepare: Callable[[LogWindow], Any] | None = None) -> Iterator[LogWindow]:
        """Windows covering ``start`` to ``end`` in order; each one read completely (and given to ``prepare``,
        whose answer it then holds) before it is given. From a node over HTTP the next ``depth`` windows are
        read and prepared while the caller works on this one (the node, the network and the database wait on
        threads of their own), so a long catch-up goes at the pace of the slower side instead of their sum; a
        range of one window (a follower's poll) is read on the caller's thread."""
        ahead = isinstance(self.w3.provider, HTTPProvider)
        pending: deque[tuple[int, Callable[[], LogWindow]]] = deque()
        """The reads begun: the last block each was begun for, and its result."""
        following = start

        def begin() -> None:
            nonlocal following
            while following <= end and (not pending or (ahead and len(pending) < self.depth)):
                last = min(end, following + self.size - 1)
                alone = not pending and last == end  # the last window, and no other read: on the caller's thread
                pending.append((last, self._start(following, last, ahead and not alone, prepare)))
                following = last + 1

        begin()
        while pending:
            last, result = pending.popleft()
            window = result()
            if window.end != last:  # narrowed after a refusal: the reads begun after it start at the wrong block
                pending.clear()
                following = window.end + 1
            width, count = window.end - window.start + 1, window.count
            if count < SMALL_ANSWER and width == self.size:
                self.size = min(self.size * 2, self.largest)
            elif count > LARGE_ANSWER:
                self.size = max(1, width * LARGE_ANSWER // (2 * count))
            begin()
            yield window

    def _start(self, start: int, end: int, threaded: bool, prepare: Callable[[LogWindow], Any] | None
               ) -> Callable[[], LogWindow]:
        """The read of blocks ``start`` to ``end``, begun now on a daemon thread, or done when asked for."""
        if not threaded:
            return lambda: self._read(start, end, prepare)
        box: dict[str, Any] = {}

        def read() -> None:
            try:
                box["window"] = self._read(start, end, prepare)
            except BaseException as error:  # handed to the caller's thread, which raises it
                box["error"] = error

        # A daemon thread, not an executor: an interrupt (Ctrl-C on `ledger index --follow`) can neither
        # leave an executor's lock taken nor make the process wait for a read at exit.
        thread = threading.Thread(target=read, name="ledger-logs", daemon=True)
        thread.start()

        def result() -> LogWindow:
            thread.join()
            if "error" in box:
                raise box["error"]
            window: LogWindow = box["window"]
            return window

        return result

    def _read(self, start: int, end: int, prepare: Callable[[LogWindow], Any] | None) -> LogWindow:
        remote = self.remote
        window = self._fetch(start, end, remote)
        if prepare is not None and remote is None:
            window.prepared = prepare(window)
        elif isinstance(window.prepared, BaseException):  # what the remote preparation met, raised as if here
            raise window.prepared
        return window

    def _fetch(self, start: int, end: int, remote: Callable[[int, int], LogWindow] | None) -> LogWindow:
        while True:
            try:
                return LogWindow(start, end, self.fetch_logs(start, end)) if remote is None else remote(start, end)
            except (Web3Exception, ValueError) as error:
                # A node that refuses a range answers with a JSON-RPC error whose wording differs by provider.
                if end == start:
                    raise NodeError(f"the node refuses the logs of block {start} alone: {error}") from error
                self.refusals += 1
                # Never grow back to what was refused: a provider's limits do not change.
                self.size = self.largest = max(1, (end - start + 1) // 2)
                end = start + self.size - 1

    def fetch_logs(self, start: int, end: int) -> list[Any]:
        """The logs of a range. From a node over HTTP, the raw answer of ``eth_getLogs``, past web3's per-log
        formatting (which costs several times the decoding; ``abi.decoder.Decoder`` reads raw logs), a JSON-RPC
        error raised as web3 would; from the embedded chain, through web3 (its provider takes no raw form)."""
        if not isinstance(self.w3.provider, HTTPProvider):
            return list(self.w3.eth.get_logs({"address": self.addresses, "fromBlock": start, "toBlock": end}))
        answer = self.w3.provider.make_request(RPCEndpoint("eth_getLogs"), [{
            "address": self.addresses, "fromBlock": hex(start), "toBlock": hex(end)}])
        if "error" in answer:
            raise Web3RPCError(str(answer["error"]))
        return list(answer["result"])
