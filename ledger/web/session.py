"""Signing in and out with a wallet (EIP-4361), and the start page."""

from __future__ import annotations

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from . import siwe
from .views import check_csrf, now, page, signed_in, site, visitor

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
def sign_in_message(request: Request, address: str = Body(embed=True), csrf: str = Body(embed=True)) -> dict:
    """The EIP-4361 message for the wallet to sign; it waits in this session for five minutes."""
    check_csrf(request, csrf)
    ledger = site(request).ledger
    waiting = siwe.request_for(address, request.url.netloc, str(request.base_url), ledger.chain.chain_id,
                               now(request))
    request.session["siwe"] = {"address": waiting.address, "text": waiting.text, "nonce": waiting.nonce,
                               "expires_at": waiting.expires_at}
    return {"message": waiting.text}


@router.post("/api/signin")
def sign_in(request: Request, signature: str = Body(embed=True), csrf: str = Body(embed=True)) -> dict:
    """Check the signed message (once) and sign the session in."""
    check_csrf(request, csrf)
    kept = request.session.pop("siwe", None)
    address = siwe.check(siwe.SignInRequest(**kept) if kept else None, signature, now(request))
    token = request.session.get("csrf")
    request.session.clear()  # a new session on sign-in: nothing from before carries over
    request.session.update({"address": address, "signed_in_at": now(request), "csrf": token})
    shops = _shops_of(request, address)
    return {"address": address, "next": f"/shop/{shops[0]}" if shops else "/purchases"}


@router.post("/signout", include_in_schema=False)
def sign_out(request: Request, csrf: str = Form()) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/api/me")
def me(request: Request) -> JSONResponse:
    """Who is signed in, and the shops they work for."""
    address = signed_in(request)
    return JSONResponse({"address": address, "shops": _shops_of(request, address)})
