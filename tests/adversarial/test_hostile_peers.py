"""Hostile peers: a customer that re-enters every function that moves money from its ETH and token hooks, a
payout that burns all its gas, a token with ERC-777-style hooks, a token whose balances change on their
own, and a customer that is a smart wallet signing by ERC-1271. No money is lost, and nobody else is held
up. (A rejecting address, a gas-burning token, a fee-on-transfer token and a re-entrant return are in
test_rejecting_addresses.py, test_attacks.py, test_tokens.py and test_reentrancy.py.)
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector

from ledger import errors
from ledger.client import Ledger
from ledger.models import NATIVE, Purchase, SignedReturn
from ledger.orders import RETURN_REQUEST_TYPES, SignedOrder, domain
from tests.support.world import DAY, ETHER, buy, deploy_contract, owed, send

GUARD = function_signature_to_4byte_selector("ReentrancyGuardReentrantCall()")

MONEY_MOVING = ("buy", "returnItems", "returnItemsBySig", "returnItemsForCredit", "cashOutCredit", "withdraw",
                "withdrawMerchant", "settle", "goodwillRefund", "refundWithoutReturn")
"""Every function that takes money in or pays it out (or turns it into credit)."""

UNIT = 10**6


def _act(ledger: Ledger, signer: LocalAccount, wallet: Any, name: str, args: list, value: int = 0) -> Any:
    """Have the contract account ``wallet`` (run by ``signer``) call the ledger."""
    data = ledger.contract.encode_abi(name, args=args)
    return send(ledger.chain, signer, wallet.functions.execute(ledger.address, data), value=value)


def _buy_as(ledger: Ledger, signer: LocalAccount, wallet: Any, quoted: SignedOrder) -> Purchase:
    """The contract account buys the order made out to it (paying ETH through ``execute``)."""
    order = quoted.order
    value = order.total if order.token == NATIVE else 0
    _act(ledger, signer, wallet, "buy", [order.packed(), order.line_tuples(), 0, bytes.fromhex(quoted.signature[2:])],
         value)
    return ledger.purchase(quoted.purchase_id)


def _signed_return(ledger: Ledger, purchase: Purchase, mask: int, key: LocalAccount) -> SignedReturn:
    """A return request for ``purchase`` signed with ``key`` (for a wallet: its signer's key, checked by ERC-1271)."""
    chain = ledger.chain
    nonce, deadline = secrets.randbits(256), chain.now() + DAY
    message = {"purchaseId": bytes.fromhex(purchase.id[2:]), "lineMask": mask, "shipmentRef": bytes(32),
               "nonce": nonce, "deadline": deadline}
    signed = key.sign_typed_data(domain(chain.chain_id, ledger.address), RETURN_REQUEST_TYPES, message)
    return SignedReturn(purchase.id, mask, "0x" + "00" * 32, nonce, deadline, "0x" + bytes(signed.signature).hex(),
                        chain.chain_id, ledger.address)


def _balance(ledger: Ledger, token: Any, holder: str) -> int:
    return ledger.w3.eth.get_balance(holder) if token is None else token.functions.balanceOf(holder).call()


def _replays(ledger: Ledger, hostile: Any, purchase: Purchase, later: SignedOrder, closed: Purchase,
             request: SignedReturn, merchant_id: int, token: str) -> list[bytes]:
    """Calldata for every money-moving function, each a call that would pay or credit the hostile customer
    (or move money it has a hand in) if the guard did not stop it."""
    order, lines = purchase.order.packed(), purchase.order.line_tuples()
    calls = {
        "buy": [later.order.packed(), later.order.line_tuples(), 0, bytes.fromhex(later.signature[2:])],
        "returnItems": [order, lines, 1, bytes(32)],
        "returnItemsBySig": [order, lines, (request.line_mask, bytes(32), request.nonce, request.deadline),
                             bytes.fromhex(request.signature[2:])],
        "returnItemsForCredit": [order, lines, 1, bytes(32)],
        "cashOutCredit": [merchant_id, token],
        "withdraw": [token, hostile.address],
        "withdrawMerchant": [merchant_id, token],
        "settle": [[closed.order.packed()]],
        "goodwillRefund": [order, 1, 0, bytes(32)],
        "refundWithoutReturn": [order, lines, 1, 0],
    }
    assert set(calls) == set(MONEY_MOVING)
    return [bytes.fromhex(ledger.contract.encode_abi(name, args=args)[2:]) for name, args in calls.items()]


def _check_all_refused(hostile: Any, replays: list[bytes]) -> None:
    """Every money-moving function was tried re-entrantly, and each met the reentrancy guard."""
    attempts = hostile.functions.attempts().call()
    tried = {selector for selector, _, _ in attempts}
    assert {data[:4] for data in replays} <= tried, "the hook never ran with enough gas to try every function"
    assert all(not succeeded and error == GUARD for _, succeeded, error in attempts), attempts


@pytest.fixture
def hostile(ledger, chain, accounts, test_artifacts):
    """A hostile customer contract run by account 7 (whose key it also accepts as its ERC-1271 signer)."""
    return deploy_contract(chain, accounts[7], test_artifacts["HostileCustomer"], accounts[7].address)


def test_customer_reentering_every_money_moving_function_from_its_eth_hook_gets_exactly_its_due(
        ledger, chain, shop, staff, week_terms, bob, stranger, accounts, hostile) -> None:
    runner, relayer, w3 = accounts[7], accounts[8], chain.w3
    shop.set_credit_cash_out_delay(1)
    shop.set_payout(hostile.address)  # it is the shop's payout too (a shop run by a hostile contract)
    final = shop.publish_terms(0)
    bobs = ledger.customer_desk(bob)
    closed = buy(shop, bobs, final.id, [("LAMP", 1, ETHER)], "B-1", referrer=hostile.address, referral_bps=1_000)
    four = [(f"TV-{i}", 1, ETHER // 10) for i in range(4)]
    purchase = _buy_as(ledger, runner, hostile, shop.quote(week_terms.id, four, "H-1", customer=hostile.address))
    later = shop.quote(week_terms.id, [("TV", 1, ETHER)], "H-2", customer=hostile.address)
    request = _signed_return(ledger, purchase, 0b10, runner)
    replays = _replays(ledger, hostile, purchase, later, closed, request, shop.merchant_id, NATIVE)
    send(chain, runner, hostile.functions.arm(ledger.address, replays))
    others = buy(shop, bobs, week_terms.id, [("TV", 1, ETHER)], "B-2")

    refund = purchase.refund_for((0,))
    _act(ledger, runner, hostile, "returnItems", [purchase.order.packed(), purchase.order.line_tuples(), 1, bytes(32)])
    assert ledger.submit_return(relayer, _signed_return(ledger, purchase, 0b10, runner)).amount == refund
    _act(ledger, runner, hostile, "returnItemsForCredit",
         [purchase.order.packed(), purchase.order.line_tuples(), 0b100, bytes(32)])
    goodwill = staff.goodwill_refund(purchase.id, ETHER // 100).amount
    kept = staff.refund_without_return(purchase.id, [3]).amount
    credit = ledger.credit(shop.merchant_id, hostile.address).amount
    chain.advance_time(2)  # past the shop's cash-out delay
    _act(ledger, runner, hostile, "cashOutCredit", [shop.merchant_id, NATIVE])
    batch = ledger.settle(stranger, [closed.id])
    (settled,) = batch.settled
    # Every payment the hooks made fail is kept for the hostile customer; nothing was paid twice.
    due = 2 * refund + goodwill + kept + credit + settled.commission
    assert w3.eth.get_balance(hostile.address) + ledger.deferred_balance(hostile.address) == due
    assert ledger.merchant_deferred_balance(shop.merchant_id) == settled.amount

    # Withdrawals pay with all the gas: the hook replays every money-moving call, and each meets the guard.
    _act(ledger, runner, hostile, "withdraw", [NATIVE, hostile.address])
    ledger.withdraw_merchant(stranger, shop.merchant_id)
    _check_all_refused(hostile, replays)
    assert w3.eth.get_balance(hostile.address) == due + settled.amount
    assert ledger.purchase(purchase.id).returned_lines == {0, 1, 2, 3}

    # Nobody else is held up, and the ledger holds exactly what it owes.
    assert bobs.return_items(others.id).amount == others.refund_for((0,))
    everyone = [account.address for account in accounts] + [hostile.address]
    assert w3.eth.get_balance(ledger.address) == owed(ledger, NATIVE, everyone, [shop.merchant_id])


def test_token_with_hooks_cannot_reenter_on_send_or_receive(ledger, chain, shop, week_terms, bob, stranger,
                                                            accounts, hostile, test_artifacts) -> None:
    runner, payout = accounts[7], accounts[6].address
    token = deploy_contract(chain, accounts[0], test_artifacts["HookToken"])
    shop.accept_token(token.address)
    for holder in (hostile.address, bob.address):
        send(chain, accounts[0], token.functions.mint(holder, 1_000 * UNIT))
    for call in (token.functions.registerHooks(True), token.functions.approve(ledger.address, 1_000 * UNIT)):
        send(chain, runner, hostile.functions.execute(token.address, call._encode_transaction_data()))
    final = shop.publish_terms(0)
    bobs = ledger.customer_desk(bob)
    closed = buy(shop, bobs, final.id, [("HAT", 1, 10 * UNIT)], "B-1", token=token.address)
    quoted = shop.quote(week_terms.id, [("HAT", 1, 20 * UNIT), ("SCARF", 1, 30 * UNIT)], "H-1",
                        customer=hostile.address, token=token.address)
    later = shop.quote(week_terms.id, [("HAT", 1, UNIT)], "H-2", customer=hostile.address, token=token.address)
    # Armed with calls on the purchase it is making: its hook runs inside that very purchase.
    coming = Purchase(id=quoted.purchase_id, customer=hostile.address, order=quoted.order, paid=50 * UNIT,
                      purchased_at=0, block_number=0, tx_hash="")
    request = _signed_return(ledger, coming, 1, runner)
    replays = _replays(ledger, hostile, coming, later, closed, request, shop.merchant_id, token.address)
    send(chain, runner, hostile.functions.arm(ledger.address, replays))

    purchase = _buy_as(ledger, runner, hostile, quoted)  # transferFrom calls its tokensToSend with all the gas
    assert purchase.paid == purchase.price == 50 * UNIT  # the hook slipped nothing extra into the count
    assert token.functions.balanceOf(ledger.address).call() == 60 * UNIT
    tried_in_buy = len(hostile.functions.attempts().call())
    assert tried_in_buy == len(MONEY_MOVING)

    refund = purchase.refund_for((1,))
    _act(ledger, runner, hostile, "returnItems", [purchase.order.packed(), purchase.order.line_tuples(), 0b10,
                                                   bytes(32)])
    held = token.functions.balanceOf(hostile.address).call() + ledger.deferred_balance(hostile.address, token.address)
    assert held == 950 * UNIT + refund
    if ledger.deferred_balance(hostile.address, token.address):  # the hook ran out of the push's gas: kept
        _act(ledger, runner, hostile, "withdraw", [token.address, hostile.address])
    _check_all_refused(hostile, replays)
    assert token.functions.balanceOf(hostile.address).call() == 950 * UNIT + refund

    # A holder without hooks buys, returns and is settled as usual in the same token.
    theirs = buy(shop, bobs, week_terms.id, [("HAT", 1, 10 * UNIT)], "B-2", token=token.address)
    assert bobs.return_items(theirs.id).amount == 9 * UNIT
    assert len(ledger.settle(stranger, [closed.id]).settled) == 1
    assert token.functions.balanceOf(payout).call() == 10 * UNIT
    everyone = [account.address for account in accounts] + [hostile.address]
    assert token.functions.balanceOf(ledger.address).call() == owed(ledger, token.address, everyone,
                                                                      [shop.merchant_id])


def test_gas_burning_payout_and_customer_only_defer_their_own_money(ledger, chain, shop, week_terms, customer,
                                                                   bob, stranger, owner, accounts,
                                                                   test_artifacts) -> None:
    w3, runner = chain.w3, accounts[7]
    burner = deploy_contract(chain, runner, test_artifacts["GasGuzzler"])
    shop.set_payout(burner.address)
    other_shop = ledger.register_merchant(bob, payout=accounts[8].address)
    other_final = other_shop.publish_terms(0)
    final = shop.publish_terms(0)
    ours = buy(shop, customer, final.id, [("TV", 1, ETHER)], "A-1")
    theirs = buy(other_shop, customer, other_final.id, [("TV", 1, 2 * ETHER)], "A-2")

    # A customer that burns its gas on a refund: the return goes through and the refund is kept for it.
    guzzling = deploy_contract(chain, runner, test_artifacts["GasGuzzler"])
    bought = _buy_as(ledger, runner, guzzling, shop.quote(week_terms.id, [("MUG", 1, ETHER)], "G-1",
                                                          customer=guzzling.address))
    receipt = _act(ledger, runner, guzzling, "returnItems", [bought.order.packed(), [], 1, bytes(32)])
    assert receipt["status"] == 1 and receipt["gasUsed"] < 200_000
    assert ledger.deferred_balance(guzzling.address) == bought.refund_for((0,))
    alices = buy(shop, customer, week_terms.id, [("MUG", 1, ETHER)], "A-3")
    assert customer.return_items(alices.id).amount == alices.refund_for((0,))

    # Its payout burning all the gas costs one bounded push: the other shop in the batch is paid.
    before = w3.eth.get_balance(accounts[8].address)
    batch = ledger.settle(stranger, [ours.id, theirs.id])
    assert len(batch.settled) == 2
    assert w3.eth.get_transaction_receipt(batch.tx_hash)["gasUsed"] < 250_000
    assert w3.eth.get_balance(accounts[8].address) - before == 2 * ETHER
    assert ledger.merchant_deferred_balance(shop.merchant_id) == ETHER
    shop.set_payout(accounts[9].address)  # the owner points the shop's money somewhere that takes it
    before = w3.eth.get_balance(accounts[9].address)
    assert ledger.withdraw_merchant(stranger, shop.merchant_id).amount == ETHER
    assert w3.eth.get_balance(accounts[9].address) - before == ETHER
    _act(ledger, runner, guzzling, "withdraw", [NATIVE, runner.address])  # and the customer takes its own out
    assert ledger.deferred_balance(guzzling.address) == 0
    everyone = [account.address for account in accounts] + [guzzling.address, burner.address]
    assert w3.eth.get_balance(ledger.address) == owed(ledger, NATIVE, everyone,
                                                       [shop.merchant_id, other_shop.merchant_id])


def test_rebasing_token_damage_stays_with_that_tokens_claimants(ledger, chain, shop, week_terms, customer, bob,
                                                                 stranger, accounts, test_artifacts) -> None:
    """docs/protocol.md: rebasing tokens are not supported, and the shop's list of tokens is the guard. A shop
    that does not list one never sees it; a shop that lists one anyway puts only that token's claimants at risk."""
    rebasing = deploy_contract(chain, accounts[0], test_artifacts["RebasingToken"])
    plain = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    for token in (rebasing, plain):
        for holder in (customer.address, bob.address):
            send(chain, accounts[0], token.functions.mint(holder, 1_000 * UNIT))
    with pytest.raises(errors.InvalidInput, match="does not accept token"):
        shop.quote(week_terms.id, [("HAT", 1, UNIT)], "R-0", customer=customer.address, token=rebasing.address)
    shop.accept_token(rebasing.address)  # the shop's choice, against the advice of docs/protocol.md
    shop.accept_token(plain.address)
    bobs = ledger.customer_desk(bob)
    final = shop.publish_terms(0)
    alices = buy(shop, customer, week_terms.id, [("HAT", 1, 100 * UNIT)], "R-1", token=rebasing.address)
    his = buy(shop, bobs, week_terms.id, [("HAT", 1, 100 * UNIT)], "R-2", token=rebasing.address)
    his_plain = buy(shop, bobs, week_terms.id, [("HAT", 1, 100 * UNIT)], "R-3", token=plain.address)
    his_eth = buy(shop, bobs, week_terms.id, [("HAT", 1, ETHER)], "R-4")
    sold = buy(shop, customer, final.id, [("HAT", 1, ETHER)], "R-5")

    send(chain, accounts[0], rebasing.functions.rebase(5 * 10**17))  # every balance halves, the ledger's too
    assert rebasing.functions.balanceOf(ledger.address).call() == 100 * UNIT
    assert customer.return_items(alices.id).amount == 90 * UNIT  # first come, paid in full
    assert rebasing.functions.balanceOf(customer.address).call() == 500 * UNIT - 50 * UNIT + 90 * UNIT
    assert bobs.return_items(his.id).amount == 90 * UNIT  # the token cannot pay: kept for bob, not reverted
    assert ledger.deferred_balance(bob.address, rebasing.address) == 90 * UNIT
    everyone = [account.address for account in accounts]
    shortfall = owed(ledger, rebasing.address, everyone, [shop.merchant_id]) - \
        rebasing.functions.balanceOf(ledger.address).call()
    assert shortfall == 100 * UNIT  # exactly what the rebase took from the ledger, and no more

    # Every other token's books are exact, and their customers and the shop go on as usual.
    assert bobs.return_items(his_plain.id).amount == 90 * UNIT
    assert bobs.return_items(his_eth.id).amount == ETHER * 9 // 10
    assert len(ledger.settle(stranger, [sold.id]).settled) == 1
    assert plain.functions.balanceOf(ledger.address).call() == owed(ledger, plain.address, everyone,
                                                                      [shop.merchant_id])
    assert chain.w3.eth.get_balance(ledger.address) == owed(ledger, NATIVE, everyone, [shop.merchant_id])


def test_smart_wallet_customer_returns_by_a_relayed_erc1271_signature(ledger, chain, shop, week_terms, bob,
                                                                      accounts, test_artifacts) -> None:
    w3, key, relayer = chain.w3, accounts[7], accounts[8]
    wallet = deploy_contract(chain, key, test_artifacts["WalletCustomer"], key.address)
    purchase = _buy_as(ledger, key, wallet, shop.quote(week_terms.id, [("MUG", 1, ETHER), ("TEA", 1, ETHER)],
                                                       "W-1", customer=wallet.address))
    assert purchase.customer == wallet.address
    signed = _signed_return(ledger, purchase, 0b01, key)
    key_before, relayer_nonce = w3.eth.get_balance(key.address), w3.eth.get_transaction_count(relayer.address)
    refund = ledger.submit_return(relayer, signed)
    assert (refund.customer, refund.lines, refund.amount) == (wallet.address, (0,), ETHER * 9 // 10)
    assert w3.eth.get_balance(wallet.address) == refund.amount  # to the wallet, not to its key or the relayer
    assert w3.eth.get_balance(key.address) == key_before
    assert w3.eth.get_transaction_count(relayer.address) == relayer_nonce + 1
    with pytest.raises(errors.NonceUsed):
        ledger.submit_return(relayer, signed)
    with pytest.raises(errors.InvalidSignature) as info:  # a key the wallet does not accept
        ledger.submit_return(relayer, _signed_return(ledger, purchase, 0b10, bob))
    assert info.value.customer == wallet.address
    unused = _signed_return(ledger, purchase, 0b10, key)
    _act(ledger, key, wallet, "cancelNonce", [unused.nonce])  # the wallet voids a request it did not use
    with pytest.raises(errors.NonceUsed):
        ledger.submit_return(relayer, unused)
    assert ledger.submit_return(relayer, _signed_return(ledger, purchase, 0b10, key)).lines == (1,)
    assert w3.eth.get_balance(wallet.address) == 2 * (ETHER * 9 // 10)
