"""Contact moments: logged by staff with a customer or by the customer itself, with only a hash of what
was said."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Channel, ContactKind
from ledger.revert import mapped_errors
from ledger.validate import hash_of
from tests.support.world import assert_kept, buy


def test_log_contact_by_staff(ledger, chain, staff, alice, agent) -> None:
    contact = staff.log_contact(alice.address, "video", "complaint", "the sofa arrived scratched")
    assert (contact.channel, contact.kind) == (Channel.VIDEO, ContactKind.COMPLAINT)
    assert contact.customer == alice.address and contact.logged_by == agent.address and not contact.by_customer
    assert_kept(ledger, contact.content_hash, "the sofa arrived scratched", "contact")
    assert contact.purchase_id is None
    assert contact.occurred_at == chain.w3.eth.get_block(contact.block_number)["timestamp"]


def _input(chain, tx_hash):
    tx = chain.w3.eth.get_transaction(tx_hash)
    return bytes(tx.get("input", tx.get("data")))  # eth-tester names the field "data"


def test_log_contact_keeps_the_text_off_chain(chain, staff, customer, alice) -> None:
    by_staff = staff.log_contact(alice.address, "email", "question", "my phone number is 555-0100")
    by_customer = customer.log_contact(staff.merchant_id, "phone", "complaint", "call me on 555-0199")
    for contact, secret in ((by_staff, b"555-0100"), (by_customer, b"555-0199")):
        data = _input(chain, contact.tx_hash)
        assert bytes.fromhex(contact.content_hash[2:]) in data  # the hash is what was sent...
        assert secret not in data  # ...and the text was not


def test_a_text_is_kept_only_when_its_transaction_went_through(chain, shop, staff, week_terms, customer,
                                                               alice) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)])
    kept_before = customer.outbox.texts.of_customer(alice.address)
    with pytest.raises(errors.UnknownMerchant):
        customer.log_contact(999, "phone", "complaint", "this shop does not exist")
    chain.advance_time(8 * 86_400)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(purchase.id, shipment_ref="TRACK-LATE")
    assert customer.outbox.texts.of_customer(alice.address) == kept_before  # nothing was sent, nothing is kept
    kept = customer.log_contact(shop.merchant_id, "phone", "complaint", "this one goes through")
    assert customer.outbox.texts.of_customer(alice.address)[len(kept_before):] == [
        customer.outbox.texts.get(kept.content_hash)]


def test_log_contact_about_a_purchase_at_a_past_time(chain, shop, staff, week_terms, customer, alice) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)])
    chain.advance_time(2 * 3600)
    earlier = chain.now() - 3600
    contact = staff.log_contact(alice.address, "in store", "return help", purchase_id=purchase.id, occurred_at=earlier)
    assert contact.purchase_id == purchase.id and contact.occurred_at == earlier
    assert contact.channel is Channel.IN_STORE and contact.kind is ContactKind.RETURN_HELP


def test_no_contact_is_dated_before_the_shop_existed(ledger, chain, shop, staff, customer, alice) -> None:
    """Issue #20: any address could log contacts at any past date, which counted in the shop's figures. The contract
    refuses a date before the shop's registration, from staff and from customers alike."""
    registered = shop.info().registered_at
    chain.advance_time(3600)
    for logged in (lambda when: staff.log_contact(alice.address, "phone", "question", occurred_at=when),
                   lambda when: customer.log_contact(shop.merchant_id, "chat", "complaint", occurred_at=when)):
        with pytest.raises(errors.TimeBeforeShop) as info:
            logged(registered - 1)
        assert (info.value.occurred_at, info.value.registered_at) == (registered - 1, registered)
        assert logged(registered).occurred_at == registered  # from the shop's first second on: fine


def test_log_contact_in_the_future_rejected(chain, staff, alice) -> None:
    now = chain.now() + 10
    chain.set_next_block_time(now)
    with pytest.raises(errors.TimeInFuture) as info:
        staff.log_contact(alice.address, "phone", "question", occurred_at=now + 1)
    assert (info.value.occurred_at, info.value.timestamp) == (now + 1, now)
    assert staff.log_contact(alice.address, "phone", "question", occurred_at=now).occurred_at == now  # now is fine


def test_log_contact_by_a_stranger_rejected(ledger, shop, stranger, alice) -> None:
    kept_before = ledger.texts.of_customer(alice.address)  # the texts of earlier tests on this deployment
    with pytest.raises(errors.NotMerchantAgent) as info:
        MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id).log_contact(
            alice.address, "chat", "question", "a made-up note")
    assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, stranger.address)
    assert ledger.contacts() == []
    assert ledger.texts.of_customer(alice.address) == kept_before  # kept only once its hash went on chain


def test_the_same_text_twice_gets_two_hashes(ledger, staff, alice) -> None:
    """Salted: two contacts saying "ok" cannot be linked to each other, or to a guess, by their hashes."""
    first, second = (staff.log_contact(alice.address, "chat", "question", "ok") for _ in range(2))
    assert first.content_hash != second.content_hash
    kept = [ledger.texts.get(contact.content_hash) for contact in (first, second)]
    assert all(text.body == "ok" and text.matches and text.customer == alice.address for text in kept)


def test_customer_logs_its_own_contact(shop, week_terms, customer, alice) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)])
    contact = customer.log_contact(shop.merchant_id, "chatbot", "order status", "where is my parcel?",
                                   purchase_id=purchase.id)
    assert contact.by_customer and contact.customer == contact.logged_by == alice.address
    assert (contact.merchant_id, contact.purchase_id) == (shop.merchant_id, purchase.id)
    assert (contact.channel, contact.kind) == (Channel.CHATBOT, ContactKind.ORDER_STATUS)
    assert_kept(customer.outbox, contact.content_hash, "where is my parcel?", "contact")
    assert customer.contacts() == [contact]


def test_agent_logging_itself_as_the_customer_refused(ledger, staff, agent) -> None:
    with pytest.raises(errors.InvalidInput, match="not your own"):
        staff.log_contact(agent.address, "phone", "question")
    assert ledger.contacts() == []


def test_customer_cannot_log_a_contact_for_another_customer(ledger, shop, alice, bob) -> None:
    call = ledger.contact_call(shop.merchant_id, bob.address, None, "phone", "complaint", None, hash_of("made up"))
    with pytest.raises(errors.NotMerchantAgent) as info, mapped_errors(ledger.errors):
        call.call({"from": alice.address})  # only staff log for someone else
    assert info.value.caller == alice.address


def test_customer_contact_with_an_unknown_merchant_rejected(customer) -> None:
    with pytest.raises(errors.UnknownMerchant) as info:
        customer.log_contact(99, "email", "question")
    assert info.value.merchant_id == 99


def test_contact_about_someone_elses_purchase_rejected(ledger, shop, staff, week_terms, customer, bob) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)])
    made_by = f"was made by {customer.address}, not by {bob.address}"
    with pytest.raises(errors.InvalidInput, match=made_by):
        staff.log_contact(bob.address, "phone", "question", purchase_id=purchase.id)
    with pytest.raises(errors.InvalidInput, match=made_by):
        ledger.customer_desk(bob).log_contact(staff.merchant_id, "phone", "question", purchase_id=purchase.id)
    other = ledger.register_merchant(bob)
    with pytest.raises(errors.InvalidInput, match=f"was made at merchant #{staff.merchant_id}, not at merchant "
                                                  f"#{other.merchant_id}"):
        ledger.customer_desk(customer.account).log_contact(other.merchant_id, "phone", "question",
                                                           purchase_id=purchase.id)


def test_unknown_channel_rejected(staff, alice) -> None:
    with pytest.raises(errors.InvalidInput, match="not a channel: choose one of phone, email"):
        staff.log_contact(alice.address, "carrier pigeon", "question")


def test_contacts_are_queried_by_merchant_customer_and_purchase(ledger, shop, staff, week_terms, customer, alice,
                                                                bob) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100)])
    about = staff.log_contact(alice.address, "chat", "question", purchase_id=purchase.id)
    other = staff.log_contact(bob.address, "phone", "feedback")
    mine = customer.log_contact(shop.merchant_id, "social", "complaint")
    assert shop.contacts() == [about, other, mine]
    assert ledger.contacts(customer=alice.address) == [about, mine]
    assert shop.contacts(purchase_id=purchase.id) == [about]
