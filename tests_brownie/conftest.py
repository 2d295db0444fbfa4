"""brownie's own fixtures: each test runs on a fresh deployment, isolated by brownie's snapshots."""

import pytest


@pytest.fixture(scope="module")
def ledger(Ledger, accounts):
    return Ledger.deploy({"from": accounts[0]})


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def terms(ledger, accounts):
    """Merchant 1 (owner accounts[1]) with terms 1: 7 days from purchase, 10 % restocking fee."""
    ledger.registerMerchant(accounts[1], {"from": accounts[1]})
    ledger.publishTerms(1, 7 * 86_400, 1_000, False, False, {"from": accounts[1]})
    return 1
