"""An exchange on the pay page: lines of one of the visitor's purchases at the same shop, in the same token and
inside their window, go back, and what they refund pays the order link's order in the same transaction, which
the customer's wallet sends (the contract takes it only from the buyer). The refund never leaves escrow: the
wallet pays the difference, or gets what is left over back.

What may be exchanged, and for how much, is ``desks.customer.prepare_exchange``'s to say; the page only shows it.
A refusal of the exchange itself (the window closed, another shop's or token's order, an order expired, paid
already or signed by a removed agent) is one line in words with status 409, and no transaction; another
customer's purchase is refused as everywhere else (``NotCustomer``, 403)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import Response
from pydantic import StrictInt
from starlette.exceptions import HTTPException

from ..desks.customer import ExchangePlan
from ..desks.prepared import Prepared
from ..errors import ContractError, InsufficientFunds, NotCustomer, ShipmentRequired
from ..models import NATIVE, Exchange
from .customer import customer_desk, hand_over
from .payments import read_order
from .views import check_csrf, page

router = APIRouter()


@contextmanager
def _refusals_in_words() -> Iterator[None]:
    """The exchange refused by the contract's rules (or the wallet short of the token) as a 409 in words;
    someone else's purchase stays the 403 it is everywhere, and a shipment reference the terms need and the
    form lacks the 400 of any missing input."""
    try:
        yield
    except (NotCustomer, ShipmentRequired):
        raise
    except (ContractError, InsufficientFunds) as refusal:
        raise HTTPException(409, str(refusal)) from refusal


def _plan(request: Request, purchase_id: str, lines: list[int], order: str,
          shipment: str) -> tuple[ExchangePlan, Prepared[Exchange]]:
    return customer_desk(request).prepare_exchange(purchase_id, read_order(order), lines, shipment)


@router.post("/pay/exchange", include_in_schema=False)
def exchange_quote(request: Request, csrf: str = Form(), order: str = Form(), purchase_id: str = Form(),
                   lines: list[int] = Form(default=[]), shipment: str = Form(default="")) -> Response:
    """What the chosen lines refund, and what is still to pay (or comes back), before the wallet is asked."""
    check_csrf(request, csrf)
    with _refusals_in_words():
        plan, _ = _plan(request, purchase_id, lines, order, shipment)
    chosen = tuple(i for i in range(len(plan.purchase.lines)) if plan.mask >> i & 1)
    return page(request, "exchange.html", plan=plan, p=plan.purchase, o=plan.signed.order, chosen=chosen,
                encoded=order, shipment=shipment.strip(), native=plan.signed.order.token == NATIVE)


@router.post("/api/exchange/prepare")
def prepare_exchange_call(request: Request, purchase_id: str = Body(), lines: list[StrictInt] = Body(),
                          order: str = Body(), shipment: str = Body(default=""), csrf: str = Body()) -> dict[str, Any]:
    """The ``exchange`` transaction for the customer's wallet, its value exactly what is due in ETH; for a token
    with too small an allowance, first the approval of what is due (ask again once it landed)."""
    check_csrf(request, csrf)
    with _refusals_in_words():
        plan, prepared = _plan(request, purchase_id, lines, order, shipment)
        quoted = {"purchase_id": plan.new_purchase_id, "refund": plan.refund, "due": plan.due, "back": plan.back}
        token = plan.signed.order.token
        if token != NATIVE and plan.due:
            approval = customer_desk(request).prepare_approval(token, plan.due)
            if approval is not None:
                return hand_over(request, approval, approval=True, **quoted)
        return hand_over(request, prepared, **quoted)
