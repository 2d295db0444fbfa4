"""The gasless return as the browser does it: the EIP-712 request the wallet signs (``eth_signTypedData_v4``),
and the check that the signed-in customer signed it before the server pays gas to relay it."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from ..errors import InvalidInput, LedgerError
from ..models import SignedReturn
from ..orders import RETURN_REQUEST_TYPES, domain

EIP712_DOMAIN = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                 {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}]

VALID_FOR = 900
"""Seconds a prepared return request may wait for the wallet's signature and the relay."""


class NotYourSignature(LedgerError, PermissionError):
    """Raised when a return request was signed by another wallet than the signed-in customer's."""

    def __init__(self, signer: str, customer: str) -> None:
        super().__init__(f"the return request was signed by {signer}, not by you ({customer}): sign it with "
                         "the wallet you signed in with")


def typed_data(request: SignedReturn) -> dict[str, Any]:
    """The request as the wallet signs it (JSON: bytes as 0x-hex, numbers as decimal strings)."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN, **RETURN_REQUEST_TYPES},
        "primaryType": "ReturnRequest",
        "domain": domain(request.chain_id, request.contract),
        "message": {"purchaseId": request.purchase_id, "lineMask": request.line_mask,
                    "shipmentRef": request.shipment_ref, "nonce": str(request.nonce),
                    "deadline": request.deadline},
    }


def signer_of(request: SignedReturn) -> str:
    """Who signed the request (recovered locally, before any gas is spent)."""
    message = {"purchaseId": bytes.fromhex(request.purchase_id[2:]), "lineMask": request.line_mask,
               "shipmentRef": bytes.fromhex(request.shipment_ref[2:]), "nonce": request.nonce,
               "deadline": request.deadline}
    try:
        encoded = encode_typed_data(domain(request.chain_id, request.contract), RETURN_REQUEST_TYPES, message)
        return Account.recover_message(encoded, signature=request.signature)
    except Exception as error:  # malformed signatures raise several kinds in eth-account
        raise InvalidInput(f"the return signature cannot be read ({error}): sign the request again") from error
