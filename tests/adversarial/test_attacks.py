"""The attacks of issue 7 ("Contract v2"), each tried again as a hostile customer, a rogue agent or a
griefer would, and shown to fail now (or to cost what it should). One test per case, on both chains."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import NATIVE
from ledger.revert import mapped_errors
from ledger.signatures import wallet_signature
from tests.support.world import DAY, ETHER, buy, deploy_contract, send


@pytest.fixture
def tv(shop, week_terms, customer):
    """Alice's 1 ETH TV, sold under 7-day returns with a 10 % restocking fee."""
    return buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "TV-1")


@pytest.fixture
def rogue(ledger, shop, agent):
    """The agent, with a goodwill budget of 1 wei and a mandate of 30 extension days."""
    shop.set_budget(agent.address, 1)
    shop.set_mandate(agent.address, 30)
    return ledger.merchant_desk(agent, shop.merchant_id)


# ---------------------------------------------------------------- a customer writes its own purchase


def test_customer_pricing_its_own_purchase_is_refused(ledger, shop, week_terms, customer, alice,
                                                      test_artifacts) -> None:
    self_made = MerchantDesk(ledger.reads, ledger.outbox, alice, shop.merchant_id).quote(
        week_terms.id, [("TV", 1, 1)], "FAKE-1")
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(self_made)  # a 1-wei TV signed by the customer herself
    assert info.value.signer == alice.address
    own_wallet = deploy_contract(ledger.chain, alice, test_artifacts["ShopWallet"], alice.address)
    with pytest.raises(errors.InvalidOrderSignature) as info:
        customer.buy(_signed_by_wallet(self_made, own_wallet.address, alice))  # her wallet vouches for her
    assert info.value.signer == own_wallet.address
    with pytest.raises(errors.UnknownPurchase), mapped_errors(ledger.errors):  # no purchase, so no review
        ledger.feedback.functions.review(self_made.order.packed(), 1, bytes(32)).call({"from": alice.address})
    (figures,) = shop.figures()
    assert (figures.purchases, figures.average_rating, figures.nps) == (0, None, None)


def test_order_signed_by_a_shop_wallet_is_accepted(ledger, shop, week_terms, customer, owner,
                                                   test_artifacts) -> None:
    wallet = deploy_contract(ledger.chain, owner, test_artifacts["ShopWallet"], owner.address)
    shop.add_agent(wallet.address)  # the shop's checkout wallet signs for it (ERC-1271)
    quoted = shop.quote(week_terms.id, [("TV", 1, ETHER)], "WALLET-1", customer=customer.address)
    assert customer.buy(_signed_by_wallet(quoted, wallet.address, owner)).id == quoted.purchase_id


def test_customer_changing_a_signed_order_is_refused(ledger, shop, week_terms, customer) -> None:
    quoted = shop.quote(week_terms.id, [("TV", 1, ETHER)], "TV-2", customer=customer.address)
    one_wei = replace(quoted.order, lines=(replace(quoted.order.lines[0], unit_price=1),))
    with pytest.raises(errors.InvalidOrderSignature):
        customer.buy(replace(quoted, order=one_wei))
    no_fee = replace(quoted.order, restocking_fee_bps=0)
    with pytest.raises(errors.TermsMismatch):
        customer.buy(replace(quoted, order=no_fee))
    assert ledger.purchases() == []


def test_self_logged_contact_rated_counts_in_no_csat(ledger, shop, staff, week_terms, customer, alice) -> None:
    bought = buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "TV-CALL")
    customer.rate_contact(staff.log_contact(alice.address, "phone", "question", "real call", purchase_id=bought.id), 5)
    own = customer.log_contact(shop.merchant_id, "chat", "complaint", "made up")
    for content in (own.content_hash, "0x" + "07" * 32):  # her own log, and one never logged at all
        ledger.transact(alice, ledger.feedback.functions.rateContact(shop.merchant_id, bytes.fromhex(content[2:]), 1))
    assert [s.score for s in ledger.scores("csat", shop.merchant_id) if s.counted] == [5]
    assert shop.figures()[0].csat == 5.0


# ---------------------------------------------------------------- an agent's mandate leaks


def test_agent_with_a_tiny_budget_cannot_reopen_a_closed_window(chain, shop, rogue, customer, tv, agent) -> None:
    chain.set_next_block_time(tv.deadline + DAY)  # the window closed a day ago
    with pytest.raises(errors.BudgetExceeded):
        rogue.goodwill_refund(tv.id, ETHER)
    with pytest.raises(errors.ReturnWindowClosed):
        rogue.extend_window(tv.id, 30)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(tv.id)
    assert shop.budget(agent.address) == 1 and customer.purchase(tv.id).extension_days == 0


def test_extension_of_2_32_seconds_refused_and_the_owner_undoes_the_longest(ledger, chain, shop, rogue, tv, agent,
                                                                           owner, stranger) -> None:
    days = (2**32 - 1) // DAY
    for account, limit in ((agent, 30), (owner, 365)):
        call = ledger.contract.functions.extendWindow(tv.order.packed(), days, 0)
        with pytest.raises(errors.ExtensionTooLong) as info, mapped_errors(ledger.errors):
            call.call({"from": account.address})
        assert (info.value.extension_days, info.value.max_days) == (days, limit)
    extended = rogue.extend_window(tv.id, 30)  # the most the agent can do
    assert extended.deadline == tv.deadline + 30 * DAY
    with pytest.raises(errors.ExtensionNotLonger, match="never taken back"):
        shop.set_window_extension(tv.id, 29)  # the owner cannot take it back, not even a day
    assert ledger.purchase(tv.id).deadline == extended.deadline
    chain.set_next_block_time(tv.deadline)
    assert len(ledger.settle(stranger, [tv.id]).skipped) == 1  # still open: nothing to settle


def test_extension_on_a_final_sale_refused(shop, rogue, customer) -> None:
    final_sale = shop.publish_terms(0)
    purchase = buy(shop, customer, final_sale.id, [("TV", 1, ETHER)], "FINAL-1")
    with pytest.raises(errors.NoReturns):
        rogue.extend_window(purchase.id, 30)
    with pytest.raises(errors.NoReturns):
        shop.set_window_extension(purchase.id, 30)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(purchase.id)


def test_removed_agent_readded_gets_no_old_budget(shop, staff, agent, tv) -> None:
    shop.remove_agent(agent.address)
    shop.add_agent(agent.address)
    assert shop.budget(agent.address) == 0
    with pytest.raises(errors.BudgetExceeded) as info:
        staff.goodwill_refund(tv.id, ETHER)
    assert info.value.available == 0


def test_agent_cannot_confirm_delivery_twice_or_as_a_stranger(ledger, chain, shop, staff, customer,
                                                               stranger) -> None:
    from_delivery = shop.publish_terms(7 * DAY, delivery_wait=5 * DAY)
    purchase = buy(shop, customer, from_delivery.id, [("TV", 1, ETHER)], "DELIVERY-1")
    with pytest.raises(errors.NotMerchantAgent):
        MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id).confirm_delivery(purchase.id)
    delivered = staff.confirm_delivery(purchase.id)
    with pytest.raises(errors.InvalidDelivery):
        staff.confirm_delivery(purchase.id)  # once: a later date would push the window out
    assert ledger.purchase(purchase.id).delivered_at == delivered.delivered_at


def test_never_confirmed_delivery_does_not_keep_the_window_open(ledger, chain, shop, staff, customer,
                                                                stranger) -> None:
    from_delivery = shop.publish_terms(7 * DAY, delivery_wait=5 * DAY)
    purchase = buy(shop, customer, from_delivery.id, [("TV", 1, ETHER)], "DELIVERY-2")
    assert purchase.deadline == purchase.purchased_at + 12 * DAY
    chain.set_next_block_time(purchase.purchased_at + 5 * DAY + 1)
    with pytest.raises(errors.InvalidDelivery):
        staff.confirm_delivery(purchase.id)  # past the longest wait: the window already runs
    chain.set_next_block_time(purchase.deadline)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(purchase.id)
    assert len(ledger.settle(stranger, [purchase.id]).settled) == 1


# ---------------------------------------------------------------- settlement cannot be blocked


def test_gas_burning_token_does_not_block_settlement(ledger, chain, shop, week_terms, customer, bob, accounts,
                                                     stranger, test_artifacts) -> None:
    token = deploy_contract(chain, accounts[0], test_artifacts["GasBurningToken"])
    with pytest.raises(errors.InvalidInput, match="does not accept token"):
        shop.quote(week_terms.id, [("TV", 1, ETHER)], "BURN-0", token=token.address)
    shop.accept_token(token.address)
    send(chain, accounts[0], token.functions.mint(customer.address, ETHER))
    paid_in_token = buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "BURN-1", token=token.address)
    paid_in_eth = buy(shop, ledger.customer_desk(bob), week_terms.id, [("TV", 1, ETHER)], "BURN-2")
    send(chain, accounts[0], token.functions.setBurning(True))
    payout = accounts[6].address
    before = chain.w3.eth.get_balance(payout)
    chain.advance_time(8 * DAY)
    batch = shop.settle()
    assert {s.purchase_id for s in batch.settled} == {paid_in_token.id, paid_in_eth.id} and batch.skipped == ()
    assert chain.w3.eth.get_balance(payout) - before == ETHER  # the ETH went out
    assert ledger.merchant_deferred_balance(shop.merchant_id, token.address) == ETHER  # the token waits
    send(chain, accounts[0], token.functions.setBurning(False))
    ledger.withdraw_merchant(stranger, shop.merchant_id, token.address)
    assert token.functions.balanceOf(payout).call() == ETHER


def test_stranger_settling_first_does_not_revert_the_shops_batch(ledger, chain, shop, week_terms, customer,
                                                                stranger) -> None:
    batch = [buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], f"BATCH-{i}").id for i in range(3)]
    chain.advance_time(8 * DAY)
    ledger.settle(stranger, batch[:1])  # mined just before the shop's batch of three
    result = shop.settle(batch)
    assert [s.purchase_id for s in result.settled] == batch[1:]
    assert result.skipped == ((batch[0], "already_settled"),)


def test_payment_deferred_to_a_payout_that_cannot_receive_moves_to_the_current_payout(
        ledger, chain, shop, tv, owner, accounts, stranger, test_artifacts) -> None:
    rejecter = deploy_contract(chain, owner, test_artifacts["EthRejecter"])
    shop.set_payout(rejecter.address)
    chain.advance_time(8 * DAY)
    shop.settle()
    assert ledger.merchant_deferred_balance(shop.merchant_id) == ETHER
    shop.set_payout(accounts[7].address)
    before = chain.w3.eth.get_balance(accounts[7].address)
    paid = ledger.withdraw_merchant(stranger, shop.merchant_id)  # anyone may ask; it goes to the payout
    assert (paid.recipient, paid.amount) == (accounts[7].address, ETHER)
    assert chain.w3.eth.get_balance(accounts[7].address) - before == ETHER
    assert ledger.merchant_deferred_balance(shop.merchant_id) == 0


# ---------------------------------------------------------------- store credit


def test_credit_locked_by_a_shop_retiring_all_terms_can_be_cashed_out(shop, week_terms, customer, tv) -> None:
    held = customer.return_for_credit(tv.id).amount
    with pytest.raises(errors.CreditLocked):
        customer.cash_out_credit(shop.merchant_id)
    shop.retire_terms(week_terms.id)  # the shop stops trading
    assert customer.cash_out_credit(shop.merchant_id) == held
    assert customer.credit(shop.merchant_id) == 0


def test_credit_with_bonus_spent_and_returned_pays_no_more_than_a_money_return(ledger, chain, shop, customer) -> None:
    fee = shop.publish_terms(7 * DAY, restocking_fee_bps=2_000)
    shop.set_credit_bonus(1_000)
    purchase = buy(shop, customer, fee.id, [("TV", 1, ETHER)], "TV-3")
    money_return = purchase.refund_for((0,))
    held = customer.return_for_credit(purchase.id).amount
    assert (money_return, held) == (ETHER * 8 // 10, ETHER * 88 // 100)
    made_up = shop.quote(fee.id, [("GIFT", 1, held)], "TV-4", customer=customer.address)
    with pytest.raises(errors.TermsMismatch):  # the customer cannot make it a zero-fee purchase
        customer.buy(replace(made_up, order=replace(made_up.order, restocking_fee_bps=0)))
    no_fee = shop.publish_terms(7 * DAY)  # and when the shop sells at no fee, the credit comes back as credit
    escrow = chain.w3.eth.get_balance(ledger.address)
    spent = buy(shop, customer, no_fee.id, [("GIFT", 1, held)], "TV-5", use_credit=held)
    assert customer.return_items(spent.id).amount == held
    assert chain.w3.eth.get_balance(ledger.address) == escrow  # no money left the ledger
    for terms in (fee, no_fee):
        shop.retire_terms(terms.id)
    assert customer.cash_out_credit(shop.merchant_id) == money_return  # the bonus went back to the shop


# ---------------------------------------------------------------- referrals


def test_self_referral_through_a_second_wallet_impossible(shop, week_terms, customer, bob) -> None:
    quoted = shop.quote(week_terms.id, [("TV", 1, ETHER)], "REF-1", customer=customer.address)
    self_referred = replace(quoted.order, referrer=bob.address, referral_bps=500)  # bob is her second wallet
    with pytest.raises(errors.InvalidOrderSignature):
        customer.buy(replace(quoted, order=self_referred))


def test_the_ledger_as_referrer_or_payout_refused(ledger, shop, week_terms, customer) -> None:
    with pytest.raises(errors.InvalidReferrer) as info:
        buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "REF-2", referrer=ledger.address, referral_bps=1_000)
    assert info.value.referrer == ledger.address
    for address in (ledger.address, NATIVE):
        with pytest.raises(errors.InvalidAddress):
            shop.set_payout(address)


# ---------------------------------------------------------------- signed returns


def test_signed_return_can_be_cancelled_and_an_unused_one_blocks_nothing(ledger, customer, week_terms, shop,
                                                                         stranger) -> None:
    purchase = buy(shop, customer, week_terms.id, [("TV", 1, ETHER), ("REMOTE", 1, ETHER // 10)], "SIG-1")
    unused = customer.sign_return(purchase.id, [0])
    assert ledger.submit_return(stranger, customer.sign_return(purchase.id, [1])).lines == (1,)
    customer.cancel_return(unused)
    with pytest.raises(errors.NonceUsed):
        ledger.submit_return(stranger, unused)
    assert customer.purchase(purchase.id).returned_lines == {1}


def _signed_by_wallet(quoted, wallet: str, signer):
    """``quoted`` with an ERC-1271 signature: ``abi.encode(wallet, what its signer signed)``."""
    signature = bytes(signer.unsafe_sign_hash(bytes.fromhex(quoted.purchase_id[2:])).signature)
    return replace(quoted, signature="0x" + wallet_signature(wallet, signature).hex(), signer=wallet)
