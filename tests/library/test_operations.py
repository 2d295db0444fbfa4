"""Operations (``Ledger.operation``): the work a key names is done once. A run again finds what an earlier
run sent and sends nothing for what went through; a call journaled but never handed to the node goes out as
it was signed; one whose nonce went to another transaction is signed anew."""

from __future__ import annotations

import pytest

from ledger.client import Ledger
from ledger.sending.journal import Journal
from tests.support.world import ETHER, buy


def _nonce(ledger: Ledger, account) -> int:
    return ledger.chain.w3.eth.get_transaction_count(account.address)


def test_a_refund_run_again_in_its_operation_is_found_and_sends_nothing(ledger, shop, staff, week_terms, customer,
                                                                         agent, tmp_path) -> None:
    purchase = buy(shop, customer, week_terms.id, [("BOOK", 1, ETHER)])
    ledger.journal = Journal(tmp_path)
    with ledger.operation("ticket-4411") as first_run:
        first = staff.goodwill_refund(purchase.id, ETHER // 10, "damaged", "sorry about the cover")
    assert first_run.found == []
    sent = _nonce(ledger, agent)
    again = Ledger(ledger.chain, ledger.address, ledger.feedback.address, ledger.from_block)  # another process
    again.journal, again.texts = Journal(tmp_path), ledger.texts
    with again.operation("ticket-4411") as second_run:
        second = again.merchant_desk(agent, shop.merchant_id).goodwill_refund(purchase.id, ETHER // 10, "damaged",
                                                                             "sorry about the cover")
    assert second == first and second_run.found == [first.tx_hash]
    assert _nonce(ledger, agent) == sent and ledger.purchase(purchase.id).refunded == ETHER // 10
    assert ledger.texts.get(first.reference).body == "sorry about the cover"  # the note, under the hash on chain
    with ledger.operation("ticket-4412"):  # another key: other work, done
        staff.goodwill_refund(purchase.id, ETHER // 10, "damaged", "sorry about the cover")
    assert ledger.purchase(purchase.id).refunded == 2 * ETHER // 10


def test_a_call_journaled_but_never_handed_over_goes_out_as_signed(ledger, staff, alice, agent, monkeypatch) -> None:
    """The first run stops (killed) after the transaction is journaled, before the node sees it."""
    eth = ledger.chain.w3.eth

    def killed(raw):
        raise KeyboardInterrupt

    monkeypatch.setattr(eth, "send_raw_transaction", killed)
    with pytest.raises(KeyboardInterrupt), ledger.operation("call-7") as first_run:
        staff.log_contact(alice.address, "phone", "complaint", "the box was wet")
    (journaled,) = first_run.sent
    monkeypatch.undo()
    before = _nonce(ledger, agent)
    with ledger.operation("call-7") as second_run:
        moment = staff.log_contact(alice.address, "phone", "complaint", "the box was wet")
    assert moment.tx_hash == journaled.hashes[0] and second_run.found == []  # the very bytes, sent now
    assert _nonce(ledger, agent) == before + 1 and len(ledger.contacts(staff.merchant_id)) == 1
    assert ledger.texts.get(moment.content_hash).body == "the box was wet"


def test_a_journaled_call_whose_nonce_went_elsewhere_is_signed_anew(ledger, shop, staff, alice, agent,
                                                                    monkeypatch) -> None:
    eth = ledger.chain.w3.eth

    def killed(raw):
        raise KeyboardInterrupt

    monkeypatch.setattr(eth, "send_raw_transaction", killed)
    with pytest.raises(KeyboardInterrupt), ledger.operation("call-8") as first_run:
        staff.log_contact(alice.address, "chat", "question", "which size?")
    (journaled,) = first_run.sent
    monkeypatch.undo()
    elsewhere = staff.log_contact(alice.address, "email", "feedback", "the same key, elsewhere")  # takes the nonce
    assert eth.get_transaction(elsewhere.tx_hash)["nonce"] == journaled.nonce
    with ledger.operation("call-8"):
        moment = staff.log_contact(alice.address, "chat", "question", "which size?")
    assert moment.tx_hash != journaled.hashes[0] and eth.get_transaction(moment.tx_hash)["nonce"] == journaled.nonce + 1
    assert sorted(c.tx_hash for c in ledger.contacts(shop.merchant_id)) == sorted([elsewhere.tx_hash, moment.tx_hash])
