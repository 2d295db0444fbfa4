"""The shop staff's forms on one purchase (owner or agent, role read on chain): goodwill refund, keep-it,
window extension, confirm delivery, settle. Each answer carries the consequence in words and the transaction
for the staff member's own wallet; the server runs the call as that wallet first, so what the contract would
refuse (an agent past its budget or mandate) is shown in the contract's words before the wallet is asked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import StrictInt

from .. import render, timefmt
from ..desks import MerchantDesk
from ..desks.prepared import Prepared
from ..errors import InvalidInput
from ..models import DAY, NATIVE, Channel, Purchase, Reason, Role
from ..validate import parse_amount
from . import wallet
from .merchant import SETTLE_BATCH, staff_desk, waiting_for_settlement
from .texts import hold
from .views import check_csrf, page, site

router = APIRouter()



@router.get("/shop/{merchant_id}/purchases/{purchase_id}", include_in_schema=False)
def purchase_page(request: Request, merchant_id: int, purchase_id: str) -> Response:
    """One purchase as the staff see it, with the forms they may use on it."""
    desk = staff_desk(request, merchant_id)
    purchase = desk.own_purchase(purchase_id)
    ledger = site(request).ledger
    role = ledger.role(merchant_id, desk.address)
    budget = ledger.budget(merchant_id, desk.address, purchase.token) if role is Role.AGENT else None
    return page(request, "staff.html", p=purchase, merchant_id=merchant_id, role=role.name.lower(), budget=budget,
                reasons=[r.name.lower() for r in Reason], window_state=render.window_state)


def _answer(request: Request, desk: MerchantDesk, prepared: Prepared[Any], consequence: str) -> dict[str, Any]:
    """The prepared action as a transaction for the staff member's wallet (run as that wallet first), its
    texts held until it lands, and what it will do in words."""
    transaction = wallet.prepare(site(request).ledger, desk.address, prepared.function, prepared.value)
    hold(request, prepared.texts)
    return {"transaction": transaction, "consequence": consequence}


def _budget_words(request: Request, desk: MerchantDesk, purchase: Purchase, amount: int) -> str:
    ledger = site(request).ledger
    if ledger.role(desk.merchant_id, desk.address) is Role.OWNER:
        return "As the owner you refund without a budget."
    left = ledger.budget(desk.merchant_id, desk.address, purchase.token)
    money = site(request).amount
    return f"Your goodwill budget goes from {money(left, purchase.token)} to {money(left - amount, purchase.token)}."


def _amount(text: str, token: str) -> int:
    return parse_amount(text) if token == NATIVE else parse_amount(text, decimals=0, symbol="units")


@router.post("/api/shop/{merchant_id}/goodwill/prepare")
def goodwill(request: Request, merchant_id: int, purchase_id: str = Body(), amount: str = Body(),
             reason: str = Body(default="other"), note: str = Body(default=""), csrf: str = Body()) -> dict[str, Any]:
    """Refund part of what the purchase holds, at any time before settlement (an agent within its budget)."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    purchase = desk.own_purchase(purchase_id)
    value = _amount(amount, purchase.token)
    prepared = desk.prepare_goodwill_refund(purchase.id, value, reason, note.strip())
    shop = site(request)
    words = (f"{purchase.customer} gets {shop.amount(value, purchase.token)} back from this purchase, which holds "
             f"{shop.amount(purchase.in_escrow, purchase.token)}. " + _budget_words(request, desk, purchase, value))
    return _answer(request, desk, prepared, words)


@router.post("/api/shop/{merchant_id}/keep/prepare")
def keep_it(request: Request, merchant_id: int, purchase_id: str = Body(), lines: list[StrictInt] = Body(),
            reason: str = Body(default="other"), csrf: str = Body()) -> dict[str, Any]:
    """Refund lines the customer keeps: their share of what was paid, no fee, nothing shipped back."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    purchase = desk.own_purchase(purchase_id)
    prepared = desk.prepare_refund_without_return(purchase.id, lines, reason)
    chosen = [i for i in range(len(purchase.lines)) if purchase.mask_of(lines) >> i & 1]
    value = purchase.share_of(chosen)
    items = ", ".join(purchase.lines[i].sku for i in chosen)
    words = (f"{purchase.customer} keeps {items} and gets {site(request).amount(value, purchase.token)} back, with no "
             "restocking fee. " + _budget_words(request, desk, purchase, value))
    return _answer(request, desk, prepared, words)


@router.post("/api/shop/{merchant_id}/extend/prepare")
def extend(request: Request, merchant_id: int, purchase_id: str = Body(), days: int = Body(strict=True),
           reason: str = Body(default="other"), csrf: str = Body()) -> dict[str, Any]:
    """Give the purchase's window more days (an agent within its mandate)."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    prepared = desk.prepare_extend_window(purchase_id, days, reason)
    purchase = desk.own_purchase(purchase_id)
    words = (f"The return window then closes on {timefmt.utc(purchase.deadline + days * DAY)} instead of "
             f"{timefmt.utc(purchase.deadline)}.")
    return _answer(request, desk, prepared, words)


@router.post("/api/shop/{merchant_id}/deliver/prepare")
def deliver(request: Request, merchant_id: int, purchase_id: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Record the delivery as now: a window that runs from delivery starts."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    prepared = desk.prepare_confirm_delivery(purchase_id)
    purchase = desk.own_purchase(purchase_id)
    today = site(request).ledger.chain.now()
    words = (f"Delivered now: the {render.window(purchase.return_window)} return window runs from now and "
             f"closes on {timefmt.utc(today + purchase.return_window + purchase.extension_days * DAY)}.")
    return _answer(request, desk, prepared, words)  # the contract refuses a window that does not start at delivery


@router.get("/shop/{merchant_id}/inbox", include_in_schema=False)
def inbox_page(request: Request, merchant_id: int) -> Response:
    """What customers sent the shop, unanswered first, each with a reply form."""
    desk = staff_desk(request, merchant_id)
    return page(request, "inbox.html", merchant_id=merchant_id, items=desk.inbox())


@router.post("/api/shop/{merchant_id}/reply/prepare")
def reply(request: Request, merchant_id: int, customer: str = Body(), purchase_id: str = Body(default=""),
          kind: str = Body(default="question"), note: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Answer a customer's request: a contact moment the staff member's wallet logs for that customer (about the
    same purchase), its text kept for the customer and the shop's staff."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    if not note.strip():
        raise InvalidInput("write your answer: the customer reads it with the contact")
    prepared = desk.prepare_log_contact(customer, Channel.CHAT, kind, note.strip(), purchase_id or None)
    words = f"Logs your answer to {customer} as a contact moment; only a salted hash of it goes on chain."
    return _answer(request, desk, prepared, words)


@router.post("/api/shop/{merchant_id}/settle/prepare")
def settle(request: Request, merchant_id: int, purchase_id: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Pay out what the shop kept of a purchase whose window has closed."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    purchase = desk.own_purchase(purchase_id)
    shop = site(request)
    if purchase.window_open or purchase.awaiting_delivery:
        raise InvalidInput(f"the return window of purchase {purchase.id[:10]}… is still open (until "
                           f"{timefmt.utc(purchase.deadline)}): settle it after that")
    if purchase.settled:
        raise InvalidInput(f"purchase {purchase.id[:10]}… is settled already")
    payout = shop.ledger.merchant(merchant_id).payout
    asked = ("Its customer's request is still unanswered (see the inbox): once settled, the purchase cannot be "
             "refunded. " if purchase.id in shop.ledger.reads.awaiting_answer(merchant_id) else "")
    words = (f"{asked}Pays {shop.amount(purchase.in_escrow, purchase.token)} to the shop's payout address {payout}; "
             "after this the purchase can no longer be returned or refunded.")
    return _answer(request, desk, shop.ledger.prepare_settle([purchase]), words)


@router.post("/api/shop/{merchant_id}/settle-all/prepare")
def settle_all(request: Request, merchant_id: int, csrf: str = Body(embed=True)) -> dict[str, Any]:
    """Pay out, in one transaction, what the shop kept of its closed purchases (oldest first, a batch)."""
    check_csrf(request, csrf)
    desk = staff_desk(request, merchant_id)
    shop = site(request)
    waiting = waiting_for_settlement(request, merchant_id)
    if not waiting:
        raise InvalidInput(f"no purchase of shop #{merchant_id} waits for settlement: a purchase can be settled "
                           "once its return window has closed")
    batch = waiting[:SETTLE_BATCH]
    held: dict[str, int] = {}
    for purchase in batch:
        held[purchase.token] = held.get(purchase.token, 0) + purchase.in_escrow
    money = " and ".join(shop.amount(amount, token) for token, amount in held.items())
    more = " More purchases wait: settle again after this one." if len(waiting) > SETTLE_BATCH else ""
    words = (f"Settles {len(batch)} purchase{'s' if len(batch) > 1 else ''}: pays out the {money} they hold, to the "
             f"shop's payout address {shop.ledger.merchant(merchant_id).payout} (less any referrer's commission); "
             f"after this they can no longer be returned or refunded.{more}")
    return _answer(request, desk, shop.ledger.prepare_settle(batch), words)
