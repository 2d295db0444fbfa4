"""What the web server keeps between requests, in the database the index uses (SQLite by default, PostgreSQL
when configured), so that several ``ledger serve`` processes behind one address share it and a restart
loses nothing: sessions, the sign-in messages waiting for their signature, and the texts sealed for a
transaction that has not landed yet.

- A session is a random token in the visitor's cookie; the database holds only its SHA-256, so a copy of the
  database opens no session. Signing in makes a new session (a new token and a new CSRF token); signing out
  and expiry delete the row, so a copied cookie opens nothing afterwards.
- A sign-in nonce belongs to the session it was issued to, waits five minutes at most and is used once: taking
  it deletes its row, and of two processes taking the same nonce only one gets it.
- A pending text waits an hour at most for its transaction, and a visitor has at most ``MAX_PENDING`` waiting.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
)

from ..texts import KeptText, TextKind, row_of
from ..texts import texts as kept_texts
from .errors import TooManyPending

metadata = MetaData()

sessions = Table(
    "web_sessions", metadata,
    Column("key", String(64), primary_key=True),
    Column("address", String(42)),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)
"""One row per session: ``key`` is the SHA-256 of the cookie's token; ``address`` is None until sign-in."""

signins = Table(
    "web_signins", metadata,
    Column("nonce", String(32), primary_key=True),
    Column("session", String(64), nullable=False, index=True),
    Column("address", String(42), nullable=False),
    Column("text", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)
"""Sign-in messages waiting for their signature, one per session at most."""

pending_texts = Table(
    "web_pending_texts", metadata,
    Column("hash", String(66), primary_key=True),
    Column("visitor", String(42), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("customer", String(42), nullable=False),
    Column("merchant_id", Integer, nullable=False),
    Column("salt", String(66), nullable=False),
    Column("body", Text, nullable=False),
    Column("kept_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)
"""Texts sealed for a transaction the visitor's wallet (or the relay) has not landed yet."""

MAX_PENDING = 20
"""Texts one visitor may have waiting for their transactions at once."""



@dataclass(frozen=True)
class Session:
    """A visitor's session as kept: who signed in (None before), its CSRF token, when it ends."""

    key: str
    address: str | None
    csrf: str
    expires_at: int


@dataclass(frozen=True)
class WaitingSignIn:
    """A sign-in message waiting for its signature."""

    address: str
    text: str
    nonce: str
    expires_at: int


def key_of(token: str) -> str:
    """What the database keeps for a cookie's token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class WebStore:
    """Sessions, sign-in nonces and pending texts in one database; the tables are made on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    # ------------------------------------------------------------ sessions

    def open(self, now: int, lasts: int, address: str | None = None) -> tuple[str, Session]:
        """A new session (and the token for its cookie); the sessions and nonces that lapsed are cleared."""
        token = secrets.token_urlsafe(32)
        session = Session(key_of(token), address, secrets.token_urlsafe(24), now + lasts)
        with self.engine.begin() as db:
            for table in (sessions, signins, pending_texts):
                db.execute(delete(table).where(table.c.expires_at <= now))
            db.execute(insert(sessions).values(key=session.key, address=address, csrf=session.csrf, created_at=now,
                                               expires_at=session.expires_at))
        return token, session

    def find(self, token: str, now: int) -> Session | None:
        """The session a cookie's token opens, unless it ended."""
        with self.engine.connect() as db:
            row = db.execute(select(sessions).where(sessions.c.key == key_of(token),
                                                    sessions.c.expires_at > now)).mappings().first()
        return None if row is None else Session(row["key"], row["address"], row["csrf"], row["expires_at"])

    def close(self, key: str) -> None:
        """End a session for good, with the sign-in waiting in it."""
        with self.engine.begin() as db:
            db.execute(delete(signins).where(signins.c.session == key))
            db.execute(delete(sessions).where(sessions.c.key == key))

    # ------------------------------------------------------------ sign-in nonces

    def wait_for_signature(self, session: str, waiting: WaitingSignIn) -> None:
        """Keep a sign-in message for ``session``, in place of any it had waiting."""
        with self.engine.begin() as db:
            db.execute(delete(signins).where(signins.c.session == session))
            db.execute(insert(signins).values(nonce=waiting.nonce, session=session, address=waiting.address,
                                              text=waiting.text, expires_at=waiting.expires_at))

    def take_waiting(self, session: str) -> WaitingSignIn | None:
        """The sign-in message waiting in ``session``, taken (it cannot be taken again, by this process or
        another); None when there is none. An expired one is returned too: the caller says it expired."""
        with self.engine.begin() as db:
            row = db.execute(select(signins).where(signins.c.session == session)).mappings().first()
            if row is None:
                return None
            if db.execute(delete(signins).where(signins.c.nonce == row["nonce"])).rowcount != 1:
                return None  # another process took it first
        return WaitingSignIn(row["address"], row["text"], row["nonce"], row["expires_at"])

    # ------------------------------------------------------------ texts waiting for their transaction

    def hold(self, visitor: str, kept: KeptText, until: int, now: int) -> None:
        """Keep ``kept`` until its transaction lands (``release``) or ``until`` passes; ``TooManyPending`` when
        the visitor already has ``MAX_PENDING`` waiting."""
        with self.engine.begin() as db:
            # One visitor's holds one at a time, so two requests at once cannot both pass the count: on SQLite the
            # first write of a transaction takes the database's write lock, on PostgreSQL a lock per visitor.
            db.execute(delete(pending_texts).where(pending_texts.c.expires_at <= now))
            if db.dialect.name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:visitor))"), {"visitor": visitor})
            waiting = db.execute(select(func.count()).select_from(pending_texts).where(
                pending_texts.c.visitor == visitor, pending_texts.c.expires_at > now)).scalar_one()
            if waiting >= MAX_PENDING:
                raise TooManyPending(waiting)
            db.execute(insert(pending_texts).values(
                hash=kept.hash, visitor=visitor, kind=kept.kind.value, customer=kept.customer,
                merchant_id=kept.merchant_id, salt=kept.salt, body=kept.body, kept_at=kept.kept_at, expires_at=until))

    def release(self, visitor: str, hashes: set[str], now: int) -> list[KeptText]:
        """Keep for good ``visitor``'s waiting texts among ``hashes`` (their transaction landed), in one
        database transaction; a text another process released first, or that lapsed, is not kept twice, and
        nobody's transaction releases another visitor's text (a hash seen in the mempool is public)."""
        if not hashes:
            return []
        with self.engine.begin() as db:
            rows = db.execute(delete(pending_texts).where(pending_texts.c.hash.in_(sorted(hashes)),
                                                          pending_texts.c.visitor == visitor)
                              .returning(*pending_texts.c)).mappings().all()
            landed = [KeptText(r["hash"], TextKind(r["kind"]), r["customer"], r["merchant_id"], r["salt"], r["body"],
                               r["kept_at"]) for r in rows if r["expires_at"] > now]
            if landed:
                db.execute(insert(kept_texts), [row_of(k) for k in landed])
        return landed
