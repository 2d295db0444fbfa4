"""Values between Python and the chain: hex, web3's decoded structures, lines, enums and line masks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from eth_utils import to_checksum_address

from . import validate
from .errors import InvalidInput
from .models import Channel, ContactKind, LineItem, Purchase, Reason, Status


def hex_of(value: bytes | str) -> str:
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


def line_from_chain(raw: dict[str, Any] | Sequence[Any]) -> LineItem:
    """A line as an event or call returns it."""
    sku, quantity, unit_price = (raw["sku"], raw["quantity"], raw["unitPrice"]) if isinstance(raw, dict) else raw
    sku_bytes = bytes.fromhex(sku[2:]) if isinstance(sku, str) else bytes(sku)
    return LineItem(sku=validate.sku_text(sku_bytes), quantity=quantity, unit_price=unit_price)


def as_line(line: LineItem | Sequence[Any]) -> LineItem:
    """A ``LineItem`` from itself or a (sku, quantity, unit price) tuple."""
    if isinstance(line, LineItem):
        return line
    try:
        return LineItem(*line)
    except TypeError as error:
        raise InvalidInput(f"a line is a (sku, quantity, unit price), not {line!r}") from error


def enum_value(kind: type[Channel] | type[ContactKind] | type[Reason], value: Any) -> int:
    """An enum member, or its name in any case with - or space for _, as the contract's number."""
    if isinstance(value, kind):
        return int(value)
    try:
        return int(kind[str(value).upper().replace("-", "_").replace(" ", "_")])
    except KeyError as error:
        choices = ", ".join(member.name.lower() for member in kind)
        raise InvalidInput(f"{value!r} is not a {kind.__name__.lower()}: choose one of {choices}") from error


def line_mask(purchase: Purchase, lines: Sequence[int] | None) -> int:
    """The bit mask of the lines to return (every open line by default), checked against the purchase."""
    if lines is not None and not lines:
        raise InvalidInput("no line named: give the index of at least one line, or none for every open line")
    indexes = tuple(purchase.open_lines if lines is None else lines)
    if not indexes:
        raise InvalidInput(f"every line of purchase {purchase.id[:10]}… was already returned")
    for index in indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(purchase.lines):
            raise InvalidInput(
                f"line {index!r} does not exist: purchase {purchase.id[:10]}… has lines 0 to {len(purchase.lines) - 1}"
            )
    return sum(1 << index for index in set(indexes))


def lines_for(purchase: Purchase, mask: int) -> list[tuple[bytes, int, int]]:
    """The lines to pass with a return: none when it returns every line of an untouched purchase (the
    contract then needs no lines, which saves calldata), else all of them."""
    if not purchase.returned_lines and mask == (1 << len(purchase.lines)) - 1:
        return []
    return purchase.order.line_tuples()


def check_scale(value: object, low: int, high: int, what: str) -> None:
    """``InvalidInput`` unless ``value`` is a whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low} to {high}, not {value!r}")


def status(value: Status | str) -> Status:
    """A purchase status from itself or its name."""
    try:
        return Status(value)
    except ValueError as error:
        choices = ", ".join(item.value for item in Status)
        raise InvalidInput(f"{value!r} is not a purchase status: choose one of {choices}") from error


def contact_fields(
    channel: Channel | str, kind: ContactKind | str, occurred_at: int | None, content_hash: bytes
) -> tuple[int, int, int, bytes]:
    """Channel, kind, time (0 for now) and content hash, as the contract's contact call takes them."""
    return (
        enum_value(Channel, channel),
        enum_value(ContactKind, kind),
        validate.non_negative(occurred_at or 0, "contact time"),
        validate.bytes32(content_hash, "content hash"),
    )


@lru_cache(maxsize=1 << 16)
def checksum(raw: bytes) -> str:
    """The checksum form of a 20-byte address. Cached: the same few thousand addresses (customers, shops,
    tokens, the zero address) recur in every event and row, and each checksum costs a keccak."""
    return to_checksum_address(raw)


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
