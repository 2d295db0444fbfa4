"""The reads of a ledger, checked once and answered by its ``Reader`` (the index or the log scan) and its
contracts' views: what the facade, the desks and the page ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from eth_utils import to_checksum_address

from .. import validate
from ..codec import hex_of
from ..contracts import LedgerContracts
from ..errors import InvalidInput, PurchaseExists, UnknownPurchase
from ..events import contact_of
from ..history import counting
from ..models import (
    NATIVE,
    ContactKind,
    ContactMoment,
    Credit,
    Figures,
    Merchant,
    Period,
    Purchase,
    RatingSummary,
    Refund,
    ReturnTerms,
    Review,
    Role,
    Score,
    Settlement,
    Staff,
    Status,
    TxResult,
)
from . import Reader

AMBIGUOUS_SHOWN = 5
"""Candidates an ambiguous start of a purchase id lists."""


class Reads:
    """Reads of the ledger at ``contracts``, answered by ``reader`` where history is needed."""

    def __init__(self, contracts: LedgerContracts, reader: Reader) -> None:
        self.contracts = contracts
        self.reader = reader

    def merchant(self, merchant_id: int) -> Merchant:
        """A registered merchant."""
        validate.identifier(merchant_id, "merchant id")
        raw = self.contracts.fields(self.contracts.call(self.contracts.functions.merchant(merchant_id)),
                           ("owner", "activeTerms", "creditCashOutDelay", "payout", "creditBonusBps", "registeredAt"))
        owner, active_terms, delay, payout, bonus, registered_at = raw
        return Merchant(merchant_id, to_checksum_address(owner), to_checksum_address(payout), active_terms, delay, bonus,
                        registered_at)

    def merchants(self) -> list[Merchant]:
        """Every registered merchant."""
        return [self.merchant(i) for i in range(1, self.contracts.call(self.contracts.functions.merchantCount()) + 1)]

    def staff(self, merchant_id: int, account: str) -> Staff:
        """What ``account`` may do at a merchant, with its mandate."""
        role, generation, days, referral = self.contracts.fields(
            self.contracts.call(self.contracts.functions.staffOf(merchant_id, validate.address(account))),
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
        return bool(self.contracts.call(self.contracts.functions.referrerApproved(merchant_id,
                                                                      validate.address(referrer, "referrer"))))

    def role(self, merchant_id: int, account: str) -> Role:
        """What ``account`` may do at a merchant."""
        return self.staff(merchant_id, account).role

    def accepts(self, merchant_id: int, token: str) -> bool:
        """Whether a merchant accepts a token for new orders (ETH always)."""
        return bool(self.contracts.call(self.contracts.functions.accepts(merchant_id, validate.address(token, "token"))))

    def terms(self, terms_id: int) -> ReturnTerms:
        """Published return terms (retired ones included)."""
        validate.identifier(terms_id, "terms id")
        values = self.contracts.fields(self.contracts.call(self.contracts.functions.terms(terms_id)), (
            "merchantId", "returnWindow", "restockingFeeBps", "deliveryWait", "itemMustBeReturned", "retired"))
        return ReturnTerms(terms_id, *values)

    def terms_of(self, merchant_id: int) -> list[ReturnTerms]:
        """Every set of terms a merchant published, oldest first."""
        validate.identifier(merchant_id, "merchant id")
        logs = self.contracts.events("TermsPublished", None, merchant_id)
        return [self.terms(int(event.args["termsId"])) for event in logs]

    def purchase(self, purchase_id: str | bytes) -> Purchase:
        """One purchase with its current state; ``UnknownPurchase`` if there is none."""
        key = hex_of(validate.bytes32(purchase_id, "purchase id"))
        found = self.reader.purchase(key, self.contracts.chain.now())
        if found is None:
            raise UnknownPurchase(key)
        return found

    def purchase_id(self, given: str) -> str:
        """The purchase a unique start of its id names (``0x26d8…`` as tables show it, with or without the
        ``0x``); a whole id is taken as it is. ``UnknownPurchase`` when none starts so,
        ``InvalidInput`` naming the candidates when several do."""
        text = given.strip().removesuffix("…").removesuffix("...").lower()
        digits = text.removeprefix("0x")
        if len(digits) == 64:
            return hex_of(validate.bytes32("0x" + digits, "purchase id"))
        if not 1 <= len(digits) < 64 or any(c not in "0123456789abcdef" for c in digits):
            raise InvalidInput(f"{given!r} is not a purchase id: give its 64 hex digits, or its first ones as the tables "
                               "show them (0x26d8…)")
        found = self.reader.purchase_ids("0x" + digits, AMBIGUOUS_SHOWN + 1)
        if not found:
            raise UnknownPurchase("0x" + digits)
        if len(found) > 1:
            shown = ", ".join(f"{p[:14]}…" for p in found[:AMBIGUOUS_SHOWN])
            more = " and more" if len(found) > AMBIGUOUS_SHOWN else ""
            raise InvalidInput(f"{'more than ' if more else ''}{min(len(found), AMBIGUOUS_SHOWN)} purchase ids start "
                               f"with {given!r} ({shown}{more}): give more of its digits")
        return found[0]

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
        status, leaving out those in a status of ``excluding``; at most ``limit`` of them, those after the purchase
        ``after`` (the last id of the previous page)."""
        customer, wanted_status = _filters(merchant_id, customer, status)
        if limit is not None:
            validate.positive(limit, "limit")
        after = hex_of(validate.bytes32(after, "purchase id")) if after else None
        return self.reader.purchases(self.contracts.chain.now(), merchant_id, customer, sku, since, until, wanted_status,
                                     limit, after, frozenset(Status.parse(s) for s in excluding), newest_first)

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
        return self.reader.count(self.contracts.chain.now(), merchant_id, customer, sku, since, until, wanted_status, up_to)

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

    def refunds(self, purchase_id: str | None = None, customer: str | None = None,
                merchant_id: int | None = None) -> list[Refund]:
        """Refunds paid (returns, credit, bonuses and goodwill), oldest first: of a purchase, a customer, a shop."""
        customer = validate.address(customer, "customer") if customer else None
        key = hex_of(validate.bytes32(purchase_id, "purchase id")) if purchase_id else None
        if merchant_id is not None:
            validate.identifier(merchant_id, "merchant id")
        return self.reader.refunds(key, customer, merchant_id)

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
        return int(self.contracts.call(
            self.contracts.functions.deferredBalance(validate.address(token, "token"), validate.address(account))
        ))

    def merchant_deferred_balance(self, merchant_id: int, token: str = NATIVE) -> int:
        """Payments kept for a merchant because pushing them to its payout failed."""
        return int(self.contracts.call(self.contracts.functions.merchantDeferredBalance(
            validate.positive(merchant_id, "merchant id"), validate.address(token, "token"))))

    def credit(self, merchant_id: int, customer: str, token: str = NATIVE) -> Credit:
        """Store credit a customer holds at a merchant."""
        return self.reader.credit(validate.identifier(merchant_id, "merchant id"),
                                  validate.address(customer, "customer"), validate.address(token, "token"))

    def pending_bonus(self, purchase_id: str) -> int:
        """The credit bonus a purchase still owes its customer: given as credit when it settles, out of what the
        shop keeps then (at most that)."""
        return int(self.contracts.call(self.contracts.functions.pendingBonusOf(validate.bytes32(purchase_id, "purchase id"))))

    def budget(self, merchant_id: int, agent: str, token: str = NATIVE) -> int:
        """What ``agent`` may still refund in ``token`` without asking."""
        return self.reader.budget(validate.identifier(merchant_id, "merchant id"), validate.address(agent, "agent"),
                                  validate.address(token, "token"))

    def figures(self, merchant_id: int, period: str = "all") -> list[Figures]:
        """Sales, refunds, return rates (by value and by units), escrow and the feedback that counts
        (``ledger.history.counting``: what does not is counted apart) of the purchases made at a merchant in
        ``period`` (one of ``PERIODS``), one entry per token, each with the same of the period before."""
        self.merchant(merchant_id)
        shown = Period.parse(period, self.contracts.chain.now())
        periods = [shown] if shown.previous is None else [shown, shown.previous]
        totals = [self.reader.totals(merchant_id, *p.bounds) for p in periods]
        tokens = sorted(set().union(*totals)) or [NATIVE]
        feedback = (self.reviews(merchant_id), self.scores("nps", merchant_id), self.scores("csat", merchant_id),
                    self.contacts(merchant_id=merchant_id))
        now, *before = (counting.period_figures(merchant_id, p, t, tokens, *feedback)
                        for p, t in zip(periods, totals, strict=True))
        return [replace(figures, previous=before[0][token]) if before else figures for token, figures in now.items()]

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

    def recorded_by(self, purchase_id: str, customer: str) -> str | None:
        """The transaction that recorded purchase ``purchase_id`` for ``customer``; None while it is not
        recorded; ``PurchaseExists`` when it was recorded for someone else. A purchase id is recorded once, so
        this tells whether a buy whose answer was lost went through."""
        if not self.contracts.is_bought(purchase_id):
            return None
        (event,) = self.contracts.events("PurchaseRecorded", purchase_id)
        if event.args["customer"] != customer:
            raise PurchaseExists(purchase_id)
        return event.tx_hash

    def settleable(self, merchant_id: int | None = None, limit: int | None = None,
                   unanswered_too: bool = False) -> list[Purchase]:
        """Purchases whose window has closed and that wait for settlement, oldest first (``limit`` of them);
        those whose customer's request is still unanswered (``held_back``) only with ``unanswered_too``."""
        held = set() if unanswered_too else self.awaiting_answer(merchant_id)
        found = self.purchases(merchant_id=merchant_id, status=Status.CLOSED,
                               limit=None if limit is None else limit + len(held))
        found = [p for p in found if p.id not in held]
        return found if limit is None else found[:limit]

    def awaiting_answer(self, merchant_id: int | None = None) -> set[str]:
        """The purchases a customer asked the shop about (a question, a complaint, return help…) with no reply
        from the shop's staff logged since (``unanswered``)."""
        return {c.purchase_id for c in unanswered(self.contacts(merchant_id)) if c.purchase_id}

    def held_back(self, merchant_id: int | None = None) -> list[Purchase]:
        """Closed, unsettled purchases that ``settleable`` leaves out: their customer's request is unanswered."""
        found = (self.purchase(purchase_id) for purchase_id in sorted(self.awaiting_answer(merchant_id)))
        return [p for p in found if p.status is Status.CLOSED]


REQUEST_KINDS = frozenset(ContactKind) - {ContactKind.FEEDBACK}
"""What a customer logs that asks the shop for something (feedback asks for nothing)."""


def replies(contacts: Sequence[ContactMoment]) -> list[tuple[ContactMoment, ContactMoment | None]]:
    """The customers' requests among ``contacts`` (oldest first, as read), each with the contact that answers
    it: the first one the shop's staff logged after it for the same customer at the same shop, about the same
    purchase when the request named one (None while unanswered). Oldest first."""
    found: list[tuple[ContactMoment, ContactMoment | None]] = []
    for contact in contacts:
        if contact.logged_by == contact.customer:
            if contact.kind in REQUEST_KINDS:
                found.append((contact, None))
            continue
        found = [(request, reply) if reply is not None or not (
            (request.merchant_id, request.customer) == (contact.merchant_id, contact.customer)
            and (request.purchase_id is None or request.purchase_id == contact.purchase_id)) else (request, contact)
            for request, reply in found]
    return found


def unanswered(contacts: Sequence[ContactMoment]) -> list[ContactMoment]:
    """The customers' requests among ``contacts`` that nothing answers yet (``replies``), oldest first."""
    return [request for request, reply in replies(contacts) if reply is None]


def _filters(merchant_id: int | None, customer: str | None,
             status: Status | str | None) -> tuple[str | None, Status | None]:
    """The filters of a purchase list checked: the customer's checksum address and the status, parsed."""
    if merchant_id is not None:
        validate.identifier(merchant_id, "merchant id")
    return (validate.address(customer, "customer") if customer is not None else None,
            Status.parse(status) if status is not None else None)
