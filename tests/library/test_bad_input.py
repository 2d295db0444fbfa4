"""Bad input is refused with a typed error that says what to do, and nothing is sent."""

from __future__ import annotations

import pytest
from eth_account import Account

from ledger import errors, validate
from ledger.client import MerchantDesk
from ledger.orders import SignedOrder
from tests.support.world import DAY, ETHER, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("MUG", 1, ETHER)], "ORDER-1")


@pytest.fixture
def nonce_unchanged(chain, accounts):
    """Asserts after the test that no account sent a transaction during it (after the fixtures ran)."""
    before = {a.address: chain.w3.eth.get_transaction_count(a.address) for a in accounts}
    yield
    assert {a.address: chain.w3.eth.get_transaction_count(a.address) for a in accounts} == before


@pytest.fixture
def refused(purchase, nonce_unchanged):
    return purchase


# The checks below are the library's own and send nothing, so each test runs its cases in turn on one
# set-up rather than paying for a chain set-up per case.

MALFORMED_ADDRESSES = [
    ("0x123", "is not an address"),
    ("not an address", "is not an address"),
    ("0x70997970c51812dc3a010c7d01b50e0d17dc79C8", "wrong checksum"),
    (12345, "is not an address"),
]


def test_malformed_address_refused(shop, refused) -> None:
    for address, phrase in MALFORMED_ADDRESSES:
        with pytest.raises(errors.InvalidInput, match=phrase):
            shop.add_agent(address)
        with pytest.raises(errors.InvalidInput, match=phrase):
            shop.log_contact(address, "phone", "question")


def test_malformed_purchase_id_refused(customer, refused) -> None:
    for purchase_id in ("0x1234", "abc", b"short", None):
        with pytest.raises(errors.InvalidInput, match="is not a 32-byte id"):
            customer.return_items(purchase_id)


def test_unknown_purchase_refused(customer, staff, refused) -> None:
    unknown = "0x" + "12" * 32
    with pytest.raises(errors.UnknownPurchase, match="check the id"):
        customer.return_items(unknown)
    with pytest.raises(errors.UnknownPurchase):
        staff.goodwill_refund(unknown, 1)


def test_amount_not_positive_refused(staff, refused) -> None:
    for amount in (0, -5, 1.5, "10", True):
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


def test_unknown_terms_and_merchant_refused(ledger, shop, customer, nonce_unchanged) -> None:
    with pytest.raises(errors.UnknownTerms, match="no return terms #9"):
        shop.quote(9, [("MUG", 1, 1)], "ORDER-2", customer=customer.address)
    with pytest.raises(errors.UnknownMerchant):
        customer.log_contact(9, "email", "question")
    with pytest.raises(errors.InvalidInput, match="merchant id"):
        ledger.merchant(0)


def test_retired_terms_refused(shop, week_terms, customer, alice, chain) -> None:
    quoted = shop.quote(week_terms.id, [("MUG", 1, 1)], "ORDER-2", customer=customer.address)
    shop.retire_terms(week_terms.id)
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(errors.TermsRetired, match="use the merchant's current terms"):
        customer.buy(quoted)
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce


MALFORMED_LINES = [
    ([("X" * 33, 1, 1)], "longer than 32 bytes"),
    ([(" MUG", 1, 1)], "without surrounding spaces"),
    ([("MUG", 0, 1)], "quantity"),
    ([("MUG", 1, -1)], "unit price"),
    ([("MUG", 2**32, 1)], "below 2\\^32"),
    ([("MUG", 1, 2**128)], "below 2\\^128"),
    ([("MUG", 2, 2**127)], "order total must be below 2\\^128"),
    ([], "1 to 32 lines, not 0"),
    ([(f"SKU-{i}", 1, 1) for i in range(33)], "1 to 32 lines, not 33"),  # more than the contract tracks
    ([("FREEBIE", 1, 0), ("SAMPLE", 3, 0)], "order total must be a positive"),
    ([("MUG", 1)], "a line is a"),
]


def test_malformed_lines_refused(shop, week_terms, customer, nonce_unchanged) -> None:
    for lines, phrase in MALFORMED_LINES:
        with pytest.raises(errors.InvalidInput, match=phrase):
            shop.quote(week_terms.id, lines, "ORDER-2", customer=customer.address)


MALFORMED_QUOTES = [
    ({"customer": "0x123"}, "customer '0x123' is not an address"),
    ({"token": "ETH"}, "token 'ETH' is not an address"),
    ({"valid_for": 0}, "validity"),
    ({"referral_bps": 500}, "needs a referrer"),
    ({"referral_bps": -1}, "referral commission"),
]


def test_malformed_quote_refused(shop, week_terms, nonce_unchanged) -> None:
    for options, phrase in MALFORMED_QUOTES:
        with pytest.raises(errors.InvalidInput, match=phrase):
            shop.quote(week_terms.id, [("MUG", 1, 1)], "ORDER-2", **options)
    with pytest.raises(errors.FeeTooHigh, match="more than 100 %"):  # the contract's own error, before sending
        shop.quote(week_terms.id, [("MUG", 1, 1)], "ORDER-2", referral_bps=10_001, referrer="0x" + "11" * 20)


def test_quote_under_another_shops_terms_refused(ledger, week_terms, bob, nonce_unchanged) -> None:
    other_shop = MerchantDesk(ledger.reads, ledger.outbox, bob, week_terms.merchant_id + 1)
    with pytest.raises(errors.InvalidInput, match=f"belong to merchant #{week_terms.merchant_id}, not #"):
        other_shop.quote(week_terms.id, [("MUG", 1, 1)], "ORDER-2")


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("not json", "malformed"),
        ('{"kind": "ledger-order", "version": 2}', "version 3"),
        ('{"kind": "ledger-order", "version": 3, "order": {}}', "missing field"),
    ],
)
def test_malformed_order_file_refused(text, phrase) -> None:
    with pytest.raises(errors.InvalidInput, match=phrase):
        SignedOrder.from_json(text)


def test_no_funds_refused(ledger, shop, week_terms, nonce_unchanged) -> None:
    broke = Account.create()
    order = shop.quote(week_terms.id, [("MUG", 1, ETHER)], "ORDER-2", customer=broke.address)
    with pytest.raises(errors.InsufficientFunds, match="fund the account"):
        ledger.customer_desk(broke).buy(order)
    assert ledger.chain.w3.eth.get_transaction_count(broke.address) == 0


def test_unknown_channel_and_kind_refused(staff, alice, nonce_unchanged) -> None:
    with pytest.raises(errors.InvalidInput, match="not a channel"):
        staff.log_contact(alice.address, "fax", "question")
    with pytest.raises(errors.InvalidInput, match="not a contactkind"):
        staff.log_contact(alice.address, "phone", "gossip")


def test_bad_terms_refused(shop, nonce_unchanged) -> None:
    with pytest.raises(errors.InvalidInput, match="return window"):
        shop.publish_terms(-1)
    with pytest.raises(errors.InvalidInput, match="longest wait for delivery"):
        shop.publish_terms(DAY, delivery_wait=-1)
    for window, wait in ((2**32, 0), (DAY, 2**32)):
        with pytest.raises(errors.InvalidInput, match="at most 4294967295 s"):
            shop.publish_terms(window, delivery_wait=wait)
    with pytest.raises(errors.FeeTooHigh, match="200 % is more than 100 %"):
        shop.publish_terms(DAY, restocking_fee_bps=20_000)


def test_not_enough_for_gas_refused(ledger, chain, shop, week_terms, accounts) -> None:
    nearly = Account.create()
    order = shop.quote(week_terms.id, [("MUG", 1, ETHER)], "ORDER-2", customer=nearly.address)
    tx = {"to": nearly.address, "value": ETHER + 10**12, "gas": 21_000, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "nonce": chain.w3.eth.get_transaction_count(accounts[9].address),
          "chainId": chain.chain_id}
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(
        accounts[9].sign_transaction(tx).raw_transaction))
    with pytest.raises(errors.InsufficientFunds, match="fund the account"):
        ledger.customer_desk(nearly).buy(order)
    assert chain.w3.eth.get_transaction_count(nearly.address) == 0


def test_hostile_values_refused_by_the_library_too(shop, customer, refused, alice, week_terms) -> None:
    """What the command line refuses is refused below it as well, for scripts that use the library."""
    with pytest.raises(errors.InvalidInput, match="valid for at most 30 days"):
        customer.sign_return(refused.id, valid_for=31 * DAY)
    with pytest.raises(errors.InvalidInput, match="the order reference is empty"):
        shop.quote(week_terms.id, [("MUG", 1, 1)], " ")
    with pytest.raises(errors.InvalidInput, match="valid for at most 365 days"):
        shop.quote(week_terms.id, [("MUG", 1, 1)], "ORDER-9", valid_for=366 * DAY)
    with pytest.raises(errors.NotAnAgent, match="only agents have budgets and mandates"):
        shop.set_budget(alice.address, 1)
    with pytest.raises(errors.NotAnAgent, match="only agents have budgets and mandates"):
        shop.set_mandate(alice.address, 1)
    with pytest.raises(errors.InvalidInput, match="budgets and mandates are for agents"):
        shop.set_budget(shop.account.address, 1)  # the owner needs none
    for merchant_id in (0, -1, 2**64, True):
        with pytest.raises(errors.InvalidInput, match="is not a merchant id"):
            validate.identifier(merchant_id, "merchant id")


def test_an_id_beyond_the_indexs_columns_is_refused(ledger, alice) -> None:
    """The index keeps ids in signed 64-bit columns: from 2^63 on, an id is refused as no id (the contract counts
    from 1), not passed to the database (SQLite: "Python int too large to convert to SQLite INTEGER")."""
    validate.identifier(2**63 - 1, "merchant id")
    for merchant_id in (2**63, 2**64 - 1):
        with pytest.raises(errors.InvalidInput, match=f"merchant ids are whole numbers from 1 to {2**63 - 1}"):
            ledger.credit(merchant_id, alice.address)
