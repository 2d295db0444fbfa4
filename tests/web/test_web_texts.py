"""The off-chain text store: salted hashes, who may read, erasure, and the check against the chain."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from sqlalchemy import create_engine

from ledger.errors import InvalidInput, TextNotFound
from ledger.models import Channel, ContactKind
from ledger.texts import TextKind, TextStore, on_ledger


@pytest.fixture
def store(ledger) -> TextStore:
    """Texts in the same database as the ledger's index."""
    return TextStore(ledger.history.store.engine)


def log_contact_with(ledger, staff_account, merchant_id: int, customer: str, content_hash: str) -> None:
    """Staff log a contact whose hash is the kept text's (as the web page does)."""
    ledger.transact(staff_account, ledger.contract.functions.logContact(
        merchant_id, customer, bytes(32), Channel.CHAT, ContactKind.QUESTION, 0, bytes.fromhex(content_hash[2:])))


def test_kept_text_hash_is_keccak_of_salt_and_text(store, shop, alice) -> None:
    kept = store.keep(TextKind.CONTACT, "size M please", alice.address, shop.merchant_id, now=1_000)
    assert kept.hash == "0x" + keccak(bytes.fromhex(kept.salt[2:]) + b"size M please").hex()
    assert kept.matches and store.get(kept.hash).body == "size M please"


def test_same_text_gets_a_new_hash_each_time(store, shop, alice) -> None:
    first = store.keep(TextKind.SHIPMENT, "TRACK-1", alice.address, shop.merchant_id, now=1)
    second = store.keep(TextKind.SHIPMENT, "TRACK-1", alice.address, shop.merchant_id, now=1)
    assert first.hash != second.hash
    assert first.hash != "0x" + keccak(b"TRACK-1").hex()  # the unsalted hash cannot be guessed from the text


def test_contact_note_served_to_its_customer_and_shop_only(ledger, store, shop, agent, alice, bob) -> None:
    kept = store.keep(TextKind.CONTACT, "my address is …", alice.address, shop.merchant_id, now=1)
    assert store.read(kept.hash, alice.address, ledger.role).body == "my address is …"
    assert store.read(kept.hash, agent.address, ledger.role).body == "my address is …"
    with pytest.raises(TextNotFound, match="its customer and the shop may read"):
        store.read(kept.hash, bob.address, ledger.role)
    with pytest.raises(TextNotFound):
        store.read(kept.hash, None, ledger.role)


def test_a_text_not_yours_gets_the_answer_an_unknown_one_gets(ledger, store, shop, alice, bob) -> None:
    """Nobody learns which hashes are kept by asking: the refusal reads the same, hash aside."""
    kept = store.keep(TextKind.CONTACT, "my address is …", alice.address, shop.merchant_id, now=1)
    unknown = "0x" + "ab" * 32
    for reader, action in ((bob.address, "read"), (None, "read"), (bob.address, "erase")):
        answers = []
        for content_hash in (kept.hash, unknown):
            with pytest.raises(TextNotFound) as refused:
                if action == "read":
                    store.read(content_hash, reader, ledger.role)
                else:
                    store.erase(content_hash, reader, now=2)
            answers.append(str(refused.value).replace(content_hash, "HASH"))
        assert answers[0] == answers[1]
    assert store.get(kept.hash).body == "my address is …"  # the failed erase took nothing


def test_review_text_is_public(ledger, store, shop, alice) -> None:
    kept = store.keep(TextKind.REVIEW, "great mug", alice.address, shop.merchant_id, now=1)
    assert store.read(kept.hash, None, ledger.role).body == "great mug"


def test_erased_text_is_gone_and_hash_stays_on_ledger(ledger, store, shop, agent, alice, bob) -> None:
    kept = store.keep(TextKind.CONTACT, "call me at 555-0100", alice.address, shop.merchant_id, now=1)
    log_contact_with(ledger, agent, shop.merchant_id, alice.address, kept.hash)
    assert on_ledger(ledger.reads, kept)
    with pytest.raises(TextNotFound, match="only its customer may erase"):
        store.erase(kept.hash, bob.address, now=2)
    erased = store.erase(kept.hash, alice.address, now=2)
    assert (erased.body, erased.salt, erased.erased_at, erased.matches) == (None, None, 2, False)
    assert on_ledger(ledger.reads, erased)  # the hash is still what the ledger recorded
    assert [c.content_hash for c in ledger.contacts(customer=alice.address)] == [kept.hash]


def test_text_never_logged_is_not_on_ledger(ledger, store, shop, alice) -> None:
    kept = store.keep(TextKind.CONTACT, "not sent", alice.address, shop.merchant_id, now=1)
    assert not on_ledger(ledger.reads, kept)


def test_bad_input_is_refused_clearly(store, shop, alice) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        store.keep(TextKind.CONTACT, "  ", alice.address, shop.merchant_id, now=1)
    with pytest.raises(InvalidInput, match="32-byte id"):
        store.get("0x1234")
    with pytest.raises(TextNotFound, match="no text is kept"):
        store.get("0x" + "ab" * 32)


def test_texts_survive_in_a_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    kept = TextStore(create_engine(url)).keep("review", "still here", "0x" + "11" * 20, 1, now=5)
    again = TextStore(create_engine(url)).get(kept.hash)
    assert (again.body, again.kind, again.matches) == ("still here", TextKind.REVIEW, True)
