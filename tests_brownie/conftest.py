"""brownie's own fixtures: each test runs on a fresh deployment, isolated by brownie's snapshots.

A deployment is three contracts. ``Ledger`` (the entry point, which holds the money) delegates what it does
not implement to ``LedgerModule``: one storage, one address, driven here through one ABI merged from the two
(``ILedger``'s). ``LedgerFeedback``, which the ledger makes, holds reviews and scores and asks the ledger about
purchases. A purchase is an order the shop's staff signed (EIP-712); the shop's checkout here is a
brownie account with a private key, added as an agent, that signs orders and sends nothing.
"""

import json

import pytest
from brownie import Contract
from eth_account import Account

from ledger.models import LineItem
from ledger.orders import ORDER_TYPES, Order, domain

DAY = 86_400
WEEK_TERMS = (7 * DAY, 1_000, 0, False)
"""7 days from purchase, 10 % restocking fee, no return shipping."""


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def ledger(Ledger, LedgerModule, accounts):
    deployer = {"from": accounts[0]}
    entry = Ledger.deploy(LedgerModule.deploy(deployer), deployer)
    merged, seen = [], set()
    for container in (Ledger, LedgerModule):
        for item in container.abi:
            key = json.dumps([item["type"], item.get("name"), item.get("inputs")], sort_keys=True)
            if item["type"] in ("function", "event", "error") and key not in seen:
                seen.add(key)
                merged.append(item)
    return Contract.from_abi("Ledger", entry.address, merged)


@pytest.fixture(scope="module")
def feedback(LedgerFeedback, ledger):
    return Contract.from_abi("LedgerFeedback", ledger.FEEDBACK(), LedgerFeedback.abi)  # the ledger made it


@pytest.fixture(scope="module")
def checkout(accounts):
    """The shop's web checkout: an agent key that only signs orders."""
    return accounts.add()


@pytest.fixture
def terms(ledger, accounts, checkout):
    """Merchant 1 (owner accounts[1], its checkout an agent) with terms 1: 7 days from purchase, 10 % fee."""
    ledger.registerMerchant(accounts[1], {"from": accounts[1]})
    ledger.addAgent(1, checkout, {"from": accounts[1]})
    ledger.publishTerms(1, *WEEK_TERMS, {"from": accounts[1]})
    return 1


@pytest.fixture
def quote(ledger, checkout, chain):
    """Signs an order under terms 1 for ``customer``: returns (order, its packed words, lines, signature)."""

    def sign(customer, lines=(("MUG", 2, 10**17),), order_ref="0x" + "11" * 32, valid_for=3_600):
        window, fee, wait, item_back = WEEK_TERMS
        order = Order(
            merchant_id=1, terms_id=1, lines=tuple(LineItem(*line) for line in lines), order_ref=order_ref,
            expiry=chain.time() + valid_for, return_window=window, restocking_fee_bps=fee, delivery_wait=wait,
            item_must_be_returned=item_back, customer=str(customer),
        )
        signed = Account.from_key(checkout.private_key).sign_typed_data(
            domain(chain.id, ledger.address), ORDER_TYPES, order.message())
        return order, order.packed(), order.line_tuples(), bytes(signed.signature)

    return sign
