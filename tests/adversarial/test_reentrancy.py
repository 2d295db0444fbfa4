"""A customer contract that tries to be refunded twice by re-entering the ledger gets one refund."""

from __future__ import annotations

from eth_utils import function_signature_to_4byte_selector

from ledger.models import NATIVE
from tests.support.world import ETHER, deploy_contract, send


def _attacker_with_a_purchase(ledger, chain, shop, terms, accounts, test_artifacts, lines=1):
    """A ReentrantCustomer (run by account 7) that bought ``lines`` 1 ETH TVs the shop offered it."""
    attacker = deploy_contract(chain, accounts[7], test_artifacts["ReentrantCustomer"])
    order = shop.quote(terms.id, [(f"TV-{i}", 1, ETHER) for i in range(lines)], "ORDER-TV", customer=attacker.address)
    buy = ledger.contract.encode_abi("buy", args=[
        order.order.packed(), order.order.line_tuples(), 0, bytes.fromhex(order.signature[2:])])
    send(chain, accounts[7], attacker.functions.execute(ledger.address, buy), value=lines * ETHER)
    return attacker, ledger.purchase(order.purchase_id)


def test_reentrant_customer_is_refunded_once(ledger, chain, shop, week_terms, accounts, test_artifacts) -> None:
    # Four lines make the armed return long enough that reading it back cold costs more than the push's gas.
    attacker, purchase = _attacker_with_a_purchase(ledger, chain, shop, week_terms, accounts, test_artifacts, lines=4)
    refund = purchase.refund_for((0,))
    escrow = chain.w3.eth.get_balance(ledger.address)
    give_back = ledger.contract.encode_abi(
        "returnItems", args=[purchase.order.packed(), purchase.order.line_tuples(), 1, b"\0" * 32]
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


def test_reentry_inside_the_refund_push_meets_the_guard(ledger, chain, shop, week_terms, accounts,
                                                        test_artifacts) -> None:
    attacker, purchase = _attacker_with_a_purchase(ledger, chain, shop, week_terms, accounts, test_artifacts)
    refund = purchase.refund_for((0,))

    # Armed and returned in one transaction, the re-entry is cheap enough to run inside the push.
    send(chain, accounts[7], attacker.functions.attack(
        ledger.address, purchase.order.packed(), purchase.order.line_tuples(), 1))
    assert attacker.functions.reentryAttempts().call() == 2
    assert attacker.functions.reentrySucceeded().call() is False
    guard_error = function_signature_to_4byte_selector("ReentrancyGuardReentrantCall()")
    assert attacker.functions.lastErrorSelector().call() == guard_error
    assert chain.w3.eth.get_balance(attacker.address) == refund
    assert ledger.deferred_balance(attacker.address) == 0
    assert ledger.purchase(purchase.id).refunded == refund
