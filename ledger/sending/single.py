"""Sending one transaction: simulated against the block it will land in, signed locally, sent raw, and
followed until it is mined (and confirmed), whatever the network does meanwhile.

A call the contract would refuse raises its decoded error during the simulation, before anything is
signed; the caller maps errors (``revert.mapped_errors``).

The network may lose a request or its answer, deliver it twice or late; a node may forget a transaction,
or leave it unmined for want of fee. So the nonce is fixed once, every version of the transaction that is
signed is remembered (a new version only ever for a higher fee), and before anything is sent again the
chain is asked what happened: a receipt for any version, or (``landed``) the call's work already done, such
as a purchase id recorded. A call lands at most once and leaves no gap in the account's nonces.

Once the account's nonce has moved past the call's, nothing is sent again: the transaction mined at that
nonce is found (``mined_at_nonce``) and compared with the versions signed. A node can report the new nonce
before it serves the receipt (anvil does, for a few milliseconds; so does a provider whose back ends lag one
another), so the call is said not recorded (``NotRecorded``) only when the transaction at its nonce is one
it did not sign; while that cannot be told, it waits, and past ``Chain.send_timeout`` it says the outcome is
unknown (``OutcomeUnknown``, with every version's hash), never that it failed.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3.exceptions import TransactionNotFound, Web3Exception

from ..chain import Chain
from ..codec import hex_of
from ..errors import (
    ContractReverted,
    GasLimitExceeded,
    InsufficientFunds,
    NodeError,
    NotRecorded,
    OutcomeUnknown,
)
from .journal import Operation, Sent

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

_GAS_REFUSED = re.compile(r"gas required exceeds|exceeds (the )?block gas limit", re.IGNORECASE)
"""How nodes refuse to estimate a call that needs more gas than one transaction may have."""

_FEE_TOO_LOW = re.compile(r"underpriced|fee too low|feetoolow|less than (the )?block base fee|gas price too low",
                          re.IGNORECASE)
"""How nodes refuse a transaction whose fee is too low (to enter the pool, or to replace one)."""

Landed = Callable[[], "str | None"]
"""Looks on chain for the work a call does (a purchase id recorded, say): the hash of the transaction that
did it, or None. It lets a call whose own transactions cannot be found still be recognised as done."""


def sign_and_send(chain: Chain, account: LocalAccount, function: Any, value: int = 0,
                  landed: Landed | None = None, operation: Operation | None = None) -> Any:
    """Simulate one contract call against the block it will land in, then sign it locally, send it and
    follow it until it is mined with ``chain.confirmations`` blocks; return its receipt. A refused
    simulation raises before anything is signed. Within an ``operation`` (``journal``), a call an earlier run
    of it sent is followed instead, and signed anew only once the chain shows it can never land."""
    if operation is not None:
        receipt = _sent_before(chain, account, function, value, landed, operation)
        if receipt is not None:
            return receipt
    try:
        tx = _prepare(chain, account, function, value)
    except NodeError as error:
        raise NodeError(f"{error}; nothing was sent") from error
    receipt = _Sending.first(chain, account, tx, landed, operation).until_mined()
    if receipt["status"] != 1:
        # It passed simulation but failed when mined (state changed in between): replay it to learn why.
        params = {"from": account.address, "value": value, "chainId": chain.chain_id}
        function.call(params, block_identifier=receipt["blockNumber"] - 1)
        raise ContractReverted(b"", f"transaction {hex_of(receipt['transactionHash'])} failed when mined")
    return receipt


def _sent_before(chain: Chain, account: LocalAccount, function: Any, value: int, landed: Landed | None,
                 operation: Operation) -> Any:
    """The receipt of the call as an earlier run of the operation sent it, followed until mined; None when
    no earlier run sent it, or when none of what it sent can land any more (then it is signed anew)."""
    data = function._encode_transaction_data()
    while (sent := operation.earlier(account.address, function.address, data, value)) is not None:
        receipt = _landed_before(chain, account, sent, landed, operation)
        if receipt is not None:
            return receipt
        operation.forget(sent)
    return None


def _landed_before(chain: Chain, account: LocalAccount, sent: Sent, landed: Landed | None,
                   operation: Operation) -> Any:
    """The receipt of a journaled call once mined successfully; None when it can never be: its nonce went to
    another transaction, it failed when mined (that run was told why), or the chain went back below its
    nonce (a gap before it that nobody will fill)."""
    if sent.nonce > chain.w3.eth.get_transaction_count(account.address, "pending"):
        return None
    sending = _Sending(chain, account, sent, landed, operation)
    try:
        receipt = sending.until_mined()
    except NotRecorded:
        return None
    if receipt["status"] != 1:
        return None
    if not sending.handed:
        operation.found.append(hex_of(receipt["transactionHash"]))
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
        if _GAS_REFUSED.search(str(error)):
            what = f"a call to {getattr(function, 'fn_name', 'the constructor')}"
            raise GasLimitExceeded(what, str(error)) from error
        raise
    tip = priority_fee(chain)
    max_fee = 2 * _base_fee(chain) + tip
    gas_limit = int(gas * GAS_MARGIN)
    needed = value + gas_limit * max_fee
    if balance < needed:
        raise InsufficientFunds(account.address, needed, balance, "the price plus the most gas could cost")
    tx: dict[str, Any] = function.build_transaction({
        **params, "gas": gas_limit, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
    })
    return tx


class _Sending:
    """One nonce on its way into a block: the versions signed for it (each with a higher fee than the one
    before, kept in ``record`` and journaled with the operation before they are sent), and what the chain says
    about them."""

    def __init__(self, chain: Chain, account: LocalAccount, record: Sent, landed: Landed | None,
                 operation: Operation | None) -> None:
        self.chain, self.w3, self.account, self.landed = chain, chain.w3, account, landed
        self.record, self.operation = record, operation
        self.nonce = record.nonce
        self.fee_refused = False
        self.handed = False
        """Whether this run handed a version to the node (a call resumed from the journal may need none)."""
        self.last_receipt: Any = None
        self.mined: str | None = None
        """The version the chain shows mined at the nonce, once found (its receipt may come later)."""
        self.sent_at = time.monotonic()
        self.resumed = bool(record.versions)
        """Whether the versions were signed by an earlier run: they are looked for before any is sent again."""
        if record.versions:
            self.tx, self.raw = record.tx, bytes.fromhex(record.versions[-1][1][2:])

    @classmethod
    def first(cls, chain: Chain, account: LocalAccount, tx: dict[str, Any], landed: Landed | None,
              operation: Operation | None) -> _Sending:
        """A call's first version signed (and journaled with ``operation``), to be sent by ``until_mined``."""
        record = Sent(account.address, str(tx.get("to", "")), str(tx.get("data", "0x")), int(tx.get("value", 0)),
                      int(tx["nonce"]), chain.w3.eth.block_number, tx)
        sending = cls(chain, account, record, landed, operation)
        sending._sign(tx)
        return sending

    @property
    def hashes(self) -> list[str]:
        """Every version's hash, oldest first."""
        return self.record.hashes

    @property
    def hash(self) -> str:
        """The newest version's hash."""
        return self.hashes[-1]

    def _sign(self, tx: dict[str, Any]) -> None:
        signed = self.account.sign_transaction(tx)
        self.tx, self.raw = tx, bytes(signed.raw_transaction)
        self.record.tx = tx
        self.record.versions.append([hex_of(signed.hash), "0x" + self.raw.hex()])
        if self.operation is not None:  # journaled before the node sees it
            if len(self.record.versions) == 1:
                self.operation.start(self.record)
            else:
                self.operation.save()
        self.sent_at = time.monotonic()

    def until_mined(self) -> Any:
        """Send (a call resumed from the journal is looked for first), then look at the chain until one version
        is mined and confirmed, sending again or raising the fee when what it shows asks for it."""
        deadline = time.monotonic() + self.chain.send_timeout
        if not self.resumed:
            self._send()
        pause = POLL_FIRST
        while True:
            try:
                receipt = self._look()
            except NodeError as error:
                if not isinstance(error.__cause__, requests.RequestException):
                    raise  # not the network: this module's own verdict
                raise OutcomeUnknown(f"{error} once the transaction was handed to it", self.hashes) from error
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise OutcomeUnknown(self._late(), self.hashes)
            time.sleep(pause)
            pause = min(pause * 1.5, POLL_MAX)

    def _send(self) -> None:
        """Hand the newest version to the node. Its answer may be lost or misleading (a duplicate delivery
        says "already known"); the next look at the chain tells what happened."""
        self.handed = True
        try:
            self.w3.eth.send_raw_transaction(self.raw)
        except NodeError:  # lost on the way, or its answer was
            return
        except Exception as error:  # web3 raises the node's refusal as an RPC error holding its message
            if refused_but_mined(_error_data(error), self.hash):
                return  # failed when mined: its receipt says so, and the caller learns why
            if _FEE_TOO_LOW.search(str(error)):
                self.fee_refused = True
            elif not _ALREADY_THERE.search(str(error)):
                raise

    def _look(self) -> Any:
        """One look at the chain: the receipt once mined and confirmed; else None, after sending again or
        raising the fee if that is what the chain shows is needed (never once the nonce has moved on)."""
        receipt = self._receipt()
        nonce_moved = receipt is None and self.w3.eth.get_transaction_count(self.account.address, "latest") > self.nonce
        if nonce_moved:
            receipt = self._at_nonce()
        if receipt is not None or nonce_moved:  # without a receipt: ours is mined but not served yet, or the
            return self._once_confirmed(receipt)  # node's blocks do not show it yet; look again
        known = self._known()
        stuck = known and time.monotonic() - self.sent_at > self.chain.replace_after
        if known and not stuck and not self.fee_refused:
            return None  # waiting in the node's pool
        if self.landed is not None and (done_by := self.landed()) is not None:
            # done although none of our versions can be found: send nothing
            return self._once_confirmed(self._receipt_of(done_by))
        if self.fee_refused or stuck:
            self._replace()
        else:
            self._send()  # lost on the way, or forgotten by the node: the very same bytes again
        return None

    def _once_confirmed(self, receipt: Any) -> Any:
        """The receipt once it has ``chain.confirmations`` blocks; None before (or without a receipt)."""
        if receipt is None:
            return None
        self.last_receipt = receipt
        return receipt if self._confirmed(receipt) else None

    def _at_nonce(self) -> Any:
        """The nonce has moved on: the receipt of the transaction mined at it when it is one of ours (or
        ``landed`` finds the call's work done by it); None while the node does not show it or its receipt yet;
        ``NotRecorded`` when it is a transaction this call did not sign, which did not do its work."""
        mined = self.mined or mined_at_nonce(self.w3, self.account.address, self.nonce, self.record.since)
        if mined is None:
            return None
        if mined.lower() in (tx_hash.lower() for tx_hash in self.hashes):
            self.mined = mined  # found once: its receipt is all that is waited for
            return self._receipt_of(mined)
        done_by = self.landed() if self.landed is not None else None
        if done_by is not None:
            return self._receipt_of(done_by)
        raise NotRecorded(self.hashes, self.account.address, self.nonce, mined)

    def _receipt(self) -> Any:
        for tx_hash in reversed(self.hashes):
            receipt = self._receipt_of(tx_hash)
            if receipt is not None:
                return receipt
        return None

    def _receipt_of(self, tx_hash: str) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return None

    def _known(self) -> bool:
        try:
            self.w3.eth.get_transaction(HexStr(self.hash))
        except TransactionNotFound:
            return False
        return True

    def _confirmed(self, receipt: Any) -> bool:
        needed = self.chain.confirmations
        return needed <= 1 or self.w3.eth.block_number - int(receipt["blockNumber"]) + 1 >= needed

    def _replace(self) -> None:
        """Sign the same nonce again with fees at least ``FEE_BUMP`` higher, and enough for the chain now."""
        if len(self.hashes) > MAX_REPLACEMENTS:
            raise OutcomeUnknown(f"no version of it is mined after {MAX_REPLACEMENTS} fee raises (fees may be "
                                 "high: wait for them to fall)", self.hashes)
        tip = max(math.ceil(self.tx["maxPriorityFeePerGas"] * FEE_BUMP), priority_fee(self.chain))
        max_fee = max(math.ceil(self.tx["maxFeePerGas"] * FEE_BUMP), 2 * _base_fee(self.chain) + tip)
        needed = int(self.tx.get("value", 0)) + int(self.tx["gas"]) * max_fee
        balance = self.w3.eth.get_balance(self.account.address)
        if balance < needed:
            raise OutcomeUnknown(f"it is stuck with too low a fee and {self.account.address} cannot pay a higher one "
                                 f"(it has {balance} wei, a higher fee needs {needed} wei: fund it)", self.hashes)
        self.fee_refused = False
        self._sign({**self.tx, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip})
        self._send()

    def _late(self) -> str:
        waited = f"after {self.chain.send_timeout:g} s"
        if self.last_receipt is not None:
            block = int(self.last_receipt["blockNumber"])
            have = self.w3.eth.block_number - block + 1
            return (f"transaction {hex_of(self.last_receipt['transactionHash'])} is in block {block} but has {have} "
                    f"of {self.chain.confirmations} confirmations {waited} (it may still be replaced)")
        if self.mined is not None:
            return f"transaction {self.mined} is mined, but the node gave no receipt of it {waited}"
        return f"nonce {self.nonce} of {self.account.address} is not mined {waited} (it may still be)"


def refused_but_mined(data: Any, tx_hash: str) -> bool:
    """Whether a node's refusal of ``eth_sendRawTransaction`` says the transaction is mined all the same: Hardhat,
    while it automines, mines a transaction that reverts and answers with an error whose data names it
    (``{"message": …, "txHash": "0x…", "data": "0x<revert>"}``), though it took its nonce and is in a block."""
    return isinstance(data, dict) and str(data.get("txHash", "")).lower() == tx_hash.lower()


def _error_data(error: BaseException) -> Any:
    """The data of the JSON-RPC error web3 raised an exception for (``Web3RPCError.rpc_response``), if any."""
    response = getattr(error, "rpc_response", None)
    field = response.get("error") if isinstance(response, dict) else None
    return field.get("data") if isinstance(field, dict) else None


def mined_at_nonce(w3: Any, address: str, nonce: int, since: int) -> str | None:
    """The hash of the transaction that used ``nonce`` of ``address``: found in the first block after which
    the account's count of transactions passes it (a binary search from block ``since``, or from further back
    when the count had passed it there already). None while no block the node serves shows it, or when the
    node no longer holds the state of those blocks (a node that prunes): then it cannot be told."""
    def count(block: int) -> int:
        return int(w3.eth.get_transaction_count(address, block))

    try:
        high = int(w3.eth.block_number)
        if count(high) <= nonce:
            return None
        low, back = min(since, high), 1
        while low > 0 and count(low) > nonce:
            low, back = max(0, low - back), back * 2
        if count(low) > nonce:
            return None
        while high - low > 1:  # count(low) <= nonce < count(high)
            middle = (low + high) // 2
            low, high = (low, middle) if count(middle) > nonce else (middle, high)
        block = w3.eth.get_block(high, full_transactions=True)
    except (Web3Exception, ValueError):  # state of old blocks pruned, or a block not served: cannot tell yet
        return None
    for tx in block["transactions"]:
        if tx["from"].lower() == address.lower() and int(tx["nonce"]) == nonce:
            return hex_of(tx["hash"])
    return None


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
