"""The index as a ``Reader`` (``ledger.reading``): each query first catches the index up with the chain."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..models import (
    ContactMoment,
    Credit,
    Purchase,
    Refund,
    Review,
    Score,
    Settlement,
    Status,
    Totals,
)
from ..revert import RevertDecoder, mapped_errors

if TYPE_CHECKING:
    from . import History
    from .queries import Queries

_log = logging.getLogger("ledger")


class Synced:
    """Answers from the index ``history()`` gives (made on first use: SQLAlchemy only once an index is read),
    caught up before each query. When catching up meant forgetting blocks the chain no longer has, a warning
    (``logging``, shown on standard error unless the application routes it) says so: answers changed under the
    reader."""

    def __init__(self, history: Callable[[], History], errors: RevertDecoder) -> None:
        self._history = history
        self._errors = errors

    def _caught_up(self) -> Queries:
        history = self._history()
        with mapped_errors(self._errors):
            report = history.sync()
        if report.went_back is not None:
            _log.warning("the history index went back: %s", report.went_back)
        return history.queries

    def purchase(self, purchase_id: str, now: int) -> Purchase | None:
        return self._caught_up().purchase(purchase_id, now)

    def purchase_ids(self, prefix: str, limit: int) -> list[str]:
        return self._caught_up().purchase_ids(prefix, limit)

    def purchases(self, now: int, merchant_id: int | None = None, customer: str | None = None,
                  sku: str | None = None, since: int | None = None, until: int | None = None,
                  status: Status | None = None, limit: int | None = None, after: str | None = None,
                  excluding: frozenset[Status] = frozenset(), newest_first: bool = False) -> list[Purchase]:
        return self._caught_up().purchases(now, merchant_id, customer, sku, since, until, status, limit, after,
                                           excluding, newest_first)

    def count(self, now: int, merchant_id: int | None = None, customer: str | None = None, sku: str | None = None,
              since: int | None = None, until: int | None = None, status: Status | None = None,
              up_to: int | None = None) -> int:
        return self._caught_up().count(now, merchant_id, customer, sku, since, until, status, up_to)

    def totals(self, merchant_id: int, since: int | None = None, until: int | None = None) -> dict[str, Totals]:
        return self._caught_up().totals(merchant_id, since, until)

    def contacts(self, merchant_id: int | None = None, customer: str | None = None,
                 purchase_id: str | None = None) -> list[ContactMoment]:
        return self._caught_up().contacts(merchant_id, customer, purchase_id)

    def refunds(self, purchase_id: str | None = None, customer: str | None = None,
                merchant_id: int | None = None) -> list[Refund]:
        return self._caught_up().refunds(purchase_id, customer, merchant_id)

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None,
                    referrer: str | None = None) -> list[Settlement]:
        return self._caught_up().settlements(merchant_id, purchase_id, referrer)

    def credit(self, merchant_id: int, customer: str, token: str) -> Credit:
        return self._caught_up().credit(merchant_id, customer, token)

    def budget(self, merchant_id: int, agent: str, token: str) -> int:
        return self._caught_up().budget(merchant_id, agent, token)

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        return self._caught_up().reviews(merchant_id, sku, purchase_id)

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        return self._caught_up().scores(kind, merchant_id)
