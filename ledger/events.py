"""Decoded chain data (events, call results) to the library's values."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from eth_utils import to_checksum_address

from . import validate
from .chain import Chain
from .models import (
    Channel,
    ContactKind,
    ContactMoment,
    Event,
    Purchase,
    Reason,
    Refund,
    Settlement,
    TxResult,
)
from .orders import LineItem, Order


def line_from_chain(raw: dict[str, Any] | Sequence[Any]) -> LineItem:
    """A line as an event or call returns it."""
    sku, quantity, unit_price = (raw["sku"], raw["quantity"], raw["unitPrice"]) if isinstance(raw, dict) else raw
    sku_bytes = bytes.fromhex(sku[2:]) if isinstance(sku, str) else bytes(sku)
    return LineItem(sku=validate.sku_text(sku_bytes), quantity=quantity, unit_price=unit_price)


def goodwill_kind(line_mask: int) -> str:
    """What a ``GoodwillRefunded`` refund is: ``kept`` when it names lines (a refund without return: the
    customer keeps them), else ``goodwill``."""
    return "kept" if line_mask else "goodwill"


def purchase_of(event: Event) -> Purchase:
    """A purchase as its ``PurchaseRecorded`` event tells it (state not read yet: ``LedgerContracts.with_state``)."""
    args = event.args
    lines = tuple(line_from_chain(line) for line in args["lines"])
    order = Order.unpack((args["head"], args["payment"], args["referral"], 0, b"", args["orderRef"]), lines)
    return Purchase(
        id=args["purchaseId"], customer=to_checksum_address(args["customer"]), order=order, paid=order.total,
        purchased_at=0, block_number=event.block_number, tx_hash=event.tx_hash,
    )


def contact_of(event: Event) -> ContactMoment:
    """A ``ContactLogged`` event's contact moment (not yet marked counted or not)."""
    args = event.args
    purchase_id = args["purchaseId"]
    return ContactMoment(
        merchant_id=args["merchantId"],
        customer=args["customer"],
        purchase_id=None if int(purchase_id, 16) == 0 else purchase_id,
        logged_by=args["loggedBy"],
        channel=Channel(args["channel"]),
        kind=ContactKind(args["kind"]),
        occurred_at=args["occurredAt"],
        content_hash=args["contentHash"],
        block_number=event.block_number,
        tx_hash=event.tx_hash,
    )


def refund_of(event: Event, customer: str, merchant_id: int, at: int,
              exchanged: Collection[tuple[str, str]] = frozenset()) -> Refund:
    """The refund an ``ItemsReturned``, ``CreditIssued``, ``BonusCredited`` or ``GoodwillRefunded`` event paid
    ``customer`` of shop ``merchant_id`` at time ``at`` (its block's); a return whose (transaction, purchase)
    is in ``exchanged`` paid a new purchase (an exchange)."""
    args = event.args
    lines = tuple(i for i in range(32) if args.get("lineMask", 0) >> i & 1)
    common = {"purchase_id": args["purchaseId"], "customer": customer, "lines": lines,
              "block_number": event.block_number, "tx_hash": event.tx_hash, "merchant_id": merchant_id,
              "refunded_at": at}
    if event.name == "CreditIssued":
        return Refund(amount=args["amount"] + args["bonus"], kind="credit", reference=args["shipmentRef"], by=customer,
                      **common)
    if event.name == "BonusCredited":
        return Refund(amount=args["bonus"], kind="bonus", by=customer, **common)
    if event.name == "ItemsReturned":
        kind = "exchange" if (event.tx_hash, args["purchaseId"]) in exchanged else "return"
        return Refund(amount=args["refund"], kind=kind, reference=args["shipmentRef"], by=customer, **common)
    return Refund(amount=args["amount"], kind=goodwill_kind(args["lineMask"]), reference=args["note"],
                  reason=Reason(args["reason"]), by=args["agent"], **common)


def refund_in(result: TxResult, name: str, purchase: Purchase, chain: Chain,
              exchanged: Collection[tuple[str, str]] = frozenset()) -> Refund:
    """The refund a transaction's first ``name`` event paid on ``purchase``, dated by its block."""
    return refund_of(result.named(name)[0], purchase.customer, purchase.merchant_id,
                     chain.block_time(result.block_number), exchanged)


def settlement_of(event: Event) -> Settlement:
    """A ``Settled`` event's settlement."""
    args = event.args
    return Settlement(
        args["purchaseId"], args["merchantId"], args["amount"], args["referrer"], args["commission"],
        event.block_number, event.tx_hash,
    )
