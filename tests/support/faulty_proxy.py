"""A JSON-RPC proxy for tests that makes the network misbehave between the library and a local node.

It listens on the loopback interface only and forwards to a node on the loopback interface only. A seeded
share of calls meets one fault each, so a run can be repeated exactly:

- ``drop_request``: the call never reaches the node; the connection is closed without an answer;
- ``drop_response``: the node runs the call, and its answer is thrown away (the dangerous case for a
  transaction: it was sent, and the sender cannot tell);
- ``delay``: the answer comes late (at most ``max_delay`` seconds);
- ``duplicate``: the node gets the call twice, and the sender gets the second answer (for a transaction,
  "already known" or "nonce too low" although the first copy was accepted);
- ``reorder``: the call is held back and reaches the node only after the next call (the sender was told
  the connection broke); in a batch, the answers come back shuffled.

Apart from those faults, the proxy can play a node whose back ends lag one another (``receipt_lag``): once
the node shows a transaction mined, its receipt (and the transaction itself) is answered as unknown for a
while, although the account's nonce and the blocks already show it; a seeded share of transactions
(``lost_receipts``) keeps its receipt hidden for longer (``lost_for``), as a receipt lost for a while.

Bounded: one request at most 1 MiB, at most ``MAX_CLIENTS`` served at once, one call held back at a time,
each forward with a timeout. ``go_away()`` makes it refuse every connection, as a node that stopped.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("drop_request", "drop_response", "delay", "duplicate", "reorder")
LAGGING = ("eth_getTransactionReceipt", "eth_getTransactionByHash")
"""What a back end that has not seen the newest block yet answers as unknown."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 1 << 20
MAX_CLIENTS = 16
FORWARD_TIMEOUT = 10.0


class FaultyProxy:
    """A proxy in front of the node at ``upstream``; ``url`` is where clients connect."""

    def __init__(self, upstream: str, rate: float = 0.2, seed: int = 0, faults: tuple[str, ...] = FAULTS,
                 max_delay: float = 0.05, rates: dict[str, float] | None = None, receipt_lag: float = 0.0,
                 lost_receipts: float = 0.0, lost_for: float = 1.0) -> None:
        """``rate``: the share of calls that meet a fault; ``rates`` overrides it per method. ``receipt_lag``:
        seconds a mined transaction's receipt stays hidden after the node first shows it; ``lost_receipts``:
        the share of transactions whose receipt stays hidden ``lost_for`` seconds instead."""
        target = urlsplit(upstream)
        if target.hostname not in LOOPBACK or target.port is None:
            raise ValueError(f"the proxy forwards to a node on this machine only, not to {upstream}")
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}: use {FAULTS}")
        self.upstream = (target.hostname, target.port)
        self.rate, self.rates, self.faults, self.max_delay = rate, rates or {}, faults, max_delay
        self.random = random.Random(seed)
        self.receipt_lag, self.lost_receipts, self.lost_for = receipt_lag, lost_receipts, lost_for
        self._visible_at: dict[str, float] = {}
        """Transaction hash → when its receipt may be shown (set when the node first shows it mined)."""
        self.seen: Counter[tuple[str, str]] = Counter()
        """(method, fault) → how many times it happened."""
        self.before_forward: Callable[[str], None] | None = None
        """Called with the method's name before a call reaches the node (tests change the node there)."""
        self._lock = threading.Lock()
        self._held: bytes | None = None
        self._gone = False
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._upstream = threading.local()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def count(self, fault: str, method: str | None = None) -> int:
        """How many calls (of ``method``, or of any) met ``fault``."""
        return sum(n for (m, f), n in self.seen.items() if f == fault and method in (None, m))

    def go_away(self) -> None:
        """Stop listening: every later connection is refused and every later request on a connection kept open
        goes unanswered, as by a node that stopped."""
        self._gone = True
        self._server.shutdown()
        self._server.server_close()

    def close(self) -> None:
        """Deliver a call still held back, then stop."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            try:
                self._forward(held)
            except OSError:  # the node is gone already: the held call is lost with it
                pass
        if self._thread.is_alive():
            self.go_away()

    def __enter__(self) -> FaultyProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ what happens to one request

    def _choose(self, method: str) -> str | None:
        with self._lock:
            if self.random.random() >= self.rates.get(method, self.rate):
                return None
            fault = self.random.choice(self.faults)
            self.seen[(method, fault)] += 1
            return fault

    def answer(self, body: bytes) -> bytes | None:
        """The answer to send back for ``body``, or None to close the connection without one."""
        request = json.loads(body)
        method = "batch" if isinstance(request, list) else str(request.get("method"))
        fault = self._choose(method)
        if fault == "drop_request":
            return None
        if fault == "reorder" and method != "batch":
            with self._lock:
                earlier, self._held = self._held, body
            if earlier is not None:
                self._forward(earlier)
            return None
        answer = self._forward(body)
        with self._lock:
            held, self._held = self._held, None
        if held is not None:  # the call held back reaches the node after this one
            self._forward(held)
        if fault == "duplicate":
            answer = self._forward(body)
        if self.receipt_lag or self.lost_receipts:
            answer = self._lagging(body, answer)
        if fault == "drop_response":
            return None
        if fault == "delay":
            time.sleep(self.random.uniform(0, self.max_delay))
        if fault == "reorder" and isinstance(answers := json.loads(answer), list):
            self.random.shuffle(answers)
            answer = json.dumps(answers).encode()
        return answer

    def _lagging(self, body: bytes, answer: bytes) -> bytes:
        """The answer with the receipts (and transactions) the lagging back end has not seen yet as unknown."""
        request, response = json.loads(body), json.loads(answer)
        calls = request if isinstance(request, list) else [request]
        results = response if isinstance(response, list) else [response]
        by_id = {result.get("id"): result for result in results if isinstance(result, dict)}
        now, hidden = time.monotonic(), False
        for call in calls:
            result = by_id.get(call.get("id"))
            if call.get("method") not in LAGGING or result is None or not result.get("result"):
                continue
            if result["result"].get("blockNumber") is None:
                continue  # pending: nothing to lag behind
            tx_hash = str(call["params"][0]).lower()
            with self._lock:
                if tx_hash not in self._visible_at:
                    lost = self.random.random() < self.lost_receipts
                    self._visible_at[tx_hash] = now + (self.lost_for if lost else self.receipt_lag)
                    self.seen[("receipt", "lost" if lost else "late")] += 1
            if now < self._visible_at[tx_hash]:
                result["result"], hidden = None, True
        return json.dumps(response).encode() if hidden else answer

    def _forward(self, body: bytes) -> bytes:
        if self.before_forward is not None:
            request = json.loads(body)
            for call in request if isinstance(request, list) else [request]:
                self.before_forward(str(call.get("method")))
        connection = getattr(self._upstream, "connection", None)
        if connection is None:  # one kept-alive connection to the node per serving thread
            connection = self._upstream.connection = http.client.HTTPConnection(*self.upstream, timeout=FORWARD_TIMEOUT)
        try:
            connection.request("POST", "/", body, {"Content-Type": "application/json"})
            return connection.getresponse().read(MAX_BODY)
        except (OSError, http.client.HTTPException):
            connection.close()
            self._upstream.connection = None
            raise


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A call that fails to reach the node ends its connection unanswered, as on a real network."""


def _handler(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """One HTTP request: read it (bounded), let the proxy decide, answer or hang up. The connection is kept
        open between requests (HTTP/1.1), as a node's is: a new one per call cost more than the calls."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, not a delayed acknowledgement apart

        def do_POST(self) -> None:
            if proxy._gone:
                self.close_connection = True
                return
            if not proxy._slots.acquire(blocking=False):
                self.send_error(503, "too many clients")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    self.send_error(413, "request too large or empty")
                    return
                answer = proxy.answer(self.rfile.read(length))
                if answer is None:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            finally:
                proxy._slots.release()

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read ``seen`` instead
            return

    return Handler
