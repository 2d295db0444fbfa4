"""Transactions the visitor's own wallet sends (``eth_sendTransaction``): the server writes the call, runs it
first as the visitor (so a refusal is shown in words before the wallet is asked), and afterwards reads the
receipt back, turning a failed transaction into the contract's reason in words too.

The server never signs these: it only prepares and checks them. Nothing here trusts the browser's word that
a transaction landed; the receipt on chain is what counts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from ..codec import hex_of
from ..errors import ContractReverted, InvalidInput, LedgerError
from ..revert import mapped_errors
from .errors import NotYourTransaction
from .texts import keep_landed
from .views import check_csrf, signed_in, site

router = APIRouter()



def prepare(ledger: Any, sender: str, function: Any, value: int = 0) -> dict[str, str]:
    """The transaction for the wallet (``from``, ``to``, ``data``, ``value``, ``gas`` as 0x-hex), after running
    it as ``sender``: a call the contract would refuse raises its typed error here, and nothing is asked."""
    with mapped_errors(ledger.errors):
        built = function.build_transaction({"from": sender, "value": value, "chainId": ledger.chain.chain_id})
    return {"from": sender, "to": built["to"], "data": built["data"], "value": hex(value),
            "gas": hex(built["gas"] * 5 // 4)}  # headroom: state may move between the estimate and the block


def outcome(ledger: Any, tx_hash: str, visitor: str) -> Any:
    """The landed transaction's decoded events; the contract's refusal as its typed error if it failed."""
    if not isinstance(tx_hash, str) or len(tx_hash) != 66 or not tx_hash.startswith("0x"):
        raise InvalidInput("the transaction hash must be 0x followed by 64 hex digits, as the wallet returns it")
    try:
        receipt = ledger.w3.eth.get_transaction_receipt(tx_hash)
        sent = ledger.w3.eth.get_transaction(tx_hash)
    except Exception as error:  # web3 raises TransactionNotFound or a node error for an unknown hash
        raise InvalidInput(f"no landed transaction {tx_hash} on this chain: wait for the wallet, then "
                           "reload") from error
    if sent["from"] != visitor:
        raise NotYourTransaction(sent["from"], visitor)
    if sent["to"] not in (ledger.address, ledger.feedback.address):
        raise InvalidInput(f"transaction {tx_hash} was not sent to this ledger")
    if receipt["status"] != 1:
        raise _reason(ledger, sent, receipt["blockNumber"])
    ours = (ledger.address, ledger.feedback.address)
    return [ledger.contracts.decode(log) for log in receipt["logs"] if log["address"] in ours]


def _reason(ledger: Any, sent: Any, block: int) -> LedgerError:
    """Why a transaction failed: the same call replayed on the state before its block, decoded."""
    call = {"from": sent["from"], "to": sent["to"], "data": hex_of(sent["input"]), "value": sent["value"]}
    try:
        with mapped_errors(ledger.errors):
            ledger.w3.eth.call(call, block - 1)
    except LedgerError as error:
        return error
    except Exception:  # the replay failed for another reason than a revert: say what we know
        pass
    return ContractReverted(b"", "the transaction failed on chain (out of gas, or the state changed before "
                                 "it landed): try again")


@router.post("/api/wallet/outcome")
def landed(request: Request, tx_hash: str = Body(), csrf: str = Body()) -> dict[str, Any]:
    """What a transaction the visitor's wallet sent did on chain (its events), or why the contract refused it."""
    check_csrf(request, csrf)
    events = outcome(site(request).ledger, tx_hash, signed_in(request))
    keep_landed(request, [value for event in events for value in event.args.values()])
    return {"tx_hash": tx_hash, "events": [{"name": e.name, "args": e.args} for e in events]}
