"""Bad input is refused with a typed error that says what to do, and nothing is sent."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER
from eth_account import Account

from ledger import errors


@pytest.fixture
def purchase(week_terms, customer):
    return customer.buy(week_terms.id, [("MUG", 1, ETHER)], "ORDER-1")


@pytest.fixture
def nonce_unchanged(chain, accounts):
    """Asserts after the test that no account sent a transaction during it (after the fixtures ran)."""
    before = {a.address: chain.w3.eth.get_transaction_count(a.address) for a in accounts}
    yield
    assert {a.address: chain.w3.eth.get_transaction_count(a.address) for a in accounts} == before


@pytest.fixture
def refused(purchase, nonce_unchanged):
    return purchase


@pytest.mark.parametrize(
    "address, phrase",
    [
        ("0x123", "is not an address"),
        ("not an address", "is not an address"),
        ("0x70997970c51812dc3a010c7d01b50e0d17dc79C8", "wrong checksum"),
        (12345, "is not an address"),
    ],
)
def test_malformed_address_refused(shop, refused, address, phrase) -> None:
    with pytest.raises(errors.InvalidInput, match=phrase):
        shop.add_agent(address)
    with pytest.raises(errors.InvalidInput, match=phrase):
        shop.log_contact(address, "phone", "question")


@pytest.mark.parametrize("purchase_id", ["0x1234", "abc", b"short", None])
def test_malformed_purchase_id_refused(customer, refused, purchase_id) -> None:
    with pytest.raises(errors.InvalidInput, match="is not a 32-byte id"):
        customer.return_items(purchase_id)


def test_unknown_purchase_refused(customer, staff, refused) -> None:
    unknown = "0x" + "12" * 32
    with pytest.raises(errors.UnknownPurchase, match="check the id"):
        customer.return_items(unknown)
    with pytest.raises(errors.UnknownPurchase):
        staff.goodwill_refund(unknown, 1)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True])
def test_amount_not_positive_refused(staff, refused, amount) -> None:
    with pytest.raises(errors.InvalidInput, match="positive whole number"):
        staff.goodwill_refund(refused.id, amount)


def test_not_your_purchase_refused(ledger, refused, stranger) -> None:
    with pytest.raises(errors.NotCustomer, match="is not yours"):
        ledger.customer_desk(stranger).return_items(refused.id)
    with pytest.raises(errors.NotCustomer):
        ledger.customer_desk(stranger).purchase(refused.id)


def test_window_closed_refused_from_simulation(chain, customer, purchase, alice) -> None:
    chain.advance_time(8 * DAY)
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.ReturnWindowClosed, match="ago: ask the merchant for a goodwill refund"):
        customer.return_items(purchase.id)
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


def test_unknown_terms_and_merchant_refused(ledger, customer, nonce_unchanged) -> None:
    with pytest.raises(errors.UnknownTerms, match="no return terms #9"):
        customer.buy(9, [("MUG", 1, 1)], "ORDER-2")
    with pytest.raises(errors.UnknownMerchant):
        customer.log_contact(9, "email", "question")
    with pytest.raises(errors.InvalidInput, match="merchant id"):
        ledger.merchant(0)


def test_retired_terms_refused(shop, week_terms, customer, alice, chain) -> None:
    shop.retire_terms(week_terms.id)
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.TermsRetired, match="use the merchant's current terms"):
        customer.buy(week_terms.id, [("MUG", 1, 1)], "ORDER-2")
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


@pytest.mark.parametrize(
    "lines, phrase",
    [
        ([("X" * 33, 1, 1)], "longer than 32 bytes"),
        ([(" MUG", 1, 1)], "without surrounding spaces"),
        ([("MUG", 0, 1)], "quantity"),
        ([("MUG", 1, -1)], "unit price"),
        ([("MUG", 2**32, 1)], "below 2\\^32"),
        ([], "at least one line"),
        ([("MUG", 1)], "a line is a"),
    ],
)
def test_malformed_lines_refused(week_terms, customer, nonce_unchanged, lines, phrase) -> None:
    with pytest.raises(errors.InvalidInput, match=phrase):
        customer.buy(week_terms.id, lines, "ORDER-2")


def test_no_funds_refused(ledger, week_terms, nonce_unchanged) -> None:
    broke = Account.create()
    with pytest.raises(errors.InsufficientFunds, match="fund the account"):
        ledger.customer_desk(broke).buy(week_terms.id, [("MUG", 1, ETHER)], "ORDER-2")
    assert ledger.chain.w3.eth.get_transaction_count(broke.address) == 0


def test_unknown_channel_and_kind_refused(staff, alice, nonce_unchanged) -> None:
    with pytest.raises(errors.InvalidInput, match="not a channel"):
        staff.log_contact(alice.address, "fax", "question")
    with pytest.raises(errors.InvalidInput, match="not a contactkind"):
        staff.log_contact(alice.address, "phone", "gossip")


def test_bad_terms_refused(shop, nonce_unchanged) -> None:
    with pytest.raises(errors.InvalidInput, match="return window"):
        shop.publish_terms(-1)
    with pytest.raises(errors.InvalidInput, match="too long"):
        shop.publish_terms(2**32)
    with pytest.raises(errors.FeeTooHigh):
        shop.publish_terms(DAY, restocking_fee_bps=20_000)


def test_not_enough_for_gas_refused(ledger, chain, week_terms, accounts) -> None:
    nearly = Account.create()
    tx = {"to": nearly.address, "value": ETHER + 10**12, "gas": 21_000, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "nonce": chain.w3.eth.get_transaction_count(accounts[9].address),
          "chainId": chain.chain_id}
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(
        accounts[9].sign_transaction(tx).raw_transaction))
    with pytest.raises(errors.InsufficientFunds, match="fund the account"):
        ledger.customer_desk(nearly).buy(week_terms.id, [("MUG", 1, ETHER)], "ORDER-2")
    assert chain.w3.eth.get_transaction_count(nearly.address) == 0
