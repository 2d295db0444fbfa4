"""A customer contract that tries to be refunded twice by re-entering the ledger gets one refund."""

from __future__ import annotations

from conftest import ETHER, deploy_contract, send
from eth_utils import function_signature_to_4byte_selector

from ledger.client import _lines_tuple, _purchase_tuple

NATIVE = "0x" + "00" * 20


def _attacker_with_a_purchase(ledger, chain, terms, accounts, test_artifacts):
    """A ReentrantCustomer (run by account 7) that bought a 1 ETH TV."""
    attacker = deploy_contract(chain, accounts[7], test_artifacts["ReentrantCustomer"])
    lines = [(b"TV".ljust(32, b"\0"), 1, ETHER)]
    buy = ledger.contract.encode_abi("buy", args=[terms.id, NATIVE, lines, b"\1" * 32, NATIVE, 0])
    send(chain, accounts[7], attacker.functions.execute(ledger.address, buy), value=ETHER)
    (purchase,) = ledger.purchases(customer=attacker.address)
    return attacker, purchase


def test_reentrant_customer_is_refunded_once(ledger, chain, week_terms, accounts, test_artifacts) -> None:
    attacker, purchase = _attacker_with_a_purchase(ledger, chain, week_terms, accounts, test_artifacts)
    refund = purchase.refund_for((0,))
    escrow = chain.w3.eth.get_balance(ledger.address)
    give_back = ledger.contract.encode_abi(
        "returnItems", args=[_purchase_tuple(purchase), _lines_tuple(purchase), 1, b"\0" * 32]
    )
    send(chain, accounts[7], attacker.functions.arm(ledger.address, give_back))

    # The refund push carries too little gas for the re-entry, so it is kept for the attacker instead.
    send(chain, accounts[7], attacker.functions.execute(ledger.address, give_back))
    assert ledger.deferred_balance(attacker.address) == refund
    assert ledger.purchase(purchase.id).returned_lines == {0}

    # Withdrawing pays with all the gas: the re-entrant return and withdrawal both hit the guard.
    withdraw = ledger.contract.encode_abi("withdraw", args=[NATIVE, attacker.address])
    send(chain, accounts[7], attacker.functions.execute(ledger.address, withdraw))
    assert attacker.functions.reentryAttempts().call() == 2
    assert attacker.functions.reentrySucceeded().call() is False
    guard_error = function_signature_to_4byte_selector("ReentrancyGuardReentrantCall()")
    assert attacker.functions.lastErrorSelector().call() == guard_error
    assert chain.w3.eth.get_balance(attacker.address) == refund
    assert escrow - chain.w3.eth.get_balance(ledger.address) == refund
    assert ledger.deferred_balance(attacker.address) == 0
    assert ledger.purchase(purchase.id).refunded == refund


def test_reentry_inside_the_refund_push_meets_the_guard(ledger, chain, week_terms, accounts, test_artifacts) -> None:
    attacker, purchase = _attacker_with_a_purchase(ledger, chain, week_terms, accounts, test_artifacts)
    refund = purchase.refund_for((0,))

    # Armed and returned in one transaction, the re-entry is cheap enough to run inside the push.
    send(chain, accounts[7], attacker.functions.attack(
        ledger.address, _purchase_tuple(purchase), _lines_tuple(purchase), 1))
    assert attacker.functions.reentryAttempts().call() == 2
    assert attacker.functions.reentrySucceeded().call() is False
    guard_error = function_signature_to_4byte_selector("ReentrancyGuardReentrantCall()")
    assert attacker.functions.lastErrorSelector().call() == guard_error
    assert chain.w3.eth.get_balance(attacker.address) == refund
    assert ledger.deferred_balance(attacker.address) == 0
    assert ledger.purchase(purchase.id).refunded == refund
