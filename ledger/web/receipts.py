"""Receipts on the page: a purchase's receipt to print (``/receipts/{purchase_id}``) and as a PDF
(``/receipts/{purchase_id}.pdf``), for the customer who bought it and the shop's staff only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import NotCustomer
from ..models import Role
from ..receipts import Receipt, pdf, refund_words
from .views import page, signed_in, site

router = APIRouter()


def _receipt(request: Request, purchase_id: str) -> Receipt:
    """The receipt, if the visitor bought the purchase or is on its shop's staff (``NotCustomer`` else)."""
    me = signed_in(request)
    ledger = site(request).ledger
    found = ledger.receipt(purchase_id)
    purchase = found.purchase
    if me != purchase.customer and ledger.role(purchase.merchant_id, me) is Role.NONE:
        raise NotCustomer(purchase.id, me)
    return found


@router.get("/receipts/{purchase_id}.pdf", include_in_schema=False)
def receipt_pdf(request: Request, purchase_id: str) -> Response:
    """The receipt as a PDF."""
    found = _receipt(request, purchase_id)
    name = found.order_number or found.purchase.id[:10]
    return Response(pdf(found, site(request).amount), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{"".join(c for c in name if c.isalnum() or c in "-_")}.pdf"'})


@router.get("/receipts/{purchase_id}", include_in_schema=False)
def receipt_page(request: Request, purchase_id: str) -> Response:
    """The receipt as a page to print."""
    found = _receipt(request, purchase_id)
    return page(request, "receipt.html", r=found, p=found.purchase, refund_words=refund_words)
