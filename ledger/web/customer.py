"""The customer's pages: my purchases across shops, and a return signed in the wallet and relayed by the
server (the customer needs no ether), or taken as store credit in a transaction the wallet sends (the
contract gives credit only to the buyer who calls it)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import Response
from pydantic import StrictInt

from .. import render, validate
from ..desks import CustomerDesk
from ..desks.customer import bonus_later
from ..desks.prepared import Prepared
from ..errors import (
    InvalidInput,
    LedgerError,
    TextNotFound,
)
from ..models import CREDIT_KINDS, MONEY_KINDS, Purchase, SignedReturn
from ..reading.reads import unanswered
from ..revert import mapped_errors
from . import returns, wallet
from .texts import hold, keep_landed
from .views import check_csrf, page, signed_in, site, whole

router = APIRouter()


def customer_desk(request: Request) -> CustomerDesk:
    """The signed-in visitor's desk (``NotSignedIn`` first): it prepares the actions the visitor's wallet sends."""
    return site(request).ledger.customer_desk(signed_in(request))


def hand_over(request: Request, prepared: Prepared[Any], **more: Any) -> dict[str, Any]:
    """A prepared action as the transaction for the visitor's wallet (run as that wallet first: what the
    contract would refuse is refused here), its texts held until it lands."""
    transaction = wallet.prepare(site(request).ledger, signed_in(request), prepared.function, prepared.value)
    hold(request, prepared.texts)
    return {"transaction": transaction, **more}


def own_purchase(request: Request, purchase_id: str, customer: str) -> Purchase:
    """One of the visitor's purchases (``NotCustomer`` for anyone else's)."""
    return site(request).ledger.customer_desk(customer).purchase(purchase_id)


@router.get("/purchases", include_in_schema=False)
def my_purchases(request: Request) -> Response:
    """Every purchase of the signed-in customer, newest first, with contacts and the notes kept for them, and
    which returned lines went in an exchange."""
    me = signed_in(request)
    ledger = site(request).ledger
    purchases = list(reversed(ledger.purchases(customer=me)))
    contacts: dict[str | None, list[Any]] = defaultdict(list)
    for contact in ledger.contacts(customer=me):
        contacts[contact.purchase_id].append((contact, _text(request, contact.content_hash)))
    reviews = {r.purchase_id: (r, _text(request, r.text_hash)) for r in ledger.reviews() if r.customer == me}
    scores = {s.subject: s.score for kind in ("nps", "csat") for s in ledger.scores(kind) if s.customer == me}
    refunds = ledger.refunds(customer=me)
    exchanged = {(r.purchase_id, line) for r in refunds if r.kind == "exchange" for line in r.lines}
    back: dict[str, dict[str, int]] = defaultdict(lambda: {"money": 0, "credit": 0})
    for refund in refunds:
        if refund.kind in MONEY_KINDS or refund.kind in CREDIT_KINDS:
            back[refund.purchase_id]["money" if refund.kind in MONEY_KINDS else "credit"] += refund.amount
    credit = [(merchant_id, token, held) for merchant_id, token in sorted({(p.merchant_id, p.token) for p in purchases})
              if (held := ledger.credit(merchant_id, me, token)).amount]
    return page(request, "purchases.html", purchases=purchases, contacts=contacts, reviews=reviews, scores=scores,
                exchanged=exchanged, back=back, credit=credit, window_state=render.window_state,
                numbers=ledger.order_numbers(purchases))  # every card's order number in one read


def _text(request: Request, content_hash: str) -> Any:
    try:
        return site(request).texts.get(content_hash)
    except TextNotFound:
        return None


@router.get("/purchases/{purchase_id}/return", include_in_schema=False)
def return_form(request: Request, purchase_id: str) -> Response:
    """Pick the lines to return (or, once the window closed, when it closed and how to reach the shop)."""
    purchase = own_purchase(request, purchase_id, signed_in(request))
    ledger = site(request).ledger
    asked = [c for c in unanswered(ledger.contacts(merchant_id=purchase.merchant_id, customer=purchase.customer))
             if c.purchase_id == purchase.id]
    return page(request, "return.html", p=purchase, window_state=render.window_state,
                waiting_answer=asked[-1] if asked else None)


@router.post("/purchases/{purchase_id}/return", include_in_schema=False)
def return_quote(request: Request, purchase_id: str, csrf: str = Form(), lines: list[int] = Form(default=[]),
                 shipment: str = Form(default="")) -> Response:
    """The exact refund for the chosen lines, before anything is signed."""
    check_csrf(request, csrf)
    desk = customer_desk(request)
    purchase, mask = desk.returnable(purchase_id, lines, shipment)
    chosen = tuple(i for i in range(len(purchase.lines)) if mask >> i & 1)
    refund = purchase.refund_for(chosen)
    credited = _credit_offer(request, desk, purchase.id, lines, shipment)
    return page(request, "quote.html", p=purchase, chosen=chosen, refund=refund,
                fee=purchase.share_of(chosen) - refund, shipment=shipment.strip(), credited=credited,
                bonus=credited - refund if credited else 0,
                bonus_later=bonus_later(site(request).ledger.reads, purchase, refund, credited) if credited else 0)


def _credit_offer(request: Request, desk: CustomerDesk, purchase_id: str, lines: list[int], shipment: str) -> int | None:
    """The store credit (bonus included) the contract would give instead of money, found by running the
    return as the customer (nothing is held or sent); None when the contract would not take it (the page
    offers money only)."""
    ledger = site(request).ledger
    try:
        prepared = desk.prepare_return_for_credit(purchase_id, lines, shipment)
        with mapped_errors(ledger.errors):
            return int(prepared.function.call({"from": desk.address}))
    except LedgerError:
        return None


@router.post("/api/returns/credit/prepare")
def prepare_credit_return(request: Request, purchase_id: str = Body(), lines: list[StrictInt] = Body(),
                          shipment: str = Body(default=""), csrf: str = Body()) -> dict[str, Any]:
    """The return for store credit, for the customer's wallet to send: the contract pays credit only to the
    buyer who calls it (no signed request can be relayed for credit)."""
    check_csrf(request, csrf)
    return hand_over(request, customer_desk(request).prepare_return_for_credit(purchase_id, lines, shipment))


@router.post("/api/returns/prepare")
def prepare_return(request: Request, purchase_id: str = Body(), lines: list[StrictInt] = Body(),
                   shipment: str = Body(default=""), csrf: str = Body()) -> dict[str, Any]:
    """The EIP-712 return request for the wallet to sign; a shipment reference is kept off chain under its
    salted hash, which is what the request carries."""
    check_csrf(request, csrf)
    unsigned, sealed = customer_desk(request).prepare_return_request(purchase_id, lines, shipment, returns.VALID_FOR)
    hold(request, (sealed,))
    return {"typed_data": returns.typed_data(unsigned)}


@router.post("/api/returns/submit")
def submit_return(request: Request, typed_data: dict[str, Any] = Body(), signature: str = Body(),
                  csrf: str = Body()) -> dict[str, Any]:
    """Relay a return request the signed-in customer signed; the refund goes straight to the customer."""
    check_csrf(request, csrf)
    me = signed_in(request)
    shop = site(request)
    if shop.relayer is None:
        raise InvalidInput("this server relays no returns (started without an account to pay the gas)")
    signed = _signed_return(typed_data, signature, shop.ledger)
    own_purchase(request, signed.purchase_id, me)
    refund = shop.ledger.submit_return(shop.relayer, signed)
    keep_landed(request, [signed.shipment_ref])
    purchase = shop.ledger.purchase(signed.purchase_id)
    return {"amount": refund.amount, "amount_words": shop.amount(refund.amount, purchase.token),
            "lines": list(refund.lines), "tx_hash": refund.tx_hash}


def _field(value: object, what: str) -> int:
    return whole(value, f"the return request's {what}", "start the return again")


def _signed_return(typed_data: dict[str, Any], signature: str, ledger: Any) -> SignedReturn:
    """The request back from the browser, checked field by field."""
    try:
        message, domain = typed_data["message"], typed_data["domain"]
        return SignedReturn(
            "0x" + validate.bytes32(message["purchaseId"], "purchase id").hex(),
            validate.positive(_field(message["lineMask"], "line mask"), "line mask"),
            "0x" + validate.bytes32(message["shipmentRef"], "shipment reference").hex(),
            validate.non_negative(_field(message["nonce"], "nonce"), "nonce"),
            validate.positive(_field(message["deadline"], "deadline"), "deadline"),
            signature, _field(domain["chainId"], "chain id"),
            validate.address(domain["verifyingContract"], "ledger address"))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, InvalidInput):
            raise
        raise InvalidInput(f"the return request is incomplete or malformed ({error}): start the return again") from error
