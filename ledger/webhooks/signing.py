"""Signing a webhook's body and checking the signature, as Stripe signs its webhooks.

The sender puts ``Ledger-Signature: t=<unix time>,v1=<hex>`` on each request, where the hex is
HMAC-SHA256, keyed with the shared secret, over ``<unix time>.<body>`` (the body's bytes exactly as sent). The
time is in what is signed so a receiver can refuse a request recorded and sent again later (a replay): one
signed more than ``TOLERANCE`` seconds from the receiver's clock is refused. Each try is signed anew, with the
time it is sent; the event's id (``Ledger-Event-Id``, also in the body) stays the same, which is what a
receiver keeps to take each event once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from ..errors import WebhookRejected

SIGNATURE_HEADER = "Ledger-Signature"
EVENT_ID_HEADER = "Ledger-Event-Id"
SCHEME = "v1"
"""The signature's scheme: a later scheme goes beside it in the same header, so receivers can move over."""

TOLERANCE = 300
"""Seconds a signature's time may be away from the receiver's clock (Stripe's default too)."""

MIN_SECRET = 16
"""Characters a secret must have at least: a shorter one could be found by trying."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``<timestamp>.<body>`` keyed with ``secret``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Ledger-Signature`` header's value for ``body`` sent now (or at ``timestamp``)."""
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},{SCHEME}={signature(secret, at, body)}"


def verify(secret: str, body: bytes, header: str | None, tolerance: int = TOLERANCE,
           now: int | None = None) -> dict[str, Any]:
    """The event a webhook request carries, once its ``Ledger-Signature`` header proves it was made with
    ``secret`` within ``tolerance`` seconds of ``now`` (this machine's clock by default); ``WebhookRejected``
    otherwise. ``body`` is the request's body as received, before any parsing: a body parsed and dumped again
    is not the same bytes. Signatures are compared in constant time."""
    if not header:
        raise WebhookRejected(f"the request has no {SIGNATURE_HEADER} header")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        (stamp,) = fields["t"]
        at = int(stamp)
    except (KeyError, ValueError) as error:
        raise WebhookRejected(f"the {SIGNATURE_HEADER} header has no single time t=<unix time>") from error
    clock = int(time.time()) if now is None else now
    if abs(clock - at) > tolerance:
        raise WebhookRejected(f"the request was signed {abs(clock - at)} s away from this clock (at most {tolerance} s "
                              "is taken): a replay, or a clock that is off")
    expected = signature(secret, at, body)
    if not any(hmac.compare_digest(expected, given) for given in fields.get(SCHEME, [])):
        raise WebhookRejected(f"no {SCHEME} signature in the {SIGNATURE_HEADER} header matches the body and the secret")
    try:
        event: dict[str, Any] = json.loads(body)
    except ValueError as error:
        raise WebhookRejected("the signed body is not JSON") from error
    return event
