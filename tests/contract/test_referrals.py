"""Referral commissions: the shop names the referrer and its commission in the order it signs; paid at
settlement, out of what the merchant keeps, so returns earn nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from tests.support.world import DAY, ETHER, buy


@pytest.fixture
def referred(shop, week_terms, customer, bob):
    """A 2-line purchase by Alice, referred by Bob at 5 % commission."""
    return buy(shop, customer, week_terms.id, [("BOOT", 1, ETHER), ("LACE", 1, ETHER)], "R-1",
               referrer=bob.address, referral_bps=500)


def test_commission_is_paid_at_settlement_on_what_was_kept(ledger, chain, referred, bob, stranger) -> None:
    assert (referred.referrer, referred.referral_bps) == (bob.address, 500)
    before = chain.w3.eth.get_balance(bob.address)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [referred.id]).settled
    assert settled.commission == 2 * ETHER * 5 // 100 and settled.referrer == bob.address
    assert settled.amount == 2 * ETHER - settled.commission
    assert chain.w3.eth.get_balance(bob.address) - before == settled.commission


def test_a_returned_purchase_earns_no_commission(ledger, chain, shop, customer, bob, stranger) -> None:
    no_fee = shop.publish_terms(7 * DAY)
    purchase = buy(shop, customer, no_fee.id, [("BOOT", 1, ETHER)], "R-2", referrer=bob.address, referral_bps=500)
    customer.return_items(purchase.id)
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert (settled.commission, settled.amount) == (0, 0)


def test_a_partly_returned_purchase_earns_on_what_was_kept(ledger, chain, customer, referred, stranger) -> None:
    refund = customer.return_items(referred.id, [1])  # 10 % restocking fee stays with the merchant
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [referred.id]).settled
    kept = 2 * ETHER - refund.amount
    assert settled.commission == kept * 5 // 100 and settled.amount == kept - settled.commission


def test_referrer_earns_on_each_purchase_of_a_batch(ledger, chain, shop, week_terms, referred, bob,
                                                               stranger) -> None:
    second = buy(shop, ledger.customer_desk(stranger), week_terms.id, [("SOCK", 1, ETHER)], "R-3",
                 referrer=bob.address, referral_bps=1_000)
    before = chain.w3.eth.get_balance(bob.address)
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, [referred.id, second.id])
    assert chain.w3.eth.get_balance(bob.address) - before == ETHER // 10 + ETHER // 10
    earnings = ledger.referral_earnings(bob.address)
    assert [(e.purchase_id, e.commission) for e in earnings] == [(referred.id, ETHER // 10), (second.id, ETHER // 10)]


def test_no_referrer_no_commission(ledger, chain, shop, week_terms, customer, stranger) -> None:
    purchase = buy(shop, customer, week_terms.id, [("BOOT", 1, ETHER)], "R-4")
    assert (purchase.referrer, purchase.referral_bps) == ("0x" + "00" * 20, 0)
    chain.advance_time(8 * DAY)
    assert ledger.settle(stranger, [purchase.id]).settled[0].commission == 0


def test_the_buyer_as_its_own_referrer_refused(shop, week_terms, customer, alice) -> None:
    with pytest.raises(errors.InvalidReferrer) as info:
        buy(shop, customer, week_terms.id, [("BOOT", 1, ETHER)], "R-5", referrer=alice.address, referral_bps=500)
    assert info.value.referrer == alice.address


def test_an_order_for_anyone_cannot_be_bought_by_its_referrer(ledger, shop, week_terms, bob) -> None:
    order = shop.quote(week_terms.id, [("BOOT", 1, ETHER)], "R-6", referrer=bob.address, referral_bps=500)
    with pytest.raises(errors.InvalidReferrer):
        ledger.customer_desk(bob).buy(order)


@pytest.mark.parametrize("which", ["ledger", "module", "feedback"])
def test_the_ledgers_own_contracts_as_referrer_refused(ledger, shop, week_terms, customer, which) -> None:
    """None of them can ever call ``withdraw``: a commission to one would be stuck for good."""
    contracts = {"ledger": ledger.address, "feedback": ledger.feedback.address,
                 "module": ledger.contract.functions.MODULE().call()}
    assert ledger.contract.functions.FEEDBACK().call() == ledger.feedback.address
    with pytest.raises(errors.InvalidReferrer) as info:
        buy(shop, customer, week_terms.id, [("BOOT", 1, ETHER)], "R-7", referrer=contracts[which], referral_bps=500)
    assert info.value.referrer == contracts[which]


def test_customer_cannot_change_the_referral_the_shop_signed(shop, week_terms, customer, bob, stranger) -> None:
    order = shop.quote(week_terms.id, [("BOOT", 1, ETHER)], "R-8", customer=customer.address,
                       referrer=bob.address, referral_bps=500)
    for changed in (replace(order.order, referrer=stranger.address), replace(order.order, referral_bps=5_000)):
        with pytest.raises(errors.InvalidOrderSignature):
            customer.buy(replace(order, order=changed))


def test_commission_is_checked_when_quoted(shop, week_terms, bob) -> None:
    with pytest.raises(errors.FeeTooHigh, match="more than 100 %"):
        shop.quote(week_terms.id, [("BOOT", 1, ETHER)], "R-9", referrer=bob.address, referral_bps=10_001)
    with pytest.raises(errors.InvalidInput, match="needs a referrer"):
        shop.quote(week_terms.id, [("BOOT", 1, ETHER)], "R-9", referral_bps=500)


# ------------------------------------------------------------ agents bounded where they sign


def _signed_by_hand(ledger, agent, order):
    """``order`` signed by ``agent`` with eth-account directly, as a rogue agent would to get past the library's
    own check: only the contract stands in the way."""
    from ledger.orders import ORDER_TYPES, SignedOrder, compact_signature, domain

    chain_id = ledger.chain.chain_id
    signed = agent.sign_typed_data(domain(chain_id, ledger.address), ORDER_TYPES, order.message())
    return SignedOrder(order, "0x" + compact_signature(bytes(signed.signature)).hex(), agent.address, chain_id,
                       ledger.address, order.purchase_id(chain_id, ledger.address))


def test_an_agent_cannot_divert_revenue_to_its_own_wallet(ledger, chain, shop, staff, agent, week_terms, customer,
                                                          accounts, stranger) -> None:
    """Issue #20: an agent with a zero budget signs a real customer's order with its own second wallet as
    referrer at 100 %. The library refuses to sign it; signed by hand, the contract refuses to sell it."""
    second_wallet = accounts[8].address
    with pytest.raises(errors.ReferralNotAllowed, match="may not give a referral commission"):
        staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-AGENT", customer=customer.address,
                    referrer=second_wallet, referral_bps=10_000)
    honest = staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-AGENT", customer=customer.address)
    rogue = _signed_by_hand(ledger, agent, replace(honest.order, referrer=second_wallet, referral_bps=10_000))
    with pytest.raises(errors.ReferralNotAllowed) as refused:
        customer.buy(rogue)
    assert (refused.value.agent, refused.value.referrer, refused.value.max_referral_bps) == (
        agent.address, second_wallet, 0)
    assert ledger.purchases(customer=customer.address) == []


def test_an_agent_grants_commission_within_its_mandate_to_approved_referrers(ledger, shop, staff, agent, week_terms,
                                                                            customer, bob, accounts) -> None:
    shop.set_referral_mandate(agent.address, 500)
    assert ledger.staff(shop.merchant_id, agent.address).max_referral_bps == 500
    with pytest.raises(errors.ReferralNotAllowed):  # a mandate, but bob is not an approved referrer yet
        staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-5", referrer=bob.address, referral_bps=500)
    shop.approve_referrer(bob.address)
    within = staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-5", customer=customer.address,
                         referrer=bob.address, referral_bps=500)
    assert customer.buy(within).referral_bps == 500
    with pytest.raises(errors.ReferralNotAllowed, match="at most 5 %"):
        staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-6", referrer=bob.address, referral_bps=501)
    over = staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-6", customer=customer.address)
    with pytest.raises(errors.ReferralNotAllowed):
        customer.buy(_signed_by_hand(ledger, agent, replace(over.order, referrer=bob.address, referral_bps=501)))
    owner_signed = shop.quote(week_terms.id, [("TV", 1, ETHER)], "R-OWNER", customer=customer.address,
                              referrer=accounts[8].address, referral_bps=2_000)
    assert customer.buy(owner_signed).referral_bps == 2_000  # the owner names whom it likes


def test_a_referral_withdrawn_or_an_agent_removed_stops_orders_not_yet_bought(ledger, shop, staff, agent,
                                                                              week_terms, customer, bob) -> None:
    shop.set_referral_mandate(agent.address, 500)
    shop.approve_referrer(bob.address)
    first = staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-7", customer=customer.address, referrer=bob.address,
                        referral_bps=300)
    second = staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-8", customer=customer.address, referrer=bob.address,
                         referral_bps=300)
    shop.approve_referrer(bob.address, approved=False)
    assert not ledger.referrer_approved(shop.merchant_id, bob.address)
    with pytest.raises(errors.ReferralNotAllowed):
        customer.buy(first)
    shop.approve_referrer(bob.address)
    shop.remove_agent(agent.address)
    shop.add_agent(agent.address)
    assert ledger.staff(shop.merchant_id, agent.address).max_referral_bps == 0  # added again: no mandate
    shop.set_referral_mandate(agent.address, 500)  # even with its mandate back, what it signed before is void
    with pytest.raises(errors.StaleOrderSigner) as info:
        customer.buy(second)
    assert (info.value.signer, info.value.signed_generation, info.value.generation) == (agent.address, 0, 1)
    assert customer.buy(staff.quote(week_terms.id, [("TV", 1, ETHER)], "R-9", customer=customer.address,
                                    referrer=bob.address, referral_bps=300)).price == ETHER  # signed anew: fine


def test_only_the_owner_sets_referral_mandates_and_approves_referrers(staff, agent, bob) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        staff.set_referral_mandate(agent.address, 10_000)
    with pytest.raises(errors.NotMerchantOwner):
        staff.approve_referrer(bob.address)
