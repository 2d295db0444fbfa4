"""The gasless return as the browser does it: the EIP-712 request the wallet signs (``eth_signTypedData_v4``).
Whether the customer signed it is checked by the library before the relayer pays gas (``Ledger.submit_return``:
an account's signature or a contract wallet's ERC-1271 approval, as the contract checks it)."""

from __future__ import annotations

from typing import Any

from ..models import SignedReturn
from ..orders import RETURN_REQUEST_TYPES, wallet_typed_data

VALID_FOR = 900
"""Seconds a prepared return request may wait for the wallet's signature and the relay."""


def typed_data(request: SignedReturn) -> dict[str, Any]:
    """The request as the wallet signs it (JSON: bytes as 0x-hex, numbers as decimal strings)."""
    return wallet_typed_data("ReturnRequest", RETURN_REQUEST_TYPES, {
        "purchaseId": request.purchase_id, "lineMask": request.line_mask, "shipmentRef": request.shipment_ref,
        "nonce": str(request.nonce), "deadline": request.deadline}, request.chain_id, request.contract)
