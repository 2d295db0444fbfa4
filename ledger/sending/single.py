"""Sending one transaction: simulated against the block it will land in, signed locally, sent raw, and
followed until it is mined (and confirmed), whatever the network does meanwhile.

A call the contract would refuse raises its decoded error during the simulation, before anything is
signed; the caller maps errors (``revert.mapped_errors``).

The network may lose a request or its answer, deliver it twice or late; a node may forget a transaction,
or leave it unmined for want of fee. So the nonce is fixed once, every version of the transaction that is
signed is remembered (a new version only ever for a higher fee), and before anything is sent again the
chain is asked what happened: a receipt for any version, the account's nonce used by something else, or
(``landed``) the call's work already done, such as a purchase id recorded. A call lands at most once and
leaves no gap in the account's nonces.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3.exceptions import TransactionNotFound

from ..chain import Chain
from ..convert import hex_of
from ..errors import ContractReverted, InsufficientFunds, NodeError

GAS_MARGIN = 1.25
"""Gas limit sent, as a multiple of the simulated gas use."""

FEE_BUMP = 1.125
"""A replacement offers at least this multiple of the fees it replaces (nodes ask for 10 % more)."""

MAX_REPLACEMENTS = 10
"""Fee raises for one transaction, at most (about three times the first fee)."""

POLL_FIRST, POLL_MAX = 0.02, 1.0
"""Seconds between looks at the chain: soon at first (a local node mines at once), then less often."""

_ALREADY_THERE = re.compile(r"already known|already imported|known transaction|alreadyknown|nonce too low|oldnonce",
                            re.IGNORECASE)
"""How nodes say they have this transaction, or its nonce is used: what happened is read from the chain."""

_FEE_TOO_LOW = re.compile(r"underpriced|fee too low|feetoolow|less than (the )?block base fee|gas price too low",
                          re.IGNORECASE)
"""How nodes refuse a transaction whose fee is too low (to enter the pool, or to replace one)."""

Landed = Callable[[], "str | None"]
"""Looks on chain for the work a call does (a purchase id recorded, say): the hash of the transaction that
did it, or None. It lets a call whose own transactions cannot be found still be recognised as done."""


def sign_and_send(chain: Chain, account: LocalAccount, function: Any, value: int = 0,
                  landed: Landed | None = None) -> Any:
    """Simulate one contract call against the block it will land in, then sign it locally, send it and
    follow it until it is mined with ``chain.confirmations`` blocks; return its receipt. A refused
    simulation raises before anything is signed."""
    try:
        tx = _prepare(chain, account, function, value)
    except NodeError as error:
        raise NodeError(f"{error}; nothing was sent") from error
    receipt = _Sending(chain, account, tx, landed).until_mined()
    if receipt["status"] != 1:
        # It passed simulation but failed when mined (state changed in between): replay it to learn why.
        params = {"from": account.address, "value": value, "chainId": chain.chain_id}
        function.call(params, block_identifier=receipt["blockNumber"] - 1)
        raise ContractReverted(b"", f"transaction {hex_of(receipt['transactionHash'])} failed when mined")
    return receipt


def _prepare(chain: Chain, account: LocalAccount, function: Any, value: int) -> dict[str, Any]:
    """The transaction to sign: simulated, with its gas, fees and the account's next nonce."""
    w3 = chain.w3
    params: dict[str, Any] = {"from": account.address, "value": value, "chainId": chain.chain_id}
    balance = w3.eth.get_balance(account.address)
    if balance < value:
        raise InsufficientFunds(account.address, value, balance, "the price")
    try:
        gas = function.estimate_gas(params, block_identifier=chain.simulation_block)
    except Exception as error:  # nodes word "cannot pay for gas" differently; everything else passes through
        if re.search(r"insufficient funds|cannot afford|not have enough balance", str(error), re.IGNORECASE):
            raise InsufficientFunds(account.address, value, balance, "the price plus gas") from error
        raise
    tip = priority_fee(chain)
    max_fee = 2 * _base_fee(chain) + tip
    gas_limit = int(gas * GAS_MARGIN)
    needed = value + gas_limit * max_fee
    if balance < needed:
        raise InsufficientFunds(account.address, needed, balance, "the price plus the most gas could cost")
    return function.build_transaction({
        **params, "gas": gas_limit, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
    })


class _Sending:
    """One nonce on its way into a block: the versions signed for it (each with a higher fee than the one
    before), and what the chain says about them."""

    def __init__(self, chain: Chain, account: LocalAccount, tx: dict[str, Any], landed: Landed | None) -> None:
        self.chain, self.w3, self.account, self.landed = chain, chain.w3, account, landed
        self.nonce = int(tx["nonce"])
        self.hashes: list[str] = []
        self.fee_refused = False
        self.last_receipt: Any = None
        self._sign(tx)

    @property
    def hash(self) -> str:
        """The newest version's hash."""
        return self.hashes[-1]

    def _sign(self, tx: dict[str, Any]) -> None:
        signed = self.account.sign_transaction(tx)
        self.tx, self.raw = tx, bytes(signed.raw_transaction)
        self.hashes.append(hex_of(signed.hash))
        self.sent_at = time.monotonic()

    def until_mined(self) -> Any:
        """Send, then look at the chain until one version is mined and confirmed (sending again or raising
        the fee when what it shows asks for it)."""
        deadline = time.monotonic() + self.chain.send_timeout
        self._send()
        pause = POLL_FIRST
        while True:
            try:
                receipt = self._look()
            except NodeError as error:
                if not isinstance(error.__cause__, requests.RequestException):
                    raise  # not the network: this module's own verdict
                raise NodeError(
                    f"{error} after transaction {self.hash} (nonce {self.nonce}) was handed to it, so whether it "
                    "was recorded is not known: once the node answers again, check before sending it again"
                ) from error
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise NodeError(self._late())
            time.sleep(pause)
            pause = min(pause * 1.5, POLL_MAX)

    def _send(self) -> None:
        """Hand the newest version to the node. Its answer may be lost or misleading (a duplicate delivery
        says "already known"); the next look at the chain tells what happened."""
        try:
            self.w3.eth.send_raw_transaction(self.raw)
        except NodeError:  # lost on the way, or its answer was
            return
        except Exception as error:  # web3 raises the node's refusal as an RPC error holding its message
            if _FEE_TOO_LOW.search(str(error)):
                self.fee_refused = True
            elif not _ALREADY_THERE.search(str(error)):
                raise

    def _look(self) -> Any:
        """One look at the chain: the receipt once mined and confirmed; else None, after sending again or
        raising the fee if that is what the chain shows is needed."""
        receipt = self._receipt()
        if receipt is None and self.w3.eth.get_transaction_count(self.account.address, "latest") > self.nonce:
            # The nonce is used: by one of our versions (mined since the first question), or by another.
            receipt = self._receipt() or self._done_elsewhere()
        if receipt is not None:
            self.last_receipt = receipt
            return receipt if self._confirmed(receipt) else None
        known = self._known()
        stuck = known and time.monotonic() - self.sent_at > self.chain.replace_after
        if known and not stuck and not self.fee_refused:
            return None  # waiting in the node's pool
        if self.landed is not None and (done_by := self.landed()) is not None:
            return self._receipt_of(done_by)  # done although none of our versions can be found: send nothing
        if self.fee_refused or stuck:
            self._replace()
        else:
            self._send()  # lost on the way, or forgotten by the node: the very same bytes again
        return None

    def _receipt(self) -> Any:
        for tx_hash in reversed(self.hashes):
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
        return None

    def _receipt_of(self, tx_hash: str) -> Any:
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        return receipt if self._confirmed(receipt) else None

    def _known(self) -> bool:
        try:
            self.w3.eth.get_transaction(self.hash)
        except TransactionNotFound:
            return False
        return True

    def _done_elsewhere(self) -> Any:
        """The nonce went to a transaction this call did not sign (the same key used elsewhere meanwhile):
        the call's work may still have been done there; if not, nothing of it was recorded."""
        done_by = self.landed() if self.landed is not None else None
        if done_by is not None:
            return self.w3.eth.get_transaction_receipt(done_by)
        raise NodeError(
            f"nonce {self.nonce} of {self.account.address} was used by another transaction (the same key used "
            f"elsewhere meanwhile?) before {self.hash} was mined: nothing this command signed was recorded; "
            "run it again"
        )

    def _confirmed(self, receipt: Any) -> bool:
        needed = self.chain.confirmations
        return needed <= 1 or self.w3.eth.block_number - int(receipt["blockNumber"]) + 1 >= needed

    def _replace(self) -> None:
        """Sign the same nonce again with fees at least ``FEE_BUMP`` higher, and enough for the chain now."""
        if len(self.hashes) > MAX_REPLACEMENTS:
            raise NodeError(f"transaction {self.hash} (nonce {self.nonce}) is still not accepted after "
                            f"{MAX_REPLACEMENTS} fee raises: wait for fees to fall, then run the command again")
        tip = max(math.ceil(self.tx["maxPriorityFeePerGas"] * FEE_BUMP), priority_fee(self.chain))
        max_fee = max(math.ceil(self.tx["maxFeePerGas"] * FEE_BUMP), 2 * _base_fee(self.chain) + tip)
        needed = int(self.tx.get("value", 0)) + int(self.tx["gas"]) * max_fee
        balance = self.w3.eth.get_balance(self.account.address)
        if balance < needed:
            raise InsufficientFunds(self.account.address, needed, balance,
                                    f"a higher fee for transaction {self.hash}, stuck with too low a fee")
        self.fee_refused = False
        self._sign({**self.tx, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip})
        self._send()

    def _late(self) -> str:
        waited = f"after {self.chain.send_timeout:g} s"
        if self.last_receipt is not None:
            block = int(self.last_receipt["blockNumber"])
            have = self.w3.eth.block_number - block + 1
            return (f"transaction {hex_of(self.last_receipt['transactionHash'])} is in block {block} but has {have} of "
                    f"{self.chain.confirmations} confirmations {waited}: it may still be replaced; check it later")
        return (f"transaction {self.hash} (nonce {self.nonce}) is not mined {waited}: it may still be; check it "
                "later before sending it again")


def _base_fee(chain: Chain) -> int:
    """The base fee of the block a transaction sent now would land in, as the node reckons it."""
    return int(chain.w3.eth.get_block(chain.simulation_block).get("baseFeePerGas", 0))


def priority_fee(chain: Chain) -> int:
    """The tip to offer: what the node suggests, or 1 gwei where it suggests nothing."""
    try:
        return int(chain.w3.eth.max_priority_fee)
    except NodeError:
        raise
    except Exception:  # nodes without eth_maxPriorityFeePerGas: 1 gwei is the usual default
        return 10**9
