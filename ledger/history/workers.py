"""A window made ready for the store ahead of the writes: its logs decoded, given their blocks' times, and
turned into the rows the store inserts (``Preparer``), on the log reader's thread or, for a long catch-up
from a node over HTTP, in processes of their own (``Workers``).

Why processes: per event, a catch-up's Python work is about 30 µs of decoding, 30 µs of making rows and 30 µs
of writing them. On threads of one process the three share the interpreter lock, so a catch-up goes at the
pace of their sum, with the second core mostly idle. A worker process reads the logs itself (its own
connection to the node, its own JSON parsing) and hands over rows and records only, so the indexer's process
is left with the writes. With one worker, the indexer waited for it about half the time (it waits for the node
too), so two read every other window. On the first 325,621 events of a million purchases into SQLite: 7,777-9,408
events/s on threads, 10,025-10,474 with one worker, 11,707-11,845 with two.

Each worker is a plain child process (``python -c`` calling ``main``) that speaks pickle over its standard
input and output, not a ``multiprocessing`` one: that would run the caller's main script again in the child
(a user's script without a ``__main__`` guard would repeat whatever it did, transactions included). It
ignores Ctrl-C; the indexer kills it when the catch-up ends, however it ends, and should the indexer's
process die first, the worker ends at its next read (its input closed) or answer (nobody to take it).
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Dialect, make_url
from web3 import Web3
from web3.exceptions import Web3Exception, Web3RPCError

from ..abi.decoder import Decoder, Record
from ..codec import hex_of
from ..errors import NodeError
from .logs import LogReader, LogWindow
from .store import TIMED_EVENTS, Prepared, prepare

WORKER_AFTER = 2_000
"""Logs in one window past which, when more windows are left to read from a node over HTTP, the rest of the
catch-up is read by worker processes (starting them takes about a second: worth it for long catch-ups only)."""

WORKERS = 2
"""Worker processes a long catch-up starts; each reads every other window, so one reads from the node while the
other decodes (with one, the indexer's process waited for it about half the time)."""

_READY = "ready"


class Preparer:
    """Makes a window of raw logs ready for ``Store.write``."""

    def __init__(self, w3: Web3, decoder: Decoder, dialect: Dialect) -> None:
        self.w3, self.decoder, self.dialect = w3, decoder, dialect

    def prepare(self, window: LogWindow, keep_from: int) -> tuple[dict[int, dict[str, Any]], Prepared]:
        """The headers (hash, parent hash, time) of the window's blocks from ``keep_from`` on, and its records
        and rows (``store.prepare``)."""
        headers = {n: _header(self.w3.eth.get_block(n)) for n in range(max(window.start, keep_from), window.end + 1)}
        times = {n: header["timestamp"] for n, header in headers.items()}
        return headers, prepare(self.dialect, [self._with_time(self.decoder.decode(log), times) for log in window.logs])

    def _with_time(self, record: Record, times: dict[int, int]) -> Record:
        """A record of ``TIMED_EVENTS`` with its block's time (read from the block when neither the log nor the
        headers at hand hold it)."""
        if record.timestamp is not None or record.event not in TIMED_EVENTS:
            return record
        stamp = times.get(record.block_number)
        if stamp is None:
            stamp = times[record.block_number] = int(self.w3.eth.get_block(record.block_number)["timestamp"])
        return replace(record, timestamp=stamp)


def _header(block: Any) -> dict[str, Any]:
    """What the indexer keeps of a block's header (hashes as 0x-hex), in a form any process can be sent."""
    return {"hash": hex_of(block["hash"]), "parentHash": hex_of(block["parentHash"]),
            "timestamp": int(block["timestamp"])}


class WindowWorker:
    """A worker process that reads and prepares windows for one catch-up (``read``), started at once and used
    once it is ``ready``."""

    def __init__(self, url: str, patience: float, addresses: list[str], abis: list[list[dict[str, Any]]],
                 dialect: Dialect) -> None:
        # The folder that holds this package first on the child's path (``-c`` puts the current folder first,
        # where another ``ledger`` could be).
        root = str(Path(__file__).resolve().parents[2])
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {root!r}); from {__name__} import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self._ready = False
        self.windows = 0
        """Windows it has read."""
        try:
            self._send({"url": url, "patience": patience, "addresses": addresses, "abis": abis,
                        "dialect": make_url(f"{dialect.name}+{dialect.driver}://").render_as_string()})
        except (OSError, ValueError):  # it ended at once (its traceback is on standard error): never ready
            pass

    def ready(self) -> bool:
        """Whether the worker has started (never waits); False for good if it could not start."""
        if not self._ready and self._process.poll() is None:
            out = self._process.stdout
            assert out is not None
            if select.select([out], [], [], 0)[0]:
                try:
                    self._ready = self._receive() == _READY
                except (EOFError, OSError, ValueError, pickle.UnpicklingError):
                    self._ready = False
        return self._ready and self._process.poll() is None

    def read(self, start: int, end: int, keep_from: int) -> LogWindow:
        """Blocks ``start`` to ``end`` read and prepared by the worker. The node's refusal of the range is raised
        as the node's error (the reader then halves the window), any other error of the reading as it was met;
        an error of the preparation comes back as the window's ``prepared``, for the reader to raise."""
        try:
            self._send((start, end, keep_from))
            kind, *rest = self._receive()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as error:  # ValueError: a closed pipe
            raise NodeError(f"the log-reading worker process stopped ({error!r}): run the sync again") from error
        if kind == "refused":
            raise Web3RPCError(rest[0])
        if kind == "failed":
            raise rest[0]
        count, prepared = rest
        self.windows += 1
        return LogWindow(start, end, [], prepared, count)

    def close(self) -> None:
        """Stop the worker at once (it holds nothing that would be lost) and release its pipes."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def _send(self, message: Any) -> None:
        pipe = self._process.stdin
        assert pipe is not None
        pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        pipe.flush()

    def _receive(self) -> Any:
        pipe = self._process.stdout
        assert pipe is not None
        return pickle.load(pipe)


class Workers:
    """Worker processes that read windows side by side (``read``, one window each at a time)."""

    def __init__(self, count: int, *args: Any) -> None:
        self.members: list[WindowWorker] = []
        try:
            for _ in range(count):
                self.members.append(WindowWorker(*args))
        except OSError:  # the others cannot be started either: none is left running
            self.close()
            raise
        self._idle: queue.SimpleQueue[WindowWorker] = queue.SimpleQueue()
        for member in self.members:
            self._idle.put(member)

    def ready(self) -> bool:
        """Whether every one of them has started (never waits)."""
        return all([member.ready() for member in self.members])

    @property
    def windows(self) -> int:
        """Windows they have read."""
        return sum(member.windows for member in self.members)

    def read(self, start: int, end: int, keep_from: int) -> LogWindow:
        """``WindowWorker.read`` by one that is not reading."""
        member = self._idle.get()
        try:
            return member.read(start, end, keep_from)
        finally:
            self._idle.put(member)

    def close(self) -> None:
        """Stop them all at once."""
        for member in self.members:
            member.close()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's side: set up from the first message, say it is ready, then answer each window asked for."""
    from sqlalchemy import create_engine

    from ..chain import Provider

    setup = pickle.load(requests)
    w3 = Web3(Provider(setup["url"], setup["patience"]))
    reader = LogReader(w3, setup["addresses"])
    preparer = Preparer(w3, Decoder(setup["abis"]), create_engine(setup["dialect"]).dialect)

    def answer(start: int, end: int, keep_from: int) -> tuple[Any, ...]:
        try:
            window = LogWindow(start, end, reader.fetch_logs(start, end))
        except (Web3Exception, ValueError) as error:  # the node refused the range: the indexer halves it
            return "refused", str(error)
        except Exception as error:  # raised by the indexer as it was met
            return "failed", error
        try:
            return "ok", window.count, preparer.prepare(window, keep_from)
        except Exception as error:  # raised by the indexer after the reading, as on its own thread
            return "ok", window.count, error

    def say(message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        error = message[-1] if isinstance(message, tuple) else None
        if isinstance(error, BaseException):  # one that cannot be rebuilt on the other side goes as its words
            try:
                pickle.loads(data)
            except Exception:
                data = pickle.dumps((*message[:-1], RuntimeError(f"{type(error).__name__}: {error}")),
                                    protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(data)
        answers.flush()

    say(_READY)
    while True:
        try:
            start, end, keep_from = pickle.load(requests)
        except EOFError:
            return
        say(answer(start, end, keep_from))


def main() -> None:
    """Entry point of the worker process: its objects live for a window each and hold no cycles, so the cycle
    collector stays off (as in the indexer's catch-up, ``indexer.collector_paused``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot mix into the answers
    try:
        _serve(sys.stdin.buffer, answers)
    except BrokenPipeError:  # the indexer went away
        pass
