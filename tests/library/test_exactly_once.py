"""Exactly once, said truthfully, through a node whose back ends lag one another (``faulty_proxy.py``,
``receipt_lag``): the account's new nonce shows a few milliseconds before the receipt, and now and then a
receipt stays hidden for half a second, on top of the usual lost, late and doubled calls. A thousand sends one
at a time and a thousand in bulk: none is said not recorded, each is reported once, and the chain holds each
once."""

from __future__ import annotations

from collections import Counter

import pytest

from ledger.chain import AnvilChain, connect, dev_accounts
from ledger.client import Ledger
from ledger.errors import LedgerError
from ledger.sending import Call
from ledger.validate import hash_of
from tests.support.faulty_proxy import FAULTS, FaultyProxy

SENDS = 1_000
ACCOUNTS = dev_accounts()
DEPLOYER, OWNER, AGENT, ALICE = ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[2], ACCOUNTS[3]


@pytest.fixture(scope="module")
def node():
    with AnvilChain() as chain:
        yield chain


@pytest.fixture(scope="module")
def home(node) -> Ledger:
    """The ledger, deployed straight on the node, with a shop and its agent."""
    ledger = Ledger.deploy(node, DEPLOYER, index=False)
    ledger.register_merchant(OWNER).add_agent(AGENT.address)
    return ledger


@pytest.fixture
def lagging(node, home):
    """The ledger seen through a proxy whose receipts lag the nonce (10 ms; 2 % of them 0.5 s), with 5 % of
    calls (30 % of JSON-RPC batches) lost, late, doubled or held back; and the proxy, to count what it did."""
    snapshot = node.snapshot()
    with FaultyProxy(node.url, rate=0.05, seed=19, receipt_lag=0.01, lost_receipts=0.02, lost_for=0.5,
                     rates={"batch": 0.3}) as proxy:
        yield Ledger.attach(connect(proxy.url), home.deployment(), index=False), proxy
    node.revert(snapshot)


def _contact(ledger: Ledger, text: str):
    """The cheapest write: a contact logged by the shop's agent, its content hash naming it."""
    return ledger.contact_call(1, ALICE.address, None, "chat", "question", None, hash_of(text))


def _logged(home: Ledger) -> Counter[str]:
    """How many times each content hash is on chain."""
    return Counter(event.args["contentHash"] for event in home.events("ContactLogged", 1))


def test_a_thousand_sends_one_at_a_time_on_anvil_are_each_reported_once(node, home, lagging) -> None:
    far, proxy = lagging
    first = node.w3.eth.get_transaction_count(AGENT.address)
    reported, refused = [], []
    for n in range(SENDS):
        try:
            reported.append(far.transact(AGENT, _contact(far, f"one {n}")).tx_hash)
        except LedgerError as error:  # "not recorded" or "unknown" would both be false here: every send lands
            refused.append(error)
    assert refused == []
    assert len(set(reported)) == SENDS
    assert _logged(home) == Counter({"0x" + hash_of(f"one {n}").hex(): 1 for n in range(SENDS)})
    assert node.w3.eth.get_transaction_count(AGENT.address) == first + SENDS  # one transaction each
    assert proxy.count("late") + proxy.count("lost") >= SENDS  # every receipt lagged its nonce
    assert proxy.count("lost") >= 5


def test_a_thousand_sends_in_bulk_on_anvil_are_each_reported_once(node, home, lagging) -> None:
    far, proxy = lagging
    first = node.w3.eth.get_transaction_count(AGENT.address)
    report = far.send_many([Call(AGENT, _contact(far, f"bulk {n}")) for n in range(SENDS)])
    assert report.failed == []
    assert [outcome.index for outcome in report.outcomes] == list(range(SENDS))
    assert len({result.tx_hash for result in report.sent}) == SENDS
    assert _logged(home) == Counter({"0x" + hash_of(f"bulk {n}").hex(): 1 for n in range(SENDS)})
    assert node.w3.eth.get_transaction_count(AGENT.address) == first + SENDS
    assert proxy.count("late") + proxy.count("lost") >= SENDS
    assert sum(proxy.count(fault, "batch") for fault in FAULTS) >= 3  # batches of sends and receipts met faults
