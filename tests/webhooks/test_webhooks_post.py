"""One request to a receiver (``delivery.post``): anything but a 2xx is a failure told in words, a redirect
included; never an exception of the network's own."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledger.webhooks.delivery import Undelivered, post


def answering(status: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Location", "https://elsewhere.example/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("status", "said"), [
    (500, "the receiver answered HTTP 500"), (404, "the receiver answered HTTP 404"),
    (302, "the receiver answered HTTP 302 (a redirect is not followed: give the address it points to)"),
    (307, "the receiver answered HTTP 307 (a redirect is not followed"),
])
def test_an_answer_other_than_2xx_is_a_failure_in_words(status, said) -> None:
    server = answering(status)
    try:
        with pytest.raises(Undelivered, match=said.replace("(", r"\(").replace(")", r"\)")):
            post(f"http://127.0.0.1:{server.server_address[1]}/hook", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()


def test_a_2xx_is_taken() -> None:
    server = answering(204)
    try:
        post(f"http://127.0.0.1:{server.server_address[1]}/hook", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()


def test_a_receiver_that_never_answers_is_given_up_after_the_timeout() -> None:
    with socket.socket() as silent:  # takes the connection (the backlog) and never reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(Undelivered, match=r"^no answer within 0.2 s$"):
            post(f"http://127.0.0.1:{silent.getsockname()[1]}/hook", b"{}", {}, timeout=0.2)


def test_a_receiver_that_is_not_running_is_a_refused_connection() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]  # nothing listens there once it is closed
    with pytest.raises(Undelivered, match="the connection was refused"):
        post(f"http://127.0.0.1:{port}/hook", b"{}", {})
