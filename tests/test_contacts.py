"""Contact moments: logged by staff or by the customer, with only a hash of what was said."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Channel, ContactKind
from ledger.validate import hash_of


def test_log_contact_by_staff(chain, staff, alice, agent) -> None:
    contact = staff.log_contact(alice.address, "video", "complaint", "the sofa arrived scratched")
    assert (contact.channel, contact.kind) == (Channel.VIDEO, ContactKind.COMPLAINT)
    assert contact.customer == alice.address and contact.logged_by == agent.address and not contact.by_customer
    assert contact.content_hash == "0x" + hash_of("the sofa arrived scratched").hex()
    assert contact.purchase_id is None
    assert abs(contact.occurred_at - chain.w3.eth.get_block(contact.block_number)["timestamp"]) == 0


def test_log_contact_keeps_the_text_off_chain(chain, staff, alice) -> None:
    contact = staff.log_contact(alice.address, "email", "question", "my phone number is 555-0100")
    block = chain.w3.eth.get_block(contact.block_number, full_transactions=True)
    for tx in block["transactions"]:
        data = tx.get("input", tx.get("data"))  # eth-tester names the field "data"
        assert data and b"555-0100" not in bytes(data)


def test_log_contact_about_a_purchase_at_a_past_time(chain, staff, week_terms, customer, alice) -> None:
    purchase = customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    earlier = chain.now() - 3600
    contact = staff.log_contact(alice.address, "in store", "return help", purchase_id=purchase.id, occurred_at=earlier)
    assert contact.purchase_id == purchase.id and contact.occurred_at == earlier
    assert contact.channel is Channel.IN_STORE and contact.kind is ContactKind.RETURN_HELP


def test_log_contact_in_the_future_rejected(chain, staff, alice) -> None:
    with pytest.raises(errors.TimeInFuture):
        staff.log_contact(alice.address, "phone", "question", occurred_at=chain.now() + 3600)


def test_log_contact_by_a_stranger_rejected(ledger, shop, stranger, alice) -> None:
    with pytest.raises(errors.NotMerchantAgent):
        MerchantDesk(ledger, stranger, shop.merchant_id).log_contact(alice.address, "chat", "question")


def test_customer_logs_its_own_contact(shop, customer, alice) -> None:
    contact = customer.log_contact(shop.merchant_id, "chatbot", "order status", "where is my parcel?")
    assert contact.by_customer and contact.customer == alice.address
    assert customer.contacts() == [contact]


def test_customer_contact_with_an_unknown_merchant_rejected(customer) -> None:
    with pytest.raises(errors.UnknownMerchant):
        customer.log_contact(99, "email", "question")


def test_contact_about_someone_elses_purchase_rejected(ledger, staff, week_terms, customer, bob) -> None:
    purchase = customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    with pytest.raises(errors.InvalidInput, match="not this contact's customer"):
        staff.log_contact(bob.address, "phone", "question", purchase_id=purchase.id)
    with pytest.raises(errors.InvalidInput, match="not this contact's customer"):
        ledger.customer_desk(bob).log_contact(staff.merchant_id, "phone", "question", purchase_id=purchase.id)


def test_unknown_channel_rejected(staff, alice) -> None:
    with pytest.raises(errors.InvalidInput, match="not a channel: choose one of phone, email"):
        staff.log_contact(alice.address, "carrier pigeon", "question")


def test_contacts_are_queried_by_merchant_customer_and_purchase(ledger, shop, staff, week_terms, customer, alice,
                                                                bob) -> None:
    purchase = customer.buy(week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    about = staff.log_contact(alice.address, "chat", "question", purchase_id=purchase.id)
    other = staff.log_contact(bob.address, "phone", "feedback")
    mine = customer.log_contact(shop.merchant_id, "social", "complaint")
    assert shop.contacts() == [about, other, mine]
    assert ledger.contacts(customer=alice.address) == [about, mine]
    assert shop.contacts(purchase_id=purchase.id) == [about]
