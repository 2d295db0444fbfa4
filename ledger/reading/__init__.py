"""One query surface over the ledger's history, with two engines: the index (``ledger.history``, caught up before
each query) and a scan of the chain's logs (``scan.LogScan``). ``Ledger`` picks one when it is made and checks
every query's input before either runs; no read chooses between them again."""

from __future__ import annotations

from typing import Protocol

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


class Reader(Protocol):
    """The reads both engines answer alike (``tests/history/test_history_agrees.py`` holds them to it). Input is checked
    already: addresses checksummed, ids as 0x and 64 hex digits."""

    def purchase(self, purchase_id: str, now: int) -> Purchase | None:
        """One purchase with its state as of ``now``, or None."""

    def purchase_ids(self, prefix: str, limit: int) -> list[str]:
        """Ids of purchases that start with ``prefix`` (0x and lower-case hex digits), at most ``limit``."""

    def purchases(self, now: int, merchant_id: int | None = None, customer: str | None = None,
                  sku: str | None = None, since: int | None = None, until: int | None = None,
                  status: Status | None = None, limit: int | None = None, after: str | None = None,
                  excluding: frozenset[Status] = frozenset(), newest_first: bool = False) -> list[Purchase]:
        """Purchases, oldest (or newest) first, filtered; ``limit`` of them after the purchase ``after`` (a
        cursor), none of them in a status of ``excluding``."""

    def count(self, now: int, merchant_id: int | None = None, customer: str | None = None, sku: str | None = None,
              since: int | None = None, until: int | None = None, status: Status | None = None,
              up_to: int | None = None) -> int:
        """How many purchases the filters select, counted no further than ``up_to``."""

    def totals(self, merchant_id: int, since: int | None = None, until: int | None = None) -> dict[str, Totals]:
        """A merchant's purchases made between ``since`` and ``until`` (inclusive), summed per token (``Totals``)."""

    def contacts(self, merchant_id: int | None = None, customer: str | None = None,
                 purchase_id: str | None = None) -> list[ContactMoment]:
        """Contact moments, oldest first, each marked as counted or not (``history.counting.contacts``)."""

    def refunds(self, purchase_id: str | None = None, customer: str | None = None,
                merchant_id: int | None = None) -> list[Refund]:
        """Refunds paid (returns, credit, bonuses, goodwill), oldest first."""

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None,
                    referrer: str | None = None) -> list[Settlement]:
        """Settlements made, oldest first."""

    def credit(self, merchant_id: int, customer: str, token: str) -> Credit:
        """Store credit a customer holds at a merchant in a token."""

    def budget(self, merchant_id: int, agent: str, token: str) -> int:
        """What an agent may still refund in a token without asking."""

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        """The latest review of each purchase, oldest first, linked to its purchase (``counting.reviews``)."""

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        """NPS (``nps``) or CSAT (``csat``) scores, oldest first, each marked as counted or not."""
