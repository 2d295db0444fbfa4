"""The indexer: resumable and idempotent, reorg-safe, and complete behind a provider that refuses wide log
ranges; windows sized by the answers; unknown events fail loudly."""

from __future__ import annotations

import gc
import json
import re
import shutil
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from ledger.abi.decoder import Decoder
from ledger.chain import AnvilChain, connect
from ledger.client import Ledger
from ledger.errors import IndexMoved, IndexStuck, UnknownEvent
from ledger.history import History, schema
from ledger.history import store as store_module
from ledger.history.logs import LogReader
from tests.support.world import DAY, ETHER, buy
from tools import postgres_server


def dump(history: History) -> dict[str, list[tuple]]:
    """Every row of every table, in key order: two indexes are the same when their dumps are."""
    with history.store.reading() as db:
        return {table.name: [tuple(row) for row in db.execute(select(table).order_by(*table.primary_key.columns))]
                for table in schema.metadata.sorted_tables}


def narrow(history: History, blocks: int) -> History:
    """Make the indexer read ``blocks`` blocks per window, so a catch-up takes many windows."""
    history.indexer.reader.size = history.indexer.reader.largest = blocks
    return history


class Killed(BaseException):
    """Stands for the process dying (not an error the library would handle)."""


@pytest.fixture
def busy(ledger, chain, shop, staff, week_terms, customer, bob):
    """A dozen purchases with returns, goodwill, contacts and a settlement, over a few dozen blocks."""
    bob_desk = ledger.customer_desk(bob)
    bought = [buy(shop, customer if i % 2 else bob_desk, week_terms.id, [("MUG", 1 + i % 3, ETHER)], f"K-{i}")
              for i in range(10)]
    customer.return_items(bought[1].id)
    staff.goodwill_refund(bought[2].id, ETHER // 10, "loyalty")
    staff.log_contact(customer.address, "chat", "question", purchase_id=bought[3].id)
    chain.advance_time(8 * DAY)
    shop.settle(p.id for p in bought[:4])
    return bought


def test_killed_catch_up_resumes_to_the_same_database(ledger, busy, tmp_path) -> None:
    whole = History(ledger.contracts, f"sqlite:///{tmp_path / 'whole.sqlite'}")
    whole.sync()
    url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    first = narrow(History(ledger.contracts, url), 3)

    def die_after_four(report) -> None:
        if report.windows == 4:
            raise Killed

    with pytest.raises(Killed):
        first.sync(die_after_four)
    first.close()
    # Killed again inside a window's transaction: nothing of that window may stay.
    second = narrow(History(ledger.contracts, url), 5)
    real_write = second.store.write

    def die_while_writing(after, end, records, hashes, keep_from):
        real_write(after, end, records, hashes, keep_from)
        raise Killed

    second.store.write = die_while_writing
    with pytest.raises(Killed):
        second.sync()
    second.close()
    resumed = narrow(History(ledger.contracts, url), 7)
    report = resumed.sync()
    assert report.start == ledger.from_block + 4 * 3 + 5 and report.end == report.head  # where the kills left it
    assert dump(resumed) == dump(whole)
    assert resumed.sync().windows == 0  # nothing left to do: running it again changes nothing
    assert dump(resumed) == dump(whole)


def test_what_a_catch_up_writes_reaches_the_database_file_not_only_its_log(ledger, busy, tmp_path) -> None:
    folder = tmp_path / "jane.doe" / "my shop"
    history = narrow(History(ledger.contracts, f"sqlite:///{folder / 'history.sqlite'}"), 3)
    assert history.sync().windows > 5
    history.store.flush()
    # The file alone, without its write-ahead log, holds what was copied out of the log: all of it.
    shutil.copyfile(folder / "history.sqlite", tmp_path / "alone.sqlite")
    alone = History(ledger.contracts, f"sqlite:///{tmp_path / 'alone.sqlite'}")
    assert dump(alone) == dump(history)
    alone.close()
    history.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_log_copy_that_breaks_does_not_stop_the_next_ones(ledger, busy, tmp_path, monkeypatch) -> None:
    real, tried = store_module._checkpoint, []

    def first_one_breaks(uri: str) -> None:
        tried.append(uri)
        if len(tried) == 1:
            raise RuntimeError("a copy that breaks")
        real(uri)

    monkeypatch.setattr(store_module, "_checkpoint", first_one_breaks)
    history = narrow(History(ledger.contracts, f"sqlite:///{tmp_path / 'history.sqlite'}"), 3)
    history.sync()
    history.store.flush()
    assert len(tried) > 1
    shutil.copyfile(tmp_path / "history.sqlite", tmp_path / "alone.sqlite")
    alone = History(ledger.contracts, f"sqlite:///{tmp_path / 'alone.sqlite'}")
    assert dump(alone) == dump(history)  # the copies after the broken one took everything
    alone.close()
    history.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_indexer_overtaken_by_another_on_its_database_goes_on_from_where_that_one_got(
        ledger, busy, tmp_path, request, backend) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    whole = History(ledger.contracts, f"sqlite:///{tmp_path / 'whole.sqlite'}")
    whole.sync()
    slow, fast = narrow(History(ledger.contracts, url), 3), History(ledger.contracts, url)

    def overtaken(report) -> None:
        if report.windows == 1:  # between two of the slow one's windows, the fast one indexes everything
            fast.sync()

    report = slow.sync(overtaken)
    assert report.end == report.head and report.windows == 1  # it wrote nothing twice
    assert dump(slow) == dump(whole)
    for history in (slow, fast, whole):
        history.close()


def test_a_large_catch_up_leaves_postgresql_with_its_planner_statistics(ledger, busy, postgres_url) -> None:
    def analyzed(history: History) -> int:
        """Rows PostgreSQL's statistics count in ``purchases`` (-1 before its tables were ever analyzed)."""
        with history.store.reading() as db:
            return db.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'purchases'"))

    small = History(ledger.contracts, postgres_url)
    small.indexer.analyze_after = 10**6
    small.sync()
    assert analyzed(small) == -1  # too few rows for autovacuum ever to look at them: this stays as it is
    small.close()
    server, name = postgres_url.rsplit("/", 1)
    large = History(ledger.contracts, postgres_server.create_database(server, f"{name}_large"))
    large.indexer.analyze_after = len(busy)
    assert large.sync().records >= len(busy)
    assert analyzed(large) == len(busy)
    large.close()


def test_a_catch_up_pauses_the_cycle_collector_and_leaves_it_as_it_found_it(ledger, busy) -> None:
    states: list[bool] = []

    def note(report) -> None:
        states.append(gc.isenabled())

    def note_then_die(report) -> None:
        note(report)
        raise Killed

    try:
        History(ledger.contracts).sync(note)
        assert states and not any(states) and gc.isenabled()  # off while it indexed, on again after
        with pytest.raises(Killed):
            History(ledger.contracts).sync(note_then_die)
        assert gc.isenabled()  # on again after a catch-up that died
        gc.disable()  # an application that keeps it off finds it off
        History(ledger.contracts).sync(note)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_window_undone_every_time_stops_the_sync_and_says_what_to_do(ledger, busy) -> None:
    history = History(ledger.contracts)
    tries = []

    def always_overtaken(after, end, *rest) -> None:
        tries.append((after, end))
        raise IndexMoved(f"another indexer wrote blocks {after + 1} to {end} first")

    history.store.write = always_overtaken
    with pytest.raises(IndexStuck, match=r"undone 5 times in a row .*delete the index"):
        history.sync()
    assert len(tries) == 5 and len(set(tries)) == 1  # the same window each time, then no more


def test_an_index_of_another_layout_is_rebuilt_from_the_chain(ledger, busy, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    whole = History(ledger.contracts, url)
    whole.sync()
    expected = dump(whole)
    whole.close()
    old = create_engine(url)  # as an earlier version wrote it: no line_items column, and a stale row
    with old.begin() as db:
        db.execute(text("ALTER TABLE purchases DROP COLUMN line_items"))
        db.execute(text("UPDATE progress SET last_block = last_block + 1000"))
    old.dispose()
    rebuilt = History(ledger.contracts, url)
    assert rebuilt.sync().records > 0
    assert dump(rebuilt) == expected
    assert [p.order.lines for p in ledger.purchases()] == [p.order.lines for p in busy]


def test_confirmations_leave_the_newest_blocks_out(ledger, chain, shop, week_terms, customer) -> None:
    for number in range(4):
        buy(shop, customer, week_terms.id, [("MUG", 1, ETHER)], f"C-{number}")
    history = History(ledger.contracts, confirmations=3)
    report = history.sync()
    assert report.end == chain.w3.eth.block_number - 3


def test_unknown_event_fails_loudly(ledger) -> None:
    decoder = Decoder([ledger.feedback.abi])  # knows the feedback module's events only
    log = {"topics": [b"\x01" * 32], "data": b"", "blockNumber": 7, "blockHash": b"\x02" * 32, "logIndex": 0,
           "transactionHash": b"\x03" * 32}
    with pytest.raises(UnknownEvent, match="does not know"):
        decoder.decode(log)


class _RefusingNode:
    """A node that refuses log ranges wider than 10 blocks (its logs: one per block), asked through web3."""

    provider = None  # not HTTP: the reader asks ``eth.get_logs``

    class eth:
        calls: list[tuple[int, int]] = []

        @classmethod
        def get_logs(cls, query):
            start, end = query["fromBlock"], query["toBlock"]
            cls.calls.append((start, end))
            if end - start + 1 > 10:
                raise ValueError("block range too wide")
            return list(range(start, end + 1))


class _BusyNode:
    """A node whose blocks each hold 1,000 logs (numbered block × 1000 + position)."""

    provider = None

    class eth:
        widest = 0

        @classmethod
        def get_logs(cls, query):
            start, end = query["fromBlock"], query["toBlock"]
            cls.widest = max(cls.widest, end - start + 1)
            return [block * 1000 + n for block in range(start, end + 1) for n in range(1000)]


def test_windows_narrow_when_blocks_are_full_and_cover_every_log() -> None:
    reader = LogReader(_BusyNode(), ["0x0"], first=100)
    windows = list(reader.windows(1, 300))
    assert [log for window in windows for log in window.logs] == [b * 1000 + n for b in range(1, 301) for n in range(1000)]
    assert max(len(window.logs) for window in windows[1:]) <= 20_000  # after the first, bounded: flat memory
    assert reader.size == 10  # about 10,000 logs a window


def test_windows_halve_when_refused_and_cover_every_block() -> None:
    reader = LogReader(_RefusingNode(), ["0x0"], first=64, largest=64)
    got = [log for window in reader.windows(5, 200) for log in window.logs]
    assert got == list(range(5, 201))
    assert reader.refusals == 3 and reader.size <= 10


# ---------------------------------------------------------------- anvil only: a refusing provider, a reorg


@pytest.fixture(scope="module")
def anvil():
    chain = AnvilChain()
    yield chain
    chain.close()


@pytest.fixture
def anvil_shop(anvil):
    accounts = anvil.accounts()
    ledger = Ledger.deploy(anvil, accounts[0], index=False)
    shop = ledger.register_merchant(accounts[1])
    terms = shop.publish_terms(7 * DAY)
    return ledger, shop, terms, ledger.customer_desk(accounts[3])


class _Proxy(BaseHTTPRequestHandler):
    """Forwards JSON-RPC to a node, refusing ``eth_getLogs`` over more than ``blocks`` blocks or with more
    than ``results`` results, as public providers do."""

    upstream, blocks, results, refused, unknown_topic = "", 4, 5, 0, False

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = self._forward(request)
        if request.get("method") == "eth_getLogs" and self.unknown_topic:
            for log in answer.get("result", []):
                log["topics"][0] = "0x" + "ee" * 32
        if request.get("method") == "eth_getLogs":
            query = request["params"][0]
            span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if span > self.blocks:
                answer = self._refuse(request, f"block range exceeds {self.blocks}")
            elif len(answer.get("result", [])) > self.results:
                answer = self._refuse(request, f"query returned more than {self.results} results")
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, request: dict) -> dict:
        upstream = urllib.request.Request(self.upstream, json.dumps(request).encode(),
                                          {"Content-Type": "application/json"})
        with urllib.request.urlopen(upstream) as response:
            return json.loads(response.read())

    def _refuse(self, request: dict, message: str) -> dict:
        type(self).refused += 1
        return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32005, "message": message}}

    def log_message(self, *args) -> None:
        pass


def test_refusing_provider_is_still_indexed_completely(anvil, anvil_shop, tmp_path) -> None:
    ledger, shop, terms, customer = anvil_shop
    bought = [buy(shop, customer, terms.id, [("PIN", 1, ETHER // 100)] * (1 + i % 3), f"R-{i}") for i in range(24)]
    customer.return_items(bought[0].id, [0])
    _Proxy.upstream, _Proxy.refused = anvil.url, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        behind = connect(f"http://127.0.0.1:{server.server_address[1]}")
        indexed = Ledger(behind, ledger.address, ledger.feedback.address, ledger.from_block,
                         f"sqlite:///{tmp_path / 'history.sqlite'}")
        now = anvil.now()
        assert [p.id for p in indexed.purchases()] == [p.id for p in bought]
        assert [replace(p, as_of=now) for p in indexed.purchases()] == [
            replace(p, as_of=now) for p in ledger.purchases()]
        assert indexed.refunds() == ledger.refunds()
        assert _Proxy.refused > 0 and indexed.history.indexer.reader.refusals > 0
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(anvil):
    """A ``_Proxy`` in front of the anvil node, letting everything through until a test narrows it; its URL."""
    _Proxy.upstream, _Proxy.blocks, _Proxy.results, _Proxy.refused, _Proxy.unknown_topic = anvil.url, 10**9, 10**9, 0, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def on_threads(ledger: Ledger, tmp_path) -> History:
    """``ledger`` indexed by the log reader's thread alone (no worker process), to compare with."""
    alone = History(ledger.contracts, f"sqlite:///{tmp_path / 'alone.sqlite'}")
    alone.indexer.worker_after = None
    alone.sync()
    return alone


def stopped(workers) -> bool:
    """Whether none of the worker processes runs any more."""
    return all(member._process.poll() is not None for member in workers.members)


def spread_history(anvil_shop) -> None:
    """Purchases over a few dozen blocks, with a return, a refund as credit and a purchase paid partly with it
    (whose ``CreditSpent`` comes before its ``PurchaseRecorded``, in the same window whatever its size)."""
    ledger, shop, terms, customer = anvil_shop
    bought = [buy(shop, customer, terms.id, [("PIN", 1 + i % 2, ETHER // 100)] * (1 + i % 3), f"W-{i}")
              for i in range(20)]
    customer.return_items(bought[2].id, [0])
    customer.return_for_credit(bought[5].id)
    later = buy(shop, customer, terms.id, [("CAP", 1, ETHER // 50)], "W-credit", use_credit=ETHER // 100)
    customer.return_items(later.id)
    shop.goodwill_refund(bought[9].id, ETHER // 1000)


def helped(ledger: Ledger, url: str, then=None) -> tuple[History, Any, list]:
    """A history of ``ledger`` whose catch-ups hand their reading to worker processes after the first window
    with a log, two blocks a window, and a progress for its ``sync``: it waits for the workers to be ready (so
    the windows after those being read are read by them), then calls ``then(workers)`` after each window. The
    list gets the ``ahead.Workers`` started."""
    history = narrow(History(ledger.contracts, url), 2)
    history.indexer.worker_after = 1
    workers: list = []

    def progress(_report) -> None:
        worker = history.indexer.workers
        if worker is not None and worker not in workers:
            workers.append(worker)
            deadline = time.monotonic() + 60
            while not worker.ready():
                assert time.monotonic() < deadline, "the worker process did not start within a minute"
                time.sleep(0.05)
        if worker is not None and then is not None:
            then(worker)

    return history, progress, workers


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_catch_up_read_by_a_worker_process_makes_the_same_index(anvil, anvil_shop, tmp_path, backend,
                                                                   request) -> None:
    spread_history(anvil_shop)
    ledger = anvil_shop[0]
    url = f"sqlite:///{tmp_path / 'helped.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    history, progress, workers = helped(ledger, url)
    report = history.sync(progress)
    assert report.records > 20
    (started,) = workers
    assert 3 <= started.windows < report.windows  # they read the windows after the first ones
    assert all(member.windows for member in started.members)  # each of them
    assert history.indexer.workers is None and stopped(started)  # and stopped with the catch-up
    assert dump(history) == dump(on_threads(ledger, tmp_path))
    assert history.indexer.sync().records == 0  # and what it read is where the next catch-up starts


def test_a_worker_process_behind_a_refusing_provider_still_reads_every_block(anvil, anvil_shop, proxy,
                                                                              tmp_path) -> None:
    spread_history(anvil_shop)
    ledger = anvil_shop[0]
    behind = Ledger(connect(proxy), ledger.address, ledger.feedback.address, ledger.from_block, False)
    narrowed_at: list[int] = []

    def narrow_the_provider(worker) -> None:  # once the worker reads, the provider takes two blocks at most
        if worker.windows and not narrowed_at:
            narrowed_at.append(worker.windows)
            _Proxy.blocks = 2

    history, progress, workers = helped(behind, f"sqlite:///{tmp_path / 'helped.sqlite'}", narrow_the_provider)
    history.indexer.reader.size = history.indexer.reader.largest = 4
    report = history.sync(progress)
    (worker,) = workers
    assert narrowed_at and worker.windows > narrowed_at[0] + 1  # the worker read on behind the narrower provider
    assert _Proxy.refused > 0 and report.refusals == _Proxy.refused  # each refusal halved the window
    assert dump(history) == dump(on_threads(ledger, tmp_path))


def test_what_fails_in_the_worker_process_fails_the_catch_up_and_stops_the_worker(anvil, anvil_shop, proxy,
                                                                                  tmp_path) -> None:
    spread_history(anvil_shop)
    ledger = anvil_shop[0]
    behind = Ledger(connect(proxy), ledger.address, ledger.feedback.address, ledger.from_block, False)

    def forge_an_event(worker) -> None:  # in what the worker reads once it has read a window
        _Proxy.unknown_topic = _Proxy.unknown_topic or worker.windows > 0

    history, progress, workers = helped(behind, f"sqlite:///{tmp_path / 'helped.sqlite'}", forge_an_event)
    with pytest.raises(UnknownEvent, match="upgrade the library"):
        history.sync(progress)
    (worker,) = workers
    assert _Proxy.unknown_topic and history.indexer.workers is None and stopped(worker)


def test_a_catch_up_stopped_while_its_worker_reads_kills_it_and_resumes_to_the_same_index(anvil, anvil_shop,
                                                                                           tmp_path) -> None:
    spread_history(anvil_shop)
    ledger = anvil_shop[0]

    def die(worker) -> None:  # the process dies while the worker reads the window after
        if worker.windows:
            raise Killed()

    history, progress, workers = helped(ledger, f"sqlite:///{tmp_path / 'helped.sqlite'}", die)
    with pytest.raises(Killed):
        history.sync(progress)
    (worker,) = workers
    assert stopped(worker) and history.indexer.workers is None
    reader = history.indexer.reader
    assert reader.refusals == 0 and reader.largest == 2  # the dead pipe was not taken for a refusal
    history.sync()
    assert dump(history) == dump(on_threads(ledger, tmp_path))


@pytest.mark.parametrize("python", ["exits at once", "is missing"])
def test_a_worker_process_that_cannot_start_leaves_the_catch_up_to_the_reader_thread(anvil, anvil_shop, tmp_path,
                                                                                     monkeypatch, python) -> None:
    spread_history(anvil_shop)
    ledger = anvil_shop[0]
    monkeypatch.setattr(sys, "executable", shutil.which("false") if python == "exits at once"
                        else str(tmp_path / "no-python"))
    history = narrow(History(ledger.contracts, f"sqlite:///{tmp_path / 'helped.sqlite'}"), 2)
    history.indexer.worker_after = 1
    workers = []
    history.sync(lambda _report: workers.append(history.indexer.workers))
    started = {id(worker): worker for worker in workers if worker is not None}
    if python == "exits at once":  # started, never ready, never used
        assert len(started) == 1 and [w.windows for w in started.values()] == [0]
    else:  # could not be started, and not tried again
        assert not started and history.indexer._no_workers
    assert dump(history) == dump(on_threads(ledger, tmp_path))


def test_reorg_rewinds_and_replays(anvil, anvil_shop, tmp_path, caplog) -> None:
    ledger, shop, terms, customer = anvil_shop
    gift = buy(shop, customer, terms.id, [("GIFT", 1, ETHER)], "G-0")
    customer.return_for_credit(gift.id)
    kept = buy(shop, customer, terms.id, [("KEPT", 1, ETHER)], "G-1", use_credit=ETHER // 3)
    indexed = Ledger(anvil, ledger.address, ledger.feedback.address, ledger.from_block,
                     f"sqlite:///{tmp_path / 'history.sqlite'}")
    fork = anvil.snapshot()
    lost = buy(shop, customer, terms.id, [("LOST", 1, ETHER)], "G-2")
    customer.return_items(kept.id)
    assert [p.id for p in indexed.purchases()] == [gift.id, kept.id, lost.id] and len(indexed.refunds()) == 2
    anvil.revert(fork)  # the two blocks are replaced by others
    instead = buy(shop, customer, terms.id, [("INSTEAD", 2, ETHER)], "G-3")
    anvil.advance_time(60)
    anvil.advance_time(60)
    assert [p.id for p in indexed.purchases()] == [gift.id, kept.id, instead.id]  # the query caught the index up...
    (warning,) = [r for r in caplog.records if r.name == "ledger"]  # ...and said that it had to go back
    forgot_after = re.search(r"the index forgot what it held after block (\d+)", warning.getMessage())
    assert forgot_after and int(forgot_after.group(1)) < lost.block_number
    assert indexed.refunds() == ledger.refunds(purchase_id=gift.id) and not indexed.purchase(kept.id).returned_lines
    assert [(p.id, p.status, p.paid) for p in indexed.purchases()] == [
        (p.id, p.status, p.paid) for p in ledger.purchases()]
    held = indexed.credit(shop.merchant_id, customer.address)
    assert held == ledger.credit(shop.merchant_id, customer.address) and held.amount == ETHER - ETHER // 3
    shop.goodwill_refund(kept.id, ETHER // 7)  # a third of it comes back as credit, by the rebuilt purchase
    assert indexed.credit(shop.merchant_id, customer.address) == ledger.credit(shop.merchant_id, customer.address)
