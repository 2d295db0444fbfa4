"""Hex and web3's decoded structures as plain values: the leaf every layer may use (imports nothing of ledger)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address


def hex_of(value: bytes | bytearray | str) -> str:
    """0x-hex of bytes; a string is taken as already hex."""
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def plain(value: Any) -> Any:
    """web3's AttributeDicts, tuples and bytes as plain dicts, lists and hex strings."""
    if isinstance(value, (bytes, bytearray)):
        return hex_of(value)
    if hasattr(value, "items"):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def topic(value: Any) -> str:
    """An indexed event argument as a log topic."""
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).rjust(32, b"\0").hex()
    text = str(value)
    if len(text) == 42:  # an address
        return "0x" + text[2:].lower().rjust(64, "0")
    return text.lower()


@lru_cache(maxsize=1 << 16)
def checksum(raw: bytes) -> ChecksumAddress:
    """The checksum form of a 20-byte address. Cached: the same few thousand addresses (customers, shops,
    tokens, the zero address) recur in every event and row, and each checksum costs a keccak."""
    return to_checksum_address(raw)
