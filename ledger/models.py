"""What the library returns: frozen dataclasses, amounts as integers in the token's smallest unit."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import InvalidInput

# Re-exported from their homes (a line and a signed return are parts of orders):
from .orders import NATIVE as NATIVE
from .orders import LineItem as LineItem
from .orders import Order
from .orders import SignedReturn as SignedReturn
from .timefmt import CASHABLE_WHEN_CLOSED as CASHABLE_WHEN_CLOSED

DAY = 86_400

_Named = TypeVar("_Named", bound="_ByName")


class _ByName:
    """An enum a user may name: ``Reason.parse("late delivery")``."""

    @classmethod
    def parse(cls: type[_Named], value: Any) -> _Named:
        """The member itself, or the one named ``value`` in any case with - or space for _."""
        if isinstance(value, cls):
            return value
        members: Any = cls
        try:
            return members[str(value).upper().replace("-", "_").replace(" ", "_")]  # type: ignore[no-any-return]
        except KeyError as error:
            choices = ", ".join(member.name.lower() for member in members)
            raise InvalidInput(f"{value!r} is not a {cls.__name__.lower()}: choose one of {choices}") from error


class Role(enum.IntEnum):
    """What an account may do at a merchant (mirrors ``ILedger.Role``)."""

    NONE = 0
    AGENT = 1
    OWNER = 2


class Channel(_ByName, enum.IntEnum):
    """How a customer and a merchant were in touch (mirrors ``ILedger.Channel``)."""

    PHONE = 0
    EMAIL = 1
    CHAT = 2
    MESSAGING = 3
    VIDEO = 4
    CHATBOT = 5
    IN_STORE = 6
    SOCIAL = 7


class ContactKind(_ByName, enum.IntEnum):
    """What a contact moment was about (mirrors ``ILedger.ContactKind``)."""

    QUESTION = 0
    COMPLAINT = 1
    RETURN_HELP = 2
    FEEDBACK = 3
    ORDER_STATUS = 4
    DELIVERY = 5
    OTHER = 6


class Reason(_ByName, enum.IntEnum):
    """Why staff used their goodwill mandate (mirrors ``ILedger.Reason``)."""

    OTHER = 0
    LATE_DELIVERY = 1
    DAMAGED = 2
    WRONG_ITEM = 3
    SERVICE_RECOVERY = 4
    LOYALTY = 5


class Status(str, enum.Enum):
    """Where a purchase stands; a purchase can be in several (partly returned and settled, say)."""

    AWAITING_DELIVERY = "awaiting_delivery"
    """The window runs from delivery, which the merchant has not confirmed yet."""
    OPEN = "open"
    """The return window is open."""
    CLOSED = "closed"
    """The window has closed and the purchase waits for settlement."""
    SETTLED = "settled"
    """What was kept has been paid to the merchant."""
    PARTLY_RETURNED = "partly_returned"
    """Some lines were returned."""
    RETURNED = "returned"
    """Every line was returned."""

    @classmethod
    def parse(cls, value: Status | str) -> Status:
        """A purchase status from itself or its name."""
        try:
            return cls(value)
        except ValueError as error:
            choices = ", ".join(item.value for item in cls)
            raise InvalidInput(f"{value!r} is not a purchase status: choose one of {choices}") from error


@dataclass(frozen=True)
class Merchant:
    """A registered merchant."""

    id: int
    owner: str
    payout: str
    active_terms: int = 0
    """Terms published and not retired; at 0 customers may cash out their store credit."""
    credit_cash_out_delay: int = 0
    """Seconds after credit is issued from which it may be cashed out anyway (0: never while trading); each
    credit keeps the delay of its issue."""
    credit_bonus_bps: int = 0
    """Bonus on refunds taken as store credit, in basis points of the money part."""
    registered_at: int = 0
    """When the shop was registered (no contact moment is dated before)."""


@dataclass(frozen=True)
class Staff:
    """An account's role at a merchant and, for an agent, its mandate: extension days and referral commission."""

    role: Role
    max_extension_days: int = 0
    """Most days the agent may add, in all, to one purchase's return window."""
    max_referral_bps: int = 0
    """Most referral commission an order the agent signs may carry (to a referrer the owner approved)."""
    generation: int = 0
    """How many times the account was removed as an agent: its orders name it, so orders signed before a
    removal are void."""


@dataclass(frozen=True)
class Credit:
    """Store credit a customer holds at a merchant in one token."""

    amount: int
    """Credit held, bonus included."""
    cash: int
    """The part of ``amount`` that is money the customer paid; the rest is bonus."""
    cashable_at: int = 0
    """From when its money part may be cashed out while the shop trades, fixed when it was issued;
    ``CASHABLE_WHEN_CLOSED`` while the shop gave no delay (then once it retires all its terms); 0 for none held."""


@dataclass(frozen=True)
class ReturnTerms:
    """Published return terms; they never change, and a purchase keeps the terms it was made under."""

    id: int
    merchant_id: int
    return_window: int
    """Seconds during which a purchase may be returned; 0 means no returns."""
    restocking_fee_bps: int
    delivery_wait: int
    """0: the window starts at purchase; otherwise at confirmed delivery, or after this many seconds."""
    item_must_be_returned: bool
    retired: bool = False

    @property
    def window_from_delivery(self) -> bool:
        """Whether the window starts at delivery."""
        return self.delivery_wait > 0


@dataclass(frozen=True)
class Purchase:
    """A purchase as recorded on chain (the shop-signed order it was made of), with its changing state
    read at ``as_of``."""

    id: str
    """The order's EIP-712 digest."""
    customer: str
    """Who bought it."""
    order: Order
    paid: int
    """What arrived in escrow, store credit included (less than ``price`` for a fee-on-transfer token)."""
    purchased_at: int
    block_number: int
    tx_hash: str
    """Transaction that recorded the purchase."""
    refunded: int = 0
    delivered_at: int = 0
    extension_days: int = 0
    """Days staff added to the return window."""
    returned_lines: frozenset[int] = frozenset()
    settled: bool = False
    credit_used: int = 0
    """Store credit it was paid with; refunds of that part come back as credit."""
    as_of: int = 0
    """Chain time at which the state fields were read."""

    @property
    def merchant_id(self) -> int:
        """The merchant sold to."""
        return self.order.merchant_id

    @property
    def terms_id(self) -> int:
        """The terms the order was made under."""
        return self.order.terms_id

    @property
    def token(self) -> str:
        """The token paid with (the zero address: ETH)."""
        return self.order.token

    @property
    def price(self) -> int:
        """Quantity times unit price over the lines."""
        return self.order.total

    @property
    def lines(self) -> tuple[LineItem, ...]:
        """The lines bought."""
        return self.order.lines

    @property
    def order_ref(self) -> str:
        """The shop's order reference hash."""
        return self.order.order_ref

    @property
    def referrer(self) -> str:
        """Who earns a commission (zero address: nobody)."""
        return self.order.referrer

    @property
    def referral_bps(self) -> int:
        """The referrer's commission."""
        return self.order.referral_bps

    @property
    def return_window(self) -> int:
        """Seconds to return; 0: no returns."""
        return self.order.return_window

    @property
    def restocking_fee_bps(self) -> int:
        """Fee kept on returns."""
        return self.order.restocking_fee_bps

    @property
    def delivery_wait(self) -> int:
        """Longest wait for delivery, or 0."""
        return self.order.delivery_wait

    @property
    def item_must_be_returned(self) -> bool:
        """Whether items go back."""
        return self.order.item_must_be_returned

    @property
    def window_from_delivery(self) -> bool:
        """Whether the window starts at delivery (or after the longest wait for it)."""
        return self.delivery_wait > 0

    @property
    def awaiting_delivery(self) -> bool:
        """Whether the window waits for a delivery the shop has not confirmed (and the longest wait runs); never
        for terms without returns, whose purchase the contract settles at once (same rule as ``_settleable``)."""
        return (self.window_from_delivery and self.return_window > 0 and not self.delivered_at and not self.settled
                and self.as_of < self.purchased_at + self.delivery_wait)

    @property
    def deadline(self) -> int:
        """First second at which returns close and settlement may happen (same rule as the contract)."""
        if self.return_window == 0:
            return self.purchased_at
        start = self.purchased_at
        if self.window_from_delivery:
            start = self.delivered_at or self.purchased_at + self.delivery_wait
        return start + self.return_window + self.extension_days * DAY

    @property
    def window_open(self) -> bool:
        """Whether a return would be accepted now (per ``as_of``)."""
        return self.return_window > 0 and self.as_of < self.deadline

    @property
    def time_left(self) -> int:
        """Seconds until the window closes (0 once closed)."""
        return max(0, self.deadline - self.as_of)

    @property
    def in_escrow(self) -> int:
        """What the purchase still holds."""
        return held(self.paid, self.refunded, self.settled)

    @property
    def open_lines(self) -> tuple[int, ...]:
        """Indexes of the lines not yet returned."""
        return tuple(i for i in range(len(self.lines)) if i not in self.returned_lines)

    @property
    def statuses(self) -> frozenset[Status]:
        """Every status that applies."""
        found: set[Status] = set()
        if self.settled:
            found.add(Status.SETTLED)
        elif self.awaiting_delivery:
            found.add(Status.AWAITING_DELIVERY)
        elif self.window_open:
            found.add(Status.OPEN)
        else:
            found.add(Status.CLOSED)
        if self.returned_lines:
            found.add(Status.RETURNED if len(self.returned_lines) == len(self.lines) else Status.PARTLY_RETURNED)
        return frozenset(found)

    @property
    def status(self) -> Status:
        """The one status to show first: returned states win over window states."""
        for status in (Status.RETURNED, Status.PARTLY_RETURNED, Status.SETTLED, Status.AWAITING_DELIVERY,
                       Status.OPEN, Status.CLOSED):
            if status in self.statuses:
                return status
        raise AssertionError("a purchase always has a window status")

    def mask_of(self, lines: Sequence[int] | None) -> int:
        """The bit mask of the lines to return (every open line when ``None``), checked against the purchase."""
        if lines is not None and not lines:
            raise InvalidInput("no line named: give the index of at least one line, or none for every open line")
        indexes = tuple(self.open_lines if lines is None else lines)
        if not indexes:
            raise InvalidInput(f"every line of purchase {self.id[:10]}… was already returned")
        for index in indexes:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.lines):
                raise InvalidInput(
                    f"line {index + 1 if isinstance(index, int) else index!r} (index {index!r}) does not exist: "
                    f"purchase {self.id[:10]}… has {len(self.lines)} line(s), indexes 0 to {len(self.lines) - 1}"
                )
        return sum(1 << index for index in set(indexes))

    def lines_to_send(self, mask: int) -> list[tuple[bytes, int, int]]:
        """The lines to pass with a return of ``mask``: none when it returns every line of an untouched
        purchase (the contract then needs no lines, which saves calldata), else all of them."""
        if not self.returned_lines and mask == (1 << len(self.lines)) - 1:
            return []
        return self.order.line_tuples()

    def share_of(self, line_indexes: Sequence[int]) -> int:
        """These lines' share of what was paid (what a refund without return pays: no fee)."""
        return sum(self.lines[i].total for i in line_indexes) * self.paid // self.price

    def refund_for(self, line_indexes: tuple[int, ...]) -> int:
        """What returning these lines would refund (same rule as the contract)."""
        share = self.share_of(line_indexes)
        refund = share - share * self.restocking_fee_bps // 10_000
        return min(refund, self.in_escrow)


@dataclass(frozen=True)
class ContactMoment:
    """A logged contact between a merchant and a customer."""

    merchant_id: int
    customer: str
    purchase_id: str | None
    logged_by: str
    channel: Channel
    kind: ContactKind
    occurred_at: int
    content_hash: str
    block_number: int
    tx_hash: str
    counted: bool = True
    """Whether it counts in the shop's contact figures (``ledger.history.counting``: a customer's own log that
    names a purchase not its own there, or is dated before the shop existed, does not; nor does staff's log
    naming a purchase that is not this customer's there)."""
    not_counted_because: str = ""
    """Why it does not count, in words ("" when it does)."""
    rated_counts: bool = False
    """Whether a rating (CSAT) of it counts: logged by the shop's staff, with a customer, about that customer's
    purchase at the shop."""

    @property
    def by_customer(self) -> bool:
        """Whether the customer logged it (rather than the merchant's staff)."""
        return self.logged_by == self.customer


@dataclass(frozen=True)
class Refund:
    """Money paid back to a customer: a return (with the lines) or a goodwill refund."""

    purchase_id: str
    customer: str
    amount: int
    kind: str
    """``return``, ``goodwill``, ``kept`` (refunded while the customer keeps the lines) or ``credit``
    (store credit at the merchant instead of money, bonus included in ``amount``)."""
    lines: tuple[int, ...] = ()
    reference: str = ""
    """Return shipment reference hash, or the hash of staff's note."""
    reason: Reason | None = None
    """Why staff refunded (goodwill and kept refunds)."""
    by: str = ""
    block_number: int = 0
    tx_hash: str = ""
    merchant_id: int = 0
    """The shop whose purchase it refunds."""
    refunded_at: int = 0
    """When (its block's time)."""


@dataclass(frozen=True)
class InboxItem:
    """What a customer sent a shop (a question, a complaint, return help…), with its text and the shop's reply."""

    request: ContactMoment
    text: str | None
    """The customer's message as they wrote it (None: none was kept here, or it was erased)."""
    reply: ContactMoment | None
    """The first contact the shop's staff logged for this customer since (about the same purchase, when the
    request named one); None while unanswered."""

    @property
    def answered(self) -> bool:
        return self.reply is not None


RETURN_KINDS = frozenset({"return", "credit", "exchange"})
"""The refunds that take lines back (for money, for store credit, or paying a new order): the shop's returns."""
MONEY_KINDS = frozenset({"return", "goodwill", "kept"})
"""Refunds paid back as money."""
CREDIT_KINDS = frozenset({"credit", "bonus"})
"""Refunds given as store credit at the shop."""


@dataclass(frozen=True)
class ReturnRow:
    """A return in a shop's returns list: the refund, its purchase, and the tracking number the customer gave."""

    refund: Refund
    purchase: Purchase
    tracking: str | None
    """The shipment reference the customer gave with the return, as they wrote it (None: none was given, or
    it is kept elsewhere or was erased)."""

    @property
    def lines(self) -> tuple[LineItem, ...]:
        """The lines that came back."""
        return tuple(self.purchase.lines[i] for i in self.refund.lines)


@dataclass(frozen=True)
class PurchaseRow:
    """A purchase in a shop's export: the purchase, every refund of it (oldest first) and the tracking numbers
    its returns came with."""

    purchase: Purchase
    refunds: tuple[Refund, ...]
    tracking: tuple[str, ...]
    """The shipment references customers gave with its returns, as they wrote them (those kept here)."""


@dataclass(frozen=True)
class Exchange:
    """Lines of a purchase exchanged for a new order of the same shop, in one transaction."""

    returned: Refund
    """The return (kind ``exchange``): what it refunded paid the new purchase, without leaving escrow."""
    purchase: Purchase
    """The new purchase, with its own return window."""
    paid: int
    """What the customer paid on top (the new order cost more than the return refunded)."""
    back: int
    """What came back to the customer (the return refunded more than the new order cost): money, or store
    credit for the part the returned purchase was paid with credit."""


@dataclass(frozen=True)
class Settlement:
    """What was kept of a purchase, paid to the merchant."""

    purchase_id: str
    merchant_id: int
    amount: int
    """Paid to the merchant (summed with the batch's other purchases before it is sent)."""
    referrer: str = NATIVE
    commission: int = 0
    """Paid to the referrer."""
    block_number: int = 0
    tx_hash: str = ""


@dataclass(frozen=True)
class SettlementBatch:
    """What a settlement did, in one transaction or several: the purchases it settled and those it passed over."""

    settled: tuple[Settlement, ...]
    skipped: tuple[tuple[str, str], ...]
    """(purchase id, why): ``unknown``, ``already_settled``, ``window_open`` or ``awaiting_delivery``."""
    tx_hash: str = ""
    """The first transaction's hash ("" when nothing needed sending)."""
    tx_hashes: tuple[str, ...] = ()
    """Every transaction's hash, in the order sent."""


@dataclass(frozen=True)
class DeferredPayment:
    """A payment the recipient rejected, kept in the contract for it to withdraw."""

    token: str
    recipient: str
    amount: int


@dataclass(frozen=True)
class Event:
    """A decoded contract event that has no richer type."""

    name: str
    args: dict[str, Any] = field(hash=False)
    block_number: int = 0
    tx_hash: str = ""


@dataclass(frozen=True)
class TxState:
    """What a node says of one transaction (``Ledger.transaction``)."""

    tx_hash: str
    state: str
    """``mined`` (it went through), ``failed`` (mined, but it reverted: it did nothing), ``pending`` (waiting in
    the node's pool) or ``unknown`` (the node knows nothing of it)."""
    sender: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    confirmations: int = 0
    """Blocks from its own to the newest, its own included (0 until mined)."""
    events: tuple[Event, ...] = ()
    """The ledger's events it emitted, decoded."""


@dataclass(frozen=True)
class TxResult:
    """A mined transaction and the contract events it emitted, decoded."""

    tx_hash: str
    block_number: int
    gas_used: int
    events: tuple[Event, ...]

    def named(self, name: str) -> list[Event]:
        """The events of one name, in log order."""
        return [event for event in self.events if event.name == name]


def held(paid: int, refunded: int, settled: bool) -> int:
    """What a purchase still holds in escrow: what was paid less what went back, until it is settled."""
    return 0 if settled else paid - refunded


PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
"""The periods figures are asked for in (``ledger figures --period``, the dashboard's ``?period=``): days, or
None for the whole history."""


@dataclass(frozen=True)
class Period:
    """The stretch of chain time a shop's figures cover: the ``days`` days up to ``until`` (both ends counted), or
    the whole history (``days`` None). The figures of a period are those of the purchases made in it."""

    name: str
    until: int
    """The last second counted (the chain's time when asked)."""

    @classmethod
    def parse(cls, name: str, now: int) -> Period:
        """The period ``name`` (one of ``PERIODS``) up to ``now``."""
        if name not in PERIODS:
            raise InvalidInput(f"{name!r} is not a period: choose one of {', '.join(PERIODS)}")
        return cls(name, now)

    @property
    def days(self) -> int | None:
        return PERIODS[self.name]

    @property
    def since(self) -> int | None:
        """The first second counted (None: from the start)."""
        return None if self.days is None else self.until - self.days * DAY + 1

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        """(first, last second) of the purchases counted; (None, None) for the whole history."""
        return (None, None) if self.since is None else (self.since, self.until)

    @property
    def previous(self) -> Period | None:
        """The period of the same length just before this one (None for the whole history): what a change is
        measured against."""
        return None if self.since is None else Period(self.name, self.since - 1)


@dataclass(frozen=True)
class SkuFigures:
    """How much of one SKU was sold and came back (returned, or refunded while kept), in units: units of any token
    add up, so a SKU's figures are the shop's, in every token."""

    sku: str
    units_sold: int
    units_returned: int
    purchases: int
    """Purchases with a line of it."""

    @property
    def return_rate(self) -> float:
        """Units returned over units sold."""
        return self.units_returned / self.units_sold if self.units_sold else 0.0


@dataclass(frozen=True)
class Figures:
    """How a merchant is doing in one token, over a period (``Period``: the purchases made in it)."""

    merchant_id: int
    token: str
    purchases: int
    sales: int
    """Paid into escrow."""
    refunds: int
    """Paid back, returns and goodwill together."""
    returned_purchases: int
    """Purchases with at least one returned line."""
    contacts: int
    """Contact moments that count (``ContactMoment.counted``)."""
    settled: int
    """Paid out to the merchant."""
    average_rating: float | None = None
    """Average rating (1-5) of the reviews that count (of purchases kept), None without any."""
    csat: float | None = None
    """Average satisfaction score (1-5) of the contact ratings that count, None without any."""
    nps: float | None = None
    """Net promoter score of the scores that count (of purchases kept): % promoters (9-10) minus % detractors
    (0-6), None without any."""
    reviews: int = 0
    """Reviews that count in the average."""
    reviews_only_here: int = 0
    """Of the reviews that count, those from wallets with no purchase at another shop: a shop's own second
    wallets would be among them, so the fewer, the more the average stands on customers seen elsewhere too."""
    reviews_not_counted: int = 0
    """Reviews shown but not counted (their purchase was fully refunded)."""
    scores_not_counted: int = 0
    """NPS and CSAT scores shown but not counted (each says why: ``Score.not_counted_because``)."""
    contacts_not_counted: int = 0
    """Contact moments shown but not counted (each says why: ``ContactMoment.not_counted_because``)."""
    csat_scores: int = 0
    """CSAT scores that count (in ``csat``)."""
    nps_scores: int = 0
    """NPS scores that count (in ``nps``)."""
    units_sold: int = 0
    units_returned: int = 0
    """Units of the lines returned, or refunded while the customer kept them."""
    in_escrow: int = 0
    """What the period's purchases still hold (paid, less refunded, until settled)."""
    skus: tuple[SkuFigures, ...] = ()
    """Each SKU's units sold and returned, in every token (the same for each token's figures, as the feedback)."""
    period: str = "all"
    since: int | None = None
    until: int | None = None
    """The period's first and last second (``Period``); None: no bound."""
    previous: Figures | None = None
    """The same figures for the period of the same length just before (None for the whole history)."""

    @property
    def return_rate_by_value(self) -> float:
        """Refunded over sold: 0.2 ETH back of a 12.2 ETH order is 1.6 %, not one purchase of one."""
        return self.refunds / self.sales if self.sales else 0.0

    @property
    def return_rate_by_units(self) -> float:
        """Units returned over units sold."""
        return self.units_returned / self.units_sold if self.units_sold else 0.0

    @property
    def average_order(self) -> int:
        """What a purchase paid on average, in the token's smallest unit (rounded down)."""
        return self.sales // self.purchases if self.purchases else 0

    @property
    def contacts_per_purchase(self) -> float:
        """Contact moments per purchase."""
        return self.contacts / self.purchases if self.purchases else 0.0


@dataclass(frozen=True)
class Review:
    """A customer's review of a purchase (the latest one counts; ``replaced`` marks a rewrite)."""

    purchase_id: str
    merchant_id: int
    customer: str
    rating: int
    """1 to 5."""
    text_hash: str
    replaced: bool
    block_number: int = 0
    tx_hash: str = ""
    skus: tuple[str, ...] = ()
    """The SKUs of the purchase reviewed."""
    returned: bool = False
    """Whether any line of the purchase was returned."""
    paid: int = 0
    """What the purchase paid into escrow, in ``token``'s smallest unit (1 wei says a lot about a review)."""
    token: str = NATIVE
    kept: bool = True
    """Whether the customer kept the purchase (not every line returned or refunded, less refunded than paid)."""
    bought_elsewhere: bool = False
    """Whether the reviewer's wallet has a purchase at another shop too."""

    @property
    def counted(self) -> bool:
        """Whether it counts in the averages: a review of a purchase fully refunded is shown, not counted."""
        return self.kept


@dataclass(frozen=True)
class Score:
    """A net promoter score (0-10) for a purchase, or a satisfaction score (1-5) for a contact."""

    kind: str
    """``nps`` or ``csat``."""
    merchant_id: int
    customer: str
    score: int
    subject: str
    """The purchase id (NPS) or the contact's content hash (CSAT)."""
    block_number: int = 0
    tx_hash: str = ""
    counted: bool = True
    """Whether it counts in NPS or CSAT (``ledger.history.counting``)."""
    not_counted_because: str = ""
    """Why it does not, in words ("" when it does)."""


@dataclass(frozen=True)
class RatingSummary:
    """Average review rating of a merchant, overall and per SKU."""

    merchant_id: int
    reviews: int
    """Reviews that count (of purchases kept)."""
    average: float | None
    by_sku: dict[str, tuple[float, int]] = field(hash=False, default_factory=dict)
    """SKU: (average rating, number of reviews) of purchases with that SKU, of the reviews that count."""
    not_counted: int = 0
    """Reviews shown but not counted: their purchase was fully refunded."""
    only_here: int = 0
    """Of the reviews that count, those from wallets with no purchase at another shop."""


class Totals:
    """What a merchant's purchases in one token add up to (``Ledger.figures``), summed as each reader streams
    them by; the rules of units are here once for both readers."""

    def __init__(self) -> None:
        self.purchases = self.sales = self.refunds = self.returned_purchases = self.settled = 0
        self.units_sold = self.units_returned = self.in_escrow = 0
        self.skus: dict[str, list[int]] = {}
        """SKU: [units sold, units returned, purchases]."""
        self.ids: set[str] = set()
        """The purchases counted: a period's feedback is the feedback about them."""

    def add(self, purchase_id: str, paid: int, refunded: int, settled: int, is_settled: bool,
            lines: Sequence[Sequence[Any]], returned_lines: Collection[int]) -> None:
        """One purchase: what it paid and got back, what was paid out of it, and its lines (SKU and quantity
        first) with the indexes of those returned or refunded. Called once a purchase of a long history: kept
        to one pass over the lines."""
        self.ids.add(purchase_id)
        self.purchases += 1
        self.sales += paid
        self.refunds += refunded
        self.returned_purchases += bool(returned_lines)
        self.settled += settled
        self.in_escrow += held(paid, refunded, is_settled)
        seen = set()
        for index, line in enumerate(lines):
            sku, quantity = line[0], line[1]
            counts = self.skus.get(sku) or self.skus.setdefault(sku, [0, 0, 0])
            counts[0] += quantity
            self.units_sold += quantity
            if index in returned_lines:
                counts[1] += quantity
                self.units_returned += quantity
            if sku not in seen:
                seen.add(sku)
                counts[2] += 1
