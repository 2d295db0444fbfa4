"""Sending many contract calls at once: the bulk write path for seeding, imports and settlement runs.

``send_many`` takes a list of ``Call``s (who signs, which contract call, what value) and returns one
``Outcome`` per call: the decoded events of its transaction (a ``TxResult``, as ``Ledger.transact``
gives) or the one error it failed with (our exception, decoded by the ledger's ``RevertDecoder``).

How it goes, in JSON-RPC batches over the node's HTTP endpoint (one request at a time through web3 on
the embedded chain, which has no HTTP; same interface, same results):

1. Every call is simulated (``eth_call`` against the block it will land in). A call the contract would
   refuse is reported with its decoded error and left out *before* it takes a nonce, so it never holds
   up the calls after it. Gas is estimated for a few calls of each shape (function, call-data length,
   paying or not) and the most of those, with a margin, goes to the shape's other calls; one that still
   runs short of gas when mined is sent once more with its own estimate (``_simulated``).
2. Each sender's nonce is read once per wave of ``WAVE_SIZE`` calls (``pending``) and counted up locally;
   what a sender cannot pay for (value plus the most its gas could cost) is left out the same way.
3. Transactions are serialised and signed locally, spread over the cores in a process pool (with
   coincurve: libsecp256k1).
4. They are sent in batches of ``eth_sendRawTransaction``. A raw transaction is sent once: if a batch
   gets no answer, the hashes the node already knows are not sent again. A node that refuses a transaction
   whose nonce is ahead of its sender's (Hardhat while it automines; it also answers a batch's requests in any
   order) gets what it refused that way again in nonce order, one transaction per sender a batch (``_HttpNode.send``).
5. Receipts are polled in batches. A transaction that failed when mined (the state changed since its
   simulation) is run again with ``eth_call`` on the state it met, to learn and report why. Then the
   next wave starts (its simulations see what the earlier waves did).

Within an operation (``Ledger.operation``) each wave is journaled once signed, before it is sent, and the
calls an earlier run of the operation sent are looked for before anything is signed (``_resumed``): what
went through is reported with nothing sent, what is still on its way is waited for.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, cast

import coincurve
import requests
import rlp
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32
from eth_utils import function_abi_to_4byte_selector, keccak, to_checksum_address
from eth_utils.abi import get_abi_input_types
from hexbytes import HexBytes
from web3.contract import Contract
from web3.exceptions import TransactionNotFound
from web3.types import BlockParams, TxParams

from ..chain import PATIENCE, Chain, RpcChain, transport_reason
from ..codec import hex_of
from ..errors import (
    GasLimitExceeded,
    InsufficientFunds,
    LedgerError,
    NodeError,
    NotRecorded,
    OutcomeUnknown,
    SendFailed,
)
from ..models import Event, TxResult
from ..orders import Order, SignedOrder, compact_signature, domain_separator
from ..revert import RevertDecoder, as_ledger_error
from .journal import Operation, Sent
from .single import (
    _ALREADY_THERE,
    _GAS_REFUSED,
    GAS_MARGIN,
    mined_at_nonce,
    priority_fee,
    refused_but_mined,
)


class Contracts(Protocol):
    """What a bulk send needs of the contracts it calls (``ledger.contracts.LedgerContracts`` has it)."""

    chain: Chain
    errors: RevertDecoder
    address: ChecksumAddress
    contract: Contract
    feedback: Contract

BATCH_SIZE = 200
"""Requests per JSON-RPC batch: what anvil takes in one go without slowing down."""

POOL_THRESHOLD = 256
"""Below this many signatures, starting worker processes costs more than it saves."""

WAVE_SIZE = 1_000
"""Calls priced, numbered and signed together. A wave fills only a few blocks, so the base fee it pushes
up stays under the fee cap (twice the base fee, as for one transaction) until the wave is mined; the next
wave reads the base fee and the nonces again. Priced once, 100,000 calls would fall behind the base fee
they raise and stay pending for good."""

GAS_SAMPLES = 3
"""Calls of each shape (``_shape``) in a wave whose gas is estimated; the others take the most of theirs."""

RECEIPT_TIMEOUT = 120.0
"""Seconds to wait for the last receipt of a bulk send."""

_NONCE_AHEAD = re.compile(r"nonce too high|can't be queued", re.IGNORECASE)
"""How a node that keeps no queue of future transactions (Hardhat while it automines: "Nonce too high. Expected
nonce to be 2 but got 21. Note that transactions can't be queued when automining.") refuses one whose nonce is
ahead of its sender's."""

STALL = 2.0
"""Seconds without a new receipt after which an automining dev node is asked to mine what it holds: anvil
in automine leaves some transactions pending when many arrive at once out of nonce order (foundry-rs/foundry
issue 10122) and, automining, never mines them on its own."""



@dataclass(frozen=True)
class Encoded:
    """A contract call already encoded (by ``encoder``): its address and call data."""

    address: str
    data: str


def encoder(contract: Contract, name: str) -> Callable[..., Encoded]:
    """Encode calls to one function of a contract with eth-abi alone: a web3 bound function checks and
    normalises its arguments at about 0.3 ms a call, most of what a bulk send of thousands spends before
    the node; here the arguments go as the ABI types take them (ints, bytes, checksum addresses)."""
    (abi,) = [e for e in contract.abi if e["type"] == "function" and e["name"] == name]
    selector, types, address = function_abi_to_4byte_selector(abi), get_abi_input_types(abi), contract.address

    def encoded(*args: Any) -> Encoded:
        return Encoded(address, "0x" + (selector + encode(types, args)).hex())

    return encoded


@dataclass(frozen=True)
class Call:
    """One item of a bulk send: a contract call (a bound web3 contract function, or ``Encoded`` by
    ``encoder``), who signs it, the value."""

    account: LocalAccount
    function: Any
    value: int = 0


@dataclass(frozen=True)
class Outcome:
    """What became of one call: its mined transaction, or the error that stopped it."""

    index: int
    """Its position in the list given to ``send_many``."""
    result: TxResult | None = None
    error: LedgerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class BulkReport:
    """One outcome per call, in the order the calls were given."""

    outcomes: tuple[Outcome, ...]
    seconds: float

    @property
    def sent(self) -> list[TxResult]:
        """The transactions mined successfully, in call order."""
        return [outcome.result for outcome in self.outcomes if outcome.result is not None]

    @property
    def failed(self) -> list[Outcome]:
        """The calls that did not go through, each with its error."""
        return [outcome for outcome in self.outcomes if not outcome.ok]

    def results(self) -> list[TxResult]:
        """Every call's result; the first failure is raised instead when there is one."""
        for outcome in self.outcomes:
            if outcome.error is not None:
                raise outcome.error
        return self.sent

    def summary(self) -> str:
        """``sent 98, failed 2 in 0.4 s`` and one line per failure."""
        lines = [f"sent {len(self.sent)}, failed {len(self.failed)} in {self.seconds:.1f} s"]
        lines += [f"  item {outcome.index + 1}: {outcome.error}" for outcome in self.failed]
        return "\n".join(lines)


# ---------------------------------------------------------------- the node, in batches or one by one


@dataclass(frozen=True)
class _Signed:
    """A signed transaction as it is handed to the node, with the sender and nonce it was signed for."""

    sender: str
    nonce: int
    raw: bytes
    hash: bytes


class _RpcError(Exception):
    """An error object in a JSON-RPC answer, with its revert data where there is any."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "error"))
        self.data = error.get("data")


class _HttpNode:
    """A node's HTTP endpoint, asked in JSON-RPC batches."""

    def __init__(self, url: str, batch_size: int) -> None:
        self.url, self.batch_size = url, batch_size
        self.session = requests.Session()
        self.in_nonce_order = False
        """Set once the node has refused a transaction as ahead of its sender's nonce: from then on each batch
        holds one transaction per sender, the next of its nonces."""

    def _many(self, method: str, params: Sequence[list[Any]]) -> list[Any]:
        """One answer per parameter list: the result, or an ``_RpcError``. A batch of reads that gets no answer
        is asked again for up to ``PATIENCE`` seconds; a batch of transactions is not (``_send_once`` knows
        what to send again)."""
        answers: list[Any] = []
        for start in range(0, len(params), self.batch_size):
            chunk = params[start:start + self.batch_size]
            body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": p} for i, p in enumerate(chunk)]
            by_id = {item.get("id"): item for item in self._post(method, body)}
            for i in range(len(chunk)):
                item = by_id.get(i, {"error": {"message": "no answer in the batch"}})
                answers.append(_RpcError(item["error"]) if "error" in item else item.get("result"))
        return answers

    def _post(self, method: str, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        deadline, pause = time.monotonic() + PATIENCE, 0.02
        while True:
            try:
                response = self.session.post(self.url, json=body, timeout=60)
                response.raise_for_status()
                answers: list[dict[str, Any]] = response.json()
                return answers
            except (requests.exceptions.RequestException, ValueError) as error:  # no answer, or half of one
                if (method == "eth_sendRawTransaction" or transport_reason(error) == "connection refused"
                        or time.monotonic() + pause > deadline):  # nothing listens: asking again cannot help
                    raise NodeError(f"the node at {self.url} did not answer a batch of {method}: {error}") from error
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def estimates(self, txs: Sequence[dict[str, Any]], block: BlockParams) -> list[int | BaseException]:
        params = [[{**tx, "value": hex(tx["value"])}, block] for tx in txs]
        return [a if isinstance(a, _RpcError) else int(a, 16) for a in self._many("eth_estimateGas", params)]

    def calls(self, txs: Sequence[dict[str, Any]], block: BlockParams) -> list[Any]:
        return self._many("eth_call", [[{**tx, "value": hex(tx["value"])}, block] for tx in txs])

    def nonces(self, addresses: Sequence[ChecksumAddress]) -> list[int]:
        return [int(_ok(a), 16) for a in self._many("eth_getTransactionCount", [[a, "pending"] for a in addresses])]

    def balances(self, addresses: Sequence[ChecksumAddress]) -> list[int]:
        return [int(_ok(a), 16) for a in self._many("eth_getBalance", [[a, "latest"] for a in addresses])]

    def send(self, txs: Sequence[_Signed]) -> list[BaseException | None]:
        """Hand the transactions to the node: its refusal of each, or None.

        What the node refuses as ahead of its sender's nonce is sent again in nonce order, one per sender a batch,
        each batch once the one before is answered (and so is every later send of this node). Refused so while
        sent in order, the sender's nonces have a gap below it (an earlier one refused for another reason): that
        refusal is its answer, and the sender's later transactions, which cannot get past the gap either, are not
        sent but answered so. A refusal that names the transaction as mined (``refused_but_mined``) is no refusal:
        it is in a block."""
        answers: list[BaseException | None] = [None] * len(txs)
        todo = list(range(len(txs)))
        while todo:
            in_order = self.in_nonce_order
            batch = _lowest_nonce_of_each_sender(txs, todo) if in_order else todo
            again: list[int] = []
            gaps: dict[str, int] = {}
            for i, reply in zip(batch, self._many("eth_sendRawTransaction", [["0x" + txs[i].raw.hex()] for i in batch])):
                if not isinstance(reply, _RpcError) or refused_but_mined(reply.data, "0x" + txs[i].hash.hex()):
                    continue
                ahead = bool(_NONCE_AHEAD.search(str(reply)))
                if ahead and not in_order:
                    again.append(i)
                    continue
                answers[i] = reply
                if ahead:  # sent in order, and still ahead: below it, a nonce the node refused
                    gaps[txs[i].sender] = i
            self.in_nonce_order = in_order or bool(again)
            done = set(batch) - set(again)
            for i in todo:
                gap = gaps.get(txs[i].sender, i)
                if gap != i:
                    answers[i] = _RpcError({"message": f"it cannot follow nonce {txs[gap].nonce} of {txs[gap].sender}, "
                                                       f"which the node refused ({answers[gap]}): a node that keeps no "
                                                       "queue takes each sender's nonces in order only"})
            todo = [i for i in todo if i not in done and txs[i].sender not in gaps]
        return answers

    def known(self, hashes: Sequence[bytes]) -> list[bool]:
        answers = self._many("eth_getTransactionByHash", [["0x" + h.hex()] for h in hashes])
        return [isinstance(a, dict) for a in answers]

    def receipts(self, hashes: Sequence[bytes]) -> list[dict[str, Any] | None]:
        answers = self._many("eth_getTransactionReceipt", [["0x" + h.hex()] for h in hashes])
        return [_receipt(a) if isinstance(a, dict) else None for a in answers]

    def mine_if_automining(self) -> None:
        """Mine a block if the node is a dev node that automines (a real network refuses the question)."""
        (automine,) = self._many("anvil_getAutomine", [[]])
        if automine is True:
            self._many("evm_mine", [[]])


class _Web3Node:
    """The same requests one at a time through web3, for the embedded chain (it has no HTTP)."""

    def __init__(self, chain: Chain, batch_size: int) -> None:
        self.w3, self.batch_size = chain.w3, batch_size

    def estimates(self, txs: Sequence[dict[str, Any]], block: BlockParams) -> list[int | BaseException]:
        return [_attempt(lambda tx=tx: int(self.w3.eth.estimate_gas(_params(tx), block))) for tx in txs]

    def calls(self, txs: Sequence[dict[str, Any]], block: BlockParams) -> list[Any]:
        return [_attempt(lambda tx=tx: self.w3.eth.call(_params(tx), block)) for tx in txs]

    def nonces(self, addresses: Sequence[ChecksumAddress]) -> list[int]:
        return [int(self.w3.eth.get_transaction_count(address, "pending")) for address in addresses]

    def balances(self, addresses: Sequence[ChecksumAddress]) -> list[int]:
        return [int(self.w3.eth.get_balance(address)) for address in addresses]

    def send(self, txs: Sequence[_Signed]) -> list[BaseException | None]:
        refusals = [_attempt(lambda tx=tx: self.w3.eth.send_raw_transaction(tx.raw)) for tx in txs]
        return [refusal if isinstance(refusal, BaseException) else None for refusal in refusals]

    def known(self, hashes: Sequence[bytes]) -> list[bool]:
        return [not isinstance(_attempt(lambda h=h: self.w3.eth.get_transaction(h)), BaseException) for h in hashes]

    def receipts(self, hashes: Sequence[bytes]) -> list[dict[str, Any] | None]:
        found: list[dict[str, Any] | None] = []
        for tx_hash in hashes:
            try:
                found.append(dict(self.w3.eth.get_transaction_receipt(Hash32(tx_hash))))
            except TransactionNotFound:
                found.append(None)
        return found

    def mine_if_automining(self) -> None:
        """The embedded chain mines every transaction as it comes: nothing is ever left pending."""


def _lowest_nonce_of_each_sender(txs: Sequence[_Signed], todo: Sequence[int]) -> list[int]:
    """Of the transactions ``todo`` (indexes into ``txs``), each sender's with the lowest nonce, in index order."""
    lowest: dict[str, int] = {}
    for i in todo:
        held = lowest.get(txs[i].sender)
        if held is None or txs[i].nonce < txs[held].nonce:
            lowest[txs[i].sender] = i
    return sorted(lowest.values())


def _params(tx: dict[str, Any]) -> TxParams:
    """A transaction as web3 takes it: the items' transactions are plain dicts of its fields."""
    return cast(TxParams, tx)


def _attempt(action: Callable[..., Any]) -> Any:
    """The action's result, or the exception it raised (node and contract errors only pass through here). It is
    called without arguments; ``...`` because the callers' lambdas take their loop variable as a default, which
    mypy cannot match with ``Callable[[], Any]``."""
    try:
        return action()
    except Exception as error:  # reported per item by the caller
        return error


def _ok(answer: Any) -> Any:
    if isinstance(answer, _RpcError):
        raise NodeError(f"the node refused a request: {answer}")
    return answer


def _receipt(raw: dict[str, Any]) -> dict[str, Any]:
    """A JSON receipt in the shape web3.py gives (numbers as ints, hashes as bytes), logs included."""
    def log(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "address": to_checksum_address(entry["address"]), "topics": [HexBytes(t) for t in entry["topics"]],
            "data": HexBytes(entry["data"]), "blockNumber": int(entry["blockNumber"], 16),
            "blockHash": HexBytes(entry["blockHash"]), "transactionHash": HexBytes(entry["transactionHash"]),
            "transactionIndex": int(entry["transactionIndex"], 16), "logIndex": int(entry["logIndex"], 16),
        }

    return {
        "transactionHash": HexBytes(raw["transactionHash"]), "blockNumber": int(raw["blockNumber"], 16),
        "gasUsed": int(raw["gasUsed"], 16), "status": int(raw["status"], 16), "logs": [log(e) for e in raw["logs"]],
    }


def _node(chain: Chain, batch_size: int) -> _HttpNode | _Web3Node:
    """JSON-RPC batches where the node has an HTTP endpoint, else web3 one request at a time."""
    if isinstance(chain, RpcChain) and chain.url.startswith("http"):
        return _HttpNode(chain.url, batch_size)
    return _Web3Node(chain, batch_size)


# ---------------------------------------------------------------- encoding calls, decoding events


class _Codec:
    """Calls encoded with eth-abi alone, and the ledger's events decoded by the index's decoder
    (``abi.decoder``): web3.py's normalisers cost about 2 ms a call or a log, most of a bulk send's
    time; the results are the same as web3's (a test compares them with ``LedgerContracts.decode`` on every event a
    bulk send produced). An event no ABI knows fails loudly there too."""

    def __init__(self, ledger: Contracts) -> None:
        from ..abi.decoder import (
            Decoder,  # imported where used, as the index itself (Ledger.history)
        )

        self._decoder = Decoder([ledger.contract.abi, ledger.feedback.abi])
        self._functions: dict[str, tuple[bytes, list[str]]] = {}

    def encode(self, function: Any) -> str:
        """The call data of a bound contract function (or of an ``Encoded`` call)."""
        if isinstance(function, Encoded):
            return function.data
        key = f"{function.address}.{function.abi_element_identifier}" if hasattr(
            function, "abi_element_identifier") else f"{function.address}.{function.fn_name}"
        if key not in self._functions:
            self._functions[key] = (function_abi_to_4byte_selector(function.abi), get_abi_input_types(function.abi))
        selector, types = self._functions[key]
        try:
            if function.kwargs:
                raise TypeError("keyword arguments need web3's mapping")
            return "0x" + (selector + encode(types, function.args)).hex()
        except (TypeError, ValueError, OverflowError):  # arguments in forms only web3 normalises (hex text…)
            data: str = function._encode_transaction_data()
            return data

    def result(self, receipt: dict[str, Any], ours: tuple[str, ...]) -> TxResult:
        """A successful receipt as a ``TxResult``, with the events of the contracts ``ours``."""
        events = tuple(self.decode(log) for log in receipt["logs"] if log["address"] in ours)
        return TxResult(hex_of(receipt["transactionHash"]), receipt["blockNumber"], receipt["gasUsed"], events)

    def decode(self, log: dict[str, Any]) -> Event:
        """A log of the ledger's as the library's ``Event``."""
        record = self._decoder.decode(log)
        return Event(record.event, record.args, record.block_number, record.tx_hash)


# ---------------------------------------------------------------- signing over the cores


def _sign_transactions(jobs: Sequence[tuple[bytes, dict[str, Any]]]) -> list[tuple[bytes, bytes]]:
    """(raw transaction, hash) for each (private key, EIP-1559 transaction); runs in a worker process.

    The transaction is serialised here (EIP-2718 type 2: ``0x02 || rlp(fields)``) and signed with
    libsecp256k1 (coincurve) rather than by ``Account.sign_transaction``, whose checks and conversions cost
    several times the signature itself; the bytes are the same (a test compares them)."""
    keys: dict[bytes, coincurve.PrivateKey] = {}
    signed = []
    for key, tx in jobs:
        private = keys.get(key) or keys.setdefault(key, coincurve.PrivateKey(key))
        fields = [tx["chainId"], tx["nonce"], tx["maxPriorityFeePerGas"], tx["maxFeePerGas"], tx["gas"],
                  bytes.fromhex(tx["to"][2:]), tx["value"], bytes.fromhex(tx.get("data", "0x")[2:]), []]
        r, s, recovery = _signature(private, keccak(b"\x02" + rlp.encode(fields)))
        raw = b"\x02" + rlp.encode([*fields, recovery, r, s])
        signed.append((raw, keccak(raw)))
    return signed


def _sign_orders(jobs: Sequence[tuple[bytes, Order, bytes]]) -> list[tuple[bytes, str]]:
    """(65-byte signature, purchase id) for each (private key, order, domain separator); runs in a worker."""
    keys: dict[bytes, coincurve.PrivateKey] = {}
    done = []
    for key, order, separator in jobs:
        private = keys.get(key) or keys.setdefault(key, coincurve.PrivateKey(key))
        digest = order.digest(separator)
        r, s, recovery = _signature(private, digest)
        done.append((r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery]), "0x" + digest.hex()))
    return done


def _signature(key: coincurve.PrivateKey, digest: bytes) -> tuple[int, int, int]:
    """(r, s, recovery id) of a digest; libsecp256k1 gives the low-s form Ethereum requires."""
    signature = key.sign_recoverable(digest, hasher=None)
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]


_pools: dict[int, ProcessPoolExecutor] = {}
"""Worker pools by size, started on first use and kept: starting processes for every wave cost more than
the signing they did."""


def _spread(work: Callable[[Sequence[Any]], list[Any]], jobs: Sequence[Any], workers: int | None) -> list[Any]:
    """``work`` over ``jobs`` in chunks across a process pool, in order; inline when there are few jobs."""
    workers = workers or os.cpu_count() or 1
    if len(jobs) < POOL_THRESHOLD or workers < 2:
        return work(jobs)
    size = -(-len(jobs) // workers)
    chunks = [jobs[start:start + size] for start in range(0, len(jobs), size)]
    pool = _pools.get(workers) or _pools.setdefault(workers, ProcessPoolExecutor(max_workers=workers))
    return [item for chunk in pool.map(work, chunks) for item in chunk]


def sign_orders(account: LocalAccount, orders: Sequence[Order], chain_id: int, ledger: str,
                workers: int | None = None) -> list[SignedOrder]:
    """Sign many orders as ``account`` (the shop's owner or agent) without a chain call each: the bulk twin
    of ``MerchantDesk.quote``, for orders built by the caller (``Order`` with the terms copied in)."""
    separator = domain_separator(chain_id, ledger)
    signed = _spread(_sign_orders, [(bytes(account.key), order, separator) for order in orders], workers)
    return [SignedOrder(order, "0x" + compact_signature(signature).hex(), account.address, chain_id, ledger, purchase)
            for order, (signature, purchase) in zip(orders, signed)]


# ---------------------------------------------------------------- the bulk send


@dataclass
class _Item:
    index: int
    call: Call
    tx: dict[str, Any]
    gas: int = 0
    tx_nonce: int = 0
    raw: bytes = b""
    hash: bytes = b""
    since: int = 0
    """The newest block when it was signed: what mined its nonce is after it."""

    def signed(self) -> _Signed:
        """The item's transaction as the node is handed it."""
        return _Signed(self.call.account.address, self.tx_nonce, self.raw, self.hash)


def send_many(ledger: Contracts, calls: Sequence[Call], batch_size: int = BATCH_SIZE,
              workers: int | None = None, timeout: float = RECEIPT_TIMEOUT, wave_size: int = WAVE_SIZE,
              operation: Operation | None = None) -> BulkReport:
    """Simulate, sign, send and confirm many contract calls to the ledger's contracts; one ``Outcome`` per
    call, in order. Nothing is raised for a failed call: its outcome carries the error
    (``BulkReport.results()`` raises it). Inside an ``operation`` (``Ledger.operation``; ``Ledger.send_many``
    passes the one it runs in) every call is journaled before it is sent, and one an earlier run sent is
    followed, not sent again."""
    started = time.monotonic()
    node = _node(ledger.chain, batch_size)
    codec = _Codec(ledger)
    errors: dict[int, LedgerError] = {}
    items = [_Item(i, call, {"from": call.account.address, "to": call.function.address,
                             "data": codec.encode(call.function), "value": call.value})
             for i, call in enumerate(calls)]
    results: dict[int, TxResult] = {}
    if operation is not None:
        items = _resumed(ledger, codec, node, items, operation, errors, results, timeout)
    for start in range(0, len(items), wave_size):
        wave = items[start:start + wave_size]
        try:
            short = _wave(ledger, codec, node, wave, errors, results, workers, timeout, operation)
            if short:  # ran out of the gas of their kind when mined: once more, each with its own estimate
                _wave(ledger, codec, node, short, errors, results, workers, timeout, operation, exact=True)
        except NodeError as error:  # the node stopped answering: what was handed to it may still land
            _stopped(error, wave, items[start + wave_size:], errors, results)
            break

    outcomes = tuple(Outcome(i, results.get(i), errors.get(i)) for i in range(len(calls)))
    return BulkReport(outcomes, time.monotonic() - started)


def _stopped(error: NodeError, wave: list[_Item], later: list[_Item], errors: dict[int, LedgerError],
             results: dict[int, TxResult]) -> None:
    """Every item without an outcome when the node stopped answering: unknown when it was signed (it may
    have been handed to the node), else not sent, as none of the items after it."""
    for item in wave + later:
        if item.index in errors or item.index in results:
            continue
        if item.raw:
            errors[item.index] = OutcomeUnknown(f"{error} once it was signed and sent", ["0x" + item.hash.hex()])
        else:
            errors[item.index] = NodeError(f"{error}; nothing was sent for it")


def _ours(ledger: Contracts) -> tuple[str, ...]:
    return ledger.address, ledger.feedback.address


def _resumed(ledger: Contracts, codec: _Codec, node: Any, items: list[_Item], operation: Operation,
             errors: dict[int, LedgerError], results: dict[int, TxResult], timeout: float) -> list[_Item]:
    """Items an earlier run of the operation sent are looked for instead of signed anew: one mined comes back
    as its result with nothing sent (``Operation.found``); one not mined is sent again (the same bytes) and
    waited for. The items still to sign are returned: those no earlier run sent, and those whose earlier
    transaction can no longer land (its nonce went to another, it failed when mined, or the chain went back
    below its nonce)."""
    earlier: list[tuple[_Item, Sent]] = []
    fresh = []
    for item in items:
        sent = operation.earlier(item.call.account.address, item.tx["to"], item.tx["data"], item.call.value)
        if sent is None:
            fresh.append(item)
            continue
        item.raw, item.hash = bytes.fromhex(sent.versions[-1][1][2:]), bytes.fromhex(sent.hashes[-1][2:])
        item.tx_nonce, item.since, item.gas = sent.nonce, sent.since, int(sent.tx["gas"])
        earlier.append((item, sent))
    if not earlier:
        return fresh
    senders = list(dict.fromkeys(item.call.account.address for item, _ in earlier))
    pending = dict(zip(senders, node.nonces(senders)))
    again: list[tuple[_Item, Sent]] = []
    lost: list[tuple[_Item, Sent]] = []
    for (item, sent), receipt in zip(earlier, node.receipts([item.hash for item, _ in earlier])):
        if receipt is not None and receipt["status"] == 1:
            results[item.index] = codec.result(receipt, _ours(ledger))
            operation.found.append(results[item.index].tx_hash)
        elif receipt is not None or sent.nonce > pending[item.call.account.address]:
            lost.append((item, sent))
        else:
            again.append((item, sent))
    if again:
        waiting = [item for item, _ in again]
        _send_once(node, waiting, errors)
        confirmed, _ = _confirmed(ledger, codec, node, waiting, errors, timeout, exact=True)
        results.update(confirmed)
        lost += [(item, sent) for item, sent in again
                 if item.index in errors and not isinstance(errors[item.index], OutcomeUnknown)]
    for item, sent in lost:
        operation.forget(sent)
        errors.pop(item.index, None)
        item.raw, item.hash, item.gas = b"", b"", 0
        fresh.append(item)
    return sorted(fresh, key=lambda item: item.index)


def _journaled(chain: Chain, item: _Item) -> Sent:
    """A signed item as the operation's journal keeps it."""
    tx = {**item.tx, "gas": item.gas, "nonce": item.tx_nonce, "chainId": chain.chain_id}
    return Sent(item.call.account.address, item.tx["to"], item.tx["data"], item.call.value, item.tx_nonce,
                item.since, tx, [["0x" + item.hash.hex(), "0x" + item.raw.hex()]])


def _wave(ledger: Contracts, codec: _Codec, node: Any, items: list[_Item], errors: dict[int, LedgerError],
          results: dict[int, TxResult], workers: int | None, timeout: float, operation: Operation | None,
          exact: bool = False) -> list[_Item]:
    """Simulate, price, number, sign, (journal,) send and confirm one wave; the items that ran short of gas are
    returned (and left without an outcome) unless their gas was ``exact`` already."""
    wave = _simulated(ledger, node, items, errors, exact)
    wave = _funded(ledger.chain, node, wave, errors)
    _sign(ledger.chain, node, wave, workers)
    if operation is not None and wave:
        operation.start(*(_journaled(ledger.chain, item) for item in wave))
    _send_once(node, wave, errors)
    _fill_gaps(ledger.chain, node, wave, errors)
    confirmed, short = _confirmed(ledger, codec, node, wave, errors, timeout, exact)
    results.update(confirmed)
    return short


def _simulated(ledger: Contracts, node: Any, items: list[_Item], errors: dict[int, LedgerError],
               exact: bool) -> list[_Item]:
    """The items whose simulation passed, with their gas; the others get their decoded error.

    Every item is run once (``eth_call`` against the block it will land in), so a call the contract would
    refuse never takes a nonce. Gas is estimated (``eth_estimateGas``, a search that runs the call several
    times) for the first ``GAS_SAMPLES`` items of each shape only, and the most of those, with the margin,
    is every item of the shape's limit: estimating every item made the node's work several times the
    transactions' own. An item that still runs short when mined is sent again with its own estimate."""
    block = ledger.chain.simulation_block
    passing = []
    for item, answer in zip(items, node.calls([item.tx for item in items], block)):
        if isinstance(answer, BaseException):
            errors[item.index] = _as_error(ledger, answer, item.call)
        else:
            passing.append(item)
    shapes: dict[tuple[Any, ...], list[_Item]] = {}
    for item in passing:
        shapes.setdefault((item.index,) if exact else _shape(item.tx), []).append(item)
    samples = [(key, item) for key, shape in shapes.items() for item in shape[:GAS_SAMPLES]]
    gas_of: dict[tuple[Any, ...], int] = {}
    for (key, item), gas in zip(samples, node.estimates([item.tx for _, item in samples], block)):
        if isinstance(gas, BaseException):
            errors[item.index] = _as_error(ledger, gas, item.call)
        else:
            gas_of[key] = max(gas_of.get(key, 0), gas)
    kept = []
    for key, shape in shapes.items():
        for item in shape:
            if item.index in errors:
                continue
            if key not in gas_of:  # every sample of the shape failed to estimate: this one on its own
                (gas,) = node.estimates([item.tx], block)
                if isinstance(gas, BaseException):
                    errors[item.index] = _as_error(ledger, gas, item.call)
                    continue
                item.gas = int(gas * GAS_MARGIN)
            else:
                item.gas = int(gas_of[key] * GAS_MARGIN)
            kept.append(item)
    return sorted(kept, key=lambda item: item.index)


def _shape(tx: dict[str, Any]) -> tuple[Any, ...]:
    """Calls of one shape use about the same gas: same contract and function, same call-data length (so
    the same number of lines), paying or not."""
    return tx["to"], tx["data"][:10], len(tx["data"]), tx["value"] > 0


def _as_error(ledger: Contracts, error: BaseException, call: Call) -> LedgerError:
    mapped = as_ledger_error(error, ledger.errors)
    if isinstance(mapped, LedgerError):
        return mapped
    text = str(error)
    if re.search(r"insufficient funds|cannot afford|not have enough balance", text, re.IGNORECASE):
        return InsufficientFunds(call.account.address, call.value, 0, "the value plus gas")
    if _GAS_REFUSED.search(text):
        return GasLimitExceeded("the call", text)
    return SendFailed(f"the node refused the transaction: {text}")


def _funded(chain: Chain, node: Any, items: list[_Item], errors: dict[int, LedgerError]) -> list[_Item]:
    """The items each sender can pay for (value plus the most gas could cost), in order, with fees set."""
    tip = priority_fee(chain)
    max_fee = 2 * int(chain.w3.eth.get_block("latest").get("baseFeePerGas", 0)) + tip
    senders = list(dict.fromkeys(item.call.account.address for item in items))
    balances = dict(zip(senders, node.balances(senders)))
    kept = []
    for item in items:
        sender = item.call.account.address
        needed = item.call.value + item.gas * max_fee
        if needed > balances[sender]:
            errors[item.index] = InsufficientFunds(sender, needed, balances[sender],
                                                   "the value plus the most gas could cost, after its earlier items")
            continue
        balances[sender] -= needed
        item.tx.update(maxFeePerGas=max_fee, maxPriorityFeePerGas=tip)
        kept.append(item)
    return kept


def _sign(chain: Chain, node: Any, items: list[_Item], workers: int | None) -> None:
    """Give each item the next nonce of its sender (read once) and sign it."""
    senders = list(dict.fromkeys(item.call.account.address for item in items))
    next_nonce = dict(zip(senders, node.nonces(senders)))
    since = int(chain.w3.eth.block_number)
    jobs = []
    for item in items:
        sender = item.call.account.address
        tx = {**item.tx, "gas": item.gas, "nonce": next_nonce[sender], "chainId": chain.chain_id}
        item.tx_nonce, item.since = next_nonce[sender], since
        next_nonce[sender] += 1
        jobs.append((bytes(item.call.account.key), tx))
    for item, (raw, tx_hash) in zip(items, _spread(_sign_transactions, jobs, workers)):
        item.raw, item.hash = raw, tx_hash


def _send_once(node: Any, items: list[_Item], errors: dict[int, LedgerError]) -> None:
    """Send every signed item; a refusal is that item's error, unless it says the node has the transaction or
    its nonce is used (a batch delivered twice hears that of its first copy): then the chain tells what
    happened (``_confirmed``). When a batch gets no answer, what the node already knows is not sent again,
    the rest once more; what is still unsent after that is sent again while it is waited for."""
    waiting = list(items)
    for _ in range(3):
        try:
            refusals = node.send([item.signed() for item in waiting])
        except NodeError:
            waiting = [item for item, known in zip(waiting, node.known([i.hash for i in waiting])) if not known]
            continue
        for item, refusal in zip(waiting, refusals):
            if refusal is not None and not _ALREADY_THERE.search(str(refusal)):
                errors[item.index] = SendFailed(f"the node refused transaction 0x{item.hash.hex()}: {refusal}")
        return


def _fill_gaps(chain: Chain, node: Any, items: list[_Item], errors: dict[int, LedgerError]) -> None:
    """Spend the nonce of each refused item with an empty transfer to its sender, so that sender's later
    items, already sent, are not left waiting behind a gap."""
    refused = [item for item in items if item.index in errors]
    fillers = [(bytes(item.call.account.key), {
        "to": item.call.account.address, "value": 0, "gas": 21_000, "nonce": item.tx_nonce, "chainId": chain.chain_id,
        "maxFeePerGas": item.tx["maxFeePerGas"], "maxPriorityFeePerGas": item.tx["maxPriorityFeePerGas"],
    }) for item in refused]
    if fillers:
        node.send([_Signed(item.call.account.address, item.tx_nonce, raw, tx_hash)
                   for item, (raw, tx_hash) in zip(refused, _sign_transactions(fillers))])


def _confirmed(ledger: Contracts, codec: _Codec, node: Any, items: list[_Item], errors: dict[int, LedgerError],
               timeout: float, exact: bool) -> tuple[dict[int, TxResult], list[_Item]]:
    """Poll receipts until every sent item is mined, oldest first, a batch at a time (asking for all of
    them again and again would keep a busy node busier); decode events, or learn why an item failed. An
    item that failed only for want of gas (its replay with no limit passes) is returned to be sent again,
    unless its gas was its own estimate already."""
    waiting = {item.hash: item for item in items if item.index not in errors}
    results: dict[int, TxResult] = {}
    short: list[_Item] = []
    ours = _ours(ledger)
    deadline = time.monotonic() + timeout
    progress = time.monotonic()
    while waiting:
        hashes = list(waiting)[:node.batch_size]
        receipts = node.receipts(hashes)
        for tx_hash, receipt in zip(hashes, receipts):
            if receipt is None:
                continue
            item = waiting.pop(tx_hash)
            if receipt["status"] == 1:
                results[item.index] = codec.result(receipt, ours)
            else:
                why = _why_failed(ledger, item, receipt["blockNumber"])
                if why is None and not exact:
                    short.append(item)
                else:
                    errors[item.index] = why or SendFailed(
                        f"transaction 0x{item.hash.hex()} ran out of gas ({item.gas:,}) though estimated on its own")
        if any(receipt is not None for receipt in receipts):
            progress = time.monotonic()
        else:
            if time.monotonic() - progress > STALL:
                _look_again(ledger.chain, node, waiting, errors)
                progress = time.monotonic()
            if time.monotonic() > deadline:
                for item in waiting.values():
                    errors[item.index] = OutcomeUnknown(f"it was not mined within {timeout:.0f} s",
                                                        ["0x" + item.hash.hex()])
                break
            time.sleep(0.02)
    return results, short


def _look_again(chain: Chain, node: Any, waiting: dict[bytes, _Item], errors: dict[int, LedgerError]) -> None:
    """For items without a receipt for ``STALL`` seconds: one whose nonce went to a transaction it is not is
    said not recorded (``mined_at_nonce``; while the node shows its nonce used before its receipt, it is
    waited for); one the node does not know while its nonce is free (lost, or forgotten) is sent again, the
    same bytes; and an automining dev node is asked to mine what it holds."""
    items = list(waiting.values())
    senders = {item.call.account.address for item in items}
    latest = {sender: int(chain.w3.eth.get_transaction_count(sender, "latest")) for sender in senders}
    free = []
    for item in items:
        sender = item.call.account.address
        if latest[sender] <= item.tx_nonce:
            free.append(item)
            continue
        mined = mined_at_nonce(chain.w3, sender, item.tx_nonce, item.since)
        if mined is not None and mined.lower() != "0x" + item.hash.hex():
            errors[item.index] = NotRecorded(["0x" + item.hash.hex()], sender, item.tx_nonce, mined)
            del waiting[item.hash]
    lost = [item for item, known in zip(free, node.known([item.hash for item in free])) if not known]
    if lost:
        try:
            node.send([item.signed() for item in lost])
        except NodeError:  # lost again: the next look sends them once more
            pass
    node.mine_if_automining()


def _why_failed(ledger: Contracts, item: _Item, block: int) -> LedgerError | None:
    """Run a call that failed when mined again to decode its revert: on the state after its block (which
    holds what the transactions before it in the block did, and nothing of its own), then before it.
    None when both replays pass: with no gas limit, it goes through, so it ran short of gas."""
    replay = {key: item.tx[key] for key in ("from", "to", "data", "value")}
    for state in (block, block - 1):
        try:
            ledger.chain.w3.eth.call(_params(replay), state)
        except Exception as error:  # the revert we are looking for, decoded here
            return _as_error(ledger, error, item.call)
    return None
