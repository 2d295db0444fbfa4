"""An address that rejects ETH never blocks anyone else: its payment is kept for it (or, for a payout, for its
merchant) to withdraw."""

from __future__ import annotations

import pytest
from eth_utils import function_signature_to_4byte_selector

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import NATIVE
from tests.support.world import DAY, ETHER, buy, deploy_contract, send


@pytest.fixture
def rejecter(chain, accounts, test_artifacts):
    return deploy_contract(chain, accounts[7], test_artifacts["EthRejecter"])


def act(ledger, chain, account, wallet, name, args, value=0):
    """Have the contract account ``wallet`` call the ledger."""
    data = ledger.contract.encode_abi(name, args=args)
    return send(chain, account, wallet.functions.execute(ledger.address, data), value=value)


def test_rejecting_customer_return_is_kept_for_withdrawal(ledger, chain, shop, week_terms, customer, rejecter,
                                                          accounts) -> None:
    owner = accounts[7]
    order = shop.quote(week_terms.id, [("TV", 1, ETHER)], "R-1", customer=rejecter.address)
    act(ledger, chain, owner, rejecter, "buy",
        [order.order.packed(), order.order.line_tuples(), 0, bytes.fromhex(order.signature[2:])], value=ETHER)
    purchase = ledger.purchase(order.purchase_id)
    assert purchase.customer == rejecter.address
    other = buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "O-1")

    act(ledger, chain, owner, rejecter, "returnItems", [purchase.order.packed(), [], 1, b"\0" * 32])
    refund = purchase.refund_for((0,))
    assert ledger.deferred_balance(rejecter.address) == refund
    assert ledger.purchase(purchase.id).returned_lines == {0}
    assert customer.return_items(other.id).amount == refund  # others are not held up

    to_itself = ledger.contract.encode_abi("withdraw", args=[NATIVE, rejecter.address])
    with pytest.raises(errors.ContractReverted) as info:  # withdrawing to itself still bounces
        ledger.call(rejecter.functions.execute(ledger.address, to_itself))
    assert info.value.data[:4] == function_signature_to_4byte_selector("EthRejected(uint256)")
    target = accounts[8].address
    before = chain.w3.eth.get_balance(target)
    act(ledger, chain, owner, rejecter, "withdraw", [NATIVE, target])
    assert chain.w3.eth.get_balance(target) - before == refund
    assert ledger.deferred_balance(rejecter.address) == 0
    again = ledger.contract.encode_abi("withdraw", args=[NATIVE, target])
    with pytest.raises(errors.NothingToWithdraw):
        ledger.call(rejecter.functions.execute(ledger.address, again))


def test_rejecting_payout_does_not_block_a_batch_settlement(ledger, chain, shop, week_terms, customer, rejecter,
                                                            accounts, stranger) -> None:
    owner = accounts[7]
    act(ledger, chain, owner, rejecter, "registerMerchant", [rejecter.address])  # a shop run by a contract
    (rejecting_shop,) = [m for m in ledger.merchants() if m.owner == rejecter.address]
    act(ledger, chain, owner, rejecter, "publishTerms", [rejecting_shop.id, 7 * DAY, 0, 0, False])
    act(ledger, chain, owner, rejecter, "addAgent", [rejecting_shop.id, owner.address])  # signs its orders
    (terms,) = ledger.terms_of(rejecting_shop.id)
    their_desk = MerchantDesk(ledger.reads, ledger.outbox, owner, rejecting_shop.id)
    theirs = buy(their_desk, customer, terms.id, [("LAMP", 1, ETHER)], "R-1")
    ours = buy(shop, customer, week_terms.id, [("LAMP", 1, 2 * ETHER)], "S-1")
    payout = ledger.merchant(shop.merchant_id).payout
    before = chain.w3.eth.get_balance(payout)
    chain.advance_time(8 * DAY)
    batch = ledger.settle(stranger, [theirs.id, ours.id])
    assert [s.amount for s in batch.settled] == [ETHER, 2 * ETHER]
    assert chain.w3.eth.get_balance(payout) - before == 2 * ETHER
    assert ledger.merchant_deferred_balance(rejecting_shop.id) == ETHER  # kept for the merchant
    assert ledger.deferred_balance(rejecter.address) == 0
    send(chain, owner, rejecter.functions.setAccepting(True))
    assert ledger.withdraw_merchant(stranger, rejecting_shop.id).amount == ETHER
    assert chain.w3.eth.get_balance(rejecter.address) == ETHER


def test_withdraw_with_nothing_waiting_rejected(ledger, shop, alice) -> None:
    with pytest.raises(errors.NothingToWithdraw, match="nothing is waiting"):
        ledger.withdraw(alice)
    with pytest.raises(errors.NothingToWithdraw):
        ledger.withdraw_merchant(alice, shop.merchant_id)


def test_withdraw_to_zero_or_the_ledger_refused(ledger, alice) -> None:
    for to in (NATIVE, ledger.address):
        with pytest.raises(errors.InvalidAddress) as info:
            ledger.withdraw(alice, to=to)
        assert info.value.account == to
