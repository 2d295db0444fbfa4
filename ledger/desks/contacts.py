"""Contact moments as the contract's contact calls take them, and the one check the contract cannot make: that
the purchase a contact names is its customer's, at its shop (it keeps contacts as events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import validate
from ..errors import InvalidInput
from ..models import Channel, ContactKind

if TYPE_CHECKING:
    from ..reading.reads import Reads

Made = Callable[[str], "tuple[str, int] | None"]
"""Who made a purchase and at which shop, given its id (None when it is not known there)."""


@dataclass(frozen=True)
class ContactRow:
    """One contact moment to log in bulk (``MerchantDesk.prepare_log_contacts``), as a CRM export gives it."""

    customer: str
    channel: Channel | str
    kind: ContactKind | str
    text: str | bytes = b""
    purchase_id: str | None = None
    occurred_at: int | None = None
    """Unix time; None for now."""


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


def purchase_key(purchase_id: str | bytes | None, customer: str, merchant_id: int, made: Made) -> bytes:
    """The purchase a contact carries (zero for none), refused in words unless ``made`` says ``customer`` made
    it at ``merchant_id``: a contact about someone else's purchase would count in figures it has no place in."""
    if not purchase_id:
        return bytes(32)
    key = validate.bytes32(purchase_id, "purchase id")
    short = "0x" + key.hex()[:8]
    found = made("0x" + key.hex())
    if found is None:
        raise InvalidInput(f"purchase {short}… was not made at merchant #{merchant_id}")
    buyer, shop = found
    if shop != merchant_id:
        raise InvalidInput(f"purchase {short}… was made at merchant #{shop}, not at merchant #{merchant_id}")
    if buyer != customer:
        raise InvalidInput(f"purchase {short}… was made by {buyer}, not by {customer}")
    return key


def contact_call(functions: Any, merchant_id: int, customer: str, purchase: bytes, channel: Channel | str,
                 kind: ContactKind | str, occurred_at: int | None, content_hash: bytes) -> Any:
    """The ``logContact`` call (``purchase`` checked by ``purchase_key``)."""
    return functions.logContact(merchant_id, customer, purchase, *contact_fields(channel, kind, occurred_at,
                                                                                content_hash))


def checked_contact_call(reads: Reads, merchant_id: int, customer: str, purchase_id: str | None,
                         channel: Channel | str, kind: ContactKind | str, occurred_at: int | None,
                         content_hash: bytes) -> Any:
    """The ``logContact`` call for one contact, its purchase (read through ``reads``) checked by ``purchase_key``."""
    def made(purchase_id: str) -> tuple[str, int]:
        purchase = reads.purchase(purchase_id)
        return purchase.customer, purchase.merchant_id

    key = purchase_key(purchase_id, customer, merchant_id, made)
    return contact_call(reads.contracts.functions, merchant_id, customer, key, channel, kind, occurred_at, content_hash)
