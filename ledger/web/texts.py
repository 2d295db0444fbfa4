"""The off-chain texts on the page: read one (if it is yours to see), check it against the ledger, erase it."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..texts import on_ledger
from .views import check_csrf, now, page, signed_in, site, visitor

router = APIRouter()


@router.get("/texts/{content_hash}", include_in_schema=False)
def show(request: Request, content_hash: str) -> Response:
    """A kept text, whether it still matches its hash, and whether that hash is on the ledger."""
    shop = site(request)
    kept = shop.texts.read(content_hash, visitor(request), shop.ledger.role)
    return page(request, "text.html", kept=kept, on_chain=on_ledger(shop.ledger, kept))


@router.get("/api/texts/{content_hash}")
def read(request: Request, content_hash: str) -> dict:
    """A kept text as JSON: hash, kind, text (None once erased), salt, and the two checks."""
    shop = site(request)
    kept = shop.texts.read(content_hash, visitor(request), shop.ledger.role)
    return {"hash": kept.hash, "kind": kept.kind.value, "text": kept.body, "salt": kept.salt,
            "erased": kept.erased, "matches_hash": kept.matches, "on_ledger": on_ledger(shop.ledger, kept)}


@router.post("/texts/{content_hash}/erase", include_in_schema=False)
def erase(request: Request, content_hash: str, csrf: str = Form()) -> Response:
    """Erase one of my texts: it goes, its hash stays on the ledger."""
    check_csrf(request, csrf)
    site(request).texts.erase(content_hash, signed_in(request), now(request))
    return RedirectResponse(f"/texts/{content_hash}", status_code=303)
