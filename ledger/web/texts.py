"""The off-chain texts on the page: sealed when a transaction carrying one is prepared and kept once that
transaction landed (a text whose transaction never comes is never kept); read one (if it is yours to see),
check it against the ledger, erase it. Sealed texts wait in the server's store (``WebStore.hold``), so a
restart, or another server on the same database, still keeps them when their transaction lands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..codec import hex_of
from ..texts import Sealed, on_ledger
from .views import check_csrf, now, page, signed_in, site, visitor

router = APIRouter()

PENDING_SECONDS = 3_600
"""How long a sealed text waits for its transaction (the wallet, a relay) before it is dropped."""


def hold(request: Request, sealed: Iterable[Sealed]) -> None:
    """Hold the texts a prepared action sealed (``Prepared.texts``) until a transaction carrying them lands
    (``keep_landed``); the signed-in visitor may have ``store.MAX_PENDING`` such texts waiting at once."""
    at = now(request)
    for one in sealed:
        if one.text is not None:
            site(request).store.hold(signed_in(request), one.text, at + PENDING_SECONDS, at)


def keep_landed(request: Request, values: Iterable[Any]) -> None:
    """Keep the sealed texts whose hashes are among ``values`` (the arguments of a landed transaction's events)."""
    hashes = {hex_of(v) for v in values if isinstance(v, (bytes, bytearray)) or (isinstance(v, str) and len(v) == 66)}
    site(request).store.release(signed_in(request), hashes, now(request))


@router.get("/texts/{content_hash}", include_in_schema=False)
def show(request: Request, content_hash: str) -> Response:
    """A kept text, whether it still matches its hash, and whether that hash is on the ledger."""
    shop = site(request)
    kept = shop.texts.read(content_hash, visitor(request), shop.ledger.role)
    return page(request, "text.html", kept=kept, on_chain=on_ledger(shop.ledger.reads, kept))


@router.get("/api/texts/{content_hash}")
def read(request: Request, content_hash: str) -> dict[str, Any]:
    """A kept text as JSON: hash, kind, text (None once erased), salt, and the two checks."""
    shop = site(request)
    kept = shop.texts.read(content_hash, visitor(request), shop.ledger.role)
    return {"hash": kept.hash, "kind": kept.kind.value, "text": kept.body, "salt": kept.salt,
            "erased": kept.erased, "matches_hash": kept.matches, "on_ledger": on_ledger(shop.ledger.reads, kept)}


@router.post("/texts/{content_hash}/erase", include_in_schema=False)
def erase(request: Request, content_hash: str, csrf: str = Form()) -> Response:
    """Erase one of my texts: it goes, its hash stays on the ledger."""
    check_csrf(request, csrf)
    site(request).texts.erase(content_hash, signed_in(request), now(request))
    return RedirectResponse(f"/texts/{content_hash}", status_code=303)
