"""Parsing what people type: ids, amounts, durations, dates, purchase lines. Errors are ``InvalidInput`` (or,
for a click parameter type, a usage error), in the user's words and units; numbers are bounded here, so a
value the chain cannot hold is refused before anything is looked up or sent."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from typing import Any

import click

from .. import validate
from ..errors import InvalidInput
from ..models import LineItem
from ..validate import parse_amount

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
MAX_DURATION = 2**32 - 1
"""The longest duration the ledger stores (windows, waits, delays are 32-bit seconds: about 136 years)."""

LAST_MOMENT = int(datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc).timestamp())
"""The latest time a date can name (and that times can be shown for)."""

_WHOLE = re.compile(r"[0-9]+")
"""A whole number in ASCII digits (``str.isdigit`` also takes ``²`` and other digits ``int`` refuses)."""


def whole(text: str) -> bool:
    """Whether ``text`` is a whole number written in ASCII digits."""
    return _WHOLE.fullmatch(text) is not None


class Identifier(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on; 8.1 to 8.3 cannot subscript it
    """A merchant or terms id: a whole number from 1 to ``validate.MAX_ID``."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.name = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and whole(value.strip()):
            number = int(value.strip())
        else:
            self.fail(f"{value!r} is not a {self.what}: give a whole number from 1, e.g. 1", param, ctx)
        try:
            return validate.identifier(number, self.what)
        except InvalidInput as error:
            self.fail(str(error), param, ctx)


MERCHANT_ID = Identifier("merchant id")
TERMS_ID = Identifier("terms id")


class LineNumber(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on; 8.1 to 8.3 cannot subscript it
    """A purchase's line as people count them (``--line 1`` is the first), as the library's index (0)."""

    name = "line"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if not whole(text) or int(text) == 0:
            self.fail(f"{value!r} is not a line: lines are counted from 1 (--line 1 is the first, as the tables "
                      "number them)", param, ctx)
        return int(text) - 1


LINE = LineNumber()


def line_numbers(indexes: Iterable[int]) -> str:
    """Lines as people count them: ``1, 3`` for the library's indexes 0 and 2."""
    return ", ".join(str(i + 1) for i in indexes)


def duration(text: str) -> int:
    """Seconds in ``8d``, ``36h``, ``90m``, ``45s``, ``2w`` or ``1d12h``; at most ``MAX_DURATION``."""
    parts = re.findall(r"([0-9]+)\s*([smhdw])", text.strip().lower())
    if not parts or re.sub(r"\s", "", text.lower()) != "".join(n + u for n, u in parts):
        raise InvalidInput(f"{text!r} is not a duration: write it like 8d, 36h, 90m, 45s or 1d12h")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in parts)
    if seconds > MAX_DURATION:
        raise InvalidInput(f"{text!r} is too long: durations are at most {MAX_DURATION // 86_400} days "
                           "(about 136 years)")
    return seconds


def days(text: str) -> int:
    """Whole days in ``7d``, ``2w`` or ``7``: window extensions and mandates are counted in days."""
    if whole(text.strip()):
        if int(text) * 86_400 > MAX_DURATION:
            raise InvalidInput(f"{text!r} days is too long: at most {MAX_DURATION // 86_400} days")
        return int(text)
    seconds = duration(text)
    if seconds % 86_400:
        raise InvalidInput(f"{text!r} is not a whole number of days: write it like 7d, 2w or 7")
    return seconds // 86_400


def basis_points(text: str, what: str = "fee") -> int:
    """Basis points in ``5%``, ``2.5%`` or ``250bps``, at most 100 %; ``what`` names it in messages (a
    restocking fee, a referral commission, a credit bonus)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(%|bps)\s*", text.lower())
    if not match:
        raise InvalidInput(f"{text!r} is not a {what}: write it like 5%, 2.5% or 250bps")
    number, unit = Decimal(match.group(1)), match.group(2)
    value = number * 100 if unit == "%" else number
    if value != value.to_integral_value():
        raise InvalidInput(f"a {what} of {text!r} is finer than one basis point (0.01 %)")
    if value > 10_000:
        raise InvalidInput(f"a {what} of {value / 100:g} % is more than 100 %: give at most 100 % (10000bps)")
    return int(value)


def moment(text: str, zone: tzinfo | None) -> int:
    """A Unix timestamp from ``2026-12-24``, ``2026-12-24T14:00`` (in ``zone``) or a number, up to year 9999."""
    if whole(text):
        stamp = int(text)
    else:
        try:
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone) if zone else parsed.astimezone()
            stamp = int(parsed.timestamp())
        except (ValueError, OverflowError) as error:
            raise InvalidInput(f"{text!r} is not a date: write it like 2026-12-24 or 2026-12-24T14:00") from error
    if not 0 <= stamp <= LAST_MOMENT:
        raise InvalidInput(f"{text!r} is out of range: give a date from 1970 to 9999")
    return stamp


def line(text: str, decimals: int = 18, symbol: str = "ETH") -> LineItem:
    """A purchase line from ``SKU:QUANTITY:UNIT_PRICE``, e.g. ``MUG:2:0.01``."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not whole(parts[1]):
        raise InvalidInput(f"{text!r} is not a line: write SKU:QUANTITY:UNIT_PRICE, e.g. MUG:2:0.01")
    return LineItem(parts[0], int(parts[1]), parse_amount(parts[2], decimals, symbol))


def a_number(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``nan`` passes a range check (it compares false with everything): refuse it here."""
    if math.isnan(value):
        raise click.BadParameter("'nan' is not a number: give one like 2 or 0.5")
    return value
