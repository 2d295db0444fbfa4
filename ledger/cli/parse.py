"""Parsing what people type: amounts, durations, dates, purchase lines. Errors are ``InvalidInput``."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from ..errors import InvalidInput
from ..models import LineItem

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_AMOUNT_UNITS = {"wei": 0, "gwei": 9, "eth": 18, "ether": 18}


def duration(text: str) -> int:
    """Seconds in ``8d``, ``36h``, ``90m``, ``45s``, ``2w`` or ``1d12h``."""
    parts = re.findall(r"(\d+)\s*([smhdw])", text.strip().lower())
    if not parts or re.sub(r"\s", "", text.lower()) != "".join(n + u for n, u in parts):
        raise InvalidInput(f"{text!r} is not a duration: write it like 8d, 36h, 90m, 45s or 1d12h")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def days(text: str) -> int:
    """Whole days in ``7d``, ``2w`` or ``7``: window extensions and mandates are counted in days."""
    if text.strip().isdigit():
        return int(text)
    seconds = duration(text)
    if seconds % 86_400:
        raise InvalidInput(f"{text!r} is not a whole number of days: write it like 7d, 2w or 7")
    return seconds // 86_400


def amount(text: str, decimals: int = 18) -> int:
    """Smallest units in ``1.5`` (whole tokens, or ether), ``1.5eth``, ``20gwei`` or ``1000wei``."""
    match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    if not match:
        raise InvalidInput(f"{text!r} is not an amount: write it like 0.25, 1.5eth, 20gwei or 1000wei")
    number, unit = match.groups()
    if unit and unit not in _AMOUNT_UNITS:
        raise InvalidInput(f"unknown unit {unit!r} in {text!r}: use eth, gwei or wei (or no unit)")
    places = _AMOUNT_UNITS[unit] if unit else decimals
    try:
        value = Decimal(number.replace("_", "")) * (Decimal(10) ** places)
    except InvalidOperation as error:
        raise InvalidInput(f"{text!r} is not an amount") from error
    if value != value.to_integral_value():
        raise InvalidInput(f"{text!r} has more decimals than the token's {places}")
    return int(value)


def basis_points(text: str) -> int:
    """Basis points in ``5%``, ``2.5%`` or ``250bps``."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(%|bps)\s*", text.lower())
    if not match:
        raise InvalidInput(f"{text!r} is not a fee: write it like 5%, 2.5% or 250bps")
    number, unit = Decimal(match.group(1)), match.group(2)
    value = number * 100 if unit == "%" else number
    if value != value.to_integral_value():
        raise InvalidInput(f"{text!r} is finer than one basis point (0.01 %)")
    return int(value)


def moment(text: str, zone: tzinfo | None) -> int:
    """A Unix timestamp from ``2026-12-24``, ``2026-12-24T14:00`` (in ``zone``) or a number."""
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(f"{text!r} is not a date: write it like 2026-12-24 or 2026-12-24T14:00") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
    return int(parsed.timestamp())


def line(text: str, decimals: int = 18) -> LineItem:
    """A purchase line from ``SKU:QUANTITY:UNIT_PRICE``, e.g. ``MUG:2:0.01``."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        raise InvalidInput(f"{text!r} is not a line: write SKU:QUANTITY:UNIT_PRICE, e.g. MUG:2:0.01")
    return LineItem(parts[0], int(parts[1]), amount(parts[2], decimals))
