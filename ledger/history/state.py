"""A purchase's state folded from its events alone, by the contract's own rules: no call per purchase.

The same fold serves the indexer (current state + the window's new events) and a rewind (the state at
purchase + every event that remains).
"""

from __future__ import annotations

from typing import Any

from ..models import DAY

STATE_EVENTS = ("PaidShort", "CreditSpent", "DeliveryConfirmed", "ItemsReturned", "CreditIssued",
                "GoodwillRefunded", "WindowExtended", "BonusCredited", "Settled")
"""Events that change a purchase after ``PurchaseRecorded``."""

_NONE, _PARTLY, _ALL = 0, 1, 2
"""``purchases.returned``."""


def change_row(event: str, args: dict[str, Any]) -> dict[str, Any]:
    """The ``changes`` columns of a state event: the amount, line mask or value the fold needs."""
    amount, mask, value, cash = 0, 0, 0, 0
    if event == "PaidShort":
        amount = args["paid"]
    elif event == "CreditSpent":
        amount, cash = args["amount"], args["cash"]
    elif event == "DeliveryConfirmed":
        value = args["deliveredAt"]
    elif event == "ItemsReturned":
        amount, mask = args["refund"], args["lineMask"]
    elif event == "CreditIssued":
        amount, mask = args["amount"] + args["bonus"], args["lineMask"]
    elif event == "GoodwillRefunded":
        amount, mask = args["amount"], args["lineMask"]
    elif event == "BonusCredited":
        amount = args["bonus"]
    elif event == "WindowExtended":
        value = args["extensionDays"]
    return {"purchase_id": args["purchaseId"], "event": event, "amount": amount, "mask": mask, "value": value,
            "cash": cash}


def initial(purchase: dict[str, Any]) -> dict[str, Any]:
    """The state columns of a purchase just recorded (``purchase`` holds its order columns)."""
    total = purchase["total"]
    return derived({**purchase, "paid": total, "refunded": 0, "credit_used": 0, "credit_cash": 0,
                    "delivered_at": 0, "extension_days": 0, "returned_lines": 0, "settled": False})


def fold(purchase: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The purchase after one more change (rows as the tables hold them)."""
    event, state = change["event"], dict(purchase)
    if event == "PaidShort":
        state["paid"] = change["amount"]
    elif event == "CreditSpent":
        state["credit_used"], state["credit_cash"] = change["amount"], change["cash"]
    elif event == "DeliveryConfirmed":
        state["delivered_at"] = change["value"]
    elif event in ("ItemsReturned", "CreditIssued", "GoodwillRefunded", "BonusCredited"):
        state["refunded"] += change["amount"]
        state["returned_lines"] |= change["mask"]
    elif event == "WindowExtended":
        state["extension_days"] = change["value"]
    elif event == "Settled":
        state["settled"] = True
    return derived(state)


def derived(state: dict[str, Any]) -> dict[str, Any]:
    """The columns the status queries filter on, from the rest (the same rule as ``Purchase.deadline``)."""
    wait, window, start = state["delivery_wait"], state["return_window"], state["purchased_at"]
    if window == 0:
        deadline = start
    else:
        if wait:
            start = state["delivered_at"] or start + wait
        deadline = start + window + state["extension_days"] * DAY
    mask, count = state["returned_lines"], state["line_count"]
    returned = _NONE if not mask else _ALL if mask == (1 << count) - 1 else _PARTLY
    awaiting = state["purchased_at"] + wait if wait and window and not state["delivered_at"] else 0
    return {**state, "deadline": deadline, "returned": returned, "awaiting_until": awaiting}
