"""The off-chain texts the hashes on chain stand for: contact notes, review texts, shipment references.

Each text is kept in the index's database (SQLite or PostgreSQL, the same SQLAlchemy engine), keyed by the
hash that goes on chain. That hash is salted: ``keccak256(salt || UTF-8 text)`` with 32 random bytes of salt
per text, kept beside it. Without the salt a short or guessable text (a shipment number, "ok, thanks") could
be found from its public hash by trying candidates; with it, nobody who lacks the salt can test a guess.

Who may read a text: a review, everyone; a contact note or a shipment reference, the customer it is about
and the staff (owner or agents) of its merchant. The customer may erase their texts: text and salt go, the
hash and the record stay, so the history on chain still adds up and nothing can link a guess to the hash
any more.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from . import validate
from .errors import InvalidInput, TextNotFound
from .models import Role

if TYPE_CHECKING:
    from .reading.reads import Reads

metadata = MetaData()

texts = Table(
    "offchain_texts", metadata,
    Column("hash", String(66), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("customer", String(42), nullable=False, index=True),
    Column("merchant_id", Integer, nullable=False),
    Column("salt", String(66)),
    Column("body", Text),
    Column("kept_at", Integer, nullable=False),
    Column("erased_at", Integer),
)
"""One row per text; ``salt`` and ``body`` are NULL once the customer erased it."""

MAX_LENGTH = 10_000
"""Characters a text may have (a note, a review, a reference: not a document)."""


class TextKind(str, enum.Enum):
    """What a text is, which decides who may read it."""

    CONTACT = "contact"
    REVIEW = "review"
    SHIPMENT = "shipment"



def salted_hash(salt: bytes, text: str) -> bytes:
    """The hash that goes on chain for ``text``: keccak256 of the salt followed by the UTF-8 text."""
    return keccak(salt + text.encode())


@dataclass(frozen=True)
class KeptText:
    """A text as kept; ``body`` and ``salt`` are None once erased."""

    hash: str
    kind: TextKind
    customer: str
    merchant_id: int
    salt: str | None
    body: str | None
    kept_at: int
    erased_at: int | None = None

    @property
    def erased(self) -> bool:
        """Whether the customer erased the text (the hash stays)."""
        return self.erased_at is not None

    @property
    def matches(self) -> bool:
        """Whether the kept text and salt give the hash again (False once erased)."""
        if self.body is None or self.salt is None:
            return False
        return "0x" + salted_hash(bytes.fromhex(self.salt[2:]), self.body).hex() == self.hash


@dataclass(frozen=True)
class Sealed:
    """The hash that goes on chain for a text, and the text to keep once what carries the hash was sent
    (``TextStore.save``)."""

    hash: bytes
    text: KeptText | None
    """None when there is nothing to keep: no text, or bytes the caller hashes and keeps itself."""


RoleOf = Callable[[int, str], Role]
"""How the store learns an address's role at a merchant (``Ledger.role``, read on chain)."""


class TextStore:
    """Off-chain texts in the index's database; the table is created on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def keep(self, kind: TextKind | str, text: str, customer: str, merchant_id: int, now: int) -> KeptText:
        """Keep ``text`` under a new salted hash and return it; put ``KeptText.hash`` on chain."""
        kept = self.seal(kind, text if isinstance(text, str) else None, customer, merchant_id, now).text
        if kept is None:
            raise InvalidInput(f"the {TextKind(kind).value} text is empty: write something, or leave the field out")
        self.save(kept)
        return kept

    @staticmethod
    def seal(kind: TextKind | str, text: str | bytes | None, customer: str, merchant_id: int, now: int) -> Sealed:
        """The salted hash of ``text`` and the text to keep, nothing written yet. Text (``str``) is salted;
        ``bytes`` (a file, a reference the caller keeps itself) and an empty text are hashed as they are."""
        if not text or isinstance(text, bytes):
            return Sealed(validate.hash_of(text or b""), None)
        kind = TextKind(kind)
        if not text.strip():
            raise InvalidInput(f"the {kind.value} text is empty: write something, or leave the field out")
        if len(text) > MAX_LENGTH:
            raise InvalidInput(f"the {kind.value} text has {len(text):,} characters: keep it under {MAX_LENGTH:,}")
        salt = secrets.token_bytes(32)
        content_hash = salted_hash(salt, text)
        return Sealed(content_hash, KeptText(
            "0x" + content_hash.hex(), kind, validate.address(customer, "customer"),
            validate.positive(merchant_id, "merchant id"), "0x" + salt.hex(), text, now))

    def save(self, *kept: KeptText | Sealed) -> None:
        """Keep sealed texts (those whose hash was sent); a ``Sealed`` with nothing to keep is passed over."""
        rows = [row_of(k) for k in (item.text if isinstance(item, Sealed) else item for item in kept) if k is not None]
        if rows:
            with self.engine.begin() as db:
                db.execute(insert(texts), rows)

    def get(self, content_hash: str) -> KeptText:
        """The record for a hash, whoever asks (for checks inside the server); ``TextNotFound`` if none."""
        key = "0x" + validate.bytes32(content_hash, "text hash").hex()
        with self.engine.connect() as db:
            row = db.execute(select(texts).where(texts.c.hash == key)).mappings().first()
        if row is None:
            raise TextNotFound(key)
        return _kept(row)

    def read(self, content_hash: str, reader: str | None, role_of: RoleOf) -> KeptText:
        """The text for ``reader`` (an address, or None for someone not signed in), if it may see it."""
        try:
            kept = self.get(content_hash)
        except TextNotFound as unknown:
            raise TextNotFound(unknown.content_hash, reader, "read") from None
        if not self.may_read(kept, reader, role_of):
            raise TextNotFound(kept.hash, reader, "read")
        return kept

    @staticmethod
    def may_read(kept: KeptText, reader: str | None, role_of: RoleOf) -> bool:
        """Reviews are public; a contact note or shipment reference belongs to its customer and shop."""
        if kept.kind is TextKind.REVIEW:
            return True
        if reader is None:
            return False
        return reader == kept.customer or role_of(kept.merchant_id, reader) is not Role.NONE

    def erase(self, content_hash: str, customer: str, now: int) -> KeptText:
        """Erase a text at its customer's request: text and salt go, the hash and the record stay."""
        try:
            kept = self.get(content_hash)
        except TextNotFound as unknown:
            raise TextNotFound(unknown.content_hash, customer, "erase") from None
        if customer != kept.customer:
            raise TextNotFound(kept.hash, customer, "erase")
        with self.engine.begin() as db:
            db.execute(update(texts).where(texts.c.hash == kept.hash, texts.c.erased_at.is_(None))
                       .values(body=None, salt=None, erased_at=now))
        return self.get(kept.hash)

    def of_customer(self, customer: str) -> list[KeptText]:
        """Every text kept about a customer, oldest first (what they may erase)."""
        with self.engine.connect() as db:
            rows = db.execute(select(texts).where(texts.c.customer == customer)
                              .order_by(texts.c.kept_at, texts.c.hash)).mappings().all()
        return [_kept(row) for row in rows]


def row_of(kept: KeptText) -> dict[str, Any]:
    """The row that keeps a text (``texts``)."""
    return {"hash": kept.hash, "kind": kept.kind.value, "customer": kept.customer, "merchant_id": kept.merchant_id,
            "salt": kept.salt, "body": kept.body, "kept_at": kept.kept_at}


def _kept(row: Any) -> KeptText:
    return KeptText(row["hash"], TextKind(row["kind"]), row["customer"], row["merchant_id"], row["salt"],
                    row["body"], row["kept_at"], row["erased_at"])


def on_ledger(reads: Reads, kept: KeptText) -> bool:
    """Whether the hash of a kept text is on chain where its kind says (a contact's content hash, a review's
    text hash, a return's shipment reference): the text is then what the ledger recorded."""
    if kept.kind is TextKind.CONTACT:
        found = (c.content_hash for c in reads.contacts(merchant_id=kept.merchant_id, customer=kept.customer))
    elif kept.kind is TextKind.REVIEW:
        found = (r.text_hash for r in reads.reviews(merchant_id=kept.merchant_id) if r.customer == kept.customer)
    else:
        found = (r.reference for r in reads.refunds(customer=kept.customer))
    return kept.hash in found
