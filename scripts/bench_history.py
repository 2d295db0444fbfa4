"""History at scale: a chain of many purchases written through the bulk path, then indexed and queried.

Run with ``./dev.sh bench-history`` (1,000,000 purchases by default; ``--purchases N`` for fewer). On a fresh
anvil it makes purchases one at a time with ``CustomerDesk.buy`` (for the ratio), then writes ``N`` purchases
(about 1,000 customers, 10 shops, 1–3 lines each, about 5 % returned) with ``ledger.sending.send_many``
while a miner thread mines the blocks (``Miner``); decodes logs alone, catches an index up from block 0 on
SQLite and on a PostgreSQL server it starts (events/s, memory along the way), and times the queries users
make: one customer's history, a shop's first page of open purchases and a shop's figures, next to the same
customer's history read by scanning the chain's logs. It prints every figure with its target;
BENCHMARKS.md keeps the results of the full run. ``--keep-chain FILE`` stops after the writes and keeps
anvil running; ``--chain FILE`` then measures the reads on it as often as needed, without writing a million
purchases again. ``tests/interop/test_benchmarks.py`` runs both small, so they cannot rot.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402

from ledger.abi.decoder import Decoder  # noqa: E402
from ledger.chain import AnvilChain, Chain, connect  # noqa: E402
from ledger.client import Ledger  # noqa: E402
from ledger.history import History  # noqa: E402
from ledger.models import LineItem, Status  # noqa: E402
from ledger.orders import Order  # noqa: E402
from ledger.sending import Call, encoder, sign_orders  # noqa: E402
from tools import postgres_server  # noqa: E402

DAY = 86_400
ROUND = 20_000
"""Purchases planned, signed and sent together (the bulk path splits them into waves itself)."""
FIRST = 100_000
"""The bulk rate's target holds over this many purchases, the first of the run."""
WAVE = 10_000
"""Calls per wave of the bulk path."""
SKUS = [f"SKU-{n:03d}" for n in range(200)]
TARGETS = {"customer": 0.050, "shop page": 0.020, "figures": 1.0, "catch-up": 10_000, "decoding": 20_000,
           "bulk": 2_000, "ratio": 20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, help="default: one per 1,000 purchases (at least 20)")
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--one-by-one", type=int, default=200, help="purchases made one at a time, for the ratio")
    parser.add_argument("--repeat", type=int, default=30, help="times each query is timed")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--keep-chain", metavar="FILE", type=Path,
                        help="write, then keep anvil running (until Ctrl-C) and what --chain needs in FILE")
    parser.add_argument("--chain", metavar="FILE", type=Path,
                        help="measure the reads on the chain a --keep-chain run keeps, without writing again")
    args = parser.parse_args()
    if args.chain is not None:
        kept = json.loads(args.chain.read_text())
        chain = connect(kept["url"])
        print(f"anvil at {kept['url']}, {kept['purchases']:,} purchases written earlier")
        print_writes(kept)
        Reads(chain, Ledger(chain, kept["ledger"], kept["feedback"], kept["from_block"], False), kept["shop"]).run(args)
        return
    customers = args.customers or max(20, args.purchases // 1_000)
    with AnvilChain(["--gas-limit", "1000000000", "--prune-history"]) as chain:
        bench = Bench(chain, args.shops, customers)
        print(f"anvil, {args.purchases:,} purchases, {customers:,} customers, {args.shops} shops")
        single_rate = bench.one_by_one(args.one_by_one)
        with Miner(chain.url):
            first_rate, bulk_rate = bench.write(args.purchases)
        writes = {"purchases": args.purchases, "first": first_rate, "all": bulk_rate, "single": single_rate,
                  "one_by_one": args.one_by_one}
        print_writes(writes)
        reads = Reads(chain, bench.ledger, bench.shops[0].merchant_id)
        if args.keep_chain is None:
            reads.run(args)
            return
        args.keep_chain.write_text(json.dumps({**writes, "url": chain.url, "ledger": bench.ledger.address,
                                               "feedback": bench.ledger.feedback.address,
                                               "from_block": bench.ledger.from_block, "shop": reads.shop}))
        print(f"anvil keeps running at {chain.url}: `{Path(sys.argv[0]).name} --chain {args.keep_chain}` measures "
              "the reads on it; Ctrl-C (or SIGTERM) stops it", flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


def print_writes(writes: dict[str, Any]) -> None:
    """The write figures, against their targets."""
    first = min(FIRST, writes["purchases"])
    report("bulk writes", f"{writes['first']:,.0f} purchases/s sustained over the first {first:,}", writes["first"],
           TARGETS["bulk"], higher=True)
    report("bulk writes, all of them", f"{writes['all']:,.0f} purchases/s sustained over {writes['purchases']:,}",
           None, None)
    report("one at a time", f"{writes['single']:,.0f} purchases/s over {writes['one_by_one']}", None, None)
    ratio = writes["first"] / writes["single"]
    report("bulk / one at a time", f"{ratio:,.1f}x", ratio, TARGETS["ratio"], higher=True)


def report(what: str, figure: str, value: float | None, target: float | None, higher: bool = False) -> None:
    """One line: the figure, and against its target where it has one."""
    verdict = ""
    if target is not None and value is not None:
        met = value >= target if higher else value <= target
        shown = f"{target:,}" if higher else f"{target * 1000:,.0f} ms" if target < 1 else f"{target:,.0f} s"
        verdict = f"  (target {'≥' if higher else '<'} {shown}: {'met' if met else 'MISSED'})"
    print(f"  {what:<44} {figure}{verdict}", flush=True)


def timed(action: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Seconds of each run (after one warm-up run) and the last result."""
    result = action()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[-1] if len(seconds) >= 2 else seconds[0]


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class Miner:
    """Anvil without automine, and a thread that mines the transactions waiting once a wave is sent (none came
    in for a poll) or once there are sqrt(4/3 × transactions so far) of them. Anvil 1.7 (the newest release)
    does two things whose cost grows with the chain: it rebuilds its whole state trie for every block (about
    1.4 µs a storage slot: 1.4 s a block once a million purchases are stored; foundry-rs/foundry pull request
    15715 fixed it after 1.7.1), and it builds a receipt by going through its block (about 1 µs a transaction
    in the block, for each receipt: 10,000 receipts of a 10,000-transaction block take 105 s). A transaction's
    share of the two is least with blocks of about sqrt(4/3 × storage slots) transactions; a purchase stores
    one slot. The first runs had a block a second: anvil went at 465/s over the first 440,000 purchases, then
    slowed down (90/s at 680,000)."""

    def __init__(self, url: str) -> None:
        self.url, self.session, self.stopping = url, requests.Session(), threading.Event()
        self.blocks = self.mined = 0
        """Blocks mined, and transactions counted waiting when each was mined (a few more may have come in)."""
        self.thread = threading.Thread(target=self._run, name="miner", daemon=True)

    def __enter__(self) -> Miner:
        self._ask("evm_setAutomine", False)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join()
        self._ask("evm_setAutomine", True)
        print(f"    ({self.blocks:,} blocks mined)", flush=True)

    def _ask(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        return self.session.post(self.url, json=body, timeout=600).json()["result"]

    def _run(self) -> None:
        seen = 0
        while not self.stopping.wait(0.02):
            waiting = int(self._ask("txpool_status")["pending"], 16)
            if waiting and (waiting == seen or waiting >= math.isqrt(self.mined * 4 // 3)):
                self._ask("evm_mine")
                self.blocks, self.mined, waiting = self.blocks + 1, self.mined + waiting, 0
            seen = waiting


class Bench:
    """A ledger on anvil with shops and funded customers, written to and read back."""

    def __init__(self, chain: AnvilChain, shops: int, customers: int) -> None:
        self.chain, self.rng = chain, random.Random(2026)
        deployer = chain.accounts()[0]
        self.ledger = Ledger.deploy(chain, deployer)
        self.customers = [Account.from_key(keccak(text=f"bench customer {n}")) for n in range(customers)]
        owners = [Account.from_key(keccak(text=f"bench shop {n}")) for n in range(shops)]
        self._fund([account.address for account in self.customers + owners])
        self.shops = [self.ledger.register_merchant(owner) for owner in owners]
        self.terms = [shop.publish_terms(30 * DAY) for shop in self.shops]
        self.buy, self.give_back = encoder(self.ledger.contract, "buy"), encoder(self.ledger.contract, "returnItems")
        self.count = 0

    def _fund(self, addresses: list[str]) -> None:
        self._rpc([("anvil_setBalance", [address, hex(10**30)]) for address in addresses])

    def _rpc(self, requests_: list[tuple[str, list[Any]]]) -> None:
        body = [{"jsonrpc": "2.0", "id": n, "method": method, "params": params}
                for n, (method, params) in enumerate(requests_)]
        requests.post(self.chain.url, json=body, timeout=60).raise_for_status()

    def write(self, total: int) -> tuple[float, float]:
        """Write ``total`` purchases (and return about 5 %) through the bulk path; purchases per second over
        the first ``FIRST`` and over them all."""
        started, written, first = time.perf_counter(), 0, 0.0
        while written < total:
            batch = min(ROUND, total - written, FIRST - written if written < FIRST else ROUND)
            bought = self._round(batch)
            written += batch
            rate = written / (time.perf_counter() - started)
            first = first or (rate if written >= min(FIRST, total) else 0.0)
            print(f"    {written:>10,} purchases  {rate:,.0f}/s  (returned {bought:,} this round)", flush=True)
        return first, written / (time.perf_counter() - started)

    def _round(self, size: int) -> int:
        expiry = self.chain.now() + 30 * DAY
        plans = []
        for _ in range(size):
            shop = self.rng.randrange(len(self.shops))
            lines = tuple(LineItem(self.rng.choice(SKUS), self.rng.randint(1, 3), self.rng.randint(1, 500) * 10**12)
                          for _ in range(self.rng.randint(1, 3)))
            plans.append((shop, self.rng.choice(self.customers), lines))
        calls: list[Call] = []
        for shop_index, shop in enumerate(self.shops):
            mine = [plan for plan in plans if plan[0] == shop_index]
            terms = self.terms[shop_index]
            orders = [Order(merchant_id=shop.merchant_id, terms_id=terms.id, lines=lines,
                            order_ref="0x" + (self.count + n).to_bytes(32, "big").hex(), expiry=expiry,
                            return_window=terms.return_window, restocking_fee_bps=terms.restocking_fee_bps,
                            delivery_wait=terms.delivery_wait, item_must_be_returned=terms.item_must_be_returned,
                            customer=customer.address) for n, (_, customer, lines) in enumerate(mine)]
            self.count += len(orders)
            signed = sign_orders(shop.account, orders, self.chain.chain_id, self.ledger.address)
            calls += [Call(customer, self.buy(s.order.packed(), s.order.line_tuples(), 0,
                                              bytes.fromhex(s.signature[2:])), s.order.total)
                      for (_, customer, _), s in zip(mine, signed)]
        results = self.ledger.send_many(calls, wave_size=WAVE).results()
        returns = []
        for call, result in zip(calls, results):
            if self.rng.random() < 0.05:
                purchase = self.ledger.purchase_from_event(result.named("PurchaseRecorded")[0])
                mask = purchase.mask_of([0])
                returns.append(Call(call.account, self.give_back(
                    purchase.order.packed(), purchase.lines_to_send(mask), mask, bytes(32))))
        self.ledger.send_many(returns, wave_size=WAVE).results()
        return len(returns)

    def one_by_one(self, count: int) -> float:
        """Purchases per second made one at a time: the shop quotes, the customer buys. Anvil mines each
        transaction at once (automine), on a fresh chain: the fastest one at a time can go here."""
        shop, terms = self.shops[0], self.terms[0]
        started = time.perf_counter()
        for n in range(count):
            customer = self.ledger.customer_desk(self.customers[n % len(self.customers)])
            customer.buy(shop.quote(terms.id, [LineItem("ONE", 1, 10**12)], f"ONE-{n}", customer=customer.address))
        return count / (time.perf_counter() - started)


class Reads:
    """The reads of a written chain: decoding, catch-ups, queries from the index and from the logs."""

    def __init__(self, chain: Chain, ledger: Ledger, shop: int) -> None:
        self.chain, self.ledger, self.shop = chain, ledger, shop
        self.history_seconds: dict[str, float] = {}
        """Median seconds of the busiest customer's history, per backend (for the log-scan ratio)."""
        self.busiest = ""

    def run(self, args: argparse.Namespace) -> None:
        self.decoding()
        backends = [("SQLite", lambda: f"sqlite:///{tempfile.mkdtemp(prefix='ledger-bench-')}/history.sqlite")]
        if not args.no_postgres:
            backends.append(("PostgreSQL", None))
        for name, make_url in backends:
            if make_url is None:
                with postgres_server.temporary_server({"shared_buffers": "512MB", "synchronous_commit": "off"}) as server:
                    self.index_and_query(name, postgres_server.create_database(server, "bench"), args.repeat)
            else:
                self.index_and_query(name, make_url(), args.repeat)
        self.log_scan(max(3, args.repeat // 10))

    def decoding(self, sample: int = 200_000) -> None:
        """Decode ``sample`` raw logs already in memory (the first ones): the decoder's own rate."""
        head = self.chain.w3.eth.block_number
        logs: list[dict[str, Any]] = []
        start = self.ledger.from_block
        while start <= head and len(logs) < sample:  # a few blocks at a time: a block holds hundreds of logs
            end = min(head, start + 9)
            body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [{
                "address": [self.ledger.address], "fromBlock": hex(start), "toBlock": hex(end)}]}
            logs += requests.post(self.chain.url, json=body, timeout=300).json()["result"]
            start = end + 1
        logs = logs[:sample]
        decoder = Decoder([self.ledger.contract.abi, self.ledger.feedback.abi])
        started = time.perf_counter()
        for log in logs:
            decoder.decode(log)
        rate = len(logs) / (time.perf_counter() - started)
        report("decoding alone", f"{rate:,.0f} events/s over {len(logs):,} logs", rate, TARGETS["decoding"], higher=True)

    def index_and_query(self, backend: str, url: str, repeat: int) -> None:
        """Catch an index up from block 0, then time the queries read from it."""
        memory: list[tuple[int, float]] = []
        history = History(self.ledger.contracts, url)
        started = time.perf_counter()

        def progress(sync: Any) -> None:
            if not memory or sync.records - memory[-1][0] >= 50_000:
                memory.append((sync.records, rss_mb()))

        done = history.sync(progress)
        seconds = time.perf_counter() - started
        history.close()
        rate = done.records / seconds
        report(f"{backend}: catch-up from block 0", f"{done.records:,} events in {seconds:,.0f} s = {rate:,.0f} events/s",
               rate, TARGETS["catch-up"], higher=True)
        path = ", ".join(f"{n // 1000:,}k: {mb:,.0f}" for n, mb in memory[:: max(1, len(memory) // 6)])
        report(f"{backend}: memory along the catch-up (MB)", path or "-", None, None)

        reader = Ledger(self.chain, self.ledger.address, self.ledger.feedback.address, self.ledger.from_block, url)
        customer = self._busiest_customer(reader)
        gc.collect()  # as `ledger serve` does at start: what lives on is left out of the collector's full passes
        gc.freeze()
        seconds, found = timed(lambda: reader.purchases(customer=customer), repeat)
        report(f"{backend}: one customer's history ({len(found):,} purchases)", f"p95 {p95(seconds) * 1000:,.1f} ms",
               p95(seconds), TARGETS["customer"])
        self.history_seconds[backend] = statistics.median(seconds)
        shop = self.shop
        seconds, page = timed(lambda: reader.purchases(merchant_id=shop, status=Status.OPEN, limit=100), repeat)
        report(f"{backend}: a shop's first page of {len(page)} open purchases", f"p95 {p95(seconds) * 1000:,.1f} ms",
               p95(seconds), TARGETS["shop page"])
        seconds, figures = timed(lambda: reader.figures(shop), max(3, repeat // 10))
        report(f"{backend}: figures of a shop of {figures[0].purchases:,} purchases", f"p95 {p95(seconds):,.2f} s",
               p95(seconds), TARGETS["figures"])
        reader.history.close()
        self.busiest = customer

    def _busiest_customer(self, reader: Ledger) -> str:
        """The customer with the most purchases (about 1,000 at 1,000,000 purchases and 1,000 customers)."""
        from sqlalchemy import func, select

        from ledger.history import schema

        with reader.history.store.reading() as db:
            return db.execute(select(schema.purchases.c.customer).group_by(schema.purchases.c.customer)
                              .order_by(func.count().desc()).limit(1)).scalar_one()

    def log_scan(self, repeat: int) -> None:
        """The same customer's history read from the chain's logs (no index), for the ratio."""
        reader = Ledger(self.chain, self.ledger.address, self.ledger.feedback.address, self.ledger.from_block, False)
        seconds, found = timed(lambda: reader.purchases(customer=self.busiest), repeat)
        scan = statistics.median(seconds)
        report(f"log scan: one customer's history ({len(found):,} purchases)", f"median {scan * 1000:,.0f} ms", None,
               None)
        for backend, indexed in self.history_seconds.items():
            report(f"log scan / {backend} index", f"{scan / indexed:,.0f}x", None, None)


if __name__ == "__main__":
    main()
