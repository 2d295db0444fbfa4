"""A shop's webhook on the page: its staff (owner or agent, on chain) set the address the shop's events are
posted to and the secret they are signed with, or remove it. The secret is never shown back, only its last
characters, so a page left open (or a screenshot) does not give it away. ``ledger index --follow`` on the same
database posts to it (docs/webhooks.md)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from .merchant import staff_only
from .views import check_csrf, now, page, site

router = APIRouter()


@router.get("/shop/{merchant_id}/webhooks", include_in_schema=False)
def setting(request: Request, merchant_id: int) -> Response:
    """The shop's webhook as set (address, the secret's last characters, how far it was delivered), and the form."""
    staff_only(request, merchant_id)
    return page(request, "webhooks.html", merchant_id=merchant_id, hook=site(request).webhooks.on_page(merchant_id))


@router.post("/shop/{merchant_id}/webhooks", include_in_schema=False)
def set_webhook(request: Request, merchant_id: int, csrf: str = Form(), url: str = Form(),
                secret: str = Form()) -> Response:
    """Set the shop's webhook (another address set before is replaced; the same address keeps its place)."""
    check_csrf(request, csrf)
    me = staff_only(request, merchant_id)
    site(request).webhooks.set_on_page(merchant_id, url.strip(), secret, me, now(request))
    return RedirectResponse(f"/shop/{merchant_id}/webhooks", status_code=303)


@router.post("/shop/{merchant_id}/webhooks/remove", include_in_schema=False)
def remove_webhook(request: Request, merchant_id: int, csrf: str = Form()) -> Response:
    """Remove the shop's webhook: nothing more is posted to it."""
    check_csrf(request, csrf)
    staff_only(request, merchant_id)
    site(request).webhooks.remove_from_page(merchant_id)
    return RedirectResponse(f"/shop/{merchant_id}/webhooks", status_code=303)
