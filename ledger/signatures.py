"""Whose signature this is, checked the way the contract checks it, for accounts and contract wallets alike.

One place for every signature the library, the CLI and the page look at before they spend gas or open a
session: a sign-in message (EIP-191), a customer's return request and a shop's order (EIP-712 digests).

- An account signs with ECDSA: 65 bytes (r, s, v) or 64 (EIP-2098 r, vs). Some wallets (hardware wallets,
  some libraries) give ``v`` as 0 or 1 instead of 27 or 28; the contract's ECDSA recovery refuses those, so
  they are normalised here, and what is sent on chain is the normalised form.
- A contract wallet (a Safe, an ERC-4337 account) answers ERC-1271 ``isValidSignature(hash, signature)``
  with ``0x1626ba7e``. As OpenZeppelin's ``SignatureChecker`` does, an address with code is asked that way
  only, and an address without code must give an account signature.

Wallets not yet deployed (ERC-6492 counterfactual signatures) are not accepted: no well-kept Python library
checks them, and the contract would refuse them too.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode
from eth_account.messages import defunct_hash_message
from eth_keys import keys
from eth_utils import to_checksum_address

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
"""What ``isValidSignature`` returns for a signature the wallet accepts."""

ERC1271_ABI = [{"type": "function", "name": "isValidSignature", "stateMutability": "view",
                "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
                "outputs": [{"name": "magicValue", "type": "bytes4"}]}]

_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
"""Half the curve order: ECDSA signatures with a higher ``s`` are malleable copies, refused on chain."""


def normalised(signature: bytes) -> bytes:
    """A 65-byte account signature with ``v`` as 27/28 (0/1 from some wallets becomes 27/28); anything else
    as it is."""
    if len(signature) == 65 and signature[64] in (0, 1):
        return signature[:64] + bytes([signature[64] + 27])
    return signature


def recover(digest: bytes, signature: bytes) -> str | None:
    """The account that signed ``digest`` (an account's signature, as OpenZeppelin's ``ECDSA.tryRecover``
    reads it), or None for anything that is not one: wrong length, ``v`` not 27/28, a high ``s``."""
    signature = normalised(signature)
    if len(signature) == 64:
        vs = int.from_bytes(signature[32:], "big")
        signature = signature[:32] + (vs & (2**255 - 1)).to_bytes(32, "big") + bytes([27 + (vs >> 255)])
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    if int.from_bytes(signature[32:64], "big") > _HALF_ORDER:
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    try:
        public = keys.Signature(vrs=(signature[64] - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except Exception:  # eth-keys raises several kinds for (r, s) off the curve
        return None
    return public.to_checksum_address()


def wallet_accepts(w3: Any, wallet: str, digest: bytes, signature: bytes) -> bool:
    """Whether the contract at ``wallet`` answers ERC-1271 ``isValidSignature`` with the magic value (False for
    an address without code, and for a wallet that reverts or answers anything else)."""
    wallet = to_checksum_address(wallet)
    if not w3.eth.get_code(wallet):
        return False
    try:
        answer = w3.eth.contract(address=wallet, abi=ERC1271_ABI).functions.isValidSignature(
            digest, signature).call()
    except Exception:  # a revert, or an answer that is not ABI-encoded bytes4: not an acceptance
        return False
    return bytes(answer) == ERC1271_MAGIC


def signed_by(w3: Any, signer: str, digest: bytes, signature: bytes) -> bool:
    """Whether ``signer`` signed ``digest`` as the contract's ``SignatureChecker.isValidSignatureNow`` decides:
    an address with code is asked through ERC-1271 only; any other gives a 65-byte account signature (the
    64-byte EIP-2098 form, which the contract takes only for orders, is refused here too)."""
    signer = to_checksum_address(signer)
    if w3.eth.get_code(signer):
        return wallet_accepts(w3, signer, digest, signature)
    return len(normalised(signature)) == 65 and recover(digest, signature) == signer


def wallet_signature(wallet: str, payload: bytes) -> bytes:
    """A contract wallet's staff signature as the ledger takes it: ``abi.encode(wallet, payload)``, with what
    the wallet's ERC-1271 check accepts as payload (at least 96 bytes: never read as an account's 64 or 65)."""
    return encode(["address", "bytes"], [to_checksum_address(wallet), payload])


def order_signer(w3: Any, digest: bytes, signature: bytes) -> str | None:
    """Who signed an order, read as the contract reads the staff signature: an account's signature (64 or 65
    bytes), or a contract wallet's ``abi.encode(wallet, payload)`` (exactly that, ``wallet_signature``) whose
    ERC-1271 check accepts the payload; None for a signature that is neither."""
    if len(signature) in (64, 65):
        return recover(digest, signature)
    if len(signature) < 96 or len(signature) % 32:
        return None
    try:
        wallet, payload = decode(["address", "bytes"], signature)
    except Exception:  # not the two values: no reading, as the contract's decoding reverts
        return None
    if int.from_bytes(signature[32:64], "big") != 64 or len(signature) != 96 + -(-len(payload) // 32) * 32:
        return None
    return to_checksum_address(wallet) if wallet_accepts(w3, wallet, digest, payload) else None


def message_digest(text: str) -> bytes:
    """The EIP-191 digest a wallet signs for ``personal_sign`` of ``text`` (what ERC-1271 wallets are asked)."""
    return bytes(defunct_hash_message(text=text))
