"""The shop's names on the page (owner or agent, role read on chain): its profile (display name, support
contact, https logo) and its catalogue (SKU → product name, https picture), signed in the staff member's wallet
as EIP-712 typed data in the ledger's domain, then kept beside the index (``names.NameStore``): the same signed
versions ``ledger merchant profile`` and ``ledger catalog import`` make, checked by the same rules
(``MerchantDesk.keep_signed``). The server never signs: what it keeps is what the wallet showed its owner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from ..names import Catalogue, Profile, catalogue_file, content_of, typed_data
from .merchant import staff_desk
from .views import check_csrf, page, site

router = APIRouter()



def _to_sign(request: Request, *contents: Profile | Catalogue) -> dict[str, Any]:
    ledger = site(request).ledger
    return {"typed_data": [typed_data(content, ledger.chain.chain_id, ledger.address) for content in contents]}


@router.get("/shop/{merchant_id}/profile", include_in_schema=False)
def profile_page(request: Request, merchant_id: int) -> Response:
    """The shop's names as kept, and the forms that sign new ones."""
    staff_desk(request, merchant_id)
    names = site(request).ledger.names(merchant_id)
    return page(request, "profile.html", merchant_id=merchant_id, shop=names,
                products=sorted(names.products.values(), key=lambda product: product.sku))


@router.post("/api/shop/{merchant_id}/profile/prepare")
def prepare_profile(request: Request, merchant_id: int, name: str = Body(), support: str = Body(default=""),
                    logo: str = Body(default=""), csrf: str = Body()) -> dict[str, Any]:
    """The profile as typed data for the staff member's wallet, checked and dated (a bad field is one line)."""
    check_csrf(request, csrf)
    return _to_sign(request, staff_desk(request, merchant_id).prepare_profile(name.strip(), support.strip(), logo.strip()))


@router.post("/api/shop/{merchant_id}/catalog/prepare")
def prepare_catalogue(request: Request, merchant_id: int, rows: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Catalogue rows (CSV with the columns sku, name and picture, as ``ledger catalog import`` reads) as typed
    data for the wallet, batch by batch; every bad row is named and nothing is to sign."""
    check_csrf(request, csrf)
    products = catalogue_file(rows, "the catalogue")
    return _to_sign(request, *staff_desk(request, merchant_id).prepare_catalogue(products))


@router.post("/api/shop/{merchant_id}/names/keep")
def keep(request: Request, merchant_id: int, typed: dict[str, Any] = Body(alias="typed_data"),
         signature: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """Keep what the wallet signed, as the signed-in staff member's (their signature, their role now)."""
    check_csrf(request, csrf)
    kept = staff_desk(request, merchant_id).keep_signed(content_of(typed), signature)
    what = "profile" if isinstance(kept.content, Profile) else f"names of {len(kept.content.products)} product(s)"
    return {"kept": f"Kept the shop's {what}, signed by {kept.signer}."}
