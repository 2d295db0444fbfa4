"""Buying: only an order the shop signed can be bought, once; its price goes into escrow and the purchase
records what the shop offered."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import NATIVE, LineItem, Status
from ledger.orders import ORDER_TYPES, SignedOrder, domain
from ledger.revert import mapped_errors
from ledger.signatures import wallet_signature
from ledger.validate import hash_of
from tests.support.world import DAY, ETHER, buy, deploy_contract, simulate


def test_buy_pays_the_price_into_escrow(ledger, chain, shop, week_terms, customer, alice) -> None:
    before = chain.w3.eth.get_balance(ledger.address)
    purchase = buy(shop, customer, week_terms.id,
                   [LineItem("SOFA", 1, 2 * ETHER), LineItem("CUSHION", 4, ETHER // 10)], "ORDER-7")
    assert chain.w3.eth.get_balance(ledger.address) - before == 2 * ETHER + 4 * ETHER // 10
    assert purchase.customer == alice.address
    assert purchase.merchant_id == week_terms.merchant_id and purchase.terms_id == week_terms.id
    assert purchase.token == NATIVE
    assert purchase.price == purchase.paid == 2 * ETHER + 4 * ETHER // 10
    assert purchase.lines == (LineItem("SOFA", 1, 2 * ETHER), LineItem("CUSHION", 4, ETHER // 10))
    assert purchase.order_ref == "0x" + hash_of("ORDER-7").hex()
    assert purchase.status is Status.OPEN and purchase.time_left == 7 * DAY
    assert purchase.deadline == purchase.purchased_at + 7 * DAY
    assert (purchase.refunded, purchase.returned_lines, purchase.settled) == (0, frozenset(), False)
    assert purchase.purchased_at == chain.w3.eth.get_block(purchase.block_number)["timestamp"]


def test_buy_records_the_order_the_shop_signed(ledger, shop, week_terms, customer) -> None:
    order = shop.quote(week_terms.id, [("MUG", 2, 100), ("TEA", 1, 50)], "ORDER-1", customer=customer.address)
    purchase = customer.buy(order)
    assert purchase.id == order.purchase_id
    assert purchase.id == "0x" + ledger.call(ledger.contract.functions.purchaseIdOf(order.order.packed())).hex()
    assert purchase.order == order.order  # everything the shop signed comes back from the chain


def test_buy_copies_the_terms_into_the_purchase(shop, customer) -> None:
    terms = shop.publish_terms(3 * DAY, restocking_fee_bps=300, delivery_wait=10 * DAY, item_must_be_returned=True)
    purchase = buy(shop, customer, terms.id, [("BIKE", 1, ETHER)], "ORDER-8")
    assert (purchase.return_window, purchase.restocking_fee_bps, purchase.delivery_wait) == (3 * DAY, 300, 10 * DAY)
    assert purchase.window_from_delivery and purchase.item_must_be_returned
    assert purchase.status is Status.AWAITING_DELIVERY and purchase.awaiting_delivery
    assert purchase.deadline == purchase.purchased_at + 10 * DAY + 3 * DAY  # the longest wait, then the window


def test_purchase_lookup_returns_state_and_time_left(ledger, chain, shop, week_terms, customer) -> None:
    purchase = buy(shop, customer, week_terms.id, [("LAMP", 1, 5000)], "ORDER-9")
    chain.advance_time(2 * DAY)
    found = ledger.purchase(purchase.id)
    assert found == replace(purchase, as_of=found.as_of)  # everything recorded comes back as bought
    assert found.time_left == purchase.deadline - found.as_of
    assert 5 * DAY - 2 <= found.time_left <= 5 * DAY


def test_buy_by_an_agents_order(shop, staff, week_terms, customer, agent) -> None:
    order = staff.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    assert order.signer == agent.address
    assert customer.buy(order).merchant_id == shop.merchant_id


def test_buy_the_same_order_twice_refused(ledger, chain, shop, week_terms, customer) -> None:
    order = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    customer.buy(order)
    escrow = chain.w3.eth.get_balance(ledger.address)
    with pytest.raises(errors.PurchaseExists) as info:
        customer.buy(order)
    assert info.value.purchase_id == order.purchase_id
    assert chain.w3.eth.get_balance(ledger.address) == escrow


def test_one_order_reference_one_purchase_per_shop(ledger, chain, shop, week_terms, customer, alice) -> None:
    """Issue #20's reloaded checkout: the shop signs ORDER-1 twice (a new quote, so a new order and a new
    digest); the second is refused on chain, before and without the library's check, and nothing is paid."""
    first = buy(shop, customer, week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    chain.advance_time(1)  # a new quote expires later, so it is a new order
    again = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=alice.address)
    assert again.order.purchase_id(chain.chain_id, ledger.address) != first.id
    with pytest.raises(errors.OrderRefUsed) as refused:
        customer.buy(again)
    assert (refused.value.merchant_id, refused.value.purchase_id) == (shop.merchant_id, first.id)
    raw = ledger.contract.functions.buy(again.order.packed(), again.order.line_tuples(), 0,
                                        bytes.fromhex(again.signature[2:]))
    with pytest.raises(errors.OrderRefUsed), mapped_errors(ledger.errors):
        raw.call({"from": alice.address, "value": 100})
    assert len(ledger.purchases(customer=alice.address)) == 1
    reference = bytes.fromhex(first.order_ref[2:])
    assert "0x" + ledger.contract.functions.purchaseOfOrderRef(shop.merchant_id, reference).call().hex() == first.id


def test_another_shop_may_use_the_same_order_reference(ledger, shop, week_terms, customer, accounts) -> None:
    other = ledger.register_merchant(accounts[6])
    terms = other.publish_terms(7 * 86_400)
    buy(shop, customer, week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    assert buy(other, customer, terms.id, [("MUG", 1, 100)], "ORDER-1").merchant_id == other.merchant_id


def test_buy_an_open_order_goes_to_whoever_comes_first(ledger, shop, week_terms, customer, bob) -> None:
    order = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1")  # made out to anyone
    assert order.order.customer == NATIVE
    purchase = ledger.customer_desk(bob).buy(order)
    assert purchase.customer == bob.address
    with pytest.raises(errors.PurchaseExists):
        customer.buy(order)
    with pytest.raises(errors.NotCustomer):
        customer.return_items(purchase.id)
    assert ledger.customer_desk(bob).return_items(purchase.id).amount == 90  # the buyer is the customer


def test_buy_an_order_made_out_to_another_customer_refused(ledger, chain, shop, week_terms, customer, bob) -> None:
    order = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    nonce = chain.w3.eth.get_transaction_count(bob.address)
    with pytest.raises(errors.NotOrderCustomer) as info:
        ledger.customer_desk(bob).buy(order)
    assert (info.value.purchase_id, info.value.customer, info.value.caller) == (
        order.purchase_id, customer.address, bob.address)
    assert chain.w3.eth.get_transaction_count(bob.address) == nonce


def test_buy_an_order_up_to_its_expiry(chain, shop, week_terms, customer) -> None:
    on_time, late = (shop.quote(week_terms.id, [("MUG", 1, 100)], ref, customer=customer.address, valid_for=60)
                     for ref in ("ORDER-1", "ORDER-2"))
    # each quote's expiry counts from its own signing (a second may pass between the two under load)
    chain.set_next_block_time(on_time.order.expiry)
    assert customer.buy(on_time).purchased_at == on_time.order.expiry  # the expiry is the last second
    expiry = late.order.expiry
    chain.set_next_block_time(expiry + 1)
    with pytest.raises(errors.OrderExpired, match="ask the shop for a new one") as info:
        customer.buy(late)
    assert (info.value.expiry, info.value.timestamp) == (expiry, expiry + 1)


def test_buy_an_order_signed_by_a_stranger_refused(ledger, shop, week_terms, customer, stranger) -> None:
    forged = MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id).quote(
        week_terms.id, [("TV", 1, 1)], "ORDER-1", customer=customer.address)
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(forged)
    assert (info.value.purchase_id, info.value.signer) == (forged.purchase_id, stranger.address)
    assert customer.purchases() == []


def test_buy_an_order_signed_by_another_shops_owner_refused(ledger, shop, week_terms, customer, bob) -> None:
    ledger.register_merchant(bob)  # bob owns a shop, but not this one
    forged = MerchantDesk(ledger.reads, ledger.outbox, bob, shop.merchant_id).quote(
        week_terms.id, [("TV", 1, 1)], "ORDER-1", customer=customer.address)
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(forged)
    assert info.value.signer == bob.address


def test_buy_an_order_signed_by_a_removed_agent_refused(shop, staff, week_terms, customer, agent) -> None:
    order = staff.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    shop.remove_agent(agent.address)
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(order)
    assert info.value.signer == agent.address


def test_buy_a_tampered_order_refused(ledger, shop, week_terms, customer, owner, bob) -> None:
    other = shop.publish_terms(30 * DAY)  # terms the shop did publish, but not for this order
    signed = shop.quote(week_terms.id, [("TV", 1, ETHER)], "ORDER-1", customer=customer.address)
    order = signed.order
    tamperings = {
        "a lower price": replace(order, lines=(LineItem("TV", 1, 1),)),
        "more units": replace(order, lines=(LineItem("TV", 2, ETHER),)),
        "a later expiry": replace(order, expiry=order.expiry + 365 * DAY),
        "another customer": replace(order, customer=bob.address),
        "a referrer": replace(order, referrer=bob.address, referral_bps=5_000),
        "other terms": replace(order, terms_id=other.id, return_window=other.return_window,
                               restocking_fee_bps=other.restocking_fee_bps),
    }
    for what, changed in tamperings.items():
        purchase_id = changed.purchase_id(ledger.chain.chain_id, ledger.address)
        tampered = replace(signed, order=changed, purchase_id=purchase_id)
        buyer = ledger.customer_desk(bob) if changed.customer == bob.address else customer
        with pytest.raises(errors.InvalidOrderSignature) as info:
            buyer.buy(tampered)
        assert info.value.purchase_id == tampered.purchase_id and info.value.signer != owner.address, what
    assert ledger.purchases() == []


def test_buy_an_order_with_a_changed_copy_of_its_terms_refused(ledger, shop, week_terms, customer) -> None:
    signed = shop.quote(week_terms.id, [("TV", 1, ETHER)], "ORDER-1", customer=customer.address)
    for change in ({"restocking_fee_bps": 0}, {"return_window": 90 * DAY}, {"delivery_wait": DAY},
                   {"item_must_be_returned": True}):
        with pytest.raises(errors.TermsMismatch) as info:
            customer.buy(replace(signed, order=replace(signed.order, **change)))
        assert info.value.terms_id == week_terms.id


@pytest.mark.parametrize("form", ["compact", "full"])
def test_buy_accepts_64_and_65_byte_signatures(ledger, shop, week_terms, customer, owner, form) -> None:
    signed = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    if form == "full":
        full = owner.sign_typed_data(domain(ledger.chain.chain_id, ledger.address), ORDER_TYPES,
                                     signed.order.message())
        signed = replace(signed, signature="0x" + bytes(full.signature).hex())
    assert len(bytes.fromhex(signed.signature[2:])) == {"compact": 64, "full": 65}[form]
    assert customer.buy(signed).id == signed.purchase_id


def test_buy_with_a_malformed_signature_refused(shop, week_terms, customer) -> None:
    signed = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    for length in (0, 20, 63):
        cut = bytes.fromhex(signed.signature[2:])[:length]
        with pytest.raises(errors.InvalidOrderSignature) as info:
            customer.buy(replace(signed, signature="0x" + cut.hex()))
        # Neither an account's signature nor a wallet's: malformed, and it names no one.
        assert info.value.signer == NATIVE
        assert "malformed" in str(info.value)


@pytest.fixture
def wallet(chain, accounts, test_artifacts):
    """A shop's ERC-1271 contract wallet whose key is account 8's."""
    return deploy_contract(chain, accounts[7], test_artifacts["ShopWallet"], accounts[8].address)


def _wallet_signed(signed, wallet, key) -> SignedOrder:
    """``signed`` re-signed by a contract wallet: ``abi.encode(wallet, its key holder's signature of the digest)``."""
    digest = bytes.fromhex(signed.purchase_id[2:])
    inner = bytes(key.unsafe_sign_hash(digest).signature)
    return replace(signed, signature="0x" + wallet_signature(wallet.address, inner).hex(), signer=wallet.address)


def test_a_wallet_signature_has_one_reading(ledger, shop, week_terms, customer, wallet, accounts) -> None:
    """Issue #20: a staff wallet's signature was told from an account's by its length alone, so a wallet payload
    of 44 or 45 bytes read as an account's. A wallet's is now ``abi.encode(wallet, payload)``: at least 96 bytes,
    whole words, in the standard encoding only; the old ``wallet ++ payload`` and any other layout are refused."""
    shop.add_agent(wallet.address)
    quoted = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    inner = bytes(accounts[8].unsafe_sign_hash(bytes.fromhex(quoted.purchase_id[2:])).signature)
    proper = wallet_signature(wallet.address, inner)
    offset_moved = proper[:32] + (0x60).to_bytes(32, "big") + bytes(32) + proper[64:]
    for bad in (bytes.fromhex(wallet.address[2:]) + inner,  # the v2 layout
                bytes.fromhex(wallet.address[2:]) + inner[:44],  # 64 bytes: the old ambiguity
                proper + bytes(32),  # a trailing word
                offset_moved):
        with pytest.raises(errors.InvalidOrderSignature) as info:
            customer.buy(replace(quoted, signature="0x" + bad.hex(), signer=wallet.address))
        assert info.value.signer != wallet.address  # never read as the wallet's
    assert customer.buy(replace(quoted, signature="0x" + proper.hex(), signer=wallet.address)).id == quoted.purchase_id


def test_buy_an_order_signed_by_a_contract_wallet_of_the_shop(ledger, shop, week_terms, customer, wallet,
                                                              accounts) -> None:
    shop.add_agent(wallet.address)
    quoted = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    signed = _wallet_signed(quoted, wallet, accounts[8])
    assert customer.buy(signed).id == signed.purchase_id


def test_buy_an_order_a_contract_wallet_does_not_vouch_for_refused(ledger, shop, week_terms, customer, wallet,
                                                                   accounts, stranger) -> None:
    quoted = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    not_staff = _wallet_signed(quoted, wallet, accounts[8])  # a valid wallet signature, not shop staff
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(not_staff)
    assert info.value.signer == wallet.address
    shop.add_agent(wallet.address)
    wrong_key = _wallet_signed(quoted, wallet, stranger)  # staff wallet, but not its key: the wallet says no
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(wrong_key)
    assert info.value.signer == NATIVE


def test_an_empty_signature_of_an_account_is_refused(ledger, shop, week_terms, customer, agent) -> None:
    """What a Safe's approval on chain looks like (``abi.encode(wallet, "")``, or nothing at all) stands for no
    account: an account has no approvals to ask, so the library and the contract both refuse it."""
    unsigned = ledger.merchant_desk(agent.address, shop.merchant_id).prepare_quote(
        week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    with pytest.raises(errors.InvalidInput, match=f"the signature is not {agent.address}'s for order"):
        ledger.merchant_desk(agent.address, shop.merchant_id).attach(unsigned)
    with pytest.raises(errors.InvalidInput, match="the order is not signed yet"):
        customer.buy(unsigned)
    order = unsigned.order
    for empty in (wallet_signature(agent.address, b""), b""):  # past the library, straight to the contract
        with pytest.raises(errors.InvalidOrderSignature) as info:
            simulate(ledger, ledger.contract.functions.buy(order.packed(), order.line_tuples(), 0, empty),
                     customer.account, order.total)
        assert info.value.signer == NATIVE
    assert customer.buy(ledger.merchant_desk(agent, shop.merchant_id).sign(unsigned)).id == unsigned.purchase_id


def test_signed_order_travels_as_json(shop, week_terms, customer) -> None:
    signed = shop.quote(week_terms.id, [("MUG", 2, 10**17), ("TEA", 1, 3)], "ORDER-1", customer=customer.address)
    carried = SignedOrder.from_json(signed.to_json())
    assert carried == signed
    assert customer.buy(carried).id == signed.purchase_id


def test_buy_an_order_for_another_ledger_refused(ledger, chain, shop, week_terms, customer, accounts) -> None:
    signed = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)
    for elsewhere in (replace(signed, ledger=accounts[9].address), replace(signed, chain_id=chain.chain_id + 1)):
        with pytest.raises(errors.InvalidInput, match="ask the shop for an order here"):
            customer.buy(elsewhere)


def test_buy_the_most_lines_allowed(shop, week_terms, customer) -> None:
    purchase = buy(shop, customer, week_terms.id, [(f"SKU-{i}", 1, 1) for i in range(32)], "ORDER-32")
    assert len(purchase.lines) == 32


def test_buy_free_lines_may_ride_along(shop, week_terms, customer) -> None:
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, 100), ("GIFT-CARD", 1, 0)], "ORDER-2")
    assert purchase.price == 100


def test_unknown_purchase_is_reported(ledger, shop, week_terms, customer) -> None:
    buy(shop, customer, week_terms.id, [("MUG", 1, 100)], "ORDER-1")
    with pytest.raises(errors.UnknownPurchase, match="no purchase 0x" + "ab" * 32) as info:
        ledger.purchase("0x" + "ab" * 32)
    assert info.value.purchase_id == "0x" + "ab" * 32
    with pytest.raises(errors.UnknownPurchase):
        customer.return_items("0x" + "ab" * 32)


def test_sku_that_is_not_text_round_trips_as_hex(shop, week_terms, customer) -> None:
    raw = "0x" + "ff" * 31 + "00"
    purchase = buy(shop, customer, week_terms.id, [(raw, 1, 100), ("MUG", 1, 100)], "ORDER-3")
    assert purchase.lines[0].sku == raw and purchase.lines[1].sku == "MUG"
    assert customer.return_items(purchase.id, [0]).amount == 90  # the lines hash still matches


def test_status_filter_names_the_choices(ledger) -> None:
    with pytest.raises(errors.InvalidInput, match="choose one of awaiting_delivery, open"):
        ledger.purchases(status="lost")
