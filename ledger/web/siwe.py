"""Sign-In with Ethereum (EIP-4361): the message the server asks the wallet to sign, and its check.

The server writes the message itself: the site's own origin (``ledger serve --origin``, never the request's
``Host``, which a phishing site's back end could set to its own name), the ledger's chain id, a fresh nonce
and a short expiry. The message waits in the server's store under the visitor's session until it is signed,
and is taken when the signature comes, so it is used once, by this server or any other sharing the store.
What is left to check is that the signature over exactly that text comes from the address it names, before
it expires: an account's signature, or a contract wallet's ERC-1271 approval (``ledger.signatures``).
(The ``siwe`` package needs web3 < 8, so the check is ours.)
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from .. import signatures, validate
from ..errors import InvalidInput
from .errors import SignInRefused
from .store import WaitingSignIn

STATEMENT = "Sign in to see your purchases and returns. This costs nothing and sends no transaction."

VALID_FOR = 300
"""Seconds a sign-in message may wait for its signature."""



def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_for(address: str, domain: str, uri: str, chain_id: int, now: int) -> WaitingSignIn:
    """The EIP-4361 message for ``address`` to sign at ``domain`` (``host[:port]``), ``uri`` the site's origin."""
    address = validate.address(address, "wallet address")
    nonce = secrets.token_hex(12)
    expires_at = now + VALID_FOR
    text = (f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n{STATEMENT}\n\n"
            f"URI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n"
            f"Issued At: {_iso(now)}\nExpiration Time: {_iso(expires_at)}")
    return WaitingSignIn(address, text, nonce, expires_at)


def check(w3: Any, waiting: WaitingSignIn | None, signature: object, now: int) -> str:
    """The signed-in address, if ``signature`` signs the waiting message; ``SignInRefused`` otherwise."""
    if waiting is None:
        raise SignInRefused("no sign-in is waiting in this session (it was used or never asked for): "
                            "press “Sign in” again")
    if now >= waiting.expires_at:
        raise SignInRefused(f"the sign-in message expired at {_iso(waiting.expires_at)}: press “Sign in” again")
    if not isinstance(signature, str) or not signature.startswith("0x"):
        raise InvalidInput("the signature must be 0x followed by hex digits, as the wallet returns it")
    try:
        raw = bytes.fromhex(signature[2:])
    except ValueError as error:
        raise SignInRefused("the signature is not hex digits: sign the message again") from error
    digest = signatures.message_digest(waiting.text)
    if signatures.signed_by(w3, waiting.address, digest, raw):
        return waiting.address
    if w3.eth.get_code(waiting.address):
        raise SignInRefused(f"the wallet contract {waiting.address} does not accept this signature (ERC-1271): "
                            "sign again as the wallet asks (a Safe: enough of its owners)")
    signer = signatures.recover(digest, raw)
    if signer is not None:
        raise SignInRefused(f"the message was signed by {signer}, not by {waiting.address}: sign with that wallet")
    raise SignInRefused(f"the signature cannot be read as {waiting.address}'s: sign the message again with that "
                        "wallet")
