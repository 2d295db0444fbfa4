"""What counts in a shop's figures, and why not: the one place for the rules, read the same way from the index
(``queries.py``) and from the chain's logs (``client.py``), and shown by the CLI and the page.

The contract keeps contacts as events and feedback in ``LedgerFeedback``, which cannot see most games a shop
or its competitor can play with them; so the reading side decides what counts. Nothing is hidden: what does not
count is listed, marked, with the reason in words.

- A review or NPS score of a purchase fully refunded (every line returned or refunded, or refunded at least what
  was paid) is not counted: a competitor who buys, scores low and returns for free moves nothing.
- A contact rating (CSAT) counts only for a contact the shop's staff logged with a customer of the shop, naming
  that customer's purchase there: an agent's second wallet, with no purchase of its own named, moves nothing.
- A contact the customer logged itself that names a purchase not its own at the shop, or is dated before the
  shop was registered, does not count in the contact figures; nor does staff's naming a purchase that is not the
  customer's there.
- Reviews carry what was paid and whether the purchase was kept, and the figures say how many of the counted
  reviews come from wallets with no purchase at another shop: a shop's own 1-wei wallets are counted, but seen.
- The figures of a period are those of the purchases made in it, and of the feedback about them (``about``), so a
  period's scores and its sales stand on the same customers; the return rate is by value (per token: tokens are
  never added together) and by units, never by purchases (one unit back of many is not a 100 % return).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..models import ContactMoment, Figures, Period, Purchase, RatingSummary, Review, Score, SkuFigures, Totals

REFUNDED = "the purchase was fully refunded"
NOT_ITS_PURCHASE = "it names a purchase that is not this customer's at this shop"
BEFORE_THE_SHOP = "it is dated before the shop was registered"
NOT_A_CONTACT = "no contact with this customer was logged under this note"
SELF_LOGGED = "the customer logged this contact itself"
NOT_STAFF = "it was not logged by the shop's staff"
NO_PURCHASE = "the contact names no purchase of this customer at this shop"


@dataclass(frozen=True)
class Bought:
    """What the rules need of a purchase."""

    merchant_id: int
    customer: str
    paid: int
    token: str
    refunded: int
    returned_lines: int
    """How many of its lines were returned or refunded."""
    line_count: int
    skus: tuple[str, ...]

    @property
    def kept(self) -> bool:
        """Not fully refunded: some line not returned or refunded, and less refunded than paid."""
        return self.returned_lines < self.line_count and self.refunded < self.paid

    @classmethod
    def of(cls, purchase: Purchase) -> Bought:
        return cls(purchase.merchant_id, purchase.customer, purchase.paid, purchase.token, purchase.refunded,
                   len(purchase.returned_lines), len(purchase.lines),
                   tuple(dict.fromkeys(line.sku for line in purchase.lines)))


@dataclass(frozen=True)
class StaffChange:
    """A shop registered (``owner``), an agent added (``agent``) or removed (``removed``), at a block."""

    merchant_id: int
    account: str
    kind: str
    block_number: int
    at: int = 0
    """The block's time (needed for ``owner``: when the shop was registered)."""


class Shops:
    """When each shop was registered and who was its staff when."""

    def __init__(self, changes: Iterable[StaffChange]) -> None:
        self._registered: dict[int, StaffChange] = {}
        self._agents: dict[tuple[int, str], list[StaffChange]] = {}
        for change in sorted(changes, key=lambda c: c.block_number):
            if change.kind == "owner":
                self._registered[change.merchant_id] = change
            else:
                self._agents.setdefault((change.merchant_id, change.account), []).append(change)

    def registered_at(self, merchant_id: int) -> int | None:
        found = self._registered.get(merchant_id)
        return None if found is None else found.at

    def is_staff(self, merchant_id: int, account: str, block_number: int) -> bool:
        """Whether ``account`` was the shop's owner, or one of its agents, at that block."""
        registered = self._registered.get(merchant_id)
        if registered is not None and registered.account == account:
            return True
        before = [c for c in self._agents.get((merchant_id, account), ()) if c.block_number <= block_number]
        return bool(before) and before[-1].kind == "agent"


def _names_its_purchase(contact: ContactMoment, bought: Mapping[str, Bought]) -> bool:
    found = bought.get(contact.purchase_id) if contact.purchase_id else None
    return found is not None and (found.merchant_id, found.customer) == (contact.merchant_id, contact.customer)


def contacts(found: Iterable[ContactMoment], bought: Mapping[str, Bought], shops: Shops) -> list[ContactMoment]:
    """The contacts marked: whether each counts in the contact figures, and whether a rating of it counts.
    ``bought`` holds (at least) the purchases they name; ``shops`` their shops."""
    marked = []
    for contact in found:
        why = ""
        if contact.purchase_id and not _names_its_purchase(contact, bought):
            why = NOT_ITS_PURCHASE
        elif contact.by_customer and contact.occurred_at < (shops.registered_at(contact.merchant_id) or 0):
            why = BEFORE_THE_SHOP
        rated = (not why and not contact.by_customer and contact.purchase_id is not None
                 and shops.is_staff(contact.merchant_id, contact.logged_by, contact.block_number))
        marked.append(replace(contact, counted=not why, not_counted_because=why, rated_counts=rated))
    return marked


def reviews(found: Iterable[Review], bought: Mapping[str, Bought],
            shops_of: Mapping[str, frozenset[int]]) -> list[Review]:
    """The reviews with their purchase's SKUs, what it paid, whether it was kept, and whether the reviewer bought
    at another shop (``shops_of``: each reviewer's shops)."""
    marked = []
    for review in found:
        purchase = bought[review.purchase_id]
        marked.append(replace(
            review, skus=purchase.skus, returned=purchase.returned_lines > 0, paid=purchase.paid,
            token=purchase.token, kept=purchase.kept,
            bought_elsewhere=bool(shops_of.get(review.customer, frozenset()) - {review.merchant_id})))
    return marked


def nps(found: Iterable[Score], bought: Mapping[str, Bought]) -> list[Score]:
    """NPS scores marked: one for a purchase fully refunded does not count."""
    return [score if bought[score.subject].kept else replace(score, counted=False, not_counted_because=REFUNDED)
            for score in found]


def csat(found: Iterable[Score], marked_contacts: Iterable[ContactMoment]) -> list[Score]:
    """CSAT scores marked: each counts only for a contact whose rating counts (``contacts``); else the reason of
    the best contact found under its note."""
    why: dict[tuple[int, str, str], str] = {}
    for contact in marked_contacts:
        key = (contact.merchant_id, contact.customer, contact.content_hash)
        if contact.rated_counts:
            why[key] = ""
        elif why.get(key) != "":
            why[key] = (SELF_LOGGED if contact.by_customer else contact.not_counted_because
                        or (NO_PURCHASE if contact.purchase_id is None else NOT_STAFF))
    marked = []
    for score in found:
        reason = why.get((score.merchant_id, score.customer, score.subject), NOT_A_CONTACT)
        marked.append(replace(score, counted=not reason, not_counted_because=reason))
    return marked


def summary(merchant_id: int, found: list[Review]) -> RatingSummary:
    """Average rating of the reviews that count, overall and per SKU."""
    counted = [r for r in found if r.counted]
    by_sku: dict[str, list[int]] = {}
    for review in counted:
        for sku in review.skus:
            by_sku.setdefault(sku, []).append(review.rating)
    return RatingSummary(
        merchant_id, len(counted), average([r.rating for r in counted]),
        {sku: (sum(r) / len(r), len(r)) for sku, r in sorted(by_sku.items())},
        not_counted=len(found) - len(counted), only_here=sum(1 for r in counted if not r.bought_elsewhere))


def period_figures(merchant_id: int, period: Period, totals: Mapping[str, Totals], tokens: Iterable[str],
                   found_reviews: list[Review], nps_scores: list[Score], csat_scores: list[Score],
                   found_contacts: list[ContactMoment]) -> dict[str, Figures]:
    """A shop's ``Figures`` in each of ``tokens`` (zeros for one not paid in) over ``period``, from the reader's
    ``totals`` of the period's purchases and the shop's feedback, of which the feedback about those purchases
    counts (``about``). SKUs count units, which add up over tokens: each token's figures carry all of them."""
    ids = None if period.since is None else set().union(*(t.ids for t in totals.values()))
    feedback = figures(*about(ids, period, found_reviews, nps_scores, csat_scores, found_contacts))
    skus: dict[str, list[int]] = {}
    for t in totals.values():
        for sku, counts in t.skus.items():
            skus[sku] = [mine + theirs for mine, theirs in zip(skus.get(sku, [0, 0, 0]), counts, strict=True)]
    by_sku = tuple(SkuFigures(sku, *counts) for sku, counts in sorted(skus.items()))
    since, until = period.bounds
    found = {}
    for token in tokens:
        t = totals.get(token) or Totals()
        found[token] = Figures(
            merchant_id=merchant_id, token=token, purchases=t.purchases, sales=t.sales, refunds=t.refunds,
            returned_purchases=t.returned_purchases, settled=t.settled, units_sold=t.units_sold,
            units_returned=t.units_returned, in_escrow=t.in_escrow, skus=by_sku, period=period.name, since=since,
            until=until, **feedback)
    return found


def about(ids: set[str] | None, period: Period, found_reviews: list[Review], nps_scores: list[Score],
          csat_scores: list[Score], found_contacts: list[ContactMoment]
          ) -> tuple[list[Review], list[Score], list[Score], list[ContactMoment]]:
    """The feedback about the purchases ``ids`` (a period's; None: all of it): their reviews and NPS scores, the
    contacts naming them (or, naming none, made in the period) and the CSAT scores of those contacts. A period's
    score then moves with its sales: a score given today about last year's order is last year's."""
    if ids is None:
        return found_reviews, nps_scores, csat_scores, found_contacts
    first = period.since or 0
    contacts = [c for c in found_contacts
                if (c.purchase_id in ids if c.purchase_id else first <= c.occurred_at <= period.until)]
    rated = {(c.merchant_id, c.customer, c.content_hash) for c in contacts}
    return ([r for r in found_reviews if r.purchase_id in ids], [s for s in nps_scores if s.subject in ids],
            [s for s in csat_scores if (s.merchant_id, s.customer, s.subject) in rated], contacts)


def figures(found_reviews: list[Review], nps_scores: list[Score], csat_scores: list[Score],
            found_contacts: list[ContactMoment]) -> dict[str, Any]:
    """The feedback part of a shop's ``Figures`` (the same for each token)."""
    counted = [r for r in found_reviews if r.counted]
    scores = nps_scores + csat_scores
    return {
        "contacts": sum(1 for c in found_contacts if c.counted),
        "average_rating": average([r.rating for r in counted]),
        "csat": average([s.score for s in csat_scores if s.counted]),
        "nps": net_promoter([s.score for s in nps_scores if s.counted]),
        "csat_scores": sum(1 for s in csat_scores if s.counted),
        "nps_scores": sum(1 for s in nps_scores if s.counted),
        "reviews": len(counted),
        "reviews_only_here": sum(1 for r in counted if not r.bought_elsewhere),
        "reviews_not_counted": len(found_reviews) - len(counted),
        "scores_not_counted": sum(1 for s in scores if not s.counted),
        "contacts_not_counted": sum(1 for c in found_contacts if not c.counted),
    }


ONLY_HERE = ("reviews from wallets with no purchase at another shop: a shop's own second wallets would be among "
             "them, so the more of these, the less the average says")
"""What ``Figures.reviews_only_here`` means, in the words the CLI and the page show."""


def average(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def net_promoter(scores: list[int]) -> float | None:
    """The net promoter score of 0–10 scores: the share of promoters (9–10) less that of detractors (0–6),
    in points from -100 to 100; None without scores."""
    if not scores:
        return None
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    return 100 * (promoters - detractors) / len(scores)
