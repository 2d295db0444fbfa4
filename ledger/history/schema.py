"""The index's tables (SQLAlchemy Core, one definition for SQLite and PostgreSQL).

Every row that comes from an event carries the block it came from, so a reorg deletes by block number.
Amounts are uint256 on chain and wider than any SQL integer, so they are kept as decimal text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
)


class Amount(TypeDecorator[int]):
    """A uint256 as decimal text (exact on every backend), an ``int`` in Python."""

    impl = String(78)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: object) -> str | None:
        return None if value is None else str(int(value))

    def process_result_value(self, value: str | None, dialect: object) -> int | None:
        return None if value is None else int(value)


HASH = String(66)
ADDRESS = String(42)

metadata = MetaData()


def _where(*extra: Column[Any]) -> list[Column[Any]]:
    """Position on chain and transaction of an event row; (block, log index) is the key."""
    return [Column("block_number", BigInteger, primary_key=True), Column("log_index", Integer, primary_key=True),
            Column("tx_hash", HASH, nullable=False), *extra]


progress = Table(
    "progress", metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("ledger", ADDRESS, nullable=False),
    Column("feedback", ADDRESS, nullable=False),
    Column("from_block", BigInteger, nullable=False),
    Column("last_block", BigInteger, nullable=False),
)
"""One row: which deployment is indexed, and the last block done."""

blocks = Table(
    "blocks", metadata,
    Column("number", BigInteger, primary_key=True),
    Column("hash", HASH, nullable=False),
)
"""Hashes of the recent blocks indexed, to notice a block that was replaced."""

purchases = Table(
    "purchases", metadata,
    Column("id", HASH, primary_key=True),
    Column("block_number", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("tx_hash", HASH, nullable=False),
    Column("merchant_id", BigInteger, nullable=False),
    Column("customer", ADDRESS, nullable=False),
    Column("head", Amount, nullable=False),
    Column("payment", Amount, nullable=False),
    Column("referral", Amount, nullable=False),
    Column("order_ref", HASH, nullable=False),
    Column("token", ADDRESS, nullable=False),
    Column("total", Amount, nullable=False),
    Column("line_count", SmallInteger, nullable=False),
    Column("line_items", Text, nullable=False),
    # The lines again, as JSON [[sku, quantity, "unit price"], …], so a history is read from this table alone
    # (``purchase_lines`` serves the filters and figures by SKU).
    Column("return_window", BigInteger, nullable=False),
    Column("delivery_wait", BigInteger, nullable=False),
    Column("purchased_at", BigInteger, nullable=False),
    # State, folded from the purchase's later events (state.py).
    Column("paid", Amount, nullable=False),
    Column("refunded", Amount, nullable=False),
    Column("credit_used", Amount, nullable=False),
    Column("credit_cash", Amount, nullable=False),
    # The money part of the credit spent (its refunds come back as credit with that share of money).
    Column("delivered_at", BigInteger, nullable=False),
    Column("extension_days", Integer, nullable=False),
    Column("returned_lines", BigInteger, nullable=False),
    Column("returned", SmallInteger, nullable=False),
    Column("settled", Boolean, nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("awaiting_until", BigInteger, nullable=False),
    Index("purchases_by_place", "block_number", "log_index", unique=True),
    Index("purchases_by_customer", "customer", "block_number", "log_index"),
    Index("purchases_by_merchant", "merchant_id", "block_number", "log_index"),
    # A shop's unsettled (or settled) purchases in order: a page of open ones is read from the start of the
    # index without sorting (the rest of a status is checked row by row; settled purchases drop out).
    Index("purchases_by_state_in_order", "merchant_id", "settled", "block_number", "log_index"),
    Index("purchases_by_time", "merchant_id", "purchased_at"),
)

purchase_lines = Table(
    "purchase_lines", metadata,
    Column("block_number", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("line", SmallInteger, primary_key=True),
    Column("sku", String(32), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_price", Amount, nullable=False),
    Index("lines_by_sku", "sku", "block_number", "log_index"),
)
"""Each purchase's lines, under the purchase's place on chain (``purchases_by_place``) rather than its id: a
catch-up then adds them at the end of both indexes (and of each SKU's run) instead of all over them, as a
hash key would."""

changes = Table(
    "changes", metadata,
    *_where(
        Column("purchase_id", HASH, nullable=False, index=True),
        Column("event", String(32), nullable=False),
        Column("amount", Amount, nullable=False),
        Column("mask", BigInteger, nullable=False),
        Column("value", BigInteger, nullable=False),
        Column("cash", Amount, nullable=False),
    ),
)
"""Every event that changes a purchase's state, in the form state.py folds; kept so a reorg can rebuild
the state of a purchase from what remains."""

contacts = Table(
    "contacts", metadata,
    *_where(
        Column("merchant_id", BigInteger, nullable=False),
        Column("customer", ADDRESS, nullable=False),
        Column("purchase_id", HASH),
        Column("logged_by", ADDRESS, nullable=False),
        Column("channel", SmallInteger, nullable=False),
        Column("kind", SmallInteger, nullable=False),
        Column("occurred_at", BigInteger, nullable=False),
        Column("content_hash", HASH, nullable=False),
    ),
    Index("contacts_by_merchant", "merchant_id", "block_number"),
    Index("contacts_by_customer", "customer", "block_number"),
    Index("contacts_by_purchase", "purchase_id"),
)

refunds = Table(
    "refunds", metadata,
    *_where(
        Column("purchase_id", HASH, nullable=False, index=True),
        Column("customer", ADDRESS, nullable=False, index=True),
        Column("kind", String(8), nullable=False),
        Column("amount", Amount, nullable=False),
        Column("line_mask", BigInteger, nullable=False),
        Column("reference", String(66), nullable=False),
        Column("reason", SmallInteger),
        Column("by", ADDRESS, nullable=False),
        Column("merchant_id", BigInteger, nullable=False, index=True),
        Column("refunded_at", BigInteger, nullable=False),
    ),
)

settlements = Table(
    "settlements", metadata,
    *_where(
        Column("purchase_id", HASH, nullable=False, index=True),
        Column("merchant_id", BigInteger, nullable=False, index=True),
        Column("amount", Amount, nullable=False),
        Column("referrer", ADDRESS, nullable=False, index=True),
        Column("commission", Amount, nullable=False),
    ),
)

reviews = Table(
    "reviews", metadata,
    *_where(
        Column("purchase_id", HASH, nullable=False, index=True),
        Column("merchant_id", BigInteger, nullable=False, index=True),
        Column("customer", ADDRESS, nullable=False),
        Column("rating", SmallInteger, nullable=False),
        Column("text_hash", HASH, nullable=False),
        Column("replaced", Boolean, nullable=False),
    ),
)

scores = Table(
    "scores", metadata,
    *_where(
        Column("kind", String(4), nullable=False),
        Column("merchant_id", BigInteger, nullable=False),
        Column("customer", ADDRESS, nullable=False),
        Column("score", SmallInteger, nullable=False),
        Column("subject", HASH, nullable=False),
    ),
    Index("scores_by_merchant", "kind", "merchant_id", "block_number"),
)

credit_changes = Table(
    "credit_changes", metadata,
    *_where(
        Column("merchant_id", BigInteger, nullable=False),
        Column("customer", ADDRESS, nullable=False),
        Column("token", ADDRESS, nullable=False),
        Column("kind", String(6), nullable=False),
        Column("amount", Amount, nullable=False),
        Column("cash", Amount, nullable=False),
        Column("at", BigInteger, nullable=False),
    ),
    Index("credit_changes_by_holder", "merchant_id", "customer", "token", "block_number", "log_index"),
)
"""Every change to the store credit a customer holds at a merchant in a token ("add", "spend", "clear"), in
the contract's own amounts: a balance is these rows added up in order (``credit.py``)."""

budget_changes = Table(
    "budget_changes", metadata,
    *_where(
        Column("merchant_id", BigInteger, nullable=False),
        Column("agent", ADDRESS, nullable=False),
        Column("token", ADDRESS),
        Column("kind", String(4), nullable=False),
        Column("amount", Amount, nullable=False),
    ),
    Index("budget_changes_by_agent", "merchant_id", "agent", "block_number", "log_index"),
)
"""Every change to an agent's goodwill budgets: "set" in a token, "use" by a goodwill refund in a token,
"void" of all its tokens when the agent is removed (``credit.py`` adds them up)."""

staff_changes = Table(
    "staff_changes", metadata,
    *_where(
        Column("merchant_id", BigInteger, nullable=False),
        Column("account", ADDRESS, nullable=False),
        Column("kind", String(7), nullable=False),
        Column("at", BigInteger, nullable=False),
    ),
    Index("staff_changes_by_merchant", "merchant_id", "block_number", "log_index"),
)
"""Who was a shop's staff when: "owner" when it registered (``at``: the block's time, which no contact the
customer logs about the shop may come before), "agent" added, "removed" (``counting.Shops``)."""

EVENT_TABLES = (purchase_lines, purchases, changes, contacts, refunds, settlements, reviews, scores, credit_changes,
                budget_changes, staff_changes)
"""Tables filled from events (a rewind deletes from each what came after the fork)."""

kept = MetaData()
"""Tables that are not made from events, so a rebuild of the index (another layout, ``store.engine_for``) keeps
them (a webhook's URL and secret; its place starts again with the index, ``Store.start``); a change to their own
layout needs a migration of its own."""

webhooks = Table(
    "webhooks", kept,
    Column("merchant_id", BigInteger, primary_key=True),
    # 0: every shop the index covers (shop ids start at 1)
    Column("url", String(2000), primary_key=True),
    Column("secret", Text),
    # Kept for a webhook set on the page (the follower signs with it); NULL for one the command line gives,
    # whose secret stays in the environment of the process that delivers it.
    Column("set_by", ADDRESS),
    # The staff member who set it on the page; NULL for the command line's.
    Column("set_at", BigInteger, nullable=False),
    Column("delivered_block", BigInteger, nullable=False),
    Column("delivered_log", BigInteger, nullable=False),
    # Every event at or before this place on chain (block, log index) was taken by the receiver.
    Column("failures", Integer, nullable=False),
    Column("last_error", Text),
    # Tries in a row that failed, and how the last one did (for the page); 0 and NULL after a delivery.
)
"""Where the index's events are posted to, and how far each receiver has taken them (``ledger.webhooks``).
A rewind of the index moves a place delivered past the fork back to it (``Store.rewind``), in the same
transaction, so the events that replace the undone ones are delivered too."""

WHOLE_BLOCK = 2**31 - 1
"""``webhooks.delivered_log`` for "all of the block": above every log index."""
