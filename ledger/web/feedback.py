"""What a customer tells a shop, each sent from the customer's own wallet: a contact moment of kind "return
help" (from a purchase whose window closed), a review of a purchase, a rating of a contact the shop's staff
logged (CSAT), and an NPS score. Texts are kept off chain under their salted hash; only the hash goes on
chain. The server prepares and tries each transaction; it never signs one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from ..errors import InvalidInput
from ..models import Channel, ContactKind
from .customer import customer_desk, hand_over
from .views import check_csrf

router = APIRouter()


@router.post("/api/contacts/prepare")
def ask_for_help(request: Request, purchase_id: str = Body(), note: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Ask the shop for help with a return: the note is kept (salted) for the customer and the shop's staff,
    and the wallet logs a contact moment of kind "return help" carrying its hash."""
    check_csrf(request, csrf)
    desk = customer_desk(request)
    purchase = desk.purchase(purchase_id)
    if not note.strip():
        raise InvalidInput("write what you need help with: the shop reads it with the contact")
    prepared = desk.prepare_log_contact(purchase.merchant_id, Channel.CHAT, ContactKind.RETURN_HELP, note.strip(),
                                        purchase.id)
    return hand_over(request, prepared, text_hash="0x" + prepared.texts[0].hash.hex())


@router.post("/api/reviews/prepare")
def review(request: Request, purchase_id: str = Body(), rating: int = Body(strict=True), text: str = Body(default=""),
           csrf: str = Body()) -> dict[str, Any]:
    """Review one of my purchases (1 to 5 stars); the text, if any, is kept for everyone to read."""
    check_csrf(request, csrf)
    return hand_over(request, customer_desk(request).prepare_review(purchase_id, rating, text.strip()))


@router.post("/api/nps/prepare")
def nps(request: Request, purchase_id: str = Body(), score: int = Body(strict=True), csrf: str = Body()) -> dict[str, Any]:
    """How likely I am to recommend the shop after this purchase (0 to 10), once."""
    check_csrf(request, csrf)
    return hand_over(request, customer_desk(request).prepare_give_nps(purchase_id, score))


@router.post("/api/contacts/rate/prepare")
def rate_contact(request: Request, content_hash: str = Body(), score: int = Body(strict=True),
                 csrf: str = Body()) -> dict[str, Any]:
    """Rate a contact the shop's staff logged with me (1 to 5), once."""
    check_csrf(request, csrf)
    desk = customer_desk(request)
    return hand_over(request, desk.prepare_rate_contact(desk.contact(content_hash), score))
