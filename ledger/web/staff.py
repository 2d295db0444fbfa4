"""The shop staff's forms on one purchase (owner or agent, role read on chain): goodwill refund, keep-it,
window extension, confirm delivery, settle. Each answer carries the consequence in words and the transaction
for the staff member's own wallet; the server runs the call as that wallet first, so what the contract would
refuse (an agent past its budget or mandate) is shown in the contract's words before the wallet is asked."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import StrictInt

from .. import render
from ..errors import InvalidInput
from ..models import DAY, NATIVE, Purchase, Reason, Role
from ..texts import TextKind
from ..validate import parse_amount
from . import wallet
from .merchant import SETTLE_BATCH, staff_only, waiting_for_settlement
from .texts import seal
from .views import check_csrf, page, site

router = APIRouter()


def _purchase(request: Request, merchant_id: int, purchase_id: str) -> Purchase:
    """One purchase of this shop (``InvalidInput`` for another shop's)."""
    purchase = site(request).ledger.purchase(purchase_id)
    if purchase.merchant_id != merchant_id:
        raise InvalidInput(f"purchase {purchase.id[:10]}… was made at shop #{purchase.merchant_id}, not at "
                           f"shop #{merchant_id}")
    return purchase


def _utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/shop/{merchant_id}/purchases/{purchase_id}", include_in_schema=False)
def purchase_page(request: Request, merchant_id: int, purchase_id: str) -> Response:
    """One purchase as the staff see it, with the forms they may use on it."""
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    ledger = site(request).ledger
    role = ledger.role(merchant_id, me)
    budget = ledger.budget(merchant_id, me, purchase.token) if role is Role.AGENT else None
    return page(request, "staff.html", p=purchase, merchant_id=merchant_id, role=role.name.lower(), budget=budget,
                reasons=[r.name.lower() for r in Reason], window_state=render.window_state)


def _answer(request: Request, me: str, function: Any, consequence: str) -> dict:
    return {"transaction": wallet.prepare(site(request).ledger, me, function), "consequence": consequence}


def _budget_words(request: Request, merchant_id: int, me: str, purchase: Purchase, amount: int) -> str:
    ledger = site(request).ledger
    if ledger.role(merchant_id, me) is Role.OWNER:
        return "As the owner you refund without a budget."
    left = ledger.budget(merchant_id, me, purchase.token)
    money = site(request).amount
    return f"Your goodwill budget goes from {money(left, purchase.token)} to {money(left - amount, purchase.token)}."


def _amount(text: str, token: str) -> int:
    return parse_amount(text) if token == NATIVE else parse_amount(text, decimals=0, symbol="units")


@router.post("/api/shop/{merchant_id}/goodwill/prepare")
def goodwill(request: Request, merchant_id: int, purchase_id: str = Body(), amount: str = Body(),
             reason: str = Body(default="other"), note: str = Body(default=""), csrf: str = Body()) -> dict:
    """Refund part of what the purchase holds, at any time before settlement (an agent within its budget)."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    value = _amount(amount, purchase.token)
    if value <= 0:
        raise InvalidInput("the goodwill amount must be more than zero")
    shop = site(request)
    note_hash = bytes(32)
    if note.strip():
        note_hash = bytes.fromhex(seal(request, TextKind.CONTACT, note.strip(), purchase.customer, merchant_id)[2:])
    call = shop.ledger.contract.functions.goodwillRefund(purchase.order.packed(), value, int(Reason.parse(reason)),
                                                        note_hash)
    words = (f"{purchase.customer} gets {shop.amount(value, purchase.token)} back from this purchase, which holds "
             f"{shop.amount(purchase.in_escrow, purchase.token)}. "
             + _budget_words(request, merchant_id, me, purchase, value))
    return _answer(request, me, call, words)


@router.post("/api/shop/{merchant_id}/keep/prepare")
def keep_it(request: Request, merchant_id: int, purchase_id: str = Body(), lines: list[StrictInt] = Body(),
            reason: str = Body(default="other"), csrf: str = Body()) -> dict:
    """Refund lines the customer keeps: their share of what was paid, no fee, nothing shipped back."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    mask = purchase.mask_of(lines)
    chosen = [i for i in range(len(purchase.lines)) if mask >> i & 1]
    value = sum(purchase.lines[i].total for i in chosen) * purchase.paid // purchase.price
    shop = site(request)
    call = shop.ledger.contract.functions.refundWithoutReturn(
        purchase.order.packed(), purchase.order.line_tuples(), mask, int(Reason.parse(reason)))
    items = ", ".join(purchase.lines[i].sku for i in chosen)
    words = (f"{purchase.customer} keeps {items} and gets {shop.amount(value, purchase.token)} back, with no "
             "restocking fee. " + _budget_words(request, merchant_id, me, purchase, value))
    return _answer(request, me, call, words)


@router.post("/api/shop/{merchant_id}/extend/prepare")
def extend(request: Request, merchant_id: int, purchase_id: str = Body(), days: int = Body(strict=True),
           reason: str = Body(default="other"), csrf: str = Body()) -> dict:
    """Give the purchase's window more days (an agent within its mandate)."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    if not 1 <= days <= 365:
        raise InvalidInput(f"an extension is 1 to 365 days, not {days}")
    call = site(request).ledger.contract.functions.extendWindow(purchase.order.packed(), days,
                                                                int(Reason.parse(reason)))
    words = (f"The return window then closes on {_utc(purchase.deadline + days * DAY)} instead of "
             f"{_utc(purchase.deadline)}.")
    return _answer(request, me, call, words)


@router.post("/api/shop/{merchant_id}/deliver/prepare")
def deliver(request: Request, merchant_id: int, purchase_id: str = Body(), csrf: str = Body()) -> dict:
    """Record the delivery as now: a window that runs from delivery starts."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    today = site(request).ledger.chain.now()
    call = site(request).ledger.contract.functions.confirmDelivery(purchase.order.packed())
    words = (f"Delivered now: the {render.window(purchase.return_window)} return window runs from now and "
             f"closes on {_utc(today + purchase.return_window + purchase.extension_days * DAY)}.")
    return _answer(request, me, call, words)  # the contract refuses a window that does not start at delivery


@router.post("/api/shop/{merchant_id}/settle/prepare")
def settle(request: Request, merchant_id: int, purchase_id: str = Body(), csrf: str = Body()) -> dict:
    """Pay out what the shop kept of a purchase whose window has closed."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    purchase = _purchase(request, merchant_id, purchase_id)
    shop = site(request)
    if purchase.window_open or purchase.awaiting_delivery:
        raise InvalidInput(f"the return window of purchase {purchase.id[:10]}… is still open (until "
                           f"{_utc(purchase.deadline)}): settle it after that")
    if purchase.settled:
        raise InvalidInput(f"purchase {purchase.id[:10]}… is settled already")
    payout = shop.ledger.merchant(merchant_id).payout
    call = shop.ledger.contract.functions.settle([purchase.order.packed()])
    words = (f"Pays {shop.amount(purchase.in_escrow, purchase.token)} to the shop's payout address {payout}; "
             "after this the purchase can no longer be returned or refunded.")
    return _answer(request, me, call, words)


@router.post("/api/shop/{merchant_id}/settle-all/prepare")
def settle_all(request: Request, merchant_id: int, csrf: str = Body(embed=True)) -> dict:
    """Pay out, in one transaction, what the shop kept of its closed purchases (oldest first, a batch)."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
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
    return _answer(request, me, shop.ledger.contract.functions.settle([p.order.packed() for p in batch]), words)
