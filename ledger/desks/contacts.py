"""Contact moments as the contract's contact calls take them."""

from __future__ import annotations

from .. import validate
from ..models import Channel, ContactKind


def contact_fields(
    channel: Channel | str, kind: ContactKind | str, occurred_at: int | None, content_hash: bytes
) -> tuple[int, int, int, bytes]:
    """Channel, kind, time (0 for now) and content hash, as the contract's contact call takes them."""
    return (
        int(Channel.parse(channel)),
        int(ContactKind.parse(kind)),
        validate.non_negative(occurred_at or 0, "contact time"),
        validate.bytes32(content_hash, "content hash"),
    )
