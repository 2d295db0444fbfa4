"""Signing in and out with a wallet (EIP-4361), and the start page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from . import siwe
from .views import check_csrf, now, page, signed_in, site, visit, visitor

router = APIRouter()


@router.get("/", include_in_schema=False)
def start(request: Request) -> Response:
    """The start page: sign in, or go on to where a signed-in visitor belongs."""
    return page(request, "index.html", shops=_shops_of(request, visitor(request)))


def _shops_of(request: Request, address: str | None) -> list[int]:
    """The merchants the visitor works for (owner or agent), read on chain."""
    if address is None:
        return []
    ledger = site(request).ledger
    return [m.id for m in ledger.merchants() if ledger.role(m.id, address).value]


@router.post("/api/signin/message")
def sign_in_message(request: Request, address: str = Body(embed=True), csrf: str = Body(embed=True)) -> dict[str, Any]:
    """The EIP-4361 message for the wallet to sign, naming the site's own origin; it waits five minutes, in the
    server's store, for a signature sent with this session."""
    check_csrf(request, csrf)
    shop = site(request)
    waiting = siwe.request_for(address, shop.origin.host, shop.origin.url + "/", shop.ledger.chain.chain_id,
                               now(request))
    session = visit(request).session
    assert session is not None  # check_csrf found it
    shop.store.wait_for_signature(session.key, waiting)
    return {"message": waiting.text}


@router.post("/api/signin")
def sign_in(request: Request, signature: str = Body(embed=True), csrf: str = Body(embed=True)) -> dict[str, Any]:
    """Check the signed message (taking it, so it is used once) and sign in: a new session, with a new id and
    a new CSRF token, in place of the one the message was asked in."""
    check_csrf(request, csrf)
    shop, here = site(request), visit(request)
    assert here.session is not None  # check_csrf found it
    address = siwe.check(shop.ledger.w3, shop.store.take_waiting(here.session.key), signature, now(request))
    session = here.start(shop.session_seconds, address)
    shops = _shops_of(request, address)
    return {"address": address, "csrf": session.csrf, "next": f"/shop/{shops[0]}" if shops else "/purchases"}


@router.post("/signout", include_in_schema=False)
def sign_out(request: Request, csrf: str = Form()) -> Response:
    """End the session on the server: the cookie, or any copy of it, opens nothing afterwards."""
    check_csrf(request, csrf)
    visit(request).end()
    return RedirectResponse("/", status_code=303)


@router.get("/api/me")
def me(request: Request) -> JSONResponse:
    """Who is signed in, and the shops they work for."""
    address = signed_in(request)
    return JSONResponse({"address": address, "shops": _shops_of(request, address)})
