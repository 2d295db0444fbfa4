"""Answers from the index, as the library's own dataclasses (the same the chain path returns)."""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, and_, false, func, or_, select, true, tuple_, type_coerce

from ..models import (
    Channel,
    ContactKind,
    ContactMoment,
    Credit,
    LineItem,
    Purchase,
    Reason,
    Refund,
    Review,
    Score,
    Settlement,
    Status,
    Totals,
)
from ..orders import Order
from . import counting, credit, schema
from .store import Store, chunks

_P, _L = schema.purchases, schema.purchase_lines

_SHOWN = [type_coerce(_P.c[name], String) if isinstance(_P.c[name].type, schema.Amount) else _P.c[name] for name in (
    "id", "customer", "head", "payment", "referral", "order_ref", "line_items", "paid", "purchased_at",
    "block_number", "tx_hash", "refunded", "delivered_at", "extension_days", "returned_lines", "settled",
    "credit_used")]
"""The columns a ``Purchase`` is made of, in the order ``_purchase`` reads them (a long history reads and
converts no more than these). The amounts come as their decimal text and ``_purchase`` makes them ints: through
the column type that is a Python call per amount, six a purchase, a quarter of a long history's time."""


def _in_order(table: Any) -> tuple[Any, Any]:
    return table.c.block_number, table.c.log_index


def _matching(table: Any, **equal: Any) -> Any:
    """The table's rows, oldest first, whose columns equal the values given (None: any)."""
    query = select(table).order_by(*_in_order(table))
    for column, value in equal.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    return query


def _filtered(query: Any, now: int, merchant_id: int | None, customer: str | None, sku: str | None,
              since: int | None, until: int | None, status: Status | None) -> Any:
    """A query of ``purchases`` narrowed to a merchant, customer, SKU, time range and status (None: any)."""
    if merchant_id is not None:
        query = query.where(_P.c.merchant_id == merchant_id)
    if customer is not None:
        query = query.where(_P.c.customer == customer)
    if sku is not None:
        query = query.where(tuple_(*_in_order(_P)).in_(select(*_in_order(_L)).where(_L.c.sku == sku)))
    if since is not None:
        query = query.where(_P.c.purchased_at >= since)
    if until is not None:
        query = query.where(_P.c.purchased_at <= until)
    if status is not None:
        query = query.where(_status(status, now))
    return query


class Queries:
    """Reads of the index."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def purchase(self, purchase_id: str, now: int) -> Purchase | None:
        """One purchase, or None."""
        with self.store.reading() as db:
            rows = db.execute(select(*_SHOWN).where(_P.c.id == purchase_id)).all()
            found = _purchases(rows, now)
        return found[0] if found else None

    def purchase_ids(self, prefix: str, limit: int) -> list[str]:
        """Ids starting with ``prefix`` (ids are kept as lower-case hex text)."""
        query = select(_P.c.id).where(_P.c.id.startswith(prefix)).order_by(_P.c.id).limit(limit)
        with self.store.reading() as db:
            return [row.id for row in db.execute(query)]

    def purchases(self, now: int, merchant_id: int | None = None, customer: str | None = None,
                  sku: str | None = None, since: int | None = None, until: int | None = None,
                  status: Status | None = None, limit: int | None = None, after: str | None = None,
                  excluding: frozenset[Status] = frozenset(), newest_first: bool = False) -> list[Purchase]:
        """Purchases, oldest (or newest) first, filtered; ``limit`` of them after the purchase ``after`` (a
        cursor), none of them in a status of ``excluding``."""
        order = [column.desc() for column in _in_order(_P)] if newest_first else list(_in_order(_P))
        query = _filtered(select(*_SHOWN).order_by(*order), now, merchant_id, customer, sku, since, until, status)
        for unwanted in sorted(excluding):
            query = query.where(~_status(unwanted, now))
        if limit is not None:
            query = query.limit(limit)
        with self.store.reading() as db:
            if after is not None:
                place = db.execute(select(*_in_order(_P)).where(_P.c.id == after)).first()
                if place is None:
                    return []
                block, index = place
                beyond = operator.lt if newest_first else operator.gt
                query = query.where(or_(beyond(_P.c.block_number, block),
                                        and_(_P.c.block_number == block, beyond(_P.c.log_index, index))))
            return _purchases(db.execute(query).all(), now)

    def count(self, now: int, merchant_id: int | None = None, customer: str | None = None, sku: str | None = None,
              since: int | None = None, until: int | None = None, status: Status | None = None,
              up_to: int | None = None) -> int:
        """How many purchases the filters select, counted no further than ``up_to``: the database counts, no
        purchase is read."""
        query = _filtered(select(_P.c.block_number), now, merchant_id, customer, sku, since, until, status)
        if up_to is not None:
            query = query.limit(up_to)
        with self.store.reading() as db:
            return db.execute(select(func.count()).select_from(query.subquery())).scalar_one()

    def totals(self, merchant_id: int, since: int | None = None, until: int | None = None) -> dict[str, Totals]:
        """A merchant's purchases (made between ``since`` and ``until``, inclusive) summed per token. Amounts are
        decimal text that SQLite cannot sum exactly, so the rows are summed here as they stream by, a few columns
        each: one pass, no object per purchase."""
        settled = schema.settlements
        query = _filtered(
            select(_P.c.id, _P.c.token, _P.c.paid, _P.c.refunded, _P.c.settled, _P.c.line_items, _P.c.returned_lines,
                   settled.c.amount, settled.c.commission)
            .select_from(_P.outerjoin(settled, settled.c.purchase_id == _P.c.id)),
            0, merchant_id, None, None, since, until, None)  # no status: the time (0) is not read
        found: dict[str, Totals] = {}
        with self.store.reading() as db:
            for key, token, paid, refunded, is_settled, items, mask, amount, commission in db.execute(query):
                totals = found.get(token) or found.setdefault(token, Totals())
                totals.add(key, paid, refunded, (amount or 0) + (commission or 0), bool(is_settled), json.loads(items),
                           _bits(mask) if mask else ())
        return found

    def contacts(self, merchant_id: int | None = None, customer: str | None = None,
                 purchase_id: str | None = None) -> list[ContactMoment]:
        """Contact moments, oldest first, each marked as counted or not (``counting.contacts``)."""
        table = schema.contacts
        query = _matching(table, merchant_id=merchant_id, customer=customer, purchase_id=purchase_id)
        with self.store.reading() as db:
            found = [ContactMoment(
                merchant_id=r["merchant_id"], customer=r["customer"], purchase_id=r["purchase_id"],
                logged_by=r["logged_by"], channel=Channel(r["channel"]), kind=ContactKind(r["kind"]),
                occurred_at=r["occurred_at"], content_hash=r["content_hash"], block_number=r["block_number"],
                tx_hash=r["tx_hash"]) for r in db.execute(query).mappings()]
            bought = _bought(db, {c.purchase_id for c in found if c.purchase_id})
            shops = _shops(db, {c.merchant_id for c in found})
        return counting.contacts(found, bought, shops)

    def refunds(self, purchase_id: str | None = None, customer: str | None = None,
                merchant_id: int | None = None) -> list[Refund]:
        """Refunds paid (returns, credit, goodwill), oldest first."""
        table = schema.refunds
        query = _matching(table, purchase_id=purchase_id, customer=customer, merchant_id=merchant_id)
        with self.store.reading() as db:
            return [Refund(
                purchase_id=r["purchase_id"], customer=r["customer"], amount=r["amount"], kind=r["kind"],
                lines=_bits(r["line_mask"]), reference=r["reference"],
                reason=None if r["reason"] is None else Reason(r["reason"]), by=r["by"],
                block_number=r["block_number"], tx_hash=r["tx_hash"], merchant_id=r["merchant_id"],
                refunded_at=r["refunded_at"]) for r in db.execute(query).mappings()]

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None,
                    referrer: str | None = None) -> list[Settlement]:
        """Settlements made, oldest first."""
        table = schema.settlements
        query = _matching(table, merchant_id=merchant_id, purchase_id=purchase_id, referrer=referrer)
        with self.store.reading() as db:
            return [Settlement(r["purchase_id"], r["merchant_id"], r["amount"], r["referrer"], r["commission"],
                               r["block_number"], r["tx_hash"]) for r in db.execute(query).mappings()]

    def credit(self, merchant_id: int, customer: str, token: str) -> Credit:
        """Store credit a customer holds at a merchant in a token."""
        table = schema.credit_changes
        query = _matching(table, merchant_id=merchant_id).where(
            or_(and_(table.c.customer == customer, table.c.token == token), table.c.kind == "delay"))
        with self.store.reading() as db:
            return credit.balance(db.execute(query.with_only_columns(
                table.c.kind, table.c.amount, table.c.cash, table.c.at)).mappings())

    def budget(self, merchant_id: int, agent: str, token: str) -> int:
        """What an agent may still refund in a token without asking."""
        table = schema.budget_changes
        query = _matching(table, merchant_id=merchant_id, agent=agent).where(
            or_(table.c.token == token, table.c.kind == "void"))
        with self.store.reading() as db:
            return credit.budget_left(db.execute(query.with_only_columns(table.c.kind, table.c.amount)).mappings())

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        """The latest review of each purchase, oldest first, with its purchase's SKUs, what it paid, whether it
        was kept, and whether the reviewer bought at another shop (``counting.reviews``)."""
        query = _matching(schema.reviews, merchant_id=merchant_id, purchase_id=purchase_id)
        with self.store.reading() as db:
            latest = {r["purchase_id"]: r for r in db.execute(query).mappings()}
            bought = _bought(db, set(latest))
            shops_of = _shops_of(db, {r["customer"] for r in latest.values()})
        found = counting.reviews((Review(
            purchase_id=key, merchant_id=r["merchant_id"], customer=r["customer"], rating=r["rating"],
            text_hash=r["text_hash"], replaced=r["replaced"], block_number=r["block_number"], tx_hash=r["tx_hash"])
            for key, r in latest.items()), bought, shops_of)
        return sorted((r for r in found if sku is None or sku in r.skus), key=lambda review: review.block_number)

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        """NPS or CSAT scores, oldest first, each marked as counted or not (``counting.nps``, ``counting.csat``)."""
        query = _matching(schema.scores, kind=kind, merchant_id=merchant_id)
        with self.store.reading() as db:
            found = [Score(kind, r["merchant_id"], r["customer"], r["score"], r["subject"], r["block_number"],
                           r["tx_hash"]) for r in db.execute(query).mappings()]
            if kind == "nps":
                return counting.nps(found, _bought(db, {s.subject for s in found}))
        return counting.csat(found, self.contacts(merchant_id))


def _bought(db: Any, ids: set[str]) -> dict[str, counting.Bought]:
    """What ``counting`` needs of the purchases ``ids`` (those the index has)."""
    found = {}
    for chunk in chunks(sorted(ids)):
        for key, merchant_id, customer, paid, token, refunded, mask, count, items in db.execute(
                select(_P.c.id, _P.c.merchant_id, _P.c.customer, _P.c.paid, _P.c.token, _P.c.refunded,
                       _P.c.returned_lines, _P.c.line_count, _P.c.line_items).where(_P.c.id.in_(chunk))):
            found[key] = counting.Bought(merchant_id, customer, paid, token, refunded, mask.bit_count(), count,
                                         tuple(dict.fromkeys(line.sku for line in _line_items(items))))
    return found


def _shops(db: Any, merchant_ids: set[int]) -> counting.Shops:
    """When those shops were registered and who was their staff when."""
    table = schema.staff_changes
    return counting.Shops(
        counting.StaffChange(r["merchant_id"], r["account"], r["kind"], r["block_number"], r["at"])
        for r in db.execute(select(table).where(table.c.merchant_id.in_(sorted(merchant_ids)))
                            .order_by(*_in_order(table))).mappings())


def _shops_of(db: Any, customers: set[str]) -> dict[str, frozenset[int]]:
    """The shops each of ``customers`` bought at."""
    found: dict[str, set[int]] = {}
    for chunk in chunks(sorted(customers)):
        for customer, merchant_id in db.execute(
                select(_P.c.customer, _P.c.merchant_id).distinct().where(_P.c.customer.in_(chunk))):
            found.setdefault(customer, set()).add(merchant_id)
    return {customer: frozenset(shops) for customer, shops in found.items()}


def _status(status: Status, now: int) -> Any:
    """The SQL condition for a status at time ``now`` (the rules of ``Purchase.statuses``)."""
    waiting = _P.c.awaiting_until > now
    window_open = and_(_P.c.return_window > 0, _P.c.deadline > now)
    conditions = {
        Status.SETTLED: _P.c.settled == true(),
        Status.AWAITING_DELIVERY: and_(_P.c.settled == false(), waiting),
        Status.OPEN: and_(_P.c.settled == false(), ~waiting, window_open),
        Status.CLOSED: and_(_P.c.settled == false(), ~waiting, ~window_open),
        Status.PARTLY_RETURNED: _P.c.returned == 1,
        Status.RETURNED: _P.c.returned == 2,
    }
    return conditions[status]


def _line_items(text: str) -> tuple[LineItem, ...]:
    return tuple(LineItem(sku, quantity, int(price)) for sku, quantity, price in json.loads(text))


def _purchases(rows: Sequence[Sequence[Any]], now: int) -> list[Purchase]:
    return [_purchase(row, now) for row in rows]


def _purchase(row: Sequence[Any], now: int) -> Purchase:
    """A purchase from a row of ``_SHOWN``'s columns (read by position: a long history makes a thousand)."""
    (purchase_id, customer, head, payment, referral, order_ref, line_items, paid, purchased_at, block_number,
     tx_hash, refunded, delivered_at, extension_days, returned_lines, settled, credit_used) = row
    order = Order.unpack((int(head), int(payment), int(referral), 0, b"", order_ref), _line_items(line_items))
    return Purchase(
        id=purchase_id, customer=customer, order=order, paid=int(paid), purchased_at=purchased_at,
        block_number=block_number, tx_hash=tx_hash, refunded=int(refunded), delivered_at=delivered_at,
        extension_days=extension_days, returned_lines=frozenset(_bits(returned_lines)) if returned_lines else frozenset(),
        settled=bool(settled), credit_used=int(credit_used), as_of=now)


def _bits(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
