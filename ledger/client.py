"""The facade: ``Ledger`` for reads and shared actions, ``MerchantDesk`` and ``CustomerDesk`` for each side.

Writes are simulated first (``eth_estimateGas`` against the pending block), so a call the contract would
refuse raises the decoded error and sends nothing. They are then signed locally and sent raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3.contract import Contract

from . import validate
from .build import load_artifact
from .chain import Chain
from .deployment import Deployment
from .errors import (
    ContractReverted,
    DeploymentError,
    InsufficientFunds,
    InvalidInput,
    NotCustomer,
    UnknownEvent,
    UnknownPurchase,
    WrongChain,
)
from .models import (
    NATIVE,
    Channel,
    ContactKind,
    ContactMoment,
    DeferredPayment,
    Event,
    Figures,
    LineItem,
    Merchant,
    Purchase,
    RatingSummary,
    Reason,
    Refund,
    ReturnTerms,
    Review,
    Role,
    Score,
    Settlement,
    SignedReturn,
    Status,
    TxResult,
)
from .revert import RevertDecoder, mapped_errors

ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": name, "stateMutability": mutability, "inputs": inputs, "outputs": outputs}
    for name, mutability, inputs, outputs in (
        ("balanceOf", "view", [{"name": "a", "type": "address"}], [{"name": "", "type": "uint256"}]),
        ("allowance", "view", [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
         [{"name": "", "type": "uint256"}]),
        ("approve", "nonpayable", [{"name": "s", "type": "address"}, {"name": "v", "type": "uint256"}], []),
    )
]
"""The part of ERC-20 the library uses. ``approve`` is declared without a return value so tokens that
return nothing (old USDT style) work too."""

LOG_CHUNK = 50_000
"""Blocks per ``eth_getLogs`` request, within what public RPC providers accept."""

GAS_MARGIN = 1.25
"""Gas limit sent, as a multiple of the simulated gas use."""

RETURN_REQUEST_TYPES = {
    "ReturnRequest": [
        {"name": "purchaseId", "type": "bytes32"},
        {"name": "lineMask", "type": "uint32"},
        {"name": "shipmentRef", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
"""EIP-712 type of a signed return request (``Ledger.RETURN_REQUEST_TYPEHASH``)."""


def _hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _plain(value: Any) -> Any:
    """web3's AttributeDicts, tuples and bytes as plain dicts, lists and hex strings."""
    if isinstance(value, (bytes, bytearray)):
        return _hex(value)
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _line_from_chain(raw: dict[str, Any] | Sequence[Any]) -> LineItem:
    sku, quantity, unit_price = (raw["sku"], raw["quantity"], raw["unitPrice"]) if isinstance(raw, dict) else raw
    sku_bytes = bytes.fromhex(sku[2:]) if isinstance(sku, str) else bytes(sku)
    return LineItem(sku=validate.sku_text(sku_bytes), quantity=quantity, unit_price=unit_price)


def _line_to_chain(line: LineItem | Sequence[Any]) -> tuple[bytes, int, int]:
    if not isinstance(line, LineItem):
        try:
            line = LineItem(*line)
        except TypeError as error:
            raise InvalidInput(f"a line is a (sku, quantity, unit price), not {line!r}") from error
    validate.positive(line.quantity, "quantity")
    validate.non_negative(line.unit_price, "unit price")
    if line.quantity >= 2**32 or line.unit_price >= 2**128:
        raise InvalidInput(f"line {line.sku!r}: quantity must be below 2^32 and unit price below 2^128")
    return validate.sku(line.sku), line.quantity, line.unit_price


def _purchase_tuple(purchase: Purchase) -> tuple[Any, ...]:
    """A purchase in the ABI order of ``ILedger.Purchase``."""
    return (
        purchase.customer,
        purchase.merchant_id,
        purchase.terms_id,
        purchase.token,
        purchase.paid,
        purchase.price,
        purchase.purchased_at,
        purchase.return_window,
        purchase.restocking_fee_bps,
        purchase.window_from_delivery,
        purchase.item_must_be_returned,
        bytes.fromhex(purchase.lines_hash[2:]),
        bytes.fromhex(purchase.order_ref[2:]),
        purchase.referrer,
        purchase.referral_bps,
    )


def _lines_tuple(purchase: Purchase) -> list[tuple[bytes, int, int]]:
    return [_line_to_chain(line) for line in purchase.lines]


class Ledger:
    """A deployed ledger contract on a chain: reads, deployment, and the actions anyone may take."""

    def __init__(self, chain: Chain, address: str, from_block: int = 0) -> None:
        self.chain = chain
        self.w3 = chain.w3
        self.address = validate.address(address, "contract address")
        self.from_block = from_block
        artifact = load_artifact("Ledger")
        self.contract: Contract = self.w3.eth.contract(address=self.address, abi=artifact["abi"])
        self.sources_hash: str = artifact["sourcesHash"]
        self.errors = RevertDecoder(artifact["abi"])
        self._events = {
            event_abi_to_log_topic(entry): entry["name"] for entry in artifact["abi"] if entry["type"] == "event"
        }
        self._terms_cache: dict[int, ReturnTerms] = {}

    # ------------------------------------------------------------ deployment

    @classmethod
    def deploy(cls, chain: Chain, deployer: LocalAccount) -> Ledger:
        """Deploy a new ledger contract, signed by ``deployer``."""
        artifact = load_artifact("Ledger")
        factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        decoder = RevertDecoder(artifact["abi"])
        with mapped_errors(decoder):
            receipt = _sign_and_send(chain, deployer, factory.constructor())
        return cls(chain, receipt["contractAddress"], receipt["blockNumber"])

    @classmethod
    def attach(cls, chain: Chain, deployment: Deployment) -> Ledger:
        """Use the contract a deployment file names, after checking chain and code."""
        actual = chain.chain_id
        if actual != deployment.chain_id:
            raise WrongChain(deployment.chain_id, actual)
        if not chain.w3.eth.get_code(deployment.address):
            raise DeploymentError(
                f"no contract at {deployment.address} on chain {actual}: the node may have been reset; deploy again"
            )
        return cls(chain, deployment.address, deployment.block_number)

    def deployment(self) -> Deployment:
        """What to write in a deployment file for this contract."""
        return Deployment(self.address, self.chain.chain_id, self.from_block, self.sources_hash)

    # ------------------------------------------------------------ sides

    def register_merchant(self, owner: LocalAccount, payout: str | None = None) -> MerchantDesk:
        """Register a merchant owned by ``owner`` (paid to ``payout``, by default the owner)."""
        payout = validate.address(payout or owner.address, "payout address")
        result = self.transact(owner, self.contract.functions.registerMerchant(payout))
        merchant_id = int(result.named("MerchantRegistered")[0].args["merchantId"])
        return MerchantDesk(self, owner, merchant_id)

    def merchant_desk(self, account: LocalAccount, merchant_id: int) -> MerchantDesk:
        """Act for merchant ``merchant_id`` as ``account`` (its owner or an agent)."""
        merchant = self.merchant(merchant_id)
        if self.role(merchant.id, account.address) is Role.NONE:
            raise InvalidInput(f"{account.address} is neither owner nor agent of merchant #{merchant_id}")
        return MerchantDesk(self, account, merchant.id)

    def customer_desk(self, account: LocalAccount) -> CustomerDesk:
        """Act as the customer ``account``."""
        return CustomerDesk(self, account)

    # ------------------------------------------------------------ reads

    def merchant(self, merchant_id: int) -> Merchant:
        """A registered merchant."""
        validate.positive(merchant_id, "merchant id")
        raw = self.call(self.contract.functions.merchant(merchant_id))
        if isinstance(raw, dict):
            raw = [raw[k] for k in ("owner", "payout", "referralBps", "creditBonusBps")]
        owner, payout, referral_bps, credit_bonus_bps = raw
        return Merchant(merchant_id, to_checksum_address(owner), to_checksum_address(payout), referral_bps,
                        credit_bonus_bps)

    def merchants(self) -> list[Merchant]:
        """Every registered merchant."""
        return [self.merchant(i) for i in range(1, self.call(self.contract.functions.merchantCount()) + 1)]

    def role(self, merchant_id: int, account: str) -> Role:
        """What ``account`` may do at a merchant."""
        return Role(self.call(self.contract.functions.roleOf(merchant_id, validate.address(account))))

    def terms(self, terms_id: int) -> ReturnTerms:
        """Published return terms (retired ones included)."""
        validate.positive(terms_id, "terms id")
        raw = self.call(self.contract.functions.terms(terms_id))
        values = [raw[k] for k in ("merchantId", "returnWindow", "restockingFeeBps", "windowFromDelivery",
                                   "itemMustBeReturned", "retired")] if isinstance(raw, dict) else list(raw)
        return ReturnTerms(terms_id, *values)

    def terms_of(self, merchant_id: int) -> list[ReturnTerms]:
        """Every set of terms a merchant published, oldest first."""
        logs = self.events("TermsPublished", None, merchant_id)
        return [self.terms(int(event.args["termsId"])) for event in logs]

    def purchase(self, purchase_id: str | bytes) -> Purchase:
        """One purchase with its current state; ``UnknownPurchase`` if there is none."""
        key = validate.bytes32(purchase_id, "purchase id")
        logs = self.events("PurchaseRecorded", key)
        if not logs:
            raise UnknownPurchase(_hex(key))
        return self._with_state(self._purchase_from_event(logs[0]), self.chain.now())

    def purchases(
        self,
        merchant_id: int | None = None,
        customer: str | None = None,
        sku: str | None = None,
        since: int | None = None,
        until: int | None = None,
        status: Status | str | None = None,
    ) -> list[Purchase]:
        """Purchases, oldest first, filtered by merchant, customer, SKU, time range (inclusive) and status."""
        wanted_status = _status(status) if status is not None else None
        customer = validate.address(customer, "customer") if customer else None
        logs = self.events("PurchaseRecorded", None, merchant_id, customer)
        now = self.chain.now()
        found = []
        for event in logs:
            purchase = self._purchase_from_event(event)
            if sku is not None and all(line.sku != sku for line in purchase.lines):
                continue
            if since is not None and purchase.purchased_at < since:
                continue
            if until is not None and purchase.purchased_at > until:
                continue
            purchase = self._with_state(purchase, now)
            if wanted_status is not None and wanted_status not in purchase.statuses:
                continue
            found.append(purchase)
        return found

    def contacts(
        self, merchant_id: int | None = None, customer: str | None = None, purchase_id: str | None = None
    ) -> list[ContactMoment]:
        """Contact moments, oldest first."""
        customer = validate.address(customer, "customer") if customer else None
        key = validate.bytes32(purchase_id, "purchase id") if purchase_id else None
        return [self._contact_from_event(event) for event in self.events("ContactLogged", merchant_id, customer, key)]

    def refunds(self, purchase_id: str | None = None, customer: str | None = None) -> list[Refund]:
        """Refunds paid (returns and goodwill), oldest first."""
        customer = validate.address(customer, "customer") if customer else None
        key = validate.bytes32(purchase_id, "purchase id") if purchase_id else None
        found = [self._refund_from_event(e) for e in self.events("ItemsReturned", key, customer)]
        found += [self._refund_from_event(e) for e in self.events("CreditIssued", key, None, customer)]
        goodwill = [self._refund_from_event(e) for e in self.events("GoodwillRefunded", key)]
        if customer:
            goodwill = [refund for refund in goodwill if refund.customer == customer]
        return sorted(found + goodwill, key=lambda refund: refund.block_number)

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None) -> list[Settlement]:
        """Settlements made, oldest first."""
        key = validate.bytes32(purchase_id, "purchase id") if purchase_id else None
        return [self._settlement_from_event(event) for event in self.events("Settled", key, merchant_id)]

    def referral_earnings(self, referrer: str) -> list[Settlement]:
        """The settlements that paid ``referrer`` a commission, with the purchases they came from."""
        referrer = validate.address(referrer, "referrer")
        return [self._settlement_from_event(event) for event in self.events("Settled", None, None, referrer)]

    def deferred_balance(self, account: str, token: str = NATIVE) -> int:
        """Payments kept for ``account`` because pushing them failed."""
        return self.call(
            self.contract.functions.deferredBalance(validate.address(token, "token"), validate.address(account))
        )

    def figures(self, merchant_id: int) -> list[Figures]:
        """Sales, refunds, return rate and contacts per purchase of a merchant, one entry per token."""
        self.merchant(merchant_id)
        purchases = self.purchases(merchant_id=merchant_id)
        contacts = len(self.contacts(merchant_id=merchant_id))
        settled = {s.purchase_id: s.amount for s in self.settlements(merchant_id=merchant_id)}
        tokens = sorted({p.token for p in purchases}) or [NATIVE]
        feedback = {
            "average_rating": self.ratings(merchant_id).average,
            "csat": _average([s.score for s in self.scores("csat", merchant_id)]),
            "nps": _net_promoter([s.score for s in self.scores("nps", merchant_id)]),
        }
        result = []
        for token in tokens:
            mine = [p for p in purchases if p.token == token]
            result.append(
                Figures(
                    merchant_id=merchant_id,
                    token=token,
                    purchases=len(mine),
                    sales=sum(p.paid for p in mine),
                    refunds=sum(p.refunded for p in mine),
                    returned_purchases=sum(1 for p in mine if p.returned_lines),
                    contacts=contacts,
                    settled=sum(settled.get(p.id, 0) for p in mine),
                    **feedback,
                )
            )
        return result

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        """The latest review of each purchase, oldest first, linked to its purchase (SKUs, returned or not)."""
        key = validate.bytes32(purchase_id, "purchase id") if purchase_id else None
        latest: dict[str, Event] = {}
        for event in self.events("ReviewPosted", key, merchant_id):
            latest[event.args["purchaseId"]] = event
        # One scan of the purchases for all reviews, not one log scan per review.
        reviewed = [self.purchase(purchase_id)] if purchase_id else self.purchases(merchant_id=merchant_id)
        purchases = {p.id: p for p in reviewed}
        found = []
        for event in latest.values():
            purchase = purchases[event.args["purchaseId"]]
            skus = tuple(dict.fromkeys(line.sku for line in purchase.lines))
            if sku is not None and sku not in skus:
                continue
            args = event.args
            found.append(Review(
                purchase_id=args["purchaseId"], merchant_id=args["merchantId"], customer=args["customer"],
                rating=args["rating"], text_hash=args["textHash"], replaced=args["replaced"],
                block_number=event.block_number, tx_hash=event.tx_hash, skus=skus, returned=bool(purchase.returned_lines),
            ))
        return sorted(found, key=lambda review: review.block_number)

    def ratings(self, merchant_id: int) -> RatingSummary:
        """Average review rating of a merchant, overall and per SKU."""
        reviews = self.reviews(merchant_id)
        by_sku: dict[str, list[int]] = {}
        for review in reviews:
            for sku in review.skus:
                by_sku.setdefault(sku, []).append(review.rating)
        return RatingSummary(
            merchant_id, len(reviews), _average([r.rating for r in reviews]),
            {sku: (sum(r) / len(r), len(r)) for sku, r in sorted(by_sku.items())},
        )

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        """Net promoter scores (``nps``) or contact satisfaction scores (``csat``); a CSAT score counts only
        for a contact that was logged (the contract cannot check that, see ``Ledger.rateContact``)."""
        if kind == "nps":
            return [Score("nps", e.args["merchantId"], e.args["customer"], e.args["score"], e.args["purchaseId"],
                          e.block_number, e.tx_hash) for e in self.events("NpsGiven", None, merchant_id)]
        if kind != "csat":
            raise InvalidInput(f"{kind!r} is not a kind of score: use nps or csat")
        logged = {(c.merchant_id, c.customer, c.content_hash) for c in self.contacts(merchant_id)}
        return [Score("csat", e.args["merchantId"], e.args["customer"], e.args["score"], e.args["contentHash"],
                      e.block_number, e.tx_hash)
                for e in self.events("ContactRated", merchant_id)
                if (e.args["merchantId"], e.args["customer"], e.args["contentHash"]) in logged]

    # ------------------------------------------------------------ actions anyone may take

    def submit_return(self, relayer: LocalAccount, request: SignedReturn) -> Refund:
        """Submit a customer's signed return request; the relayer pays the gas, the customer gets the refund."""
        if (request.chain_id, request.contract) != (self.chain.chain_id, self.address):
            raise InvalidInput(
                f"the request was signed for contract {request.contract} on chain {request.chain_id}, "
                f"not for this ledger ({self.address} on chain {self.chain.chain_id})"
            )
        purchase = self.purchase(request.purchase_id)
        result = self.transact(relayer, self.contract.functions.returnItemsBySig(
            _purchase_tuple(purchase), _lines_tuple(purchase), request.line_mask,
            bytes.fromhex(request.shipment_ref[2:]), request.deadline, bytes.fromhex(request.signature[2:]),
        ))
        return self._refund_from_event(result.named("ItemsReturned")[0])

    def settle(self, account: LocalAccount, purchase_ids: Iterable[str]) -> list[Settlement]:
        """Pay out what was kept of closed purchases, in one transaction, signed by anyone."""
        purchases = [self.purchase(purchase_id) for purchase_id in purchase_ids]
        if not purchases:
            raise InvalidInput("no purchases to settle: give at least one purchase id")
        if len({p.id for p in purchases}) != len(purchases):
            raise InvalidInput("a purchase id is given twice: name each purchase once")
        result = self.transact(account, self.contract.functions.settle([_purchase_tuple(p) for p in purchases]))
        return [self._settlement_from_event(event) for event in result.named("Settled")]

    def settleable(self, merchant_id: int | None = None) -> list[Purchase]:
        """Purchases whose window has closed and that wait for settlement."""
        return self.purchases(merchant_id=merchant_id, status=Status.CLOSED)

    def withdraw(self, account: LocalAccount, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Send ``account``'s deferred payments in ``token`` to ``to`` (by default the account itself)."""
        to = validate.address(to or account.address, "recipient")
        result = self.transact(account, self.contract.functions.withdraw(validate.address(token, "token"), to))
        args = result.named("Withdrawn")[0].args
        return DeferredPayment(args["token"], args["to"], int(args["amount"]))

    # ------------------------------------------------------------ plumbing

    def call(self, function: Any) -> Any:
        """Run a view function; contract errors come back as our exceptions."""
        with mapped_errors(self.errors):
            return function.call({"chainId": self.chain.chain_id})

    def transact(self, account: LocalAccount, function: Any, value: int = 0) -> TxResult:
        """Simulate, sign and send a contract call; return the receipt with the decoded events."""
        with mapped_errors(self.errors):
            receipt = _sign_and_send(self.chain, account, function, value)
        events = tuple(self._decode(log) for log in receipt["logs"] if log["address"] == self.address)
        return TxResult(_hex(receipt["transactionHash"]), receipt["blockNumber"], receipt["gasUsed"], events)

    def events(self, name: str, *indexed: Any) -> list[Event]:
        """Events of one name, filtered on their indexed arguments in order (None matches any)."""
        entry = next(e for e in self.contract.abi if e["type"] == "event" and e["name"] == name)
        topics: list[Any] = [_hex(event_abi_to_log_topic(entry))]
        for value in indexed:
            topics.append(None if value is None else _topic(value))
        while topics and topics[-1] is None:
            topics.pop()
        with mapped_errors(self.errors):
            return self._events_between(topics)

    def _events_between(self, topics: list[Any]) -> list[Event]:
        latest = self.w3.eth.block_number
        found: list[Event] = []
        start = self.from_block
        while start <= latest:
            end = min(start + LOG_CHUNK - 1, latest)
            logs = self.w3.eth.get_logs(
                {"address": self.address, "fromBlock": start, "toBlock": end, "topics": topics}
            )
            found.extend(self._decode(log) for log in logs)
            start = end + 1
        return found

    def _decode(self, log: Any) -> Event:
        topic = bytes(log["topics"][0]) if log["topics"] else b""
        name = self._events.get(topic)
        if name is None:
            raise UnknownEvent(
                f"the ledger contract emitted an event this library does not know (topic {_hex(topic)}): "
                "upgrade the library to the version that matches the deployment"
            )
        decoded = getattr(self.contract.events, name)().process_log(log)
        return Event(name, _plain(dict(decoded["args"])), decoded["blockNumber"], _hex(decoded["transactionHash"]))

    def _purchase_from_event(self, event: Event) -> Purchase:
        raw = event.args["purchase"]
        if isinstance(raw, list):  # older web3 returns structs as tuples
            keys = ("customer", "merchantId", "termsId", "token", "paid", "price", "purchasedAt", "returnWindow",
                    "restockingFeeBps", "windowFromDelivery", "itemMustBeReturned", "linesHash", "orderRef",
                    "referrer", "referralBps")
            raw = dict(zip(keys, raw))
        return Purchase(
            id=event.args["purchaseId"],
            customer=to_checksum_address(raw["customer"]),
            merchant_id=raw["merchantId"],
            terms_id=raw["termsId"],
            token=to_checksum_address(raw["token"]),
            paid=raw["paid"],
            price=raw["price"],
            purchased_at=raw["purchasedAt"],
            return_window=raw["returnWindow"],
            restocking_fee_bps=raw["restockingFeeBps"],
            window_from_delivery=raw["windowFromDelivery"],
            item_must_be_returned=raw["itemMustBeReturned"],
            lines_hash=raw["linesHash"],
            order_ref=raw["orderRef"],
            referrer=to_checksum_address(raw["referrer"]),
            referral_bps=raw["referralBps"],
            lines=tuple(_line_from_chain(line) for line in event.args["lines"]),
            block_number=event.block_number,
            tx_hash=event.tx_hash,
        )

    def _with_state(self, purchase: Purchase, now: int) -> Purchase:
        raw = self.call(self.contract.functions.purchaseState(bytes.fromhex(purchase.id[2:])))
        if isinstance(raw, dict):
            raw = [raw[k] for k in ("refunded", "deliveredAt", "returnedLines", "windowExtension", "recorded", "settled")]
        refunded, delivered_at, returned_mask, extension, _recorded, settled = raw
        returned = frozenset(i for i in range(len(purchase.lines)) if returned_mask >> i & 1)
        return replace(
            purchase, refunded=refunded, delivered_at=delivered_at, window_extension=extension,
            returned_lines=returned, settled=settled, as_of=now,
        )

    def _contact_from_event(self, event: Event) -> ContactMoment:
        args = event.args
        purchase_id = args["purchaseId"]
        return ContactMoment(
            merchant_id=args["merchantId"],
            customer=args["customer"],
            purchase_id=None if int(purchase_id, 16) == 0 else purchase_id,
            logged_by=args["loggedBy"],
            channel=Channel(args["channel"]),
            kind=ContactKind(args["kind"]),
            occurred_at=args["occurredAt"],
            content_hash=args["contentHash"],
            block_number=event.block_number,
            tx_hash=event.tx_hash,
        )

    def _refund_from_event(self, event: Event) -> Refund:
        args = event.args
        if event.name == "CreditIssued":
            mask = args["lineMask"]
            return Refund(
                purchase_id=args["purchaseId"],
                customer=args["customer"],
                amount=args["amount"] + args["bonus"],
                kind="credit",
                lines=tuple(i for i in range(32) if mask >> i & 1),
                by=args["customer"],
                block_number=event.block_number,
                tx_hash=event.tx_hash,
            )
        if event.name == "ItemsReturned":
            mask = args["lineMask"]
            return Refund(
                purchase_id=args["purchaseId"],
                customer=args["customer"],
                amount=args["refund"],
                kind="return",
                lines=tuple(i for i in range(32) if mask >> i & 1),
                reference=args["shipmentRef"],
                by=args["customer"],
                block_number=event.block_number,
                tx_hash=event.tx_hash,
            )
        purchase = self.purchase(args["purchaseId"])
        mask = args["lineMask"]
        return Refund(
            purchase_id=args["purchaseId"],
            customer=purchase.customer,
            amount=args["amount"],
            kind="kept" if mask else "goodwill",
            lines=tuple(i for i in range(32) if mask >> i & 1),
            reference=args["note"],
            reason=Reason(args["reason"]),
            by=args["agent"],
            block_number=event.block_number,
            tx_hash=event.tx_hash,
        )

    def _settlement_from_event(self, event: Event) -> Settlement:
        args = event.args
        return Settlement(
            args["purchaseId"], args["merchantId"], args["payout"], args["amount"], args["referrer"],
            args["commission"], event.block_number, event.tx_hash,
        )


def _topic(value: Any) -> str:
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).rjust(32, b"\0").hex()
    text = str(value)
    if len(text) == 42:  # an address
        return "0x" + text[2:].lower().rjust(64, "0")
    return text.lower()


def _sign_and_send(chain: Chain, account: LocalAccount, function: Any, value: int = 0) -> Any:
    """Simulate one contract call against the block it will land in, then sign it locally, send it and
    wait for its receipt. A refused simulation raises before anything is signed."""
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
    tip = _priority_fee(chain)
    max_fee = 2 * int(w3.eth.get_block("latest").get("baseFeePerGas", 0)) + tip
    gas_limit = int(gas * GAS_MARGIN)
    needed = value + gas_limit * max_fee
    if balance < needed:
        raise InsufficientFunds(account.address, needed, balance, "the price plus the most gas could cost")
    tx = function.build_transaction(
        {
            **params,
            "gas": gas_limit,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        }
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        # It passed simulation but failed when mined (state changed in between): replay it to learn why.
        function.call(params, block_identifier=receipt["blockNumber"] - 1)
        raise ContractReverted(b"", f"transaction {_hex(receipt['transactionHash'])} failed when mined")
    return receipt


def _priority_fee(chain: Chain) -> int:
    try:
        return int(chain.w3.eth.max_priority_fee)
    except Exception:  # nodes without eth_maxPriorityFeePerGas: 1 gwei is the usual default
        return 10**9


class MerchantDesk:
    """What a merchant's owner or agents do: terms, agents, deliveries, contacts, refunds, settlement."""

    def __init__(self, ledger: Ledger, account: LocalAccount, merchant_id: int) -> None:
        self.ledger, self.account, self.merchant_id = ledger, account, merchant_id
        self._functions = ledger.contract.functions

    def _send(self, function: Any) -> TxResult:
        return self.ledger.transact(self.account, function)

    def info(self) -> Merchant:
        """This merchant's owner and payout address."""
        return self.ledger.merchant(self.merchant_id)

    def set_payout(self, payout: str) -> TxResult:
        """Change where settled money goes. Owner only."""
        return self._send(self._functions.setPayout(self.merchant_id, validate.address(payout, "payout address")))

    def set_credit_bonus(self, basis_points: int) -> TxResult:
        """Set the bonus on refunds taken as store credit (basis points). Owner only."""
        validate.non_negative(basis_points, "credit bonus (basis points)")
        if basis_points >= 2**16:
            raise InvalidInput(f"a credit bonus of {basis_points} bps is above 10000 bps (100 %)")
        return self._send(self._functions.setCreditBonus(self.merchant_id, basis_points))

    def set_referral_commission(self, basis_points: int) -> TxResult:
        """Set the commission referrers earn on new purchases (basis points of what is kept). Owner only."""
        validate.non_negative(basis_points, "referral commission (basis points)")
        if basis_points >= 2**16:
            raise InvalidInput(f"a referral commission of {basis_points} bps is above 10000 bps (100 %)")
        return self._send(self._functions.setReferralCommission(self.merchant_id, basis_points))

    def add_agent(self, agent: str) -> TxResult:
        """Let ``agent`` act as staff. Owner only."""
        return self._send(self._functions.addAgent(self.merchant_id, validate.address(agent, "agent")))

    def remove_agent(self, agent: str) -> TxResult:
        """Take an agent's rights away. Owner only."""
        return self._send(self._functions.removeAgent(self.merchant_id, validate.address(agent, "agent")))

    def publish_terms(
        self,
        return_window: int,
        restocking_fee_bps: int = 0,
        window_from_delivery: bool = False,
        item_must_be_returned: bool = False,
    ) -> ReturnTerms:
        """Publish return terms; ``return_window`` in seconds (0 for no returns). Owner only."""
        validate.non_negative(return_window, "return window (seconds)")
        validate.non_negative(restocking_fee_bps, "restocking fee (basis points)")
        if return_window >= 2**32:
            raise InvalidInput(f"a return window of {return_window} s is too long: at most {2**32 - 1} s")
        if restocking_fee_bps >= 2**16:
            raise InvalidInput(f"restocking fee {restocking_fee_bps} bps is above 10000 bps (100 %)")
        result = self._send(
            self._functions.publishTerms(
                self.merchant_id, return_window, restocking_fee_bps, window_from_delivery, item_must_be_returned
            )
        )
        return self.ledger.terms(int(result.named("TermsPublished")[0].args["termsId"]))

    def retire_terms(self, terms_id: int) -> TxResult:
        """Stop terms from being used for new purchases. Owner only."""
        return self._send(self._functions.retireTerms(validate.positive(terms_id, "terms id")))

    def terms(self) -> list[ReturnTerms]:
        """Every set of terms this merchant published."""
        return self.ledger.terms_of(self.merchant_id)

    def confirm_delivery(self, purchase_id: str) -> Purchase:
        """Record that a purchase was delivered (starts windows that run from delivery)."""
        purchase = self._own_purchase(purchase_id)
        self._send(self._functions.confirmDelivery(_purchase_tuple(purchase)))
        return self.ledger.purchase(purchase.id)

    def log_contact(
        self,
        customer: str,
        channel: Channel | str,
        kind: ContactKind | str,
        content: str | bytes = b"",
        purchase_id: str | None = None,
        occurred_at: int | None = None,
    ) -> ContactMoment:
        """Log a contact moment; only the hash of ``content`` goes on chain."""
        customer = validate.address(customer, "customer")
        key = _contact_purchase(self.ledger, purchase_id, customer, self.merchant_id)
        result = self._send(
            self._functions.logContact(
                self.merchant_id, customer, key, *_contact_fields(channel, kind, occurred_at, content)
            )
        )
        return self.ledger._contact_from_event(result.named("ContactLogged")[0])

    def goodwill_refund(self, purchase_id: str, amount: int, reason: Reason | str = Reason.OTHER,
                        note: str | bytes = b"") -> Refund:
        """Refund a customer out of what the purchase still holds, at any time before settlement; an agent
        within its goodwill budget. Only the hash of ``note`` goes on chain."""
        purchase = self._own_purchase(purchase_id)
        validate.positive(amount)
        result = self._send(self._functions.goodwillRefund(
            _purchase_tuple(purchase), amount, _enum(Reason, reason), validate.hash_of(note)))
        return self.ledger._refund_from_event(result.named("GoodwillRefunded")[0])

    def refund_without_return(self, purchase_id: str, lines: Sequence[int] | None = None,
                              reason: Reason | str = Reason.OTHER) -> Refund:
        """Refund lines the customer keeps ("keep it"): their share of what was paid, no fee, no return."""
        purchase = self._own_purchase(purchase_id)
        result = self._send(self._functions.refundWithoutReturn(
            _purchase_tuple(purchase), _lines_tuple(purchase), _line_mask(purchase, lines), _enum(Reason, reason)))
        return self.ledger._refund_from_event(result.named("GoodwillRefunded")[0])

    def extend_window(self, purchase_id: str, seconds: int, reason: Reason | str = Reason.OTHER) -> Purchase:
        """Give one purchase more time to be returned."""
        purchase = self._own_purchase(purchase_id)
        validate.positive(seconds, "extension (seconds)")
        if seconds >= 2**32:
            raise InvalidInput(f"an extension of {seconds} s is too long: at most {2**32 - 1} s")
        self._send(self._functions.extendWindow(_purchase_tuple(purchase), seconds, _enum(Reason, reason)))
        return self.ledger.purchase(purchase.id)

    def set_budget(self, agent: str, amount: int, token: str = NATIVE) -> TxResult:
        """Set what ``agent`` may still refund in ``token`` without asking (0 revokes). Owner only."""
        validate.non_negative(amount, "budget")
        return self._send(self._functions.setBudget(
            self.merchant_id, validate.address(agent, "agent"), validate.address(token, "token"), amount))

    def budget(self, agent: str, token: str = NATIVE) -> int:
        """What ``agent`` may still refund in ``token``."""
        return self.ledger.call(self._functions.budgetOf(
            self.merchant_id, validate.address(agent, "agent"), validate.address(token, "token")))

    def settle(self, purchase_ids: Iterable[str] | None = None) -> list[Settlement]:
        """Settle the given purchases, or every closed one of this merchant."""
        ids = list(purchase_ids) if purchase_ids is not None else [p.id for p in self.ledger.settleable(self.merchant_id)]
        if not ids:
            return []
        return self.ledger.settle(self.account, ids)

    def purchases(self, **filters: Any) -> list[Purchase]:
        """This merchant's purchases; filters as in ``Ledger.purchases`` (customer, sku, since, until, status)."""
        return self.ledger.purchases(merchant_id=self.merchant_id, **filters)

    def contacts(self, customer: str | None = None, purchase_id: str | None = None) -> list[ContactMoment]:
        """This merchant's contact moments."""
        return self.ledger.contacts(self.merchant_id, customer, purchase_id)

    def figures(self) -> list[Figures]:
        """Sales, refunds, return rate and contacts per purchase, one entry per token."""
        return self.ledger.figures(self.merchant_id)

    def _own_purchase(self, purchase_id: str) -> Purchase:
        purchase = self.ledger.purchase(purchase_id)
        if purchase.merchant_id != self.merchant_id:
            raise InvalidInput(
                f"purchase {purchase.id[:10]}… was made at merchant #{purchase.merchant_id}, "
                f"not at merchant #{self.merchant_id}"
            )
        return purchase


class CustomerDesk:
    """What a customer does: buy, look up its history, return, log its own contacts."""

    def __init__(self, ledger: Ledger, account: LocalAccount) -> None:
        self.ledger, self.account = ledger, account
        self.address = account.address
        self._functions = ledger.contract.functions

    def buy(
        self,
        terms_id: int,
        lines: Sequence[LineItem | tuple[str, int, int]],
        order_ref: str | bytes,
        token: str = NATIVE,
        referrer: str | None = None,
        use_credit: int = 0,
    ) -> Purchase:
        """Buy under ``terms_id``, paying the lines' total into escrow (approving an ERC-20 token first).

        ``referrer`` earns the merchant's referral commission on what the merchant keeps, at settlement.
        ``use_credit`` pays that much with store credit held at the merchant (in ``token``).
        """
        validate.positive(terms_id, "terms id")
        chain_lines = [_line_to_chain(line) for line in lines]
        if not chain_lines:
            raise InvalidInput("a purchase needs at least one line")
        price = sum(quantity * unit_price for _, quantity, unit_price in chain_lines)
        validate.positive(price, "purchase total")
        token = validate.address(token, "token")
        referrer = validate.address(referrer, "referrer") if referrer else NATIVE
        ref = validate.hash_of(order_ref) if isinstance(order_ref, str) else validate.bytes32(order_ref, "order ref")
        validate.non_negative(use_credit, "credit to use")
        if use_credit > price:
            raise InvalidInput(f"credit of {use_credit} is more than the price ({price}): use at most the price")
        due = price - use_credit
        value = due if token == NATIVE else 0
        if token != NATIVE and due:
            self._approve(token, due)
        result = self.ledger.transact(
            self.account, self._functions.buy(terms_id, token, chain_lines, ref, referrer, use_credit), value
        )
        purchase = self.ledger._purchase_from_event(result.named("PurchaseRecorded")[0])
        return replace(purchase, as_of=purchase.purchased_at)  # a new purchase: nothing refunded or delivered

    def _approve(self, token: str, amount: int) -> None:
        erc20 = self.ledger.w3.eth.contract(address=token, abi=ERC20_ABI)
        balance = erc20.functions.balanceOf(self.address).call()
        if balance < amount:
            raise InsufficientFunds(self.address, amount, balance, f"token {token}")
        if erc20.functions.allowance(self.address, self.ledger.address).call() < amount:
            self.ledger.transact(self.account, erc20.functions.approve(self.ledger.address, amount))

    def purchases(self, **filters: Any) -> list[Purchase]:
        """My purchases at every merchant; filters as in ``Ledger.purchases``."""
        return self.ledger.purchases(customer=self.address, **filters)

    def purchase(self, purchase_id: str) -> Purchase:
        """One of my purchases, with its status and time left to return."""
        purchase = self.ledger.purchase(purchase_id)
        if purchase.customer != self.address:
            raise NotCustomer(purchase.id, self.address)
        return purchase

    def contacts(self) -> list[ContactMoment]:
        """My contact moments with every merchant."""
        return self.ledger.contacts(customer=self.address)

    def refunds(self) -> list[Refund]:
        """Refunds I received."""
        return self.ledger.refunds(customer=self.address)

    def return_items(
        self, purchase_id: str, lines: Sequence[int] | None = None, shipment_ref: str | bytes | None = None
    ) -> Refund:
        """Return some lines (by index; all open lines by default) and receive the refund at once."""
        return self._give_back("returnItems", "ItemsReturned", purchase_id, lines, shipment_ref)

    def return_for_credit(
        self, purchase_id: str, lines: Sequence[int] | None = None, shipment_ref: str | bytes | None = None
    ) -> Refund:
        """Return lines for store credit at the same merchant instead of money (plus its bonus, if any)."""
        return self._give_back("returnItemsForCredit", "CreditIssued", purchase_id, lines, shipment_ref)

    def _give_back(self, function: str, event: str, purchase_id: str, lines: Sequence[int] | None,
                   shipment_ref: str | bytes | None) -> Refund:
        purchase = self.purchase(purchase_id)
        mask = _line_mask(purchase, lines)
        shipment = validate.hash_of(shipment_ref) if shipment_ref else bytes(32)
        call = getattr(self._functions, function)(_purchase_tuple(purchase), _lines_tuple(purchase), mask, shipment)
        return self.ledger._refund_from_event(self.ledger.transact(self.account, call).named(event)[0])

    def credit(self, merchant_id: int, token: str = NATIVE) -> int:
        """Store credit I hold at a merchant."""
        return self.ledger.call(self._functions.creditOf(
            validate.positive(merchant_id, "merchant id"), self.address, validate.address(token, "token")))

    def log_contact(
        self,
        merchant_id: int,
        channel: Channel | str,
        kind: ContactKind | str,
        content: str | bytes = b"",
        purchase_id: str | None = None,
        occurred_at: int | None = None,
    ) -> ContactMoment:
        """Log my own contact with a merchant; only the hash of ``content`` goes on chain."""
        validate.positive(merchant_id, "merchant id")
        key = _contact_purchase(self.ledger, purchase_id, self.address, merchant_id)
        result = self.ledger.transact(
            self.account,
            self._functions.logOwnContact(merchant_id, key, *_contact_fields(channel, kind, occurred_at, content)),
        )
        return self.ledger._contact_from_event(result.named("ContactLogged")[0])

    def review(self, purchase_id: str, rating: int, text: str | bytes = b"") -> Review:
        """Review one of my purchases (1-5); a new review replaces the earlier one. Only the text's hash is stored."""
        purchase = self.purchase(purchase_id)
        _check_scale(rating, 1, 5, "rating")
        self.ledger.transact(self.account, self._functions.review(_purchase_tuple(purchase), rating,
                                                                  validate.hash_of(text)))
        return self.ledger.reviews(purchase_id=purchase.id)[-1]

    def give_nps(self, purchase_id: str, score: int) -> Score:
        """Say how likely I am to recommend the shop after this purchase (0-10), once."""
        purchase = self.purchase(purchase_id)
        _check_scale(score, 0, 10, "score")
        result = self.ledger.transact(self.account, self._functions.giveNps(_purchase_tuple(purchase), score))
        event = result.named("NpsGiven")[0]
        return Score("nps", purchase.merchant_id, self.address, score, purchase.id, event.block_number, event.tx_hash)

    def rate_contact(self, contact: ContactMoment, score: int) -> Score:
        """Rate one of my contact moments (1-5), once."""
        if contact.customer != self.address:
            raise InvalidInput(f"that contact was with {contact.customer}, not with you ({self.address})")
        _check_scale(score, 1, 5, "score")
        result = self.ledger.transact(self.account, self._functions.rateContact(
            contact.merchant_id, bytes.fromhex(contact.content_hash[2:]), score))
        event = result.named("ContactRated")[0]
        return Score("csat", contact.merchant_id, self.address, score, contact.content_hash, event.block_number,
                     event.tx_hash)

    def sign_return(self, purchase_id: str, lines: Sequence[int] | None = None,
                    shipment_ref: str | bytes | None = None, valid_for: int = 86_400) -> SignedReturn:
        """Sign a return request that anyone may submit for me (I need no ether); nothing is sent."""
        purchase = self.purchase(purchase_id)
        mask = _line_mask(purchase, lines)
        validate.positive(valid_for, "validity (seconds)")
        shipment = validate.hash_of(shipment_ref) if shipment_ref else bytes(32)
        ledger = self.ledger
        nonce = ledger.call(self._functions.nonces(self.address))
        deadline = ledger.chain.now() + valid_for
        domain = {"name": "Ledger", "version": "1", "chainId": ledger.chain.chain_id,
                  "verifyingContract": ledger.address}
        message = {"purchaseId": bytes.fromhex(purchase.id[2:]), "lineMask": mask, "shipmentRef": shipment,
                   "nonce": nonce, "deadline": deadline}
        signed = self.account.sign_typed_data(domain, RETURN_REQUEST_TYPES, message)
        return SignedReturn(purchase.id, mask, _hex(shipment), nonce, deadline, _hex(bytes(signed.signature)),
                            ledger.chain.chain_id, ledger.address)

    def deferred_balance(self, token: str = NATIVE) -> int:
        """Refunds kept for me because my address rejected them."""
        return self.ledger.deferred_balance(self.address, token)

    def withdraw(self, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Collect refunds kept for me."""
        return self.ledger.withdraw(self.account, token, to)


def _enum(kind: type[Channel] | type[ContactKind] | type[Reason], value: Any) -> int:
    if isinstance(value, kind):
        return int(value)
    try:
        return int(kind[str(value).upper().replace("-", "_").replace(" ", "_")])
    except KeyError as error:
        choices = ", ".join(member.name.lower() for member in kind)
        raise InvalidInput(f"{value!r} is not a {kind.__name__.lower()}: choose one of {choices}") from error


def _line_mask(purchase: Purchase, lines: Sequence[int] | None) -> int:
    """The bit mask of the lines to return (every open line by default), checked against the purchase."""
    if lines is not None and not lines:
        raise InvalidInput("no line named: give the index of at least one line, or none for every open line")
    indexes = tuple(purchase.open_lines if lines is None else lines)
    if not indexes:
        raise InvalidInput(f"every line of purchase {purchase.id[:10]}… was already returned")
    for index in indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(purchase.lines):
            raise InvalidInput(
                f"line {index!r} does not exist: purchase {purchase.id[:10]}… has lines 0 to {len(purchase.lines) - 1}"
            )
    return sum(1 << index for index in set(indexes))


def _check_scale(value: object, low: int, high: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low} to {high}, not {value!r}")


def _average(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _net_promoter(scores: list[int]) -> float | None:
    if not scores:
        return None
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    return 100 * (promoters - detractors) / len(scores)


def _status(value: Status | str) -> Status:
    try:
        return Status(value)
    except ValueError as error:
        choices = ", ".join(status.value for status in Status)
        raise InvalidInput(f"{value!r} is not a purchase status: choose one of {choices}") from error


def _contact_fields(
    channel: Channel | str, kind: ContactKind | str, occurred_at: int | None, content: str | bytes
) -> tuple[int, int, int, bytes]:
    """Channel, kind, time (0 for now) and content hash, as both contact calls take them."""
    return (
        _enum(Channel, channel),
        _enum(ContactKind, kind),
        validate.non_negative(occurred_at or 0, "contact time"),
        validate.hash_of(content),
    )


def _contact_purchase(ledger: Ledger, purchase_id: str | None, customer: str, merchant_id: int) -> bytes:
    """The purchase a contact is about, checked to be between this customer and merchant."""
    if purchase_id is None:
        return bytes(32)
    purchase = ledger.purchase(purchase_id)
    if purchase.customer != customer or purchase.merchant_id != merchant_id:
        raise InvalidInput(
            f"purchase {purchase.id[:10]}… is between {purchase.customer} and merchant #{purchase.merchant_id}, "
            f"not this contact's customer and merchant"
        )
    return bytes.fromhex(purchase.id[2:])
