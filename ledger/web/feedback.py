"""What a customer tells a shop, each sent from the customer's own wallet: a contact moment of kind "return
help" (from a purchase whose window closed), a review of a purchase, a rating of a contact the shop's staff
logged (CSAT), and an NPS score. Texts are kept off chain under their salted hash; only the hash goes on
chain. The server prepares and tries each transaction; it never signs one."""

from __future__ import annotations

from fastapi import APIRouter, Body, Request

from ..errors import InvalidInput
from ..models import Channel, ContactKind
from ..texts import TextKind
from ..validate import check_scale
from . import wallet
from .customer import own_purchase
from .texts import seal
from .views import check_csrf, signed_in, site

router = APIRouter()


def _hash(value: str) -> bytes:
    return bytes.fromhex(value[2:])


@router.post("/api/contacts/prepare")
def ask_for_help(request: Request, purchase_id: str = Body(), note: str = Body(), csrf: str = Body()) -> dict:
    """Ask the shop for help with a return: the note is kept (salted) for the customer and the shop's staff,
    and the wallet logs a contact moment of kind "return help" carrying its hash."""
    check_csrf(request, csrf)
    me = signed_in(request)
    purchase = own_purchase(request, purchase_id, me)
    shop = site(request)
    if not note.strip():
        raise InvalidInput("write what you need help with: the shop reads it with the contact")
    text_hash = seal(request, TextKind.CONTACT, note.strip(), me, purchase.merchant_id)
    call = shop.ledger.contract.functions.logContact(purchase.merchant_id, me, _hash(purchase.id), Channel.CHAT,
                                                    ContactKind.RETURN_HELP, 0, _hash(text_hash))
    return {"transaction": wallet.prepare(shop.ledger, me, call), "text_hash": text_hash}


@router.post("/api/reviews/prepare")
def review(request: Request, purchase_id: str = Body(), rating: int = Body(strict=True), text: str = Body(default=""),
           csrf: str = Body()) -> dict:
    """Review one of my purchases (1 to 5 stars); the text, if any, is kept for everyone to read."""
    check_csrf(request, csrf)
    me = signed_in(request)
    purchase = own_purchase(request, purchase_id, me)
    check_scale(rating, 1, 5, "rating")
    shop = site(request)
    text_hash = bytes(32)
    if text.strip():
        text_hash = _hash(seal(request, TextKind.REVIEW, text.strip(), me, purchase.merchant_id))
    call = shop.ledger.feedback.functions.review(purchase.order.packed(), rating, text_hash)
    return {"transaction": wallet.prepare(shop.ledger, me, call)}


@router.post("/api/nps/prepare")
def nps(request: Request, purchase_id: str = Body(), score: int = Body(strict=True), csrf: str = Body()) -> dict:
    """How likely I am to recommend the shop after this purchase (0 to 10), once."""
    check_csrf(request, csrf)
    me = signed_in(request)
    purchase = own_purchase(request, purchase_id, me)
    check_scale(score, 0, 10, "score")
    shop = site(request)
    call = shop.ledger.feedback.functions.giveNps(purchase.order.packed(), score)
    return {"transaction": wallet.prepare(shop.ledger, me, call)}


@router.post("/api/contacts/rate/prepare")
def rate_contact(request: Request, content_hash: str = Body(), score: int = Body(strict=True), csrf: str = Body()) -> dict:
    """Rate a contact the shop's staff logged with me (1 to 5), once."""
    check_csrf(request, csrf)
    me = signed_in(request)
    shop = site(request)
    contact = next((c for c in shop.ledger.contacts(customer=me) if c.content_hash == content_hash.lower()), None)
    if contact is None:
        raise InvalidInput(f"no contact of yours has the note hash {content_hash}: rate a contact from My purchases")
    if contact.by_customer:
        raise InvalidInput("that contact is one you logged yourself: rate the contacts the shop's staff logged")
    check_scale(score, 1, 5, "score")
    call = shop.ledger.feedback.functions.rateContact(contact.merchant_id, _hash(contact.content_hash), score)
    return {"transaction": wallet.prepare(shop.ledger, me, call)}
