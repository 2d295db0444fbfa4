"""The facade: ``Ledger`` builds the parts of a deployed ledger and hands each public method to one of them:
the reads (``reading.reads.Reads``), where actions go out (``desks.outbox.Outbox``), the actions anyone may
take (``desks.anyone.Anyone``), and the desks of each side (``MerchantDesk``, ``CustomerDesk``). Nothing below
this module knows ``Ledger`` (docs/architecture.md). Writes are simulated first, so a call the contract would
refuse raises the decoded error and sends nothing; they are then signed locally and sent raw (``sending``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from . import validate
from .artifacts import load_artifact
from .chain import Chain
from .codec import hex_of
from .contracts import LedgerContracts
from .deployment import Deployment
from .desks import CustomerDesk, MerchantDesk
from .desks.anyone import Anyone
from .desks.contacts import checked_contact_call
from .desks.outbox import Outbox
from .desks.prepared import Prepared, T
from .errors import (
    InvalidInput,
)
from .events import purchase_of
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
from .reading import Reader
from .reading.reads import Reads
from .reading.scan import LogScan
from .revert import RevertDecoder, mapped_errors
from .sending import BulkReport, Call, sign_and_send
from .sending.journal import Journal, Operation
from .sending.single import Landed

if TYPE_CHECKING:
    from .history import History
    from .links import OrderLinks
    from .names import Labels, Names, NameStore
    from .receipts import Receipt
    from .texts import Sealed, TextKind, TextStore

__all__ = ["CustomerDesk", "Ledger", "MerchantDesk"]

_log = logging.getLogger("ledger")




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
        self._names: NameStore | None = None
        self._order_links: OrderLinks | None = None
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
        self.reads = Reads(self.contracts, self.reader)
        """The reads, checked once (``reading.reads``)."""
        self.outbox = Outbox(self.contracts, lambda: self.texts, lambda: self.names_store)
        """Where actions go out: signed, sent, journaled, their texts kept (``desks.outbox``)."""
        self.anyone = Anyone(self.reads, self.outbox)
        """The actions anyone may take (``desks.anyone``)."""

    @property
    def journal(self) -> Journal:
        """Where operations (``operation``) write what they send: in memory unless set to a ``Journal(folder)``."""
        return self.outbox.journal

    @journal.setter
    def journal(self, journal: Journal) -> None:
        self.outbox.journal = journal

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
        block_hash, genesis_hash = (hex_of(self.w3.eth.get_block(number)["hash"]) for number in (self.from_block, 0))
        return Deployment(self.address, self.chain.chain_id, self.from_block, self.feedback.address, self.sources_hash,
                          block_hash, genesis_hash)

    # ------------------------------------------------------------ sides

    def register_merchant(self, owner: LocalAccount, payout: str | None = None) -> MerchantDesk:
        """Register a merchant owned by ``owner`` (paid to ``payout``, by default the owner)."""
        payout = validate.address(owner.address if payout is None else payout, "payout address")
        result = self.transact(owner, self.contract.functions.registerMerchant(payout))
        merchant_id = int(result.named("MerchantRegistered")[0].args["merchantId"])
        return MerchantDesk(self.reads, self.outbox, owner, merchant_id)

    def merchant_desk(self, account: LocalAccount | str, merchant_id: int) -> MerchantDesk:
        """Act for merchant ``merchant_id`` as ``account`` (its owner or an agent); given only an address, the
        desk prepares actions for that address's wallet to sign (``prepare_<action>``) and sends none."""
        merchant = self.merchant(merchant_id)
        address = account if isinstance(account, str) else account.address
        if self.role(merchant.id, address) is Role.NONE:
            raise InvalidInput(f"{address} is neither owner nor agent of merchant #{merchant_id}")
        return MerchantDesk(self.reads, self.outbox, account, merchant.id)

    def customer_desk(self, account: LocalAccount | str) -> CustomerDesk:
        """Act as the customer ``account``; given only an address, the desk prepares actions for that address's
        wallet to sign (``prepare_<action>``) and sends none."""
        return CustomerDesk(self.reads, self.outbox, account)

    # ------------------------------------------------------------ reads: shops

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
            from .history import MEMORY
            from .history.store import engine_for
            from .texts import TextStore

            self._texts = TextStore(self.history.store.engine if self.index is not False else engine_for(MEMORY))
        return self._texts

    @texts.setter
    def texts(self, store: TextStore) -> None:
        self._texts = store

    @property
    def names_store(self) -> NameStore:
        """Shops' signed profiles and catalogues and their order numbers (``ledger.names``), kept where the texts
        are (``texts``)."""
        if self._names is None:
            from .names import NameStore

            self._names = NameStore(self.texts.engine)
        return self._names

    @names_store.setter
    def names_store(self, store: NameStore) -> None:
        self._names = store

    @property
    def order_links(self) -> OrderLinks:
        """Signed orders kept under short codes, for short order links (``ledger.links``), kept where the texts
        are (``texts``): the command line that signs an order and the page that opens its short link share them
        when they share the database."""
        if self._order_links is None:
            from .links import OrderLinks

            self._order_links = OrderLinks(self.texts.engine)
        return self._order_links

    def names(self, merchant_id: int) -> Names:
        """What a shop is called and what it calls its products, as its staff signed them (``names.Names``)."""
        return self.names_store.names(validate.identifier(merchant_id, "merchant id"), self.reads)

    def receipt(self, purchase_id: str) -> Receipt:
        """A purchase's receipt: shop and product names, order number, lines, terms, refunds, proof on chain."""
        from .receipts import receipt

        purchase = self.reads.purchase(purchase_id)
        return receipt(purchase, self.reads.refunds(purchase_id=purchase.id), self.names(purchase.merchant_id),
                       self.order_numbers([purchase]).get(purchase.id, ""))

    def labels(self, purchases: Iterable[Purchase]) -> Labels:
        """The names to show purchases by: their shops' and products' names and their order numbers."""
        purchases = list(purchases)
        shops = {merchant_id: self.names(merchant_id) for merchant_id in sorted({p.merchant_id for p in purchases})}
        from .names import Labels

        return Labels(shops, self.order_numbers(purchases))

    def order_numbers(self, purchases: Iterable[Purchase]) -> dict[str, str]:
        """The shops' own order numbers of purchases (purchase id → number), for those whose number is kept here
        (the number's keccak256 is the purchase's order reference on chain)."""
        purchases = list(purchases)
        found = self.names_store.order_numbers((p.merchant_id, p.order_ref) for p in purchases)
        return {p.id: found[key] for p in purchases if (key := (p.merchant_id, p.order_ref.lower())) in found}

    # ------------------------------------------------------------ reads: purchases

    # ------------------------------------------------------------ reads: figures and feedback

    # ------------------------------------------------------------ actions anyone may take

    # ------------------------------------------------------------ reads (``reading.reads.Reads``)

    def merchant(self, merchant_id: int) -> Merchant:
        """A registered merchant."""
        return self.reads.merchant(merchant_id)

    def merchants(self) -> list[Merchant]:
        """Every registered merchant."""
        return self.reads.merchants()

    def staff(self, merchant_id: int, account: str) -> Staff:
        """What ``account`` may do at a merchant, with its mandate."""
        return self.reads.staff(merchant_id, account)

    def referral_limit(self, merchant_id: int, signer: str, referrer: str, staff: Staff | None = None) -> int:
        """The most referral commission (basis points) an order ``signer`` signs may give ``referrer``, as
        the contract decides at purchase: an agent's referral mandate for a referrer the owner approved,
        else none; anyone else is not limited here (the owner names whom it likes; a signature from outside
        the staff is refused on its own). ``staff``: ``signer``'s record, when read already."""
        return self.reads.referral_limit(merchant_id, signer, referrer, staff)

    def referrer_approved(self, merchant_id: int, referrer: str) -> bool:
        """Whether the shop's agents may name ``referrer`` in the orders they sign."""
        return self.reads.referrer_approved(merchant_id, referrer)

    def role(self, merchant_id: int, account: str) -> Role:
        """What ``account`` may do at a merchant."""
        return self.reads.role(merchant_id, account)

    def accepts(self, merchant_id: int, token: str) -> bool:
        """Whether a merchant accepts a token for new orders (ETH always)."""
        return self.reads.accepts(merchant_id, token)

    def terms(self, terms_id: int) -> ReturnTerms:
        """Published return terms (retired ones included)."""
        return self.reads.terms(terms_id)

    def terms_of(self, merchant_id: int) -> list[ReturnTerms]:
        """Every set of terms a merchant published, oldest first."""
        return self.reads.terms_of(merchant_id)

    def purchase(self, purchase_id: str | bytes) -> Purchase:
        """One purchase with its current state; ``UnknownPurchase`` if there is none."""
        return self.reads.purchase(purchase_id)

    def purchase_id(self, given: str) -> str:
        """The whole id of the purchase a unique start of it names (``0x26d8…``, as tables show it)."""
        return self.reads.purchase_id(given)

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
        excluding: Sequence[Status | str] = (),
        newest_first: bool = False,
    ) -> list[Purchase]:
        """Purchases, oldest (or newest) first, filtered by merchant, customer, SKU, time range (inclusive) and
        status, leaving out those in a status of ``excluding`` (``status=OPEN, excluding=[RETURNED]``: a line is
        left to return); at most ``limit`` of them, those after the purchase ``after`` (the last id of the
        previous page)."""
        return self.reads.purchases(merchant_id, customer, sku, since, until, status, limit, after, excluding,
                                    newest_first)

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
        return self.reads.count_purchases(merchant_id, customer, sku, since, until, status, up_to)

    def contacts(
        self, merchant_id: int | None = None, customer: str | None = None, purchase_id: str | None = None
    ) -> list[ContactMoment]:
        """Contact moments, oldest first, each marked as counted in the shop's figures or not, and why
        (``ledger.history.counting``)."""
        return self.reads.contacts(merchant_id, customer, purchase_id)

    def refunds(self, purchase_id: str | None = None, customer: str | None = None) -> list[Refund]:
        """Refunds paid (returns, credit, bonuses and goodwill), oldest first."""
        return self.reads.refunds(purchase_id, customer)

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None) -> list[Settlement]:
        """Settlements made, oldest first."""
        return self.reads.settlements(merchant_id, purchase_id)

    def referral_earnings(self, referrer: str) -> list[Settlement]:
        """The settlements that paid ``referrer`` a commission, with the purchases they came from."""
        return self.reads.referral_earnings(referrer)

    def deferred_balance(self, account: str, token: str = NATIVE) -> int:
        """Payments kept for ``account`` because pushing them failed."""
        return self.reads.deferred_balance(account, token)

    def merchant_deferred_balance(self, merchant_id: int, token: str = NATIVE) -> int:
        """Payments kept for a merchant because pushing them to its payout failed."""
        return self.reads.merchant_deferred_balance(merchant_id, token)

    def credit(self, merchant_id: int, customer: str, token: str = NATIVE) -> Credit:
        """Store credit a customer holds at a merchant."""
        return self.reads.credit(merchant_id, customer, token)

    def pending_bonus(self, purchase_id: str) -> int:
        """The credit bonus a purchase still owes its customer: given as credit when it settles, out of what
        the shop keeps then (at most that)."""
        return self.reads.pending_bonus(purchase_id)

    def budget(self, merchant_id: int, agent: str, token: str = NATIVE) -> int:
        """What ``agent`` may still refund in ``token`` without asking."""
        return self.reads.budget(merchant_id, agent, token)

    def figures(self, merchant_id: int, period: str = "all") -> list[Figures]:
        """How a merchant is doing in ``period`` (``7d``, ``30d``, ``90d`` or ``all``: the purchases made in it),
        one entry per token: sales, refunds, return rates by value and by units (with the amounts and units they
        come from), average order, escrow, units by SKU and the feedback that counts (``ledger.history.counting``:
        what does not is counted apart), each with the same of the period before (``Figures.previous``). The CLI
        and the dashboard show these, so they agree."""
        return self.reads.figures(merchant_id, period)

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        """The latest review of each purchase, oldest first, linked to its purchase: SKUs, what it paid,
        whether it was kept (a review of a purchase fully refunded is listed, not counted) and whether the
        reviewer bought at another shop (``ledger.history.counting``)."""
        return self.reads.reviews(merchant_id, sku, purchase_id)

    def ratings(self, merchant_id: int) -> RatingSummary:
        """Average rating of a merchant's reviews that count, overall and per SKU (with how many do not)."""
        return self.reads.ratings(merchant_id)

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        """Net promoter scores (``nps``) or contact satisfaction scores (``csat``), each marked as counted
        or not, and why. The contract keeps contacts as events and cannot check them, so this is where the
        rules apply (``ledger.history.counting``): an NPS of a purchase fully refunded does not count, nor a
        rating of a contact other than one the shop's staff logged with that customer about its purchase
        there."""
        return self.reads.scores(kind, merchant_id)

    def contact_logged(self, result: TxResult) -> ContactMoment:
        """The contact a transaction logged, as ``contacts`` gives it (marked counted or not)."""
        return self.reads.contact_logged(result)

    def score_given(self, kind: str, merchant_id: int, tx_hash: str) -> Score:
        """The score a transaction gave, as ``scores`` gives it (marked counted or not)."""
        return self.reads.score_given(kind, merchant_id, tx_hash)

    def recorded_by(self, purchase_id: str, customer: str) -> str | None:
        """The transaction that recorded purchase ``purchase_id`` for ``customer``; None while it is not
        recorded; ``PurchaseExists`` when it was recorded for someone else. A purchase id is recorded once,
        so this tells whether a buy whose answer was lost went through."""
        return self.reads.recorded_by(purchase_id, customer)

    def settleable(self, merchant_id: int | None = None, limit: int | None = None,
                   unanswered_too: bool = False) -> list[Purchase]:
        """Purchases whose window has closed and that wait for settlement, oldest first (``limit`` of them);
        those whose customer's request is unanswered only with ``unanswered_too`` (``Reads.settleable``)."""
        return self.reads.settleable(merchant_id, limit, unanswered_too)

    def held_back(self, merchant_id: int | None = None) -> list[Purchase]:
        """Closed purchases ``settleable`` leaves out: their customer's request is unanswered."""
        return self.reads.held_back(merchant_id)

    # ------------------------------------------------------------ sending (``desks.outbox.Outbox``)

    def seal_text(self, kind: TextKind | str, text: str | bytes | None, customer: str, merchant_id: int,
                  now: int | None = None) -> Sealed:
        """The hash to put on chain for an off-chain text, salted so nobody can test a guess against it
        (``TextStore.seal``); ``keep_texts`` once the transaction carrying the hash went through. Within an
        operation, a text it sealed before is sealed the same way again (the journal keeps the salt, not the
        text), so the call that carries it is the one the operation sent before."""
        return self.outbox.seal_text(kind, text, customer, merchant_id, now)

    def sealing(self, kind: TextKind | str, text: str | bytes | None, customer: str,
                merchant_id: int) -> AbstractContextManager[Sealed]:
        """A text sealed (``seal_text``) for what the block sends, and kept once the block is through
        without an error: a text is kept only when the transaction carrying its hash went through."""
        return self.outbox.sealing(kind, text, customer, merchant_id)

    def keep_texts(self, *sealed: Sealed) -> None:
        """Keep sealed texts whose hashes went out (``TextStore.save``); one an earlier run of the operation
        kept already is passed over."""
        return self.outbox.keep_texts(*sealed)

    def operation(self, key: str) -> AbstractContextManager[Operation]:
        """Run the block as the operation ``key``: every transaction it sends is journaled (``journal``)
        before it is sent, and a call an earlier run of the same operation sent is not signed anew: its
        transaction is followed, and when it went through, its result is returned with nothing sent (its
        hash is then in the operation's ``found``). Choose a key that names the piece of work (a ticket, a
        row of a file, a command and its arguments): the same key, the same work, done once; a new key does
        it again."""
        return self.outbox.operation(key)

    @property
    def current_operation(self) -> Operation | None:
        """The operation the calling code runs in on this ledger (``operation``), if any."""
        return self.outbox.current_operation

    def send_many(self, calls: Sequence[Call], **options: Any) -> BulkReport:
        """Simulate, sign, send and confirm many calls (``sending.send_many``: ``batch_size``, ``workers``,
        ``timeout``, ``wave_size``), journaled in the operation the caller runs in (``operation``)."""
        return self.outbox.send_many(calls, **options)

    def send(self, account: LocalAccount, prepared: Prepared[T]) -> T:
        """Sign and send a prepared action (a desk's ``prepare_<action>``) as ``account``: what it returns,
        read from the receipt. The texts whose hashes it carries are kept once it landed, never before; a
        refusal names amounts in the action's token."""
        return self.outbox.send(account, prepared)

    def transact(self, account: LocalAccount, function: Any, value: int = 0, landed: Landed | None = None,
                 journaled: bool = True) -> TxResult:
        """Simulate, sign and send a contract call; return the receipt with the decoded events. ``landed``
        finds the call's work on chain should its own transactions not be found (``sending.single``). Inside
        an ``operation`` the call is journaled, and found if an earlier run sent it; ``journaled=False`` is
        for a call that pays what is due when it runs (settlement, withdrawals): the contract never pays the
        same thing twice, and running it again later must pay what has come due since."""
        return self.outbox.transact(account, function, value, landed, journaled)

    # ------------------------------------------------------------ actions anyone may take (``desks.anyone``)

    def submit_return(self, relayer: LocalAccount, request: SignedReturn) -> Refund:
        """Submit a customer's signed return request; the relayer pays the gas, the customer gets the
        refund."""
        return self.anyone.submit_return(relayer, request)

    def settle(self, account: LocalAccount, purchase_ids: Iterable[str],
               progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases, signed by anyone (``settle_purchases``)."""
        return self.anyone.settle(account, purchase_ids, progress)

    def settle_purchases(self, account: LocalAccount, purchases: list[Purchase],
                         progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases (as read, ``purchase``), signed by anyone, in as many
        transactions as fit well inside a block (``settle_batch_size``; a batch the node still finds too big
        is halved). Each purchase is reported once, in the order given: settled, or passed over in
        ``skipped`` with why. One settled already is passed over without being sent (running a settlement
        again sends nothing for what it did). ``progress`` is told how many purchases each transaction took.
        Should a transaction's outcome be unknown (``OutcomeUnknown``), those before it are settled: a
        settlement run again passes over them."""
        return self.anyone.settle_purchases(account, purchases, progress)

    def prepare_settle(self, purchases: Sequence[Purchase]) -> Prepared[TxResult]:
        """One settlement transaction for ``purchases`` (as read), which anyone may send: the contract
        settles those whose window has closed and passes the others over (``SettlementSkipped``). Not
        journaled: it pays what is due when it runs, and the contract never pays the same thing twice."""
        return self.anyone.prepare_settle(purchases)

    def settle_batch_size(self) -> int:
        """Purchases one settlement transaction takes: what ``SETTLE_GAS_PER_PURCHASE`` reckons fits in ``1
        / SETTLE_BLOCK_SHARE`` of the newest block's gas limit, as the node reports it."""
        return self.anyone.settle_batch_size()

    def withdraw(self, account: LocalAccount, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Send ``account``'s deferred payments in ``token`` to ``to`` (by default the account itself)."""
        return self.anyone.withdraw(account, token, to)

    def withdraw_merchant(self, account: LocalAccount, merchant_id: int, token: str = NATIVE) -> DeferredPayment:
        """Send a merchant's deferred payments to its current payout address; anyone may ask."""
        return self.anyone.withdraw_merchant(account, merchant_id, token)

    # ------------------------------------------------------------ plumbing

    def call(self, function: Any) -> Any:
        """Run a view function; contract errors come back as our exceptions."""
        return self.contracts.call(function)

    def transaction(self, tx_hash: str) -> TxState:
        """What the node says of a transaction: mined (with the ledger's events it emitted), failed, waiting
        in its pool, or unknown to it; for a transaction whose outcome was not known (``OutcomeUnknown``)."""
        return self.contracts.transaction(tx_hash)

    def events(self, name: str, *indexed: Any) -> list[Event]:
        """Events of one name, filtered on their indexed arguments in order (None matches any)."""
        return self.contracts.events(name, *indexed)

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
        return checked_contact_call(self.reads, merchant_id, customer, purchase_id, channel, kind, occurred_at,
                                    content_hash)






