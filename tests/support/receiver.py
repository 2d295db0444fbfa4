"""A webhook receiver for the tests, as a shop's back end would be: a real HTTP server on 127.0.0.1 that checks
each request's signature with ``ledger.webhooks.verify`` and keeps each event once by its id."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ledger.errors import WebhookRejected
from ledger.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify


class Receiver:
    """Takes events signed with ``secret``: ``taken`` in the order they came (each id once, as a receiver keeps
    them), ``posts`` how many times each id came. ``fail_next`` requests are answered 500; a request whose
    signature does not hold is answered 400 and counted in ``rejected``. ``on_taken`` runs after an event is
    kept, before the answer goes out."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.taken: list[dict[str, Any]] = []
        self.posts: Counter[str] = Counter()
        self.rejected: list[str] = []
        self.fail_next = 0
        self.failed = 0
        self.on_taken: Callable[[dict[str, Any]], None] | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(receiver._take(body, self.headers.get(SIGNATURE_HEADER),
                                                  self.headers.get(EVENT_ID_HEADER)))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ledger-events"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _take(self, body: bytes, signature: str | None, event_id: str | None) -> int:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                self.failed += 1
                return 500
            try:
                event = verify(self.secret, body, signature)
            except WebhookRejected as rejected:
                self.rejected.append(str(rejected))
                return 400
            assert event["id"] == event_id
            self.posts[event["id"]] += 1
            if self.posts[event["id"]] == 1:
                self.taken.append(event)
            if self.on_taken is not None:
                self.on_taken(event)
            return 200

    def ids(self) -> list[str]:
        return [event["id"] for event in self.taken]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
