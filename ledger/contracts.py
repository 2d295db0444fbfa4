"""What a deployment is to code: the ledger's contracts bound on a chain, their revert decoder, view calls,
event logs decoded, and a call sent (simulated, signed, followed) with its receipt read.

A deployment is three contracts: ``Ledger`` (the entry point, which holds the money), the ``LedgerModule`` it
delegates to (one storage, one address, so one merged ABI here: ``ILedger``'s), and ``LedgerFeedback``.
Everything above (reading, the desks, the facade) goes through a ``LedgerContracts``; nothing here knows them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import event_abi_to_log_topic
from web3.contract import Contract
from web3.exceptions import TransactionNotFound

from . import validate
from .artifacts import ledger_abi, load_artifact
from .chain import Chain
from .codec import hex_of, plain, topic
from .errors import InvalidInput, UnknownEvent
from .models import Event, Purchase, TxResult, TxState
from .revert import RevertDecoder, mapped_errors
from .sending import sign_and_send
from .sending.journal import Operation
from .sending.single import Landed

LOG_CHUNK = 50_000
"""Blocks per ``eth_getLogs`` request, within what public RPC providers accept."""

SETTLED, PAID_STORED, CREDIT_USED = 1, 4, 8
"""``PurchaseState.flags`` bits the library reads."""


class LedgerContracts:
    """The ledger's contracts at ``address`` (entry point and module) and ``feedback`` on ``chain``, read from
    block ``from_block`` on."""

    def __init__(self, chain: Chain, address: str, feedback: str, from_block: int = 0) -> None:
        self.chain = chain
        self.w3 = chain.w3
        self.address = validate.address(address, "ledger address")
        self.from_block = from_block
        self.contract: Contract = self.w3.eth.contract(address=self.address, abi=ledger_abi())
        feedback_abi = load_artifact("LedgerFeedback")["abi"]
        self.feedback: Contract = self.w3.eth.contract(
            address=validate.address(feedback, "feedback module address"), abi=feedback_abi)
        self.sources_hash: str = load_artifact("Ledger")["sourcesHash"]
        self.errors = RevertDecoder(self.contract.abi + feedback_abi)
        self.functions = self.contract.functions
        """The ledger's functions, to build calls with (``functions.settle([...])``)."""
        self._events: dict[bytes, tuple[str, Contract]] = {}
        for contract in (self.contract, self.feedback):
            for entry in contract.abi:
                if entry["type"] == "event":
                    self._events[event_abi_to_log_topic(entry)] = (entry["name"], contract)

    @property
    def ours(self) -> tuple[str, str]:
        """The addresses whose logs are the ledger's."""
        return self.address, self.feedback.address

    # ------------------------------------------------------------ calls

    def call(self, function: Any) -> Any:
        """Run a view function; contract errors come back as our exceptions."""
        with mapped_errors(self.errors):
            return function.call({"chainId": self.chain.chain_id})

    def send(self, account: LocalAccount, function: Any, value: int = 0, landed: Landed | None = None,
             operation: Operation | None = None) -> TxResult:
        """Simulate, sign and send a contract call; the receipt with the ledger's events decoded (``sending``:
        ``landed`` finds the call's work should its own transactions not be found; ``operation`` journals it)."""
        with mapped_errors(self.errors):
            receipt = sign_and_send(self.chain, account, function, value, landed, operation)
        return self.result(receipt)

    def result(self, receipt: Any) -> TxResult:
        """A receipt with the ledger's events decoded."""
        events = tuple(self.decode(log) for log in receipt["logs"] if log["address"] in self.ours)
        return TxResult(hex_of(receipt["transactionHash"]), receipt["blockNumber"], receipt["gasUsed"], events)

    def transaction(self, tx_hash: str) -> TxState:
        """What the node says of a transaction: mined (with the ledger's events it emitted), failed, waiting
        in its pool, or unknown to it."""
        key = hex_of(validate.bytes32(tx_hash, "transaction hash"))
        with mapped_errors(self.errors):
            try:
                tx = self.w3.eth.get_transaction(HexStr(key))
            except TransactionNotFound:
                return TxState(key, "unknown")
            if tx.get("blockNumber") is None:
                return TxState(key, "pending", tx["from"], int(tx["nonce"]))
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexStr(key))
            except TransactionNotFound:  # a node whose back ends lag: the block is there, its receipt not yet
                return TxState(key, "pending", tx["from"], int(tx["nonce"]))
            block, head = int(receipt["blockNumber"]), int(self.w3.eth.block_number)
        common: dict[str, Any] = {"sender": tx["from"], "nonce": int(tx["nonce"]), "block_number": block,
                                  "confirmations": head - block + 1}
        if receipt["status"] != 1:
            return TxState(key, "failed", **common)
        return TxState(key, "mined", events=self.result(receipt).events, **common)

    # ------------------------------------------------------------ events

    def events(self, name: str, *indexed: Any) -> list[Event]:
        """Events of one name, filtered on their indexed arguments in order (None matches any)."""
        for contract in (self.contract, self.feedback):
            entry = next((e for e in contract.abi if e["type"] == "event" and e["name"] == name), None)
            if entry is not None:
                break
        else:
            raise InvalidInput(f"the ledger has no event {name!r}")
        topics: list[Any] = [hex_of(event_abi_to_log_topic(entry))]
        for value in indexed:
            topics.append(None if value is None else topic(value))
        while topics and topics[-1] is None:
            topics.pop()
        with mapped_errors(self.errors):
            return self._events_between(contract.address, topics)

    def _events_between(self, address: ChecksumAddress, topics: list[Any]) -> list[Event]:
        latest = self.w3.eth.block_number
        found: list[Event] = []
        start = self.from_block
        while start <= latest:
            end = min(start + LOG_CHUNK - 1, latest)
            logs = self.w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end, "topics": topics})
            found.extend(self.decode(log) for log in logs)
            start = end + 1
        return found

    def decode(self, log: Any) -> Event:
        """One of the ledger's logs as an ``Event``; ``UnknownEvent`` for one this library does not know."""
        topic0 = bytes(log["topics"][0]) if log["topics"] else b""
        known = self._events.get(topic0)
        if known is None:
            raise UnknownEvent(
                f"the ledger emitted an event this library does not know (topic {hex_of(topic0)}): "
                "upgrade the library to the version that matches the deployment"
            )
        name, contract = known
        decoded = getattr(contract.events, name)().process_log(log)
        return Event(name, plain(dict(decoded["args"])), decoded["blockNumber"], hex_of(decoded["transactionHash"]))

    # ------------------------------------------------------------ purchases

    @staticmethod
    def fields(raw: Any, names: tuple[str, ...]) -> list[Any]:
        """A struct a call returned, as a list in ``names`` order (web3 gives dicts or tuples)."""
        return [raw[name] for name in names] if isinstance(raw, dict) else list(raw)

    def is_bought(self, purchase_id: str) -> bool:
        """Whether the purchase ``purchase_id`` (0x and 64 hex digits) is recorded on chain."""
        state = self.call(self.functions.purchaseState(bytes.fromhex(purchase_id[2:])))
        return bool(self.fields(state, ("refunded", "purchasedAt"))[1])

    def with_state(self, purchase: Purchase, now: int) -> Purchase:
        """The purchase with its changing state read from the chain, as of ``now``."""
        raw = self.call(self.functions.purchaseState(bytes.fromhex(purchase.id[2:])))
        refunded, purchased_at, delivered_after, returned_mask, extension_days, flags = self.fields(
            raw, ("refunded", "purchasedAt", "deliveredAfter", "returnedLines", "extensionDays", "flags"))
        paid = purchase.paid
        if flags & PAID_STORED:
            paid = self.call(self.functions.purchaseOf(purchase.order.packed()))[3]
        credit_used = 0
        if flags & CREDIT_USED:
            credit_used = self.fields(self.call(self.functions.creditUsedOf(
                bytes.fromhex(purchase.id[2:]))), ("amount", "cash"))[0]
        return replace(
            purchase, paid=paid, purchased_at=purchased_at, refunded=refunded,
            delivered_at=purchased_at + delivered_after - 1 if delivered_after else 0,
            extension_days=extension_days,
            returned_lines=frozenset(i for i in range(len(purchase.lines)) if returned_mask >> i & 1),
            settled=bool(flags & SETTLED), credit_used=credit_used, as_of=now,
        )
