"""Times as people read them: an absolute UTC time and how far it is from now."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

CASHABLE_WHEN_CLOSED = 2**40 - 1
"""``Credit.cashable_at`` of credit the shop gave no cash-out delay for: it can be cashed out once the shop
retires all its terms (or no longer takes its token)."""


def utc(timestamp: int) -> str:
    """``2026-12-24 14:00 UTC`` for a Unix timestamp."""
    return local(timestamp, timezone.utc)


def iso(timestamp: int) -> str:
    """``2026-12-24T14:00:00Z``: ISO 8601 in UTC, what a spreadsheet reads."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(timestamp: int, zone: tzinfo | None = None) -> str:
    """``2026-12-24 15:00 CET``: the time in ``zone`` (the machine's own zone when None)."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def duration(seconds: int) -> str:
    """A short, rounded-down length of time: ``3 days``, ``5 hours``, ``1 minute``, ``12 seconds``."""
    seconds = abs(int(seconds))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def relative(timestamp: int, now: int) -> str:
    """``in 3 days``, ``3 days ago`` or ``now``."""
    if timestamp == now:
        return "now"
    return f"in {duration(timestamp - now)}" if timestamp > now else f"{duration(now - timestamp)} ago"


def when(timestamp: int, now: int) -> str:
    """``2026-12-24 14:00 UTC, 3 days ago``."""
    return f"{utc(timestamp)}, {relative(timestamp, now)}"
