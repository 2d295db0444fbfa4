"""The signature a receiver checks (``ledger.webhooks.verify``): made with the secret over the time and the body,
refused when the body, the secret or the header differ, or when it was made too long ago (a replay)."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest

from ledger.errors import WebhookRejected
from ledger.webhooks import TOLERANCE, sign, verify

SECRET = "whsec-test-0123456789abcdef"
BODY = b'{"id":"1337:0xab:3","type":"purchase"}'
AT = 1_800_000_000


def test_a_signature_is_hmac_sha256_over_the_time_and_the_body_as_stripe_makes_it() -> None:
    expected = hmac.new(SECRET.encode(), f"{AT}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, AT) == f"t={AT},v1={expected}"
    assert verify(SECRET, BODY, sign(SECRET, BODY, AT), now=AT + TOLERANCE) == {"id": "1337:0xab:3", "type": "purchase"}


def test_a_header_with_a_signature_of_a_later_secret_beside_it_still_verifies() -> None:
    header = f"t={AT},v1={'0' * 64}," + sign(SECRET, BODY, AT).split(",")[1]
    assert verify(SECRET, BODY, header, now=AT)["type"] == "purchase"


@pytest.mark.parametrize(("secret", "body", "header", "now", "said"), [
    ("another-secret-0123456789", BODY, sign(SECRET, BODY, AT), AT, "no v1 signature"),
    (SECRET, BODY.replace(b"purchase", b"refund"), sign(SECRET, BODY, AT), AT, "no v1 signature"),
    (SECRET, BODY, sign(SECRET, BODY, AT), AT + TOLERANCE + 1, "signed 301 s away"),
    (SECRET, BODY, sign(SECRET, BODY, AT), AT - TOLERANCE - 1, "a replay"),
    (SECRET, BODY, sign(SECRET, BODY, AT).replace(f"t={AT}", f"t={AT + 1}"), AT, "no v1 signature"),
    (SECRET, BODY, None, AT, "no Ledger-Signature header"),
    (SECRET, BODY, "v1=abc", AT, "no single time"),
    (SECRET, BODY, f"t=soon,v1={'0' * 64}", AT, "no single time"),
    (SECRET, b"not json", sign(SECRET, b"not json", AT), AT, "not JSON"),
])
def test_a_request_that_was_not_signed_with_the_secret_just_now_is_rejected(secret, body, header, now, said) -> None:
    with pytest.raises(WebhookRejected, match=said):
        verify(secret, body, header, now=now)


def test_the_docs_check_without_the_library_agrees_with_it() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    plain = next(block for block in re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
                 if "def verified" in block)
    scope: dict = {}
    exec(plain, scope)
    verified = scope["verified"]
    fresh = sign(SECRET, BODY)
    assert verified(SECRET, BODY, fresh) and verify(SECRET, BODY, fresh)
    assert not verified(SECRET, BODY + b" ", fresh) and not verified("another-secret-0123456789", BODY, fresh)
    assert not verified(SECRET, BODY, sign(SECRET, BODY, AT))  # long ago
