"""Store credit and goodwill budgets from events alone, by the contract's own rules.

Credit: a refund of a purchase paid partly with credit gives that share back as credit, with the money share
of the credit spent (``LedgerBase._refund``, ``_cashShare``, ``_creditCashBack``); a return for credit adds
the refund and the shop's bonus, its money part counted the same way (``LedgerModule._issueCredit``);
spending takes the bonus first (``Ledger._spendCredit``, whose event says how much money went); cashing
out empties the balance. The store keeps each change as a row and a balance is those rows in order.

Budgets: the owner sets an agent's budget in a token, each goodwill refund the agent gives uses it up, and
removing the agent voids all of them (re-added, it starts from nothing). The owner's own refunds use none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import CASHABLE_WHEN_CLOSED, Credit


def cash_share(paid: int, credit_used: int, amount: int) -> int:
    """The part of ``amount`` refunded of a purchase that ``paid`` with ``credit_used`` of it in store credit that
    stands for money paid (not credit), rounded down (``LedgerBase._cashShare``)."""
    return amount if not credit_used else amount * (paid - credit_used) // paid


def cash_back(purchase: dict[str, Any], as_credit: int) -> int:
    """The money part of ``as_credit`` given back as credit for a purchase paid with credit, rounded down."""
    return as_credit * purchase["credit_cash"] // purchase["credit_used"] if as_credit else 0


def refunded_as_credit(purchase: dict[str, Any], amount: int) -> tuple[int, int]:
    """Credit and its money part that a refund of ``amount`` (a return or goodwill) gives back."""
    as_credit = amount - cash_share(purchase["paid"], purchase["credit_used"], amount)
    return as_credit, cash_back(purchase, as_credit)


def issued(purchase: dict[str, Any], amount: int, bonus: int) -> tuple[int, int]:
    """Credit and its money part that a return for credit of ``amount`` with the shop's ``bonus`` adds."""
    cash = cash_share(purchase["paid"], purchase["credit_used"], amount)
    return amount + bonus, cash + cash_back(purchase, amount - cash)


def balance(changes: Iterable[Any]) -> Credit:
    """The credit held after ``changes`` (rows of ``credit_changes`` for one holder and its shop's "delay"
    rows, oldest first). Each addition is cashable from its time plus the shop's delay then (never, while the
    delay is 0); added to credit held, the earlier date stands (``LedgerBase._addCredit``)."""
    amount = cash = delay = cashable_at = 0
    for change in changes:
        kind = change["kind"]
        if kind == "delay":
            delay = change["amount"]
        elif kind == "add":
            own = change["at"] + delay if delay else CASHABLE_WHEN_CLOSED
            cashable_at = own if amount == 0 else min(cashable_at, own)
            amount, cash = amount + change["amount"], cash + change["cash"]
        elif kind == "spend":
            amount, cash = amount - change["amount"], cash - change["cash"]
        else:  # cashed out: the contract deletes the balance
            amount = cash = cashable_at = 0
    return Credit(amount, cash, cashable_at)


def budget_left(changes: Iterable[Any]) -> int:
    """An agent's budget in a token after ``changes`` (rows of ``budget_changes`` in that token, and the
    agent's removals, oldest first)."""
    left: int | None = None  # None: no budget in force (never set, or voided since)
    for change in changes:
        kind = change["kind"]
        if kind == "set":
            left = change["amount"]
        elif kind == "void":
            left = None
        elif left is not None:  # "use"; the owner's refunds meet no budget and use none
            left -= change["amount"]
    return left or 0
