"""A shop's names, off chain and signed by its staff: the profile, the catalogue and its own order numbers.

Tried by the shop's owner and agents, and by whoever would game them: a stranger signing names for a shop, a
signature moved to another shop or ledger, an older version replayed to roll a name back, a version dated
ahead or held back, an agent removed for misbehaving (its names must stop showing), text that would hide
itself in a terminal, an order number that does not hash to the order's reference.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from eth_account.messages import encode_typed_data

from ledger.client import Ledger
from ledger.errors import InvalidInput, NotMerchantAgent, StaleName
from ledger.history import MEMORY
from ledger.history.store import engine_for
from ledger.models import LineItem
from ledger.names import FRESHNESS, Catalogue, NameStore, Product, Profile, Signed, signer_of, typed_data
from ledger.orders import SignedOrder
from tests.support.world import DAY, buy, twin


def _sign(ledger: Ledger, account, content: Profile | Catalogue) -> Signed:
    message = encode_typed_data(full_message=typed_data(content, ledger.chain.chain_id, ledger.address))
    return Signed(content, account.address, "0x" + bytes(account.sign_message(message).signature).hex())


def test_a_shop_named_by_its_owner_and_its_products_by_an_agent_show_with_their_signatures(ledger, shop, agent):
    shop.set_profile("Kettle & Co", "help@kettle.example", "https://kettle.example/logo.png")
    staff = ledger.merchant_desk(agent, shop.merchant_id)
    staff.import_catalogue([Product("MUG-1", "Blue mug"), Product("POT-2", "Tea pot", "https://kettle.example/pot.jpg")])

    names = ledger.names(shop.merchant_id)
    assert names.shop == f"Kettle & Co (shop #{shop.merchant_id})"
    assert names.profile is not None and names.profile.support == "help@kettle.example"
    assert names.product("MUG-1") == "Blue mug" and names.product("POT-2") == "Tea pot"
    assert names.product("UNNAMED-9") == "UNNAMED-9"
    assert ledger.names(shop.merchant_id + 1).shop == f"shop #{shop.merchant_id + 1}"

    # any server handed the rows can check each signature again, and a changed field fails the check
    versions = ledger.names_store.versions(shop.merchant_id)
    assert [v.signer for v in versions] == [shop.address, agent.address]
    assert all(signer_of(v, ledger.w3, ledger.chain.chain_id, ledger.address) for v in versions)
    forged = dataclasses.replace(versions[0], content=dataclasses.replace(versions[0].content, name="Kettle & Co."))
    assert not signer_of(forged, ledger.w3, ledger.chain.chain_id, ledger.address)


def test_a_catalogue_import_names_the_skus_it_lists_and_leaves_the_others_as_they_were(ledger, shop, chain):
    shop.import_catalogue([Product("MUG-1", "Blue mug"), Product("POT-2", "Tea pot")])
    shop.import_catalogue([Product("MUG-1", "Blue mug, 300 ml")])  # the same second: dated a second later
    names = ledger.names(shop.merchant_id)
    assert (names.product("MUG-1"), names.product("POT-2")) == ("Blue mug, 300 ml", "Tea pot")
    assert len(ledger.names_store.versions(shop.merchant_id)) == 2  # the first batch is kept beside the second

    with pytest.raises(InvalidInput, match="SKU MUG-1 is named twice"):
        shop.import_catalogue([Product("MUG-1", "a"), Product("MUG-1", "b")])
    with pytest.raises(InvalidInput, match="names no product"):
        shop.import_catalogue([])


def test_a_stranger_cannot_name_a_shop_nor_pass_its_signature_off_as_the_owners(ledger, shop, stranger):
    now = ledger.chain.now()
    by_stranger = _sign(ledger, stranger, Profile(shop.merchant_id, "Totally Legit Shop", issued_at=now))
    with pytest.raises(NotMerchantAgent):
        ledger.names_store.keep(by_stranger, ledger.reads)
    claimed = dataclasses.replace(by_stranger, signer=shop.address)  # the stranger's signature, the owner's name on it
    with pytest.raises(InvalidInput, match="signature is not"):
        ledger.names_store.keep(claimed, ledger.reads)
    assert ledger.names(shop.merchant_id).profile is None
    assert ledger.names_store.versions(shop.merchant_id) == []


def test_a_signature_is_worth_nothing_for_another_shop_or_another_ledger(ledger, shop, owner, accounts):
    other = ledger.register_merchant(owner)  # the same owner runs a second shop
    signed = shop.set_profile("First shop")
    moved = dataclasses.replace(signed, content=dataclasses.replace(signed.content, merchant_id=other.merchant_id))
    with pytest.raises(InvalidInput, match="signature is not"):
        ledger.names_store.keep(moved, ledger.reads)
    elsewhere = Ledger.deploy(ledger.chain, accounts[0])  # another ledger on the same chain
    elsewhere.names_store = ledger.names_store
    with pytest.raises(InvalidInput, match="signature is not"):
        elsewhere.names_store.keep(signed, elsewhere.reads)
    assert ledger.names(other.merchant_id).profile is None


def test_an_older_version_replayed_cannot_roll_a_name_back(ledger, shop, chain):
    first = shop.set_profile("Kettle & Co")
    chain.advance_time(60)
    shop.set_profile("Kettle & Co, now with tea")
    with pytest.raises(StaleName, match="not newer"):
        ledger.names_store.keep(first, ledger.reads)
    with pytest.raises(StaleName, match="not newer"):  # the same version twice is not kept twice either
        ledger.names_store.keep(ledger.names_store.versions(shop.merchant_id)[-1], ledger.reads)
    assert ledger.names(shop.merchant_id).profile.name == "Kettle & Co, now with tea"


def test_a_version_dated_ahead_or_held_back_is_refused(ledger, shop, owner, chain):
    now = ledger.chain.now()
    ahead = _sign(ledger, owner, Profile(shop.merchant_id, "From the future", issued_at=now + 3_600))
    with pytest.raises(InvalidInput, match="from now"):
        ledger.names_store.keep(ahead, ledger.reads)
    held = _sign(ledger, owner, Profile(shop.merchant_id, "Signed long ago", issued_at=now))
    chain.advance_time(FRESHNESS + DAY)
    with pytest.raises(StaleName, match="more than a week ago"):
        ledger.names_store.keep(held, ledger.reads)
    assert ledger.names(shop.merchant_id).profile is None


def test_what_a_removed_agent_named_stops_showing_and_does_not_come_back_when_it_is_added_again(
        ledger, shop, agent, chain):
    shop.set_profile("Kettle & Co")
    shop.import_catalogue([Product("MUG-1", "Blue mug")])
    rogue = ledger.merchant_desk(agent, shop.merchant_id)
    chain.advance_time(60)
    rogue.set_profile("Kettle & Co: pay at kettle-refunds.example")
    rogue.import_catalogue([Product("MUG-1", "Send your seed phrase for a refund")])
    assert ledger.names(shop.merchant_id).profile.name.startswith("Kettle & Co: pay")

    shop.remove_agent(agent.address)
    names = ledger.names(shop.merchant_id)
    assert names.profile.name == "Kettle & Co" and names.product("MUG-1") == "Blue mug"
    with pytest.raises(NotMerchantAgent):  # nor can it sign new ones
        ledger.names_store.keep(_sign(ledger, agent, Profile(shop.merchant_id, "Again", issued_at=chain.now() + 1)),
                                ledger.reads)

    shop.add_agent(agent.address)  # a new generation: what it signed before stays out
    names = ledger.names(shop.merchant_id)
    assert names.profile.name == "Kettle & Co" and names.product("MUG-1") == "Blue mug"


@pytest.mark.parametrize(("name", "support", "logo", "refusal"), [
    ("", "", "", "is empty"),
    ("Kettle\u202eoC & ", "", "", "control character"),  # a right-to-left override reorders what follows
    ("Kettle\x1b[2J", "", "", "control character"),  # a terminal escape would clear the screen
    ("K" * 81, "", "", "keep it to 80"),
    ("Kettle", "", "http://kettle.example/logo.png", "https://"),
    ("Kettle", "", "javascript:alert(1)", "https://"),
    ("Kettle", "", "https://kettle.example/a logo.png", "https://"),
])
def test_names_that_would_hide_or_harm_are_refused_before_signing(ledger, shop, name, support, logo, refusal):
    with pytest.raises(InvalidInput, match=refusal):
        shop.set_profile(name, support, logo)
    assert ledger.names_store.versions(shop.merchant_id) == []


def test_a_field_signed_with_spaces_around_it_is_refused_rather_than_kept_changed(ledger, shop, owner):
    padded = _sign(ledger, owner, Profile(shop.merchant_id, " Kettle ", issued_at=ledger.chain.now()))
    with pytest.raises(InvalidInput, match="trimmed"):
        ledger.names_store.keep(padded, ledger.reads)


def test_the_shops_order_number_is_kept_with_the_order_and_shown_with_the_purchase(ledger, shop, week_terms, alice):
    customer_side = twin(ledger, True)  # the customer's own server: its own database
    customer_side.names_store = NameStore(engine_for(MEMORY))
    signed = shop.quote(week_terms.id, [LineItem("MUG-1", 1, 10**15)], "ORDER-1001", customer=alice.address)
    assert signed.order_number == "ORDER-1001"
    carried = SignedOrder.from_link(signed.link().split("order=")[1])
    assert carried.order_number == "ORDER-1001"
    purchase = customer_side.customer_desk(alice).buy(carried)

    assert ledger.order_numbers([purchase]) == {purchase.id: "ORDER-1001"}  # the shop's side kept it when quoting
    assert customer_side.order_numbers([purchase]) == {purchase.id: "ORDER-1001"}  # the customer's when buying


def test_an_order_number_that_does_not_hash_to_the_reference_is_refused(ledger, shop, week_terms, alice):
    signed = shop.quote(week_terms.id, [LineItem("MUG-1", 1, 10**15)], "ORDER-1001", customer=alice.address)
    body = json.loads(signed.to_json())
    body["orderNumber"] = "ORDER-9999"  # a relay showing the customer another number
    with pytest.raises(InvalidInput, match="number does not match"):
        SignedOrder.from_json(json.dumps(body))
    assert not ledger.names_store.keep_order_number(shop.merchant_id, signed.order.order_ref, "ORDER-9999")
    assert ledger.names_store.keep_order_number(shop.merchant_id, signed.order.order_ref, "ORDER-1001")


def test_a_purchase_whose_number_was_never_given_has_none(ledger, shop, week_terms, customer):
    purchase = buy(shop, customer, week_terms.id, [("MUG-1", 1, 10**15)], order_ref=b"\x01" * 32)
    assert ledger.order_numbers([purchase]) == {}


def test_a_rogue_agents_version_dated_ahead_blocks_the_owner_only_until_the_agent_is_removed(ledger, shop, agent):
    from ledger.names import CLOCK_SKEW

    ahead = _sign(ledger, agent, Profile(shop.merchant_id, "Refunds: kettle-refunds.example",
                                         issued_at=ledger.chain.now() + CLOCK_SKEW))
    ledger.names_store.keep(ahead, ledger.reads)
    with pytest.raises(InvalidInput, match="from now"):  # the owner cannot date a profile after it yet…
        shop.set_profile("Kettle & Co")
    shop.remove_agent(agent.address)
    shop.set_profile("Kettle & Co")  # …and can at once when the agent is gone: its versions no longer count
    assert ledger.names(shop.merchant_id).profile.name == "Kettle & Co"
