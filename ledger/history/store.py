"""The database side of the index: one SQLAlchemy Core engine (SQLite or PostgreSQL, same code), the
rows each event becomes, and the two things that change them, both in one transaction each: a window of
records written together with the progress, and a rewind to a block before a reorg."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ..abi.decoder import Record
from ..errors import DatabaseUnusable, IndexMoved, LedgerError
from ..events import goodwill_kind, line_from_chain
from ..extras import require
from ..models import NATIVE
from ..orders import Order
from . import DATABASE_VARIABLE, MEMORY, credit, schema
from .state import STATE_EVENTS, change_row, fold, initial

if TYPE_CHECKING:
    import psycopg

TIMED_EVENTS = frozenset({"PurchaseRecorded", "ItemsReturned", "CreditIssued", "GoodwillRefunded", "BonusCredited",
                          "MerchantRegistered"})
"""Events whose rows need their block's time (``Record.timestamp``): a purchase's, the credit a refund, a return
for credit or a settled bonus adds (dated as the contract dates it), and a shop's registration (``counting``)."""


STATE_COLUMNS = ("paid", "refunded", "credit_used", "credit_cash", "delivered_at", "extension_days",
                 "returned_lines", "returned", "settled", "deadline", "awaiting_until")
"""``purchases`` columns that change after the purchase."""

IN_CHUNK = 500
"""Ids per ``IN (…)`` list."""

SQLITE_CACHE_KB = 65_536
"""SQLite's page cache per connection (its default is 2 MB): the indexes of a million purchases are read and
written all over on a catch-up, and a cache this size keeps most of the pages they touch in memory."""

SQLITE_CHECKPOINT_PAGES = 65_536
"""Pages (256 MB) the write-ahead log may hold before the connection that commits copies them into the database
file itself (SQLite's default is 1,000). A store copies them sooner, after each window, on a thread of its own
(``Store.write``): this bound holds only if that thread falls behind."""



def engine_for(url: str) -> Engine:
    """An engine for a database URL (``postgresql://`` goes through psycopg 3), with the tables created. Every
    way the URL can fail is found here, once, before the chain is read or anything sent: ``DatabaseUnusable``
    says which (``_unusable``)."""
    given = url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgresql+psycopg://"):
        require("postgres", "an index in PostgreSQL", "psycopg")
    try:
        if url == MEMORY:
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            if url.startswith("sqlite:///"):
                Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_settings)
        if not _same_layout(engine):  # written by another version of the library: the chain has it all again
            schema.metadata.drop_all(engine)
        schema.metadata.create_all(engine)
        schema.kept.create_all(engine)
    except (SQLAlchemyError, ImportError, OSError, ValueError) as error:
        raise _unusable(given, error) from error
    return engine


def _unusable(url: str, error: Exception) -> DatabaseUnusable:
    """What is wrong with the database at ``url``, in one line that never shows its password."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        shown = None
    fix = f"set {DATABASE_VARIABLE} to sqlite:///PATH or postgresql://USER@HOST/DATABASE, or unset it"
    if shown is None or (isinstance(error, ArgumentError) and not isinstance(error, NoSuchModuleError)):
        return DatabaseUnusable(f"the database URL is not one SQLAlchemy can read: {fix}")
    if isinstance(error, NoSuchModuleError):
        return DatabaseUnusable(f"the database URL {shown} names a kind of database this library does not know "
                                f"({make_url(url).drivername}): {fix}")
    if isinstance(error, ImportError):
        return DatabaseUnusable(f"the database {shown} needs a driver that is not installed ({error.name or error}): "
                                f"install it, or {fix}")
    cause = getattr(error, "orig", None) or error
    why = getattr(cause, "strerror", None) or str(cause).strip().splitlines()[0]
    return DatabaseUnusable(f"cannot use the database {shown}: {why}; check that it runs and that the URL is right "
                            f"({fix})")


def _sqlite_settings(connection: Any, _: Any) -> None:
    """A bigger page cache; a write-ahead log (readers go on while a window is written, and a window's pages
    are written once, in sequence, then copied into the file by the store's own thread, ``Store._copy_log``),
    synced at those copies rather than at every commit: a crash of the machine may lose the last windows
    written, never the file's consistency, and they are read from the chain again."""
    connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")


def _checkpoint(uri: str) -> None:
    """Copy what the write-ahead log of the SQLite file at ``uri`` holds into the file (a passive checkpoint).
    A copy that fails (the file removed meanwhile) is left to the next one, or to the connection that commits
    past ``SQLITE_CHECKPOINT_PAGES``: nothing is lost, the log holds the pages until they are copied."""
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()
    except sqlite3.Error:
        pass


def _same_layout(engine: Engine) -> bool:
    """Whether the index tables already in the database have the columns and indexes this version has."""
    found = inspect(engine)
    return all({column["name"] for column in found.get_columns(table.name)} == set(table.c.keys())
               and {index["name"] for index in found.get_indexes(table.name)} == {index.name for index in table.indexes}
               for table in schema.metadata.sorted_tables if found.has_table(table.name))


@dataclass
class Prepared:
    """A window's records, and the rows of the purchases they record as the driver takes them: those need
    nothing from the database, so they are made ahead (on the log reader's thread, or in a worker process:
    ``ahead``) while the window before is written."""

    records: list[Record]
    purchases: dict[str, dict[str, Any]]
    """The state of each purchase recorded in the window that another event of the window changes, as
    recorded (by id)."""
    inserts: list[tuple[str, list[Any]]]
    """The statements that insert those purchases and their lines, with their rows."""


def prepare(dialect: Dialect, records: list[Record]) -> Prepared:
    """The part of writing ``records`` into a database of ``dialect`` that needs no database (safe on another
    thread, or in another process: ``ahead``). A purchase's record is kept without its arguments, which its
    rows hold (the writer needs only its place on chain), and its state only if another event of the window
    changes it."""
    purchases: dict[str, dict[str, Any]] = {}
    lines: list[dict[str, Any]] = []
    kept: list[Record] = []
    changed: set[str] = set()
    for record in records:
        if record.event == "PurchaseRecorded":
            state, its_lines = _recorded(record)
            purchases[state["id"]] = state
            lines += its_lines
            record = replace(record, args={})
        elif record.event in STATE_EVENTS:
            changed.add(record.args["purchaseId"])
        kept.append(record)
    inserts = [_statement(dialect, table, rows)
               for table, rows in ((schema.purchases, list(purchases.values())), (schema.purchase_lines, lines))
               if rows]
    return Prepared(kept, {key: purchases[key] for key in changed if key in purchases}, inserts)


class Store:
    """The index's database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        path = self.engine.url.database or ""
        on_disk = self.engine.dialect.name == "sqlite" and path and path != ":memory:" and not path.startswith("file:")
        # The SQLite file as the log copies open it (read and write, never created), worked out once.
        self._log_uri = Path(path).resolve().as_uri() + "?mode=rw" if on_disk else None
        self._copy_lock = threading.Lock()
        self._copy_wanted = False
        self._copier: threading.Thread | None = None

    def close(self) -> None:
        """Release the database connections (once the log is copied)."""
        self.flush()
        self.engine.dispose()

    def flush(self) -> None:
        """Wait until what was written is copied from SQLite's write-ahead log into the file (``_copy_log``)."""
        with self._copy_lock:
            copier = self._copier
        if copier is not None:
            copier.join()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for queries."""
        with self.engine.connect() as connection:
            yield connection

    # ------------------------------------------------------------ progress

    def start(self, chain_id: int, ledger: str, feedback: str, from_block: int) -> int:
        """The last block indexed for this deployment; a database that held another one is emptied first."""
        wanted = {"chain_id": chain_id, "ledger": ledger, "feedback": feedback, "from_block": from_block}
        with self.engine.begin() as db:
            row = db.execute(select(schema.progress)).mappings().first()
            if row is not None and all(row[key] == value for key, value in wanted.items()):
                return int(row["last_block"])
            for table in (*schema.EVENT_TABLES, schema.blocks, schema.progress):
                db.execute(delete(table))
            # Places delivered were places in what was indexed before (another deployment, or an index of another
            # layout, rebuilt without knowing which): a webhook starts anew, and event ids let receivers take each once.
            db.execute(update(schema.webhooks).values(delivered_block=-1, delivered_log=-1))
            db.execute(insert(schema.progress).values(id=1, last_block=from_block - 1, **wanted))
            return from_block - 1

    def block_hash(self, number: int) -> str | None:
        """The hash kept for block ``number``, if it is among the recent blocks indexed."""
        with self.reading() as db:
            return db.scalar(select(schema.blocks.c.hash).where(schema.blocks.c.number == number))

    def recent_blocks(self) -> dict[int, str]:
        """Number: hash of the recent blocks indexed."""
        with self.reading() as db:
            return {int(n): h for n, h in db.execute(select(schema.blocks.c.number, schema.blocks.c.hash))}

    # ------------------------------------------------------------ writing

    def write(self, after: int, end: int, window: Prepared, hashes: dict[int, str], keep_from: int) -> None:
        """Index a window's records (blocks ``after`` + 1 to ``end``, made ready by ``prepare``) and move the
        progress to ``end``, in one transaction; keep the hashes of blocks from ``keep_from`` on."""
        try:
            with self.engine.begin() as db:
                self._claim(db, after)
                _Window(db).write(window)
                if hashes:
                    db.execute(insert(schema.blocks), [{"number": n, "hash": h} for n, h in sorted(hashes.items())])
                db.execute(delete(schema.blocks).where(schema.blocks.c.number < keep_from))
                db.execute(update(schema.progress).values(last_block=end))
        except (IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError) as error:
            # SQLite does not lock the progress row: the rows tell instead (a COPY's error comes from the driver)
            raise IndexMoved(f"another indexer wrote blocks {after + 1} to {end} first") from error
        self._copy_log()

    def _copy_log(self) -> None:
        """In a SQLite file, have what was just committed copied from the write-ahead log into the file on a
        thread of its own (one at a time; a request made while it copies makes it copy again). In a long
        catch-up the copies are most of the cost of the commits; the other core makes them while this one
        decodes the next window. A copy (a passive checkpoint) never waits for readers or the writer."""
        if self._log_uri is None:
            return
        with self._copy_lock:
            self._copy_wanted = True
            if self._copier is None:
                self._copier = threading.Thread(target=self._copy, args=(self._log_uri,), name="ledger-log-copy",
                                                daemon=True)
                self._copier.start()

    def _copy(self, uri: str) -> None:
        try:
            while True:
                with self._copy_lock:
                    if not self._copy_wanted:
                        return
                    self._copy_wanted = False
                _checkpoint(uri)
        finally:  # also should a copy ever raise: the next window starts a thread again
            with self._copy_lock:
                self._copier = None

    def analyze(self) -> None:
        """Have PostgreSQL gather its planner's statistics of the index's tables now. After a large catch-up its
        plans rest on tables it saw empty until its autovacuum has been through them (measured: a shop's first
        page took 130 ms instead of 7 ms for the minute after a million purchases were indexed). SQLite is left
        as it is: its plans were right without statistics for every query measured, and gathering them reads
        the whole file."""
        if self.engine.dialect.name != "postgresql":
            return
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as db:
            db.exec_driver_sql("ANALYZE " + ", ".join(quote(table.name) for table in schema.EVENT_TABLES))

    def rewind(self, fork: int) -> None:
        """Forget everything after block ``fork`` and rebuild the state of the purchases it touched; a webhook
    delivered past the fork goes back to it."""
        with self.engine.begin() as db:
            self._claim(db, None)
            changes, purchases = schema.changes, schema.purchases
            touched = list(db.scalars(
                select(changes.c.purchase_id).distinct().where(changes.c.block_number > fork)))
            for table in schema.EVENT_TABLES:
                db.execute(delete(table).where(table.c.block_number > fork))
            db.execute(delete(schema.blocks).where(schema.blocks.c.number > fork))
            # What was delivered after the fork came from undone blocks: the blocks that replace them are sent.
            db.execute(update(schema.webhooks).where(schema.webhooks.c.delivered_block > fork)
                       .values(delivered_block=fork, delivered_log=schema.WHOLE_BLOCK))
            for chunk in chunks(touched):
                rows = {r["id"]: initial(dict(r)) for r in
                        db.execute(select(purchases).where(purchases.c.id.in_(chunk))).mappings()}
                remaining = db.execute(select(changes).where(changes.c.purchase_id.in_(list(rows)))
                                       .order_by(changes.c.block_number, changes.c.log_index)).mappings()
                for change in remaining:
                    rows[change["purchase_id"]] = fold(rows[change["purchase_id"]], dict(change))
                _save_states(db, rows.values())
            db.execute(update(schema.progress).values(last_block=fork))
        self._copy_log()

    @staticmethod
    def _claim(db: Connection, after: int | None) -> None:
        """Lock the progress row; ``IndexMoved`` if another indexer got past ``after`` meanwhile."""
        last = db.scalar(select(schema.progress.c.last_block).with_for_update())
        if after is not None and last != after:
            raise IndexMoved(f"the index moved to block {last} while this indexer wrote from block {after + 1}")


class _Window:
    """The rows one window of records becomes."""

    def __init__(self, db: Connection) -> None:
        self.db = db
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.changed: set[str] = set()

    def write(self, window: Prepared) -> None:
        records = window.records
        # The window's own purchases first: one paid partly with credit emits CreditSpent before
        # PurchaseRecorded, in the same transaction.
        self.states.update(window.purchases)
        self._load([r.args["purchaseId"] for r in records
                    if r.event in STATE_EVENTS and r.args["purchaseId"] not in window.purchases])
        for record in records:
            handler = getattr(self, "_" + record.event, None)
            if handler is not None:
                handler(record)
            if record.event in STATE_EVENTS:
                change = change_row(record.event, record.args)
                self._add(schema.changes, record, change)
                key = change["purchase_id"]
                self.states[key] = fold(self._state(key), change)
                self.changed.add(key)
        for statement, rows in window.inserts:
            _run(self.db, statement, rows)
        for table in schema.EVENT_TABLES:
            if self.rows.get(table):
                _insert_many(self.db, table, self.rows[table])
        _save_states(self.db, [self.states[key] for key in self.changed])

    def _load(self, ids: list[str]) -> None:
        for chunk in chunks(sorted(set(ids))):
            for row in self.db.execute(select(schema.purchases).where(schema.purchases.c.id.in_(chunk))).mappings():
                self.states[row["id"]] = dict(row)

    def _state(self, purchase_id: str) -> dict[str, Any]:
        state = self.states.get(purchase_id)
        if state is None:
            raise LedgerError(f"the index has no purchase {purchase_id} for an event about it: rebuild the index")
        return state

    def _add(self, table: Any, record: Record, values: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(
            {"block_number": record.block_number, "log_index": record.log_index, "tx_hash": record.tx_hash, **values})

    # ------------------------------------------------------------ one handler per event kept

    def _ItemsReturned(self, record: Record) -> None:
        args = record.args
        purchase = self._state(args["purchaseId"])
        customer = purchase["customer"]
        self._refund(record, purchase, "return", args["refund"], args["lineMask"], args["shipmentRef"], None, customer)
        self._credit_back(record, purchase, args["refund"])

    def _CreditIssued(self, record: Record) -> None:
        args = record.args
        purchase = self._state(args["purchaseId"])
        customer = purchase["customer"]
        self._refund(record, purchase, "credit", args["amount"] + args["bonus"], args["lineMask"], args["shipmentRef"],
                     None, customer)
        self._credit(record, purchase, "add", *credit.issued(purchase, args["amount"], args["bonus"]))

    def _BonusCredited(self, record: Record) -> None:
        args = record.args
        purchase = self._state(args["purchaseId"])
        customer = purchase["customer"]
        self._refund(record, purchase, "bonus", args["bonus"], 0, "", None, customer)
        self._credit(record, purchase, "add", args["bonus"], 0)

    def _Exchanged(self, record: Record) -> None:
        """The return that paid a new purchase in the same transaction is an exchange, not a refund paid out."""
        for row in reversed(self.rows.get(schema.refunds, ())):  # the return is among this transaction's last rows
            if row["tx_hash"] != record.tx_hash:
                break
            if (row["purchase_id"], row["kind"]) == (record.args["purchaseId"], "return"):
                row["kind"] = "exchange"

    def _CreditCashOutDelaySet(self, record: Record) -> None:
        """The shop's delay, for the credit it issues from now on (each credit's cash-out date is fixed at issue)."""
        holder = {"merchant_id": record.args["merchantId"], "customer": NATIVE, "token": NATIVE}
        self._credit(record, holder, "delay", record.args["delay"], 0)

    def _GoodwillRefunded(self, record: Record) -> None:
        args = record.args
        purchase = self._state(args["purchaseId"])
        kind = goodwill_kind(args["lineMask"])
        self._refund(record, purchase, kind, args["amount"], args["lineMask"], args["note"],
                     args["reason"], args["agent"])
        self._credit_back(record, purchase, args["amount"])
        self._budget(record, args["merchantId"], args["agent"], purchase["token"], "use", args["amount"])

    def _CreditSpent(self, record: Record) -> None:
        args = record.args
        self._credit(record, self._state(args["purchaseId"]), "spend", args["amount"], args["cash"])

    def _CreditCashedOut(self, record: Record) -> None:
        args = record.args
        holder = {"merchant_id": args["merchantId"], "customer": args["customer"], "token": args["token"]}
        self._credit(record, holder, "clear", 0, 0)

    def _credit_back(self, record: Record, purchase: dict[str, Any], refund: int) -> None:
        """The credit share of a refund of a purchase paid partly with credit, if any."""
        amount, cash = credit.refunded_as_credit(purchase, refund)
        if amount:
            self._credit(record, purchase, "add", amount, cash)

    def _credit(self, record: Record, holder: dict[str, Any], kind: str, amount: int, cash: int) -> None:
        """A change to the credit ``holder``'s customer holds at its merchant in its token (a purchase's row
        names its buyer, shop and token); an addition of nothing still dates the credit, as the contract does."""
        if kind == "add" and record.timestamp is None:
            raise LedgerError(f"block {record.block_number}'s time is needed to index the credit it issued")
        self._add(schema.credit_changes, record, {
            "merchant_id": holder["merchant_id"], "customer": holder["customer"], "token": holder["token"],
            "kind": kind, "amount": amount, "cash": cash, "at": record.timestamp if kind == "add" else 0})

    def _BudgetSet(self, record: Record) -> None:
        args = record.args
        self._budget(record, args["merchantId"], args["agent"], args["token"], "set", args["amount"])

    def _AgentRemoved(self, record: Record) -> None:
        args = record.args
        self._budget(record, args["merchantId"], args["agent"], None, "void", 0)
        self._staff(record, args["merchantId"], args["agent"], "removed")

    def _AgentAdded(self, record: Record) -> None:
        self._staff(record, record.args["merchantId"], record.args["agent"], "agent")

    def _MerchantRegistered(self, record: Record) -> None:
        if record.timestamp is None:
            raise LedgerError(f"block {record.block_number}'s time is needed to index the shop it registered")
        self._staff(record, record.args["merchantId"], record.args["owner"], "owner", record.timestamp)

    def _staff(self, record: Record, merchant_id: int, account: str, kind: str, at: int = 0) -> None:
        self._add(schema.staff_changes, record, {"merchant_id": merchant_id, "account": account, "kind": kind,
                                                 "at": at})

    def _budget(self, record: Record, merchant_id: int, agent: str, token: str | None, kind: str,
                amount: int) -> None:
        self._add(schema.budget_changes, record, {"merchant_id": merchant_id, "agent": agent, "token": token,
                                                  "kind": kind, "amount": amount})

    def _refund(self, record: Record, purchase: dict[str, Any], kind: str, amount: int, mask: int, reference: str,
                reason: int | None, by: str) -> None:
        if record.timestamp is None:
            raise LedgerError(f"block {record.block_number}'s time is needed to index the refund it paid")
        self._add(schema.refunds, record, {
            "purchase_id": record.args["purchaseId"], "customer": purchase["customer"], "kind": kind, "amount": amount,
            "line_mask": mask, "reference": reference, "reason": reason, "by": by,
            "merchant_id": purchase["merchant_id"], "refunded_at": record.timestamp})

    def _Settled(self, record: Record) -> None:
        args = record.args
        self._add(schema.settlements, record, {
            "purchase_id": args["purchaseId"], "merchant_id": args["merchantId"], "amount": args["amount"],
            "referrer": args["referrer"], "commission": args["commission"]})

    def _ContactLogged(self, record: Record) -> None:
        args = record.args
        self._add(schema.contacts, record, {
            "merchant_id": args["merchantId"], "customer": args["customer"],
            "purchase_id": None if int(args["purchaseId"], 16) == 0 else args["purchaseId"],
            "logged_by": args["loggedBy"], "channel": args["channel"], "kind": args["kind"],
            "occurred_at": args["occurredAt"], "content_hash": args["contentHash"]})

    def _ReviewPosted(self, record: Record) -> None:
        args = record.args
        self._add(schema.reviews, record, {
            "purchase_id": args["purchaseId"], "merchant_id": args["merchantId"], "customer": args["customer"],
            "rating": args["rating"], "text_hash": args["textHash"], "replaced": args["replaced"]})

    def _NpsGiven(self, record: Record) -> None:
        args = record.args
        self._add(schema.scores, record, {"kind": "nps", "merchant_id": args["merchantId"],
                                          "customer": args["customer"], "score": args["score"],
                                          "subject": args["purchaseId"]})

    def _ContactRated(self, record: Record) -> None:
        args = record.args
        self._add(schema.scores, record, {"kind": "csat", "merchant_id": args["merchantId"],
                                          "customer": args["customer"], "score": args["score"],
                                          "subject": args["contentHash"]})


def _recorded(record: Record) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A purchase as ``PurchaseRecorded`` records it (its row in ``purchases``), and its lines' rows."""
    args = record.args
    if record.timestamp is None:
        raise LedgerError(f"block {record.block_number}'s time is needed to index purchase {args['purchaseId']}")
    lines = tuple(line_from_chain(line) for line in args["lines"])
    order = Order.unpack((args["head"], args["payment"], args["referral"], 0, b"", args["orderRef"]), lines)
    key = args["purchaseId"]
    state = initial({
        "id": key, "block_number": record.block_number, "log_index": record.log_index,
        "tx_hash": record.tx_hash, "merchant_id": args["merchantId"], "customer": args["customer"],
        "head": args["head"], "payment": args["payment"], "referral": args["referral"],
        "order_ref": args["orderRef"], "token": order.token, "total": order.total, "line_count": len(lines),
        "line_items": json.dumps([[line.sku, line.quantity, str(line.unit_price)] for line in lines]),
        "return_window": order.return_window, "delivery_wait": order.delivery_wait,
        "purchased_at": record.timestamp,
    })
    return state, [{"block_number": record.block_number, "log_index": record.log_index, "line": index,
                    "sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price}
                   for index, line in enumerate(lines)]


def _statement(dialect: Dialect, table: Any, rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The insert of ``rows`` (all with the same keys) as the driver takes it, with the values in that form,
    amounts already as their text (SQLAlchemy's per-row parameter handling cost several times the database's
    own work on a catch-up, about 35 µs a row): into PostgreSQL a ``COPY`` and the rows as tuples (a catch-up's
    windows are thousands of rows, which ``COPY`` takes in one stream); into SQLite the statement SQLAlchemy
    compiles for it, for the driver's ``executemany``."""
    keys = list(rows[0])
    amounts = {key: table.c[key].type for key in keys if isinstance(table.c[key].type, schema.Amount)}
    if amounts:
        rows = [{**row, **{key: kind.process_bind_param(row[key], dialect) for key, kind in amounts.items()}}
                for row in rows]
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        order = keys
        statement = f"COPY {quote(table.name)} ({', '.join(quote(key) for key in keys)}) FROM STDIN"
    else:
        compiled = insert(table).compile(dialect=dialect, column_keys=keys)
        if not compiled.positional:
            return compiled.string, rows
        order, statement = compiled.positiontup or [], compiled.string
    values = itemgetter(*order) if len(order) > 1 else lambda row: tuple(row[key] for key in order)
    return statement, [values(row) for row in rows]


def _run(db: Connection, statement: str, rows: list[Any]) -> None:
    """Run what ``_statement`` made for the connection's database, in the connection's transaction."""
    if db.dialect.name != "postgresql":
        db.exec_driver_sql(statement, rows)
        return
    driver = cast("psycopg.Connection[Any]", db.connection.driver_connection)  # PostgreSQL's driver: psycopg 3
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_many(db: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in one go (``_statement``)."""
    _run(db, *_statement(db.dialect, table, rows))


def _save_states(db: Connection, states: Iterable[dict[str, Any]]) -> None:
    # Bound names must differ from the column names in an executemany UPDATE.
    rows = [{"key": s["id"], **{"new_" + c: s[c] for c in STATE_COLUMNS}} for s in states]
    if rows:
        purchases = schema.purchases
        db.execute(update(purchases).where(purchases.c.id == bindparam("key"))
                   .values({c: bindparam("new_" + c) for c in STATE_COLUMNS}), rows)


def chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start:start + IN_CHUNK]


