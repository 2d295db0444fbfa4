"""The events a webhook posts, read from the index in chain order, as JSON-ready values.

Six types, each from one table of the index (``ledger.history.schema``): ``purchase``; ``return`` (lines taken
back, ``kind`` ``money`` or ``credit``: store credit, its bonus included); ``exchange`` (lines taken back that
paid a new purchase in the same transaction, which is a ``purchase`` of its own); ``refund`` (staff's goodwill
refund, ``because`` ``goodwill``, or ``kept`` when the customer keeps the lines; or a bonus credited later,
``kind`` ``credit``, ``because`` ``bonus``); ``contact``; ``settlement``. Amounts are decimal strings in the
token's smallest unit (a uint256 is wider than a JSON number can be read exactly), addresses checksummed, hashes
0x-hex. Nothing beyond what is on chain: a contact's or a note's text stays off chain, only its hash is here.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import Connection, Table, and_, or_, select

from ..history import schema
from ..models import Channel, ContactKind, Reason

Place = tuple[int, int]
"""Where an event is on chain: (block number, log index)."""

TYPES = ("purchase", "return", "exchange", "refund", "contact", "settlement")


@dataclass(frozen=True)
class Event:
    """One event to post, without its block's hash and time (read from the chain when it is sent)."""

    block_number: int
    log_index: int
    tx_hash: str
    type: str
    shop_id: int
    data: dict[str, Any]

    @property
    def place(self) -> Place:
        return self.block_number, self.log_index

    def event_id(self, chain_id: int) -> str:
        """``<chain id>:<transaction hash>:<log index>``: the same on every try and in every run (the index
        holds these three whatever it rebuilds), and another id for an event a reorg moved elsewhere."""
        return f"{chain_id}:{self.tx_hash}:{self.log_index}"

    def body(self, chain_id: int, ledger: str, block_hash: str, block_time: int) -> bytes:
        """The JSON a receiver gets, as bytes (what is signed)."""
        payload = {"id": self.event_id(chain_id), "type": self.type, "shop_id": self.shop_id, "chain_id": chain_id,
                   "ledger": ledger, "block": {"number": self.block_number, "hash": block_hash, "time": block_time},
                   "transaction": self.tx_hash, "log_index": self.log_index, "data": self.data}
        return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _lines(mask: int) -> list[int]:
    return [index for index in range(mask.bit_length()) if mask >> index & 1]


def _purchase(row: Any) -> tuple[str, dict[str, Any]]:
    lines = [{"sku": sku, "quantity": quantity, "unit_price": price} for sku, quantity, price in json.loads(row.line_items)]
    return "purchase", {
        "purchase_id": row.id, "customer": to_checksum_address(row.customer), "token": to_checksum_address(row.token),
        "total": str(row.total), "order_ref": row.order_ref, "lines": lines, "return_window": row.return_window,
        "delivery_wait": row.delivery_wait, "purchased_at": row.purchased_at}


_REFUND_TYPES = {"return": ("return", "money", None), "credit": ("return", "credit", None),
                 "exchange": ("exchange", None, None), "goodwill": ("refund", "money", "goodwill"),
                 "kept": ("refund", "money", "kept"), "bonus": ("refund", "credit", "bonus")}
"""A ``refunds`` row's kind as (type, kind, because)."""


def _refund(row: Any) -> tuple[str, dict[str, Any]]:
    kind, paid_as, because = _REFUND_TYPES[row.kind]
    data: dict[str, Any] = {"purchase_id": row.purchase_id, "customer": to_checksum_address(row.customer),
                            "amount": str(row.amount), "lines": _lines(row.line_mask), "reference": row.reference,
                            "by": to_checksum_address(row.by), "refunded_at": row.refunded_at}
    if paid_as is not None:
        data["kind"] = paid_as
    if because is not None:
        data["because"] = because
    if row.reason is not None:
        data["reason"] = Reason(row.reason).name.lower()
    return kind, data


def _contact(row: Any) -> tuple[str, dict[str, Any]]:
    return "contact", {"customer": to_checksum_address(row.customer), "purchase_id": row.purchase_id,
                       "logged_by": to_checksum_address(row.logged_by), "channel": Channel(row.channel).name.lower(),
                       "kind": ContactKind(row.kind).name.lower(), "occurred_at": row.occurred_at,
                       "content_hash": row.content_hash}


def _settlement(row: Any) -> tuple[str, dict[str, Any]]:
    return "settlement", {"purchase_id": row.purchase_id, "amount": str(row.amount),
                          "referrer": to_checksum_address(row.referrer), "commission": str(row.commission)}


_SOURCES: tuple[tuple[Table, Callable[[Any], tuple[str, dict[str, Any]]]], ...] = (
    (schema.purchases, _purchase), (schema.refunds, _refund), (schema.contacts, _contact),
    (schema.settlements, _settlement))


def pending(db: Connection, after: Place, up_to: int, merchant_id: int | None, limit: int) -> list[Event]:
    """The first ``limit`` events after ``after``, up to block ``up_to``, in chain order; of one shop, or of
    all (``merchant_id`` None). Each table is read in the order of its (block, log index) key and the runs are
    merged, so no query sorts."""
    block, log = after
    runs = []
    for table, made in _SOURCES:
        where = [or_(table.c.block_number > block, and_(table.c.block_number == block, table.c.log_index > log)),
                 table.c.block_number <= up_to]
        if merchant_id is not None:
            where.append(table.c.merchant_id == merchant_id)
        rows = db.execute(select(table).where(*where).order_by(table.c.block_number, table.c.log_index).limit(limit))
        runs.append([Event(row.block_number, row.log_index, row.tx_hash, *_typed(made, row)) for row in rows])
    return list(heapq.merge(*runs, key=lambda event: event.place))[:limit]


def _typed(made: Callable[[Any], tuple[str, dict[str, Any]]], row: Any) -> tuple[str, int, dict[str, Any]]:
    kind, data = made(row)
    return kind, int(row.merchant_id), data
