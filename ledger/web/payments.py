"""Paying an order link: the shop's checkout hands the customer ``/pay?order=…`` carrying its signed order
(``SignedOrder.to_json``, base64url); the page shows the lines, the total, the terms in plain words and the
token, and the customer's wallet sends the ``buy`` transaction (the server never holds the customer's key).
An order in a token takes two: the wallet first approves the ledger to take the total, then pays."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from .. import render
from ..errors import InvalidInput, NotOrderCustomer
from ..models import NATIVE
from ..desks.customer import approval_needed, check_before_approving
from ..orders import SignedOrder
from . import wallet
from .views import check_csrf, page, signed_in, site

router = APIRouter()


def read_order(request: Request, encoded: str) -> SignedOrder:
    """The signed order a link carries (``SignedOrder.link``), for this ledger; ``InvalidInput`` for a damaged
    or foreign one."""
    signed = SignedOrder.from_link(encoded)
    ledger = site(request).ledger
    if (signed.chain_id, signed.ledger) != (ledger.chain.chain_id, ledger.address):
        raise InvalidInput(f"the order was signed for ledger {signed.ledger} on chain {signed.chain_id}, not for this "
                           f"one ({ledger.address} on chain {ledger.chain.chain_id}): ask the shop for a new link")
    return signed


@router.get("/pay", include_in_schema=False)
def pay_page(request: Request, order: str = "") -> Response:
    """The order to pay: lines, total, terms in words, token, and the button for the wallet."""
    signed = read_order(request, order)
    ledger = site(request).ledger
    purchase_id = signed.order.purchase_id(ledger.chain.chain_id, ledger.address)
    return page(request, "pay.html", o=signed.order, encoded=order, purchase_id=purchase_id,
                paid=_paid(ledger, purchase_id),
                terms=render.terms_words(signed.order), merchant=ledger.merchant(signed.order.merchant_id))


def _paid(ledger: Any, purchase_id: str) -> bool:
    """Whether the order was bought already (a purchase id is recorded once)."""
    state = ledger.call(ledger.contract.functions.purchaseState(bytes.fromhex(purchase_id[2:])))
    return ledger._fields(state, ("refunded", "purchasedAt"))[1] != 0


@router.post("/api/orders/prepare")
def prepare_payment(request: Request, order: str = Body(), csrf: str = Body()) -> dict:
    """The ``buy`` transaction for the wallet, after running it as the signed-in customer: an expired order, one
    already paid or a signature not from the shop's staff is refused here, in words, before the wallet asks."""
    check_csrf(request, csrf)
    me = signed_in(request)
    signed = read_order(request, order)
    ledger, o = site(request).ledger, signed.order
    if o.customer not in (NATIVE, me):
        raise NotOrderCustomer(o.purchase_id(ledger.chain.chain_id, ledger.address), o.customer, me)
    try:
        signature = bytes.fromhex(signed.signature.removeprefix("0x"))
    except ValueError as error:
        raise InvalidInput("the order's signature is not hex digits: ask the shop for a new link") from error
    purchase_id = o.purchase_id(ledger.chain.chain_id, ledger.address)
    if o.token != NATIVE:  # the ledger takes the token itself: first the wallet lets it, then it pays
        check_before_approving(ledger, signed)
        approval = approval_needed(ledger, me, o.token, o.total)
        if approval is not None:
            return {"transaction": wallet.prepare(ledger, me, approval), "approval": True, "purchase_id": purchase_id}
    buy = ledger.contract.functions.buy(o.packed(), o.line_tuples(), 0, signature)
    return {"transaction": wallet.prepare(ledger, me, buy, o.total if o.token == NATIVE else 0),
            "purchase_id": purchase_id}
