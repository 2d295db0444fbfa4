"""Checks on user input, done before anything is sent; each failure says what to give instead."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from eth_typing import ChecksumAddress
from eth_utils import is_address, keccak, to_checksum_address

from .errors import InvalidInput


def address(value: object, what: str = "address") -> ChecksumAddress:
    """A checksummed address, or ``InvalidInput``."""
    if isinstance(value, str) and is_address(value):
        if value != value.lower() and value[2:] != value[2:].upper() and to_checksum_address(value) != value:
            raise InvalidInput(f"{what} {value!r} has a wrong checksum: copy the address again")
        return to_checksum_address(value)
    raise InvalidInput(f"{what} {value!r} is not an address: give 0x followed by 40 hex digits")


MAX_ID = 2**63 - 1
"""The largest merchant or terms id: the contract's ids are 64 bits wide, but the index keeps them in signed 64-bit
columns (SQLite's INTEGER, PostgreSQL's BIGINT), which stop at 2^63 - 1. Nothing is lost: the contract numbers
its shops and terms from 1 up, one at a time."""


def positive(value: object, what: str = "amount (in the token's smallest unit)") -> int:
    """A positive integer, or ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(f"{what} must be a positive whole number, not {value!r}")
    return value


def identifier(value: object, what: str) -> int:
    """A merchant or terms id: a whole number from 1 to ``MAX_ID``, or ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{value!r} is not a {what}: {what}s are whole numbers from 1 to {MAX_ID}")
    return value


def non_negative(value: object, what: str) -> int:
    """A whole number of zero or more, or ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a whole number of zero or more, not {value!r}")
    return value


def bytes32(value: object, what: str) -> bytes:
    """32 bytes from bytes or a 0x-prefixed hex string of 64 digits, or ``InvalidInput``."""
    if isinstance(value, (bytes, bytearray)) and len(value) == 32:
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidInput(f"{what} {value!r} is not a 32-byte id: give 0x followed by 64 hex digits")


def hex_bytes(value: object, what: str) -> bytes:
    """Bytes from bytes or a 0x-prefixed hex string (a signature, a payload), or ``InvalidInput``."""
    if isinstance(value, (bytes, bytearray)) and value:
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) > 2:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidInput(f"the {what} is not hex: give 0x followed by an even number of hex digits")


def sku(value: object) -> bytes:
    """A SKU as the contract stores it: up to 32 bytes of UTF-8, left-aligned in a bytes32.

    A SKU that is not text (written on chain by another tool) travels as 0x and 64 hex digits.
    """
    if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
        return bytes32(value, "SKU")
    if not isinstance(value, str) or not value or value != value.strip():
        raise InvalidInput(f"SKU {value!r} must be a non-empty product code without surrounding spaces")
    encoded = value.encode()
    if len(encoded) > 32 or b"\0" in encoded:
        raise InvalidInput(f"SKU {value!r} is longer than 32 bytes: use a shorter product code")
    return encoded.ljust(32, b"\0")


def sku_text(raw: bytes) -> str:
    """The readable form of a stored SKU: its text, or 0x-hex when it is not plain UTF-8 text."""
    text = raw.rstrip(b"\0")
    try:
        decoded = text.decode()
    except UnicodeDecodeError:
        decoded = ""
    if not decoded or "\0" in decoded or decoded != decoded.strip() or decoded.startswith("0x"):
        return "0x" + raw.hex()
    return decoded


def hash_of(content: str | bytes) -> bytes:
    """keccak256 of off-chain content (a conversation, an order reference, a shipment number).

    Only this hash goes on chain; keep the content itself off chain to prove it later.
    """
    return keccak(content.encode() if isinstance(content, str) else content)


def check_scale(value: object, low: int, high: int, what: str) -> None:
    """``InvalidInput`` unless ``value`` is a whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low} to {high}, not {value!r}")


AMOUNT_UNITS = {"wei": 0, "gwei": 9, "eth": 18, "ether": 18}

MAX_AMOUNT = 2**128 - 1
"""The largest amount the ledger holds (amounts are 128-bit on chain), in the token's smallest unit."""


def parse_amount(text: str, decimals: int = 18, symbol: str = "ETH") -> int:
    """Smallest units in ``1.5`` (whole tokens, or ether), ``1.5eth``, ``20gwei`` or ``1000wei``; below 2^128."""
    match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    if not match:
        raise InvalidInput(f"{text!r} is not an amount: write it like 0.25, 1.5eth, 20gwei or 1000wei")
    number, unit = match.groups()
    if unit and unit not in AMOUNT_UNITS:
        raise InvalidInput(f"unknown unit {unit!r} in {text!r}: use eth, gwei or wei (or no unit)")
    places = AMOUNT_UNITS[unit] if unit else decimals
    try:
        value = Decimal(number.replace("_", "")) * (Decimal(10) ** places)
    except InvalidOperation as error:
        raise InvalidInput(f"{text!r} is not an amount") from error
    if value != value.to_integral_value():
        raise InvalidInput(f"{text!r} has more decimals than the token's {places}")
    if value > MAX_AMOUNT:
        largest = Decimal(MAX_AMOUNT) / Decimal(10) ** (places if unit else decimals)
        raise InvalidInput(f"{text!r} is more than the ledger can hold: amounts are below {largest:.3g} "
                           f"{unit or symbol}")
    return int(value)
