"""The facade: ``Ledger`` for reads and the actions anyone may take; ``MerchantDesk`` and ``CustomerDesk``
(in ``merchant.py`` and ``customer.py``) for each side.

A deployment is three contracts: ``Ledger`` (the entry point, which holds the money), the ``LedgerModule``
it delegates to (one storage, one address, so one merged ABI here: ``ILedger``'s), and ``LedgerFeedback``. Writes are simulated first, so a call the contract would refuse raises the decoded
error and sends nothing; they are then signed locally and sent raw (``sending.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from . import signatures, validate
from .artifacts import load_artifact
from .chain import Chain
from .codec import hex_of
from .contracts import LedgerContracts
from .deployment import Deployment
from .desks import CustomerDesk, MerchantDesk
from .desks.contacts import contact_call, purchase_key
from .desks.prepared import Prepared, T
from .errors import (
    GasLimitExceeded,
    InvalidInput,
    InvalidSignature,
    PurchaseExists,
    TextNotFound,
    UnknownPurchase,
    amounts_in,
)
from .events import contact_of, purchase_of, refund_of, settlement_of
from .history import counting
from .history.synced import Synced
from .models import (
    NATIVE,
    Channel,
    ContactKind,
    ContactMoment,
    Credit,
    DeferredPayment,
    Event,
    Figures,
    Merchant,
    Purchase,
    RatingSummary,
    Refund,
    ReturnTerms,
    Review,
    Role,
    Score,
    Settlement,
    SettlementBatch,
    SignedReturn,
    Staff,
    Status,
    TxResult,
    TxState,
)
from .orders import MAX_REQUEST_VALIDITY, return_digest
from .reading import Reader
from .reading.scan import LogScan
from .revert import RevertDecoder, mapped_errors
from .sending import BulkReport, Call, send_many, sign_and_send
from .sending.journal import Journal, Operation
from .sending.single import Landed

if TYPE_CHECKING:
    from .history import History
    from .texts import Sealed, TextKind, TextStore

__all__ = ["CustomerDesk", "Ledger", "MerchantDesk"]

_log = logging.getLogger("ledger")

SKIP_REASONS = ("unknown", "already_settled", "window_open", "awaiting_delivery")
"""``ILedger.SkipReason`` by number."""

SETTLE_GAS_PER_PURCHASE = 30_000
"""Gas a settlement reckons for each purchase it takes. Measured on anvil: 13,400 for a plain ETH purchase in
batches of 100 to 1,000 (49,200 for a batch of one); the rest is room for referral commissions, token
payouts and a payout per merchant."""

SETTLE_BLOCK_SHARE = 4
"""A settlement transaction is sized for this fraction of a block's gas limit: it fits beside others'
transactions (a 30 million gas block: 250 purchases a transaction, about 3.4 million gas)."""

_operations: ContextVar[dict[int, Operation]] = ContextVar("ledger_operations", default={})
"""The operation each ledger (by ``id``) runs in, in this thread or task (``Ledger.operation``)."""


class Ledger:
    """A deployed ledger on a chain: reads, deployment, and the actions anyone may take."""

    def __init__(self, chain: Chain, address: str, feedback: str, from_block: int = 0,
                 index: bool | str = True) -> None:
        """``index``: read through an index of the events (``ledger.history``), caught up before each query:
        True keeps it in memory, a database URL (``sqlite:///…``, ``postgresql://…``) keeps it there;
        False reads straight from the chain's logs."""
        self.chain = chain
        self.index = index
        self._history: History | None = None
        self._texts: TextStore | None = None
        self.journal = Journal()
        """Where operations (``operation``) write what they send: in memory unless set to a ``Journal(folder)``."""
        self.contracts = LedgerContracts(chain, address, feedback, from_block)
        """The contracts bound on the chain: calls, events, sending (``ledger.contracts``)."""
        self.w3 = chain.w3
        self.address = self.contracts.address
        self.from_block = from_block
        self.contract: Contract = self.contracts.contract
        self.feedback: Contract = self.contracts.feedback
        self.sources_hash = self.contracts.sources_hash
        self.errors = self.contracts.errors
        self.reader: Reader = LogScan(self.contracts) if index is False else Synced(lambda: self.history, self.errors)
        """Where the reads come from: the index, caught up before each query, or the chain's logs (``index``)."""

    # ------------------------------------------------------------ deployment

    @classmethod
    def deploy(cls, chain: Chain, deployer: LocalAccount, index: bool | str = True) -> Ledger:
        """Deploy a new ledger: its module first, then the entry point, which makes its feedback contract."""
        decoder = RevertDecoder(load_artifact("Ledger")["abi"])

        def deploy(name: str, *args: Any) -> Any:
            artifact = load_artifact(name)
            factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
            with mapped_errors(decoder):
                return sign_and_send(chain, deployer, factory.constructor(*args))

        module = deploy("LedgerModule")["contractAddress"]
        entry = deploy("Ledger", module)  # which makes its feedback contract
        ledger = chain.w3.eth.contract(address=entry["contractAddress"], abi=load_artifact("Ledger")["abi"])
        feedback = ledger.functions.FEEDBACK().call(block_identifier=entry["blockNumber"])
        return cls(chain, entry["contractAddress"], feedback, entry["blockNumber"], index)

    @classmethod
    def attach(cls, chain: Chain, deployment: Deployment, index: bool | str = True) -> Ledger:
        """Use the contracts a deployment file names, after checking that the chain still has them
        (``Deployment.check``: chain id, the deployment's block, code; ``index`` as for
        ``Ledger``; ``ledger.history.database_url`` gives the usual database next to the file)."""
        deployment.check(chain)
        return cls(chain, deployment.address, deployment.feedback, deployment.block_number, index)

    def deployment(self) -> Deployment:
        """What to write in a deployment file for this ledger."""
        block_hash = hex_of(self.w3.eth.get_block(self.from_block)["hash"])
        return Deployment(self.address, self.chain.chain_id, self.from_block, self.feedback.address, self.sources_hash,
                          block_hash)

    # ------------------------------------------------------------ sides

    def register_merchant(self, owner: LocalAccount, payout: str | None = None) -> MerchantDesk:
        """Register a merchant owned by ``owner`` (paid to ``payout``, by default the owner)."""
        payout = validate.address(owner.address if payout is None else payout, "payout address")
        result = self.transact(owner, self.contract.functions.registerMerchant(payout))
        merchant_id = int(result.named("MerchantRegistered")[0].args["merchantId"])
        return MerchantDesk(self, owner, merchant_id)

    def merchant_desk(self, account: LocalAccount | str, merchant_id: int) -> MerchantDesk:
        """Act for merchant ``merchant_id`` as ``account`` (its owner or an agent); given only an address, the
        desk prepares actions for that address's wallet to sign (``prepare_<action>``) and sends none."""
        merchant = self.merchant(merchant_id)
        address = account if isinstance(account, str) else account.address
        if self.role(merchant.id, address) is Role.NONE:
            raise InvalidInput(f"{address} is neither owner nor agent of merchant #{merchant_id}")
        return MerchantDesk(self, account, merchant.id)

    def customer_desk(self, account: LocalAccount | str) -> CustomerDesk:
        """Act as the customer ``account``; given only an address, the desk prepares actions for that address's
        wallet to sign (``prepare_<action>``) and sends none."""
        return CustomerDesk(self, account)

    # ------------------------------------------------------------ reads: shops

    def merchant(self, merchant_id: int) -> Merchant:
        """A registered merchant."""
        validate.identifier(merchant_id, "merchant id")
        raw = self.contracts.fields(self.call(self.contract.functions.merchant(merchant_id)),
                           ("owner", "activeTerms", "creditCashOutDelay", "payout", "creditBonusBps", "registeredAt"))
        owner, active_terms, delay, payout, bonus, registered_at = raw
        return Merchant(merchant_id, to_checksum_address(owner), to_checksum_address(payout), active_terms, delay, bonus,
                        registered_at)

    def merchants(self) -> list[Merchant]:
        """Every registered merchant."""
        return [self.merchant(i) for i in range(1, self.call(self.contract.functions.merchantCount()) + 1)]

    def staff(self, merchant_id: int, account: str) -> Staff:
        """What ``account`` may do at a merchant, with its mandate."""
        role, generation, days, referral = self.contracts.fields(
            self.call(self.contract.functions.staffOf(merchant_id, validate.address(account))),
            ("role", "generation", "maxExtensionDays", "maxReferralBps"))
        return Staff(Role(role), days, referral, generation)

    def referral_limit(self, merchant_id: int, signer: str, referrer: str, staff: Staff | None = None) -> int:
        """The most referral commission (basis points) an order ``signer`` signs may give ``referrer``, as the
        contract decides at purchase: an agent's referral mandate for a referrer the owner approved, else none;
        anyone else is not limited here (the owner names whom it likes; a signature from outside the staff is
        refused on its own). ``staff``: ``signer``'s record, when read already."""
        staff = staff or self.staff(merchant_id, signer)
        if staff.role is not Role.AGENT:
            return 10_000
        return staff.max_referral_bps if self.referrer_approved(merchant_id, referrer) else 0

    def referrer_approved(self, merchant_id: int, referrer: str) -> bool:
        """Whether the shop's agents may name ``referrer`` in the orders they sign."""
        return bool(self.call(self.contract.functions.referrerApproved(merchant_id,
                                                                      validate.address(referrer, "referrer"))))

    def role(self, merchant_id: int, account: str) -> Role:
        """What ``account`` may do at a merchant."""
        return self.staff(merchant_id, account).role

    def accepts(self, merchant_id: int, token: str) -> bool:
        """Whether a merchant accepts a token for new orders (ETH always)."""
        return bool(self.call(self.contract.functions.accepts(merchant_id, validate.address(token, "token"))))

    def terms(self, terms_id: int) -> ReturnTerms:
        """Published return terms (retired ones included)."""
        validate.identifier(terms_id, "terms id")
        values = self.contracts.fields(self.call(self.contract.functions.terms(terms_id)), (
            "merchantId", "returnWindow", "restockingFeeBps", "deliveryWait", "itemMustBeReturned", "retired"))
        return ReturnTerms(terms_id, *values)

    def terms_of(self, merchant_id: int) -> list[ReturnTerms]:
        """Every set of terms a merchant published, oldest first."""
        validate.identifier(merchant_id, "merchant id")
        logs = self.events("TermsPublished", None, merchant_id)
        return [self.terms(int(event.args["termsId"])) for event in logs]

    # ------------------------------------------------------------ reads: the index

    @property
    def history(self) -> History:
        """The index of this ledger's events (created on first use; ``sync()`` catches it up)."""
        if self._history is None:
            from .history import (  # SQLAlchemy only where the index is used (not under brownie)
                MEMORY,
                History,
            )

            self._history = History(self.contracts, MEMORY if self.index is True else str(self.index))
        return self._history

    @property
    def texts(self) -> TextStore:
        """The off-chain texts whose salted hashes went on chain (contact notes, refund notes, review texts,
        shipment references): kept in the index's database, or for as long as the process lives when this
        ledger reads straight from the chain (``index=False``)."""
        if self._texts is None:
            from .history.store import MEMORY, engine_for
            from .texts import TextStore

            self._texts = TextStore(self.history.store.engine if self.index is not False else engine_for(MEMORY))
        return self._texts

    @texts.setter
    def texts(self, store: TextStore) -> None:
        self._texts = store

    def seal_text(self, kind: TextKind | str, text: str | bytes | None, customer: str, merchant_id: int,
                  now: int | None = None) -> Sealed:
        """The hash to put on chain for an off-chain text, salted so nobody can test a guess against it
        (``TextStore.seal``); ``keep_texts`` once the transaction carrying the hash went through. Within an
        operation, a text it sealed before is sealed the same way again (the journal keeps the salt, not the
        text), so the call that carries it is the one the operation sent before."""
        from .texts import TextStore

        operation = self.current_operation
        earlier = self._sealed_before(operation, kind, text, customer, merchant_id)
        if earlier is not None:
            return earlier
        if now is None and isinstance(text, str) and text:  # the time is asked of the chain only for a text kept
            now = self.chain.now()
        sealed = TextStore.seal(kind, text, customer, merchant_id, now or 0)
        if operation is not None and sealed.text is not None:
            kept = sealed.text
            operation.keep_text({"hash": kept.hash, "kind": kept.kind.value, "customer": kept.customer,
                                 "merchant_id": kept.merchant_id, "salt": kept.salt, "kept_at": kept.kept_at})
        return sealed

    @contextmanager
    def sealing(self, kind: TextKind | str, text: str | bytes | None, customer: str,
                merchant_id: int) -> Iterator[Sealed]:
        """A text sealed (``seal_text``) for what the block sends, and kept once the block is through without
        an error: a text is kept only when the transaction carrying its hash went through."""
        sealed = self.seal_text(kind, text, customer, merchant_id)
        yield sealed
        self.keep_texts(sealed)

    def keep_texts(self, *sealed: Sealed) -> None:
        """Keep sealed texts whose hashes went out (``TextStore.save``); one an earlier run of the operation
        kept already is passed over."""
        new = []
        for one in sealed:
            try:
                if one.text is not None:
                    self.texts.get(one.text.hash)
            except TextNotFound:
                new.append(one)
        self.texts.save(*new)

    @staticmethod
    def _sealed_before(operation: Operation | None, kind: TextKind | str, text: str | bytes | None, customer: str,
                       merchant_id: int) -> Sealed | None:
        """The text as the operation sealed it before (from the salt the journal keeps), if it did."""
        if operation is None or not isinstance(text, str) or not text:
            return None
        from .texts import KeptText, Sealed, TextKind, salted_hash

        for kept in operation.sealed:
            if ((kept["kind"], kept["customer"], kept["merchant_id"]) == (TextKind(kind).value, customer, merchant_id)
                    and "0x" + salted_hash(bytes.fromhex(kept["salt"][2:]), text).hex() == kept["hash"]
                    and operation.claim(kept)):
                return Sealed(bytes.fromhex(kept["hash"][2:]), KeptText(
                    kept["hash"], TextKind(kind), customer, merchant_id, kept["salt"], text, kept["kept_at"]))
        return None

    @contextmanager
    def operation(self, key: str) -> Iterator[Operation]:
        """Run the block as the operation ``key``: every transaction it sends is journaled (``journal``) before
        it is sent, and a call an earlier run of the same operation sent is not signed anew: its transaction is
        followed, and when it went through, its result is returned with nothing sent (its hash is then in the
        operation's ``found``). Choose a key that names the piece of work (a ticket, a row of a file, a command
        and its arguments): the same key, the same work, done once; a new key does it again."""
        if not key:
            raise InvalidInput("an operation needs a key that names it")
        operation = self.journal.operation(key)
        token = _operations.set({**_operations.get(), id(self): operation})
        try:
            yield operation
        finally:
            _operations.reset(token)

    @property
    def current_operation(self) -> Operation | None:
        """The operation the calling code runs in on this ledger (``operation``), if any."""
        return _operations.get().get(id(self))

    # ------------------------------------------------------------ reads: purchases

    def purchase(self, purchase_id: str | bytes) -> Purchase:
        """One purchase with its current state; ``UnknownPurchase`` if there is none."""
        key = hex_of(validate.bytes32(purchase_id, "purchase id"))
        found = self.reader.purchase(key, self.chain.now())
        if found is None:
            raise UnknownPurchase(key)
        return found

    def purchases(
        self,
        merchant_id: int | None = None,
        customer: str | None = None,
        sku: str | None = None,
        since: int | None = None,
        until: int | None = None,
        status: Status | str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Purchase]:
        """Purchases, oldest first, filtered by merchant, customer, SKU, time range (inclusive) and status;
        at most ``limit`` of them, those after the purchase ``after`` (the last id of the previous page)."""
        customer, wanted_status = _filters(merchant_id, customer, status)
        if limit is not None:
            validate.positive(limit, "limit")
        after = hex_of(validate.bytes32(after, "purchase id")) if after else None
        return self.reader.purchases(self.chain.now(), merchant_id, customer, sku, since, until, wanted_status,
                                     limit, after)

    def count_purchases(
        self,
        merchant_id: int | None = None,
        customer: str | None = None,
        sku: str | None = None,
        since: int | None = None,
        until: int | None = None,
        status: Status | str | None = None,
        up_to: int | None = None,
    ) -> int:
        """How many purchases ``purchases`` gives for the same filters, counted no further than ``up_to``
        ("more than 100" needs no more): the index counts without reading them; the chain reads them."""
        customer, wanted_status = _filters(merchant_id, customer, status)
        if up_to is not None:
            validate.positive(up_to, "up_to")
        return self.reader.count(self.chain.now(), merchant_id, customer, sku, since, until, wanted_status, up_to)

    def contacts(
        self, merchant_id: int | None = None, customer: str | None = None, purchase_id: str | None = None
    ) -> list[ContactMoment]:
        """Contact moments, oldest first, each marked as counted in the shop's figures or not, and why
        (``ledger.history.counting``)."""
        if merchant_id is not None:
            validate.identifier(merchant_id, "merchant id")
        customer = validate.address(customer, "customer") if customer is not None else None
        key = hex_of(validate.bytes32(purchase_id, "purchase id")) if purchase_id is not None else None
        return self.reader.contacts(merchant_id, customer, key)

    def refunds(self, purchase_id: str | None = None, customer: str | None = None) -> list[Refund]:
        """Refunds paid (returns, credit, bonuses and goodwill), oldest first."""
        customer = validate.address(customer, "customer") if customer else None
        key = hex_of(validate.bytes32(purchase_id, "purchase id")) if purchase_id else None
        return self.reader.refunds(key, customer)

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None) -> list[Settlement]:
        """Settlements made, oldest first."""
        if merchant_id is not None:
            validate.identifier(merchant_id, "merchant id")
        key = hex_of(validate.bytes32(purchase_id, "purchase id")) if purchase_id else None
        return self.reader.settlements(merchant_id, key)

    def referral_earnings(self, referrer: str) -> list[Settlement]:
        """The settlements that paid ``referrer`` a commission, with the purchases they came from."""
        return self.reader.settlements(referrer=validate.address(referrer, "referrer"))

    def deferred_balance(self, account: str, token: str = NATIVE) -> int:
        """Payments kept for ``account`` because pushing them failed."""
        return self.call(
            self.contract.functions.deferredBalance(validate.address(token, "token"), validate.address(account))
        )

    def merchant_deferred_balance(self, merchant_id: int, token: str = NATIVE) -> int:
        """Payments kept for a merchant because pushing them to its payout failed."""
        return self.call(self.contract.functions.merchantDeferredBalance(
            validate.positive(merchant_id, "merchant id"), validate.address(token, "token")))

    def credit(self, merchant_id: int, customer: str, token: str = NATIVE) -> Credit:
        """Store credit a customer holds at a merchant."""
        return self.reader.credit(validate.identifier(merchant_id, "merchant id"),
                                  validate.address(customer, "customer"), validate.address(token, "token"))

    def pending_bonus(self, purchase_id: str) -> int:
        """The credit bonus a purchase still owes its customer: given as credit when it settles, out of what the
        shop keeps then (at most that)."""
        return self.call(self.contract.functions.pendingBonusOf(validate.bytes32(purchase_id, "purchase id")))

    def budget(self, merchant_id: int, agent: str, token: str = NATIVE) -> int:
        """What ``agent`` may still refund in ``token`` without asking."""
        return self.reader.budget(validate.identifier(merchant_id, "merchant id"), validate.address(agent, "agent"),
                                  validate.address(token, "token"))

    # ------------------------------------------------------------ reads: figures and feedback

    def figures(self, merchant_id: int) -> list[Figures]:
        """Sales, refunds, return rate and contacts per purchase of a merchant, one entry per token, with the
        feedback that counts (``ledger.history.counting``: what does not is counted apart)."""
        self.merchant(merchant_id)
        totals = self.reader.totals(merchant_id)
        feedback: dict[str, Any] = counting.figures(
            self.reviews(merchant_id), self.scores("nps", merchant_id), self.scores("csat", merchant_id),
            self.contacts(merchant_id=merchant_id))
        return [Figures(merchant_id=merchant_id, token=token, purchases=t.purchases, sales=t.sales, refunds=t.refunds,
                        returned_purchases=t.returned_purchases, settled=t.settled, **feedback)
                for token, t in sorted(totals.items())] or [
            Figures(merchant_id=merchant_id, token=NATIVE, purchases=0, sales=0, refunds=0, returned_purchases=0,
                    settled=0, **feedback)]

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        """The latest review of each purchase, oldest first, linked to its purchase: SKUs, what it paid, whether
        it was kept (a review of a purchase fully refunded is listed, not counted) and whether the reviewer
        bought at another shop (``ledger.history.counting``)."""
        if merchant_id is not None:
            validate.identifier(merchant_id, "merchant id")
        key = validate.bytes32(purchase_id, "purchase id") if purchase_id else None
        if key is not None:
            self.purchase(key)  # UnknownPurchase for one there is not
        return self.reader.reviews(merchant_id, sku, hex_of(key) if key else None)

    def ratings(self, merchant_id: int) -> RatingSummary:
        """Average rating of a merchant's reviews that count, overall and per SKU (with how many do not)."""
        return counting.summary(merchant_id, self.reviews(merchant_id))

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        """Net promoter scores (``nps``) or contact satisfaction scores (``csat``), each marked as counted or not,
        and why. The contract keeps contacts as events and cannot check them, so this is where the rules apply
        (``ledger.history.counting``): an NPS of a purchase fully refunded does not count, nor a rating of a
        contact other than one the shop's staff logged with that customer about its purchase there."""
        if kind not in ("nps", "csat"):
            raise InvalidInput(f"{kind!r} is not a kind of score: use nps or csat")
        return self.reader.scores(kind, merchant_id)

    def contact_logged(self, result: TxResult) -> ContactMoment:
        """The contact a transaction logged, as ``contacts`` gives it (marked counted or not)."""
        logged = contact_of(result.named("ContactLogged")[0])
        return next(c for c in self.contacts(logged.merchant_id, logged.customer, logged.purchase_id)
                    if (c.tx_hash, c.content_hash) == (logged.tx_hash, logged.content_hash))

    def score_given(self, kind: str, merchant_id: int, tx_hash: str) -> Score:
        """The score a transaction gave, as ``scores`` gives it (marked counted or not)."""
        return next(s for s in self.scores(kind, merchant_id) if s.tx_hash == tx_hash)

    # ------------------------------------------------------------ actions anyone may take

    def submit_return(self, relayer: LocalAccount, request: SignedReturn) -> Refund:
        """Submit a customer's signed return request; the relayer pays the gas, the customer gets the refund."""
        if (request.chain_id, request.contract) != (self.chain.chain_id, self.address):
            raise InvalidInput(
                f"the request was signed for contract {request.contract} on chain {request.chain_id}, "
                f"not for this ledger ({self.address} on chain {self.chain.chain_id})"
            )
        if request.deadline > self.chain.now() + MAX_REQUEST_VALIDITY:
            raise InvalidInput(f"the request stays valid for more than the {MAX_REQUEST_VALIDITY // 86_400} days a signed "
                               "return may run: nothing was sent; ask the customer to sign a new one")
        purchase = self.purchase(request.purchase_id)
        try:
            signature = signatures.normalised(bytes.fromhex(request.signature.removeprefix("0x")))
        except ValueError as error:
            raise InvalidInput("the return request's signature is not hex digits: ask the customer to sign "
                               "again") from error
        if not signatures.signed_by(self.w3, purchase.customer, return_digest(request), signature):
            raise InvalidSignature(purchase.id, purchase.customer)  # found before the relayer pays any gas
        result = self.transact(relayer, self.contract.functions.returnItemsBySig(
            purchase.order.packed(), purchase.lines_to_send(request.line_mask),
            (request.line_mask, bytes.fromhex(request.shipment_ref[2:]), request.nonce, request.deadline),
            signature,
        ))
        return refund_of(result.named("ItemsReturned")[0], purchase.customer)

    def settle(self, account: LocalAccount, purchase_ids: Iterable[str],
               progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases, signed by anyone (``settle_purchases``)."""
        return self.settle_purchases(account, [self.purchase(purchase_id) for purchase_id in purchase_ids], progress)

    def settle_purchases(self, account: LocalAccount, purchases: list[Purchase],
                         progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases (as read, ``purchase``), signed by anyone, in as many
        transactions as fit well inside a block (``settle_batch_size``; a batch the node still finds too big is
        halved). Each purchase is reported once, in the order given: settled, or passed over in ``skipped`` with
        why. One settled already is passed over without being sent (running a settlement again sends nothing
        for what it did). ``progress`` is told how many purchases each transaction took. Should a
        transaction's outcome be unknown (``OutcomeUnknown``), those before it are settled: a settlement run
        again passes over them."""
        _each_once(purchases)
        settled: list[Settlement] = []
        skipped = [(p.id, "already_settled") for p in purchases if p.settled]
        waiting = [p for p in purchases if not p.settled]
        hashes: list[str] = []
        size = self.settle_batch_size()
        while waiting:
            batch = waiting[:size]
            try:
                result = self.send(account, self.prepare_settle(batch))
            except GasLimitExceeded:
                if size == 1:
                    raise
                size //= 2  # nothing was sent: the same purchases in smaller transactions
                continue
            settled += [settlement_of(event) for event in result.named("Settled")]
            skipped += [(e.args["purchaseId"], SKIP_REASONS[e.args["reason"]])
                        for e in result.named("SettlementSkipped")]
            hashes.append(result.tx_hash)
            waiting = waiting[len(batch):]
            if progress is not None:
                progress(len(batch))
        order = {p.id: n for n, p in enumerate(purchases)}
        return SettlementBatch(tuple(sorted(settled, key=lambda s: order[s.purchase_id])),
                               tuple(sorted(skipped, key=lambda skip: order[skip[0]])),
                               hashes[0] if hashes else "", tuple(hashes))

    def prepare_settle(self, purchases: Sequence[Purchase]) -> Prepared[TxResult]:
        """One settlement transaction for ``purchases`` (as read), which anyone may send: the contract settles
        those whose window has closed and passes the others over (``SettlementSkipped``). Not journaled: it pays
        what is due when it runs, and the contract never pays the same thing twice."""
        _each_once(purchases)
        return Prepared(self.contract.functions.settle([p.order.packed() for p in purchases]), read=_receipt,
                        journaled=False)

    def settle_batch_size(self) -> int:
        """Purchases one settlement transaction takes: what ``SETTLE_GAS_PER_PURCHASE`` reckons fits in
        ``1 / SETTLE_BLOCK_SHARE`` of the newest block's gas limit, as the node reports it."""
        limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        return max(1, limit // SETTLE_BLOCK_SHARE // SETTLE_GAS_PER_PURCHASE)

    def settleable(self, merchant_id: int | None = None, limit: int | None = None) -> list[Purchase]:
        """Purchases whose window has closed and that wait for settlement, oldest first (``limit`` of them)."""
        return self.purchases(merchant_id=merchant_id, status=Status.CLOSED, limit=limit)

    def withdraw(self, account: LocalAccount, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Send ``account``'s deferred payments in ``token`` to ``to`` (by default the account itself)."""
        to = validate.address(account.address if to is None else to, "recipient")
        result = self.transact(account, self.contract.functions.withdraw(validate.address(token, "token"), to),
                               journaled=False)
        args = result.named("Withdrawn")[0].args
        return DeferredPayment(args["token"], args["to"], int(args["amount"]))

    def withdraw_merchant(self, account: LocalAccount, merchant_id: int, token: str = NATIVE) -> DeferredPayment:
        """Send a merchant's deferred payments to its current payout address; anyone may ask."""
        result = self.transact(account, self.contract.functions.withdrawMerchant(
            validate.positive(merchant_id, "merchant id"), validate.address(token, "token")), journaled=False)
        args = result.named("Withdrawn")[0].args
        return DeferredPayment(args["token"], args["to"], int(args["amount"]))

    # ------------------------------------------------------------ plumbing

    def send_many(self, calls: Sequence[Call], **options: Any) -> BulkReport:
        """Simulate, sign, send and confirm many calls (``sending.send_many``: ``batch_size``, ``workers``,
        ``timeout``, ``wave_size``), journaled in the operation the caller runs in (``operation``)."""
        return send_many(self.contracts, calls, operation=self.current_operation, **options)

    def call(self, function: Any) -> Any:
        """Run a view function; contract errors come back as our exceptions."""
        return self.contracts.call(function)

    def send(self, account: LocalAccount, prepared: Prepared[T]) -> T:
        """Sign and send a prepared action (a desk's ``prepare_<action>``) as ``account``: what it returns, read
        from the receipt. The texts whose hashes it carries are kept once it landed, never before; a refusal
        names amounts in the action's token."""
        with amounts_in(prepared.token) if prepared.token is not None else nullcontext():
            result = self.transact(account, prepared.function, prepared.value, prepared.landed, prepared.journaled)
        self.keep_texts(*prepared.texts)
        return prepared.read(result)

    def transact(self, account: LocalAccount, function: Any, value: int = 0, landed: Landed | None = None,
                 journaled: bool = True) -> TxResult:
        """Simulate, sign and send a contract call; return the receipt with the decoded events. ``landed``
        finds the call's work on chain should its own transactions not be found (``sending.single``). Inside an
        ``operation`` the call is journaled, and found if an earlier run sent it; ``journaled=False`` is for a
        call that pays what is due when it runs (settlement, withdrawals): the contract never pays the same
        thing twice, and running it again later must pay what has come due since."""
        return self.contracts.send(account, function, value, landed, self.current_operation if journaled else None)

    def transaction(self, tx_hash: str) -> TxState:
        """What the node says of a transaction: mined (with the ledger's events it emitted), failed, waiting
        in its pool, or unknown to it; for a transaction whose outcome was not known (``OutcomeUnknown``)."""
        return self.contracts.transaction(tx_hash)

    def events(self, name: str, *indexed: Any) -> list[Event]:
        """Events of one name, filtered on their indexed arguments in order (None matches any)."""
        return self.contracts.events(name, *indexed)

    def recorded_by(self, purchase_id: str, customer: str) -> str | None:
        """The transaction that recorded purchase ``purchase_id`` for ``customer``; None while it is not
        recorded; ``PurchaseExists`` when it was recorded for someone else. A purchase id is recorded once, so
        this tells whether a buy whose answer was lost went through."""
        if not self.contracts.is_bought(purchase_id):
            return None
        (event,) = self.events("PurchaseRecorded", purchase_id)
        if event.args["customer"] != customer:
            raise PurchaseExists(purchase_id)
        return event.tx_hash

    def purchase_from_event(self, event: Event) -> Purchase:
        """A purchase as its ``PurchaseRecorded`` event tells it (state not read yet)."""
        return purchase_of(event)

    def with_state(self, purchase: Purchase, now: int) -> Purchase:
        """The purchase with its changing state read from the chain, as of ``now``."""
        return self.contracts.with_state(purchase, now)

    def contact_call(self, merchant_id: int, customer: str, purchase_id: str | None, channel: Channel | str,
                     kind: ContactKind | str, occurred_at: int | None, content_hash: bytes) -> Any:
        """The contract call that logs a contact (its content's hash from ``seal_text``), with the purchase
        checked to be this customer's there (``desks.contacts.purchase_key``)."""
        def made(purchase_id: str) -> tuple[str, int]:
            purchase = self.purchase(purchase_id)
            return purchase.customer, purchase.merchant_id

        key = purchase_key(purchase_id, customer, merchant_id, made)
        return contact_call(self.contract.functions, merchant_id, customer, key, channel, kind, occurred_at,
                            content_hash)


def _each_once(purchases: Sequence[Purchase]) -> None:
    """A settlement names at least one purchase, each once."""
    if not purchases:
        raise InvalidInput("no purchases to settle: give at least one purchase id")
    if len({p.id for p in purchases}) != len(purchases):
        raise InvalidInput("a purchase id is given twice: name each purchase once")


def _receipt(result: TxResult) -> TxResult:
    return result


def _filters(merchant_id: int | None, customer: str | None,
             status: Status | str | None) -> tuple[str | None, Status | None]:
    """The filters of a purchase list checked: the customer's checksum address and the status, parsed."""
    if merchant_id is not None:
        validate.identifier(merchant_id, "merchant id")
    return (validate.address(customer, "customer") if customer is not None else None,
            Status.parse(status) if status is not None else None)
