"""Paying an order link: the shop's checkout hands the customer ``/pay?order=…`` carrying its signed order
(``SignedOrder.to_json``, base64url), or the short ``/o/<code>`` naming one kept here (``ledger.links``); the
page shows the lines, the total, the terms in plain words and the token, and the customer's wallet sends the
``buy`` transaction (the server never holds the customer's key). An order in a token takes two: the wallet
first approves the ledger to take the total, then pays.

What the page shows as the shop's offer is only what the shop signed: a link whose signature is not from the
shop's current staff, or that expired, was paid already or is made out to someone else, says so in words in
place of the offer, with no shop name over it and no button (``desks.customer.check_order``). An order the page
offers is kept under its short code, and the page shows the short link and its QR code, to open it on a phone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from .. import render
from ..desks.customer import check_order, exchangeable
from ..errors import LedgerError, OrderRefUsed, PurchaseExists
from ..links import SHORT_PATH, qr_svg
from ..models import NATIVE
from ..orders import SignedOrder
from .customer import customer_desk, hand_over
from .views import check_csrf, page, site, visitor, whole

router = APIRouter()


def read_order(encoded: str) -> SignedOrder:
    """The signed order a link carries (``SignedOrder.link``); ``InvalidInput`` for a damaged one."""
    return SignedOrder.from_link(encoded)


@router.get("/pay", include_in_schema=False)
def pay_page(request: Request, order: str = "") -> Response:
    """The order a self-contained link carries (``SignedOrder.link``), as ``order_page`` shows it."""
    return order_page(request, read_order(order))


@router.get(SHORT_PATH + "{code}", include_in_schema=False)
def short_pay_page(request: Request, code: str) -> Response:
    """The order kept under a short link's code (``links.OrderLinks``), as ``order_page`` shows it; an unknown
    code is a 404 in words."""
    return order_page(request, site(request).ledger.order_links.find(code))


def order_page(request: Request, signed: SignedOrder) -> Response:
    """The order to pay (lines, total, terms in words, token, the button for the wallet, a QR code of its short
    link), or, in place of all of it, the verdict of ``check_order``, the desk's own check: paid already (with
    the receipt for its buyer), expired, another buyer's, not signed by the shop's current staff. For a
    signed-in customer, the purchases whose lines could pay it in an exchange instead."""
    ledger, me = site(request).ledger, visitor(request)
    try:
        check_order(ledger.reads, signed, me)
    except (PurchaseExists, OrderRefUsed) as paid:
        bought = ledger.purchase(paid.purchase_id)
        return page(request, "pay.html", o=signed.order, paid=bought.id, status=409,
                    refused=str(paid) if isinstance(paid, OrderRefUsed) else None,
                    receipt=me == bought.customer)
    except LedgerError as refusal:
        return page(request, "pay.html", o=signed.order, refused=str(refusal), paid=None, status=409)
    if signed.order_number:  # the shop signed this order: its number is kept beside the order's hash
        ledger.names_store.keep_order_number(signed.order.merchant_id, signed.order.order_ref, signed.order_number)
    offers = [p for p in reversed(ledger.purchases(merchant_id=signed.order.merchant_id, customer=me))
              if exchangeable(p, signed.order)] if me else []
    held = ledger.credit(signed.order.merchant_id, me, signed.order.token).amount if me else 0
    link = ledger.order_links.link(signed, site(request).origin.url)  # check_order said the shop signed it
    return page(request, "pay.html", o=signed.order, number=signed.order_number, encoded=signed.encoded(),
                refused=None, paid=None, offers=offers, link=link, qr=qr_svg(link), credit=held,
                credit_use=min(held, signed.order.total),
                terms=render.terms_words(signed.order), merchant=ledger.merchant(signed.order.merchant_id),
                window_state=render.window_state)


@router.post("/api/orders/prepare")
def prepare_payment(request: Request, order: str = Body(), csrf: str = Body(),
                    use_credit: object = Body(default="0")) -> dict[str, Any]:
    """The ``buy`` transaction for the wallet, after running it as the signed-in customer: an expired order, one
    already paid or a signature not from the shop's staff is refused here, in words, before the wallet asks.
    ``use_credit`` (the smallest unit, as decimal text: a page's script would round a JSON number of wei) pays
    that much of the total with the customer's store credit at the shop; more than they hold is the contract's
    refusal, in words."""
    check_csrf(request, csrf)
    desk = customer_desk(request)
    signed = read_order(order)
    ledger, o = site(request).ledger, signed.order
    credit = whole(use_credit, "the store credit to use", "reload the order page")
    check_order(ledger.reads, signed, desk.address)
    purchase_id = o.purchase_id(ledger.chain.chain_id, ledger.address)
    prepared = desk.prepare_buy(signed, credit)  # the credit checked against the total first
    if o.token != NATIVE and o.total - credit:  # the ledger takes the token itself: first the wallet lets it
        approval = desk.prepare_approval(o.token, o.total - credit)
        if approval is not None:
            return hand_over(request, approval, approval=True, purchase_id=purchase_id)
    return hand_over(request, prepared, purchase_id=purchase_id)
