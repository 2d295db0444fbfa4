"""Settlement: once a window closes, anyone pays what was kept to the merchant, summed per payout; a batch
passes over what it cannot settle instead of failing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.models import Status
from tests.support.world import DAY, ETHER, buy, deploy_contract, send


def _buy(shop, customer, terms, n, price=ETHER):
    return [buy(shop, customer, terms.id, [("BOOK", 1, price)], f"ORDER-{i}") for i in range(n)]


def test_settle_pays_what_was_kept_for_many_purchases_in_one_transaction(ledger, chain, shop, week_terms, customer,
                                                                          stranger, accounts) -> None:
    purchases = _buy(shop, customer, week_terms, 3)
    refund = customer.return_items(purchases[0].id)
    payout = ledger.merchant(shop.merchant_id).payout
    assert payout == accounts[6].address
    before = chain.w3.eth.get_balance(payout)
    chain.advance_time(8 * DAY)
    batch = ledger.settle(stranger, [p.id for p in purchases])
    assert batch.skipped == ()
    assert [s.purchase_id for s in batch.settled] == [p.id for p in purchases]
    assert [s.amount for s in batch.settled] == [ETHER - refund.amount, ETHER, ETHER]
    assert {s.tx_hash for s in batch.settled} == {batch.tx_hash}
    assert chain.w3.eth.get_balance(payout) - before == 3 * ETHER - refund.amount
    assert chain.w3.eth.get_balance(ledger.address) == 0
    assert all(Status.SETTLED in ledger.purchase(p.id).statuses for p in purchases)


def test_settle_sends_one_sum_to_each_payout_and_referrer(ledger, chain, shop, week_terms, customer, bob, stranger,
                                                          accounts, test_artifacts) -> None:
    payout, referrer = (deploy_contract(chain, accounts[7], test_artifacts["EthRejecter"]) for _ in range(2))
    for counter in (payout, referrer):
        send(chain, accounts[7], counter.functions.setAccepting(True))
    shop.set_payout(payout.address)
    other = ledger.register_merchant(bob)  # paid to bob himself
    other_terms = other.publish_terms(DAY)
    ours = [buy(shop, customer, week_terms.id, [("BOOK", 1, ETHER)], f"A-{i}", referrer=referrer.address,
                referral_bps=1_000) for i in range(3)]
    theirs = [buy(other, customer, other_terms.id, [("PEN", 1, ETHER // 2)], f"B-{i}") for i in range(2)]
    bob_before = chain.w3.eth.get_balance(bob.address)
    chain.advance_time(8 * DAY)
    batch = ledger.settle(stranger, [p.id for p in ours + theirs])
    assert len(batch.settled) == 5
    # Three purchases, one transfer to the payout and one to the referrer: 10 % of each goes to the referrer.
    assert payout.functions.payments().call() == 1 and referrer.functions.payments().call() == 1
    assert chain.w3.eth.get_balance(payout.address) == 3 * ETHER * 9 // 10
    assert chain.w3.eth.get_balance(referrer.address) == 3 * ETHER // 10
    assert [(s.amount, s.commission) for s in batch.settled[:3]] == [(ETHER * 9 // 10, ETHER // 10)] * 3
    assert chain.w3.eth.get_balance(bob.address) - bob_before == ETHER
    assert chain.w3.eth.get_balance(ledger.address) == 0


def test_settle_at_the_deadline_and_not_before(ledger, chain, shop, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(shop, customer, week_terms, 1)
    chain.set_next_block_time(purchase.deadline - 1)
    early = ledger.settle(stranger, [purchase.id])
    assert early.settled == () and early.skipped == ((purchase.id, "window_open"),)
    assert not ledger.purchase(purchase.id).settled
    chain.set_next_block_time(purchase.deadline)
    assert ledger.settle(stranger, [purchase.id]).settled[0].amount == ETHER


def test_settle_passes_over_what_it_cannot_settle_and_settles_the_rest(ledger, chain, shop, week_terms, customer,
                                                                       stranger) -> None:
    closed = _buy(shop, customer, week_terms, 3)
    waiting = buy(shop, customer, shop.publish_terms(7 * DAY, delivery_wait=30 * DAY).id, [("CAR", 1, ETHER)], "C-1")
    chain.advance_time(8 * DAY)
    still_open = buy(shop, customer, week_terms.id, [("PEN", 1, ETHER)], "LATE")
    ledger.settle(stranger, [closed[0].id])  # a stranger settles one just before the shop's batch
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    batch = shop.settle([p.id for p in closed] + [still_open.id, waiting.id])
    assert [s.purchase_id for s in batch.settled] == [closed[1].id, closed[2].id]
    assert batch.skipped == ((closed[0].id, "already_settled"), (still_open.id, "window_open"),
                             (waiting.id, "awaiting_delivery"))
    assert chain.w3.eth.get_balance(payout) - before == 2 * ETHER
    assert chain.w3.eth.get_balance(ledger.address) == 2 * ETHER  # the open and the undelivered purchase


def test_settle_passes_over_an_order_never_bought(ledger, chain, shop, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(shop, customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    never_bought = replace(purchase.order, order_ref="0x" + "42" * 32)
    result = ledger.transact(stranger, ledger.contract.functions.settle(
        [never_bought.packed(), purchase.order.packed()]))
    (skipped,) = result.named("SettlementSkipped")
    assert skipped.args == {"purchaseId": never_bought.purchase_id(chain.chain_id, ledger.address), "reason": 0}
    assert [e.args["purchaseId"] for e in result.named("Settled")] == [purchase.id]


def test_settle_twice_passes_over_the_settled_purchase(ledger, chain, shop, week_terms, customer, stranger) -> None:
    (purchase,) = _buy(shop, customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [purchase.id])
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    again = ledger.settle(stranger, [purchase.id])
    assert again.settled == () and again.skipped == ((purchase.id, "already_settled"),)
    assert chain.w3.eth.get_balance(payout) == before


def test_merchant_settles_every_closed_purchase_from_the_deadline_on(ledger, chain, shop, week_terms,
                                                                     customer) -> None:
    closed = _buy(shop, customer, week_terms, 2)
    chain.set_next_block_time(closed[0].deadline - 1)
    assert shop.settle() is None  # nothing closed yet: nothing is sent
    chain.set_next_block_time(closed[-1].deadline)
    still_open = buy(shop, customer, week_terms.id, [("PEN", 1, ETHER)], "LATE")
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    batch = shop.settle()
    assert sorted(s.purchase_id for s in batch.settled) == sorted(p.id for p in closed) and batch.skipped == ()
    assert chain.w3.eth.get_balance(payout) - before == 2 * ETHER
    assert chain.w3.eth.get_balance(ledger.address) == still_open.in_escrow
    assert shop.settle() is None


def test_settle_a_fully_returned_purchase_pays_nothing(ledger, chain, shop, customer, stranger) -> None:
    terms = shop.publish_terms(7 * DAY)  # no restocking fee: everything goes back
    (purchase,) = _buy(shop, customer, terms, 1)
    customer.return_items(purchase.id)
    chain.advance_time(8 * DAY)
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    assert ledger.settle(stranger, [purchase.id]).settled[0].amount == 0
    assert chain.w3.eth.get_balance(payout) == before
    assert ledger.purchase(purchase.id).settled


def test_settle_defers_a_failed_payout_push_to_the_merchant(ledger, chain, shop, week_terms, customer, stranger,
                                                            accounts, test_artifacts) -> None:
    rejecter = deploy_contract(chain, accounts[7], test_artifacts["EthRejecter"])
    shop.set_payout(rejecter.address)
    purchases = _buy(shop, customer, week_terms, 2)
    chain.advance_time(8 * DAY)
    result = ledger.transact(stranger, ledger.contract.functions.settle([p.order.packed() for p in purchases]))
    (deferred,) = result.named("MerchantPaymentDeferred")  # one sum for the batch, kept for the merchant
    assert deferred.args["merchantId"] == shop.merchant_id and deferred.args["amount"] == 2 * ETHER
    assert ledger.merchant_deferred_balance(shop.merchant_id) == 2 * ETHER
    assert ledger.deferred_balance(rejecter.address) == 0  # not the old payout's to take
    assert all(ledger.purchase(p.id).settled for p in purchases)

    shop.set_payout(accounts[8].address)
    before = chain.w3.eth.get_balance(accounts[8].address)
    paid = ledger.withdraw_merchant(stranger, shop.merchant_id)  # anyone may send it on
    assert (paid.recipient, paid.amount) == (accounts[8].address, 2 * ETHER)
    assert chain.w3.eth.get_balance(accounts[8].address) - before == 2 * ETHER
    assert ledger.merchant_deferred_balance(shop.merchant_id) == 0
    with pytest.raises(errors.NothingToWithdraw):
        shop.withdraw_deferred()


def test_settle_nothing_is_refused(ledger, stranger) -> None:
    with pytest.raises(errors.InvalidInput, match="no purchases"):
        ledger.settle(stranger, [])


def test_settle_the_same_purchase_twice_in_one_call_refused(ledger, chain, shop, week_terms, customer,
                                                             stranger) -> None:
    (purchase,) = _buy(shop, customer, week_terms, 1)
    chain.advance_time(8 * DAY)
    nonce = chain.w3.eth.get_transaction_count(stranger.address)
    with pytest.raises(errors.InvalidInput, match="given twice"):
        ledger.settle(stranger, [purchase.id, purchase.id])
    assert chain.w3.eth.get_transaction_count(stranger.address) == nonce


def test_a_batch_costs_the_same_per_purchase_however_many_referrers_it_pays(ledger, chain, shop, week_terms,
                                                                            customer, stranger) -> None:
    """Issue #20: a batch's cost grew with the number of distinct referrers in it (each purchase searched every
    sum so far). Each purchase's sums are now found in transient storage: with a referrer of its own per
    purchase, the 11th to 40th purchases cost what the 2nd to 10th did, each."""
    referred = [buy(shop, customer, week_terms.id, [("BOOK", 1, ETHER)], f"REF-{i}",
                    referrer="0x" + f"{i + 1:040x}", referral_bps=100) for i in range(40)]
    chain.advance_time(8 * DAY)
    ids = [p.id for p in referred]
    gas = {n: ledger.contract.functions.settle([p.order.packed() for p in referred[:n]]).estimate_gas(
        {"from": stranger.address}) for n in (1, 10, 40)}
    early, late = (gas[10] - gas[1]) / 9, (gas[40] - gas[10]) / 30
    assert late <= early * 1.02, gas  # (sending to 40 new accounts is most of it: 25,000 gas each)
    assert len(ledger.settle(stranger, ids).settled) == 40
