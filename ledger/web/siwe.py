"""Sign-In with Ethereum (EIP-4361): the message the server asks the wallet to sign, and its check.

The server writes the message itself (its own domain, the ledger's chain id, a fresh nonce, a short
expiry) and keeps it in the visitor's session until it is signed; so the only thing to check is that the
signature over exactly that text comes from the address it names, before it expires. The nonce is used
once: a signature seen before, or made for another session, finds no message waiting and is refused.
(The ``siwe`` package needs web3 < 8, so the check is ours, with eth-account.)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from eth_account import Account
from eth_account.messages import encode_defunct

from .. import validate
from ..errors import InvalidInput, LedgerError

STATEMENT = "Sign in to see your purchases and returns. This costs nothing and sends no transaction."

VALID_FOR = 300
"""Seconds a sign-in message may wait for its signature."""


class SignInRefused(LedgerError, PermissionError):
    """Raised when a sign-in signature is missing, malformed, expired, replayed or not the address's."""


@dataclass(frozen=True)
class SignInRequest:
    """A sign-in message waiting for its signature."""

    address: str
    text: str
    nonce: str
    expires_at: int


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_for(address: str, domain: str, uri: str, chain_id: int, now: int) -> SignInRequest:
    """The EIP-4361 message for ``address`` to sign at ``domain``."""
    address = validate.address(address, "wallet address")
    nonce = secrets.token_hex(12)
    expires_at = now + VALID_FOR
    text = (f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n{STATEMENT}\n\n"
            f"URI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n"
            f"Issued At: {_iso(now)}\nExpiration Time: {_iso(expires_at)}")
    return SignInRequest(address, text, nonce, expires_at)


def check(waiting: SignInRequest | None, signature: object, now: int) -> str:
    """The signed-in address, if ``signature`` signs the waiting message; ``SignInRefused`` otherwise."""
    if waiting is None:
        raise SignInRefused("no sign-in is waiting in this session (it was used or never asked for): "
                            "press “Sign in” again")
    if now >= waiting.expires_at:
        raise SignInRefused(f"the sign-in message expired at {_iso(waiting.expires_at)}: press “Sign in” again")
    if not isinstance(signature, str) or not signature.startswith("0x"):
        raise InvalidInput("the signature must be 0x followed by hex digits, as the wallet returns it")
    try:
        signer = Account.recover_message(encode_defunct(text=waiting.text), signature=signature)
    except Exception as error:  # eth-account raises several kinds for a malformed signature
        raise SignInRefused(f"the signature cannot be read ({error}): sign the message again") from error
    if signer != waiting.address:
        raise SignInRefused(f"the message was signed by {signer}, not by {waiting.address}: sign with that wallet")
    return signer
