"""Exchange in one transaction (issue #20 item 7, Chewy's "here is a new one", Loop's exchange-first): lines of a
purchase are returned and what they refund pays a new order of the same shop, the value never leaving escrow."""

from __future__ import annotations

import pytest

from ledger import errors
from tests.support.world import DAY, ETHER, buy, deploy_contract, send, simulate


@pytest.fixture
def purchase(shop, week_terms, customer):
    """Alice's coat (1 ETH) and hat (0.5 ETH), 10 % restocking fee, 7-day window."""
    return buy(shop, customer, week_terms.id, [("COAT-M", 1, ETHER), ("HAT", 1, ETHER // 2)], "X-1")


def test_an_exchange_for_a_dearer_item_pays_only_the_difference(ledger, chain, shop, week_terms, customer,
                                                              purchase, alice) -> None:
    new = shop.quote(week_terms.id, [("COAT-L", 1, ETHER * 12 // 10)], "X-2", customer=alice.address)
    escrow, wallet = chain.w3.eth.get_balance(ledger.address), chain.w3.eth.get_balance(alice.address)
    done = customer.exchange(purchase.id, new, [0])
    assert (done.returned.kind, done.returned.amount, done.returned.lines) == ("exchange", ETHER * 9 // 10, (0,))
    assert done.paid == ETHER * 12 // 10 - ETHER * 9 // 10 and done.back == 0
    assert done.purchase.id == new.purchase_id and done.purchase.paid == ETHER * 12 // 10
    # Only the difference moved: the refund went from the coat's escrow to the new coat's.
    assert chain.w3.eth.get_balance(ledger.address) - escrow == done.paid
    fee = wallet - chain.w3.eth.get_balance(alice.address) - done.paid
    assert 0 < fee < ETHER // 100  # the rest of what left the wallet is gas
    assert ledger.purchase(purchase.id).returned_lines == {0}
    assert [(r.kind, r.amount) for r in customer.refunds()] == [("exchange", ETHER * 9 // 10)]


def test_an_exchange_for_a_cheaper_item_gives_the_rest_back(ledger, chain, shop, week_terms, customer, purchase,
                                                          alice) -> None:
    new = shop.quote(week_terms.id, [("SCARF", 1, ETHER // 4)], "X-3", customer=alice.address)
    escrow = chain.w3.eth.get_balance(ledger.address)
    done = customer.exchange(purchase.id, new, [0])
    assert done.paid == 0 and done.back == ETHER * 9 // 10 - ETHER // 4
    assert escrow - chain.w3.eth.get_balance(ledger.address) == done.back


def test_the_new_purchase_has_its_own_window(ledger, chain, shop, week_terms, customer, purchase, alice) -> None:
    chain.advance_time(6 * DAY)
    new = shop.quote(week_terms.id, [("COAT-L", 1, ETHER)], "X-4", customer=alice.address)
    done = customer.exchange(purchase.id, new, [0])
    chain.advance_time(3 * DAY)  # the first purchase's window has closed, the new one's has not
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(purchase.id, [1])
    assert customer.return_items(done.purchase.id).amount == ETHER * 9 // 10


def test_an_exchange_follows_the_return_rules(ledger, chain, shop, week_terms, customer, purchase, alice, bob,
                                              stranger) -> None:
    new = shop.quote(week_terms.id, [("COAT-L", 1, ETHER)], "X-5", customer=alice.address)
    with pytest.raises(errors.NotCustomer):  # a stranger cannot exchange Alice's coat
        ledger.customer_desk(stranger).exchange(purchase.id, new, [0])
    raw = ledger.contract.functions.exchange(
        purchase.order.packed(), purchase.order.line_tuples(), 1, bytes(32), new.order.packed(),
        new.order.line_tuples(), bytes.fromhex(new.signature[2:]))
    with pytest.raises(errors.NotCustomer):  # nor straight at the contract
        simulate(ledger, raw, stranger, value=ETHER // 10)
    chain.advance_time(8 * DAY)
    late = shop.quote(week_terms.id, [("COAT-L", 1, ETHER)], "X-5", customer=alice.address)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.exchange(purchase.id, late, [0])
    assert ledger.purchase(purchase.id).returned_lines == set()


def test_an_exchange_is_only_for_an_order_of_the_same_shop_in_the_same_token(ledger, chain, shop, customer,
                                                                           purchase, alice, bob, accounts,
                                                                           test_artifacts) -> None:
    other = ledger.register_merchant(bob)
    elsewhere = other.quote(other.publish_terms(7 * DAY).id, [("COAT-L", 1, ETHER)], "X-6", customer=alice.address)
    with pytest.raises(errors.ExchangeMismatch):
        customer.exchange(purchase.id, elsewhere, [0])
    raw = ledger.contract.functions.exchange(
        purchase.order.packed(), purchase.order.line_tuples(), 1, bytes(32), elsewhere.order.packed(),
        elsewhere.order.line_tuples(), bytes.fromhex(elsewhere.signature[2:]))
    with pytest.raises(errors.ExchangeMismatch):  # the contract refuses it too: another shop's escrow is not this one's
        simulate(ledger, raw, alice, value=ETHER // 10)
    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    shop.accept_token(token.address)
    in_token = shop.quote(shop.publish_terms(7 * DAY).id, [("COAT-L", 1, 10**6)], "X-7", customer=alice.address,
                          token=token.address)
    with pytest.raises(errors.ExchangeMismatch):
        customer.exchange(purchase.id, in_token, [0])


def test_an_exchange_in_a_token_moves_only_the_difference(ledger, chain, shop, customer, alice, accounts,
                                                        test_artifacts) -> None:
    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(chain, accounts[0], token.functions.mint(alice.address, 10_000))
    shop.accept_token(token.address)
    terms = shop.publish_terms(7 * DAY)
    first = buy(shop, customer, terms.id, [("MUG", 1, 1_000)], "X-8", token=token.address)
    new = shop.quote(terms.id, [("BIG-MUG", 1, 1_500)], "X-9", customer=alice.address, token=token.address)
    done = customer.exchange(first.id, new)
    assert done.paid == 500 and token.functions.balanceOf(alice.address).call() == 10_000 - 1_500
    assert token.functions.balanceOf(ledger.address).call() == 1_500


def test_an_exchange_of_a_purchase_paid_with_credit_pays_with_that_credit(ledger, shop, week_terms, customer,
                                                                        purchase, alice) -> None:
    """The part of the refund that stands for store credit stays credit: it pays the new order first, as credit."""
    credit = customer.return_for_credit(purchase.id, [1]).amount
    paid_with_credit = buy(shop, customer, week_terms.id, [("BELT", 1, ETHER // 2)], "X-10", use_credit=credit)
    new = shop.quote(week_terms.id, [("BELT-L", 1, ETHER // 2)], "X-11", customer=alice.address)
    done = customer.exchange(paid_with_credit.id, new)
    refund = ETHER // 2 * 9 // 10
    assert done.purchase.credit_used == refund * credit // (ETHER // 2)  # the credit share, spent again as credit
    assert done.paid == ETHER // 2 - refund
