"""The contract enforces its rules itself, even for callers that skip the library's checks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import ETHER

from ledger import errors
from ledger.chain import AnvilChain
from ledger.client import Ledger, _lines_tuple, _purchase_tuple
from ledger.revert import mapped_errors

NATIVE = "0x" + "00" * 20
REF = b"\7" * 32


def simulate(ledger, function, sender, value=0):
    """Run a contract call as ``sender`` without sending it; reverts become our exceptions."""
    with mapped_errors(ledger.errors):
        return function.call({"from": sender.address, "value": value})


def line(sku=b"MUG", quantity=1, price=100):
    return (sku.ljust(32, b"\0"), quantity, price)


def test_buy_rejects_a_zero_quantity(ledger, week_terms, alice) -> None:
    buy = ledger.contract.functions.buy(week_terms.id, NATIVE, [line(), line(quantity=0)], REF, NATIVE, 0)
    with pytest.raises(errors.InvalidLine) as info:
        simulate(ledger, buy, alice, 100)
    assert info.value.index == 1


def test_buy_rejects_no_lines_and_a_zero_total(ledger, week_terms, alice) -> None:
    with pytest.raises(errors.LineCount):
        simulate(ledger, ledger.contract.functions.buy(week_terms.id, NATIVE, [], REF, NATIVE, 0), alice)
    with pytest.raises(errors.ZeroAmount):
        simulate(ledger, ledger.contract.functions.buy(week_terms.id, NATIVE, [line(price=0)], REF, NATIVE, 0), alice)


def test_buy_rejects_a_total_above_128_bits(ledger, week_terms, alice) -> None:
    huge = [line(quantity=2**32 - 1, price=2**128 - 1)]
    with pytest.raises(errors.AmountTooLarge) as info:
        simulate(ledger, ledger.contract.functions.buy(week_terms.id, NATIVE, huge, REF, NATIVE, 0), alice)
    assert info.value.max_amount == 2**128 - 1


@pytest.mark.parametrize("value", [99, 101, 0])
def test_buy_rejects_the_wrong_payment(ledger, week_terms, alice, value) -> None:
    with pytest.raises(errors.WrongPayment) as info:
        simulate(ledger, ledger.contract.functions.buy(week_terms.id, NATIVE, [line()], REF, NATIVE, 0), alice, value)
    assert (info.value.expected, info.value.sent) == (100, value)


def test_buy_rejects_ether_sent_with_a_token_purchase(ledger, week_terms, alice, accounts) -> None:
    buy = ledger.contract.functions.buy(week_terms.id, accounts[9].address, [line()], REF, NATIVE, 0)
    with pytest.raises(errors.WrongPayment) as info:
        simulate(ledger, buy, alice, 1)
    assert (info.value.expected, info.value.sent) == (0, 1)


@pytest.fixture
def purchase(week_terms, customer):
    return customer.buy(week_terms.id, [("MUG", 1, ETHER), ("CUP", 1, ETHER)], "ORDER-1")


def test_forged_purchase_details_are_unknown(ledger, purchase, alice) -> None:
    forged = replace(purchase, paid=purchase.paid * 2)  # claim a larger escrow
    call = ledger.contract.functions.returnItems(_purchase_tuple(forged), _lines_tuple(forged), 1, bytes(32))
    with pytest.raises(errors.UnknownPurchase):
        simulate(ledger, call, alice)


def test_forged_lines_are_rejected(ledger, purchase, alice) -> None:
    lines = _lines_tuple(purchase)
    lines[0] = (lines[0][0], lines[0][1], lines[0][2] * 10)  # claim a dearer line
    call = ledger.contract.functions.returnItems(_purchase_tuple(purchase), lines, 1, bytes(32))
    with pytest.raises(errors.LinesMismatch):
        simulate(ledger, call, alice)


@pytest.mark.parametrize("mask", [0, 0b100, 0b1000_0000])
def test_return_of_lines_the_purchase_lacks_rejected(ledger, purchase, alice, mask) -> None:
    call = ledger.contract.functions.returnItems(_purchase_tuple(purchase), _lines_tuple(purchase), mask, bytes(32))
    with pytest.raises(errors.InvalidLineSelection) as info:
        simulate(ledger, call, alice)
    assert (info.value.line_mask, info.value.line_count) == (mask, 2)


def test_return_by_another_account_rejected(ledger, purchase, stranger) -> None:
    call = ledger.contract.functions.returnItems(_purchase_tuple(purchase), _lines_tuple(purchase), 1, bytes(32))
    with pytest.raises(errors.NotCustomer):
        simulate(ledger, call, stranger)


def test_logging_a_contact_for_the_zero_address_rejected(ledger, shop, agent) -> None:
    call = ledger.contract.functions.logContact(shop.merchant_id, NATIVE, bytes(32), 0, 0, 0, bytes(32))
    with pytest.raises(errors.ZeroAddress):
        simulate(ledger, call, agent)


def test_the_same_purchase_twice_in_one_second_is_refused() -> None:
    """A double click: same customer, lines and order reference at the same block time (anvil can do that)."""
    with AnvilChain() as chain:
        deployer, owner, alice = chain.accounts()[0], chain.accounts()[1], chain.accounts()[3]
        ledger = Ledger.deploy(chain, deployer)
        terms = ledger.register_merchant(owner).publish_terms(86_400)
        first = ledger.customer_desk(alice).buy(terms.id, [("MUG", 1, 100)], "ORDER-1")
        chain._rpc("evm_setNextBlockTimestamp", [first.purchased_at])
        with pytest.raises(errors.PurchaseExists) as info:
            ledger.customer_desk(alice).buy(terms.id, [("MUG", 1, 100)], "ORDER-1")
        assert info.value.purchase_id == first.id
