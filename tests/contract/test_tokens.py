"""ERC-20 purchases: only tokens the shop lists are taken; plain tokens, fee-on-transfer tokens and tokens
whose transfer returns nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector

from ledger import errors
from ledger.models import NATIVE, Purchase
from tests.support.world import DAY, ETHER, buy, deploy_contract, owed, send, simulate

UNIT = 10**6


def _token(chain, accounts, test_artifacts, name, *args):
    token = deploy_contract(chain, accounts[0], test_artifacts[name], *args)
    for holder in accounts[3:5]:
        send(chain, accounts[0], token.functions.mint(holder.address, 1_000 * UNIT))
    return token


TOKEN_ARGS = {"TestToken": ("Test Dollar", "TUSD"), "NoReturnToken": (), "FeeOnTransferToken": (100,),
              "BonusOnTransferToken": ()}
"""Constructor arguments; the fee-on-transfer token burns 1 % of each transfer."""


def _accepted(chain, shop, accounts, test_artifacts, name):
    """A token minted to alice and bob and listed by the shop."""
    token = _token(chain, accounts, test_artifacts, name, *TOKEN_ARGS[name])
    shop.accept_token(token.address)
    return token


@pytest.fixture
def token(chain, shop, accounts, test_artifacts):
    """A plain token the shop accepts."""
    return _accepted(chain, shop, accounts, test_artifacts, "TestToken")


@pytest.mark.parametrize("kind", ["TestToken", "NoReturnToken"])
def test_token_purchase_return_and_settlement(ledger, chain, shop, week_terms, customer, alice, accounts,
                                              test_artifacts, stranger, kind) -> None:
    token = _accepted(chain, shop, accounts, test_artifacts, kind)
    balance = token.functions.balanceOf
    purchase = buy(shop, customer, week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-1",
                   token=token.address)
    assert purchase.token == token.address and purchase.paid == purchase.price == 50 * UNIT
    assert balance(ledger.address).call() == 50 * UNIT
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == 27 * UNIT
    assert balance(alice.address).call() == 1_000 * UNIT - 50 * UNIT + 27 * UNIT
    chain.advance_time(8 * DAY)
    payout = ledger.merchant(shop.merchant_id).payout
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == 23 * UNIT == balance(payout).call()
    assert balance(ledger.address).call() == 0


def test_fee_on_transfer_token_counts_what_arrived(ledger, chain, shop, week_terms, customer, accounts,
                                                   test_artifacts, stranger) -> None:
    token = _accepted(chain, shop, accounts, test_artifacts, "FeeOnTransferToken")
    purchase = buy(shop, customer, week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "T-2",
                   token=token.address)
    assert purchase.price == 50 * UNIT and purchase.paid == 49_500_000
    assert token.functions.balanceOf(ledger.address).call() == purchase.paid
    refund = customer.return_items(purchase.id, [1])
    assert refund.amount == (30 * UNIT * purchase.paid // purchase.price) * 9_000 // 10_000
    held = token.functions.balanceOf(ledger.address).call()
    assert held == purchase.paid - refund.amount == customer.purchase(purchase.id).in_escrow
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount == held
    assert token.functions.balanceOf(ledger.address).call() == 0


def test_token_purchase_without_funds_refused_before_sending(ledger, chain, shop, week_terms, token,
                                                             accounts) -> None:
    poor = Account.create()
    send(chain, accounts[0], token.functions.mint(poor.address, UNIT))
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(accounts[0].sign_transaction({
        "to": poor.address, "value": 10**18, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
        "nonce": chain.w3.eth.get_transaction_count(accounts[0].address), "chainId": chain.chain_id,
    }).raw_transaction))
    order = shop.quote(week_terms.id, [("HAT", 1, 2 * UNIT)], "T-3", customer=poor.address, token=token.address)
    with pytest.raises(errors.InsufficientFunds) as info:
        ledger.customer_desk(poor).buy(order)
    assert (info.value.needed, info.value.available) == (2 * UNIT, UNIT)
    assert chain.w3.eth.get_transaction_count(poor.address) == 0


def test_accept_token_lists_and_unlists_a_token(ledger, shop, accounts, test_artifacts, chain) -> None:
    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    assert ledger.accepts(shop.merchant_id, NATIVE)  # ETH always
    assert not ledger.accepts(shop.merchant_id, token.address)
    listed = shop.accept_token(token.address)
    assert listed.named("TokenAccepted")[0].args == {
        "merchantId": shop.merchant_id, "token": token.address, "accepted": True}
    assert ledger.accepts(shop.merchant_id, token.address)
    shop.accept_token(token.address, accepted=False)
    assert not ledger.accepts(shop.merchant_id, token.address)


def test_a_token_is_accepted_per_shop(ledger, chain, shop, bob, accounts, test_artifacts) -> None:
    token = deploy_contract(chain, accounts[0], test_artifacts["TestToken"], "Plain", "PLN").address
    other = ledger.register_merchant(bob)
    other.accept_token(token)
    assert ledger.accepts(other.merchant_id, token) and not ledger.accepts(shop.merchant_id, token)


def test_accept_token_is_owner_only_and_refuses_eth_and_the_ledger(ledger, chain, shop, staff, agent, owner,
                                                                   test_artifacts) -> None:
    token = deploy_contract(chain, owner, test_artifacts["TestToken"], "Plain", "PLN").address
    with pytest.raises(errors.NotMerchantOwner) as info:
        staff.accept_token(token)
    assert info.value.caller == agent.address
    for address in (NATIVE, ledger.address):
        with pytest.raises(errors.InvalidInput):  # the library says so before sending
            shop.accept_token(address)
        with pytest.raises(errors.InvalidAddress):  # and the contract refuses it too
            simulate(ledger, ledger.contract.functions.setTokenAccepted(shop.merchant_id, address, True), owner)
    assert not ledger.accepts(shop.merchant_id, token)


def test_quote_in_a_token_the_shop_does_not_accept_refused(shop, week_terms, customer, accounts) -> None:
    with pytest.raises(errors.InvalidInput, match="does not accept token .*: accept it first"):
        shop.quote(week_terms.id, [("HAT", 1, UNIT)], "T-4", customer=customer.address, token=accounts[9].address)


def test_buy_in_a_token_the_shop_stopped_accepting_refused(ledger, shop, week_terms, customer, token) -> None:
    order = shop.quote(week_terms.id, [("HAT", 1, UNIT)], "T-5", customer=customer.address, token=token.address)
    shop.accept_token(token.address, accepted=False)
    with pytest.raises(errors.TokenNotAccepted, match="does not accept token") as info:
        customer.buy(order)
    assert (info.value.merchant_id, info.value.token) == (shop.merchant_id, token.address)
    assert token.functions.balanceOf(ledger.address).call() == 0


def test_more_arriving_than_was_due_is_never_recorded_as_paid(ledger, chain, shop, week_terms, customer, bob,
                                                              accounts, test_artifacts, stranger) -> None:
    """A listed token whose balance rises by twice the price on a purchase: the ledger records what was due,
    so a full return refunds the price, and Bob's escrow in the same token is untouched (it would pay for the
    difference if what arrived were recorded)."""
    token = _accepted(chain, shop, accounts, test_artifacts, "BonusOnTransferToken")
    balance = token.functions.balanceOf
    bobs = buy(shop, ledger.customer_desk(bob), week_terms.id, [("HAT", 1, 10 * UNIT)], "B-1", token=token.address)
    alices = buy(shop, customer, week_terms.id, [("HAT", 1, 10 * UNIT)], "B-2", token=token.address)
    assert (bobs.paid, alices.paid) == (10 * UNIT, 10 * UNIT)  # 20 arrived for each; 10 was due
    assert balance(ledger.address).call() == 40 * UNIT
    assert customer.return_items(alices.id).amount == 9 * UNIT  # the price less the 10 % fee, not 18
    assert ledger.customer_desk(bob).return_items(bobs.id).amount == 9 * UNIT  # Bob's is all there


# ---------------------------------------------------------------- weird ERC-20 kinds (d-xo/weird-erc20)
#
# Each kind goes through one trade: Alice and Bob buy in the token, Alice returns a line for money and gets a
# goodwill refund, Bob returns a line for credit and later cashes it out, and the rest settles to the shop and
# to a referrer, in one batch with Bob's purchases in a plain token and in ETH. The books are checked per token.

PLAIN_KINDS = {"TestToken": ("Test Dollar", "TUSD"), "NoReturnToken": (), "StrictToken": (),
               "ApprovalRaceToken": (), "DecimalsToken": (6,)}
"""Tokens whose transfers move exactly what was asked, with their constructor arguments."""


@dataclass
class Trade:
    """Purchases of one trade: Alice's and Bob's in the token, Bob's in a plain token and in ETH (controls)."""

    token: Any
    plain: Any
    alices: Purchase
    bobs: Purchase
    controls: tuple[Purchase, Purchase]


@dataclass
class Payouts:
    """What the ledger booked as paid out in a trade (what it pushed, or kept when the push failed)."""

    returned: int
    """Alice's refund for her scarf."""
    goodwill: int
    """The shop's goodwill refund to Alice."""
    credited: int
    """Bob's credit for his hat, later cashed out."""
    merchant: int
    """Settled to the shop, in the token."""
    commission: int
    """Settled to the referrer, in the token."""


def _trader(chain, accounts, test_artifacts, name, *args, unit=UNIT):
    """A token minted to Alice and Bob (1,000 units each)."""
    token = deploy_contract(chain, accounts[0], test_artifacts[name], *args)
    for holder in accounts[3:5]:
        send(chain, accounts[0], token.functions.mint(holder.address, 1_000 * unit))
    return token


def _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token, unit=UNIT, referral_bps=1_000) -> Trade:
    """The shop lists ``token`` and a plain token and lets credit be cashed out after a day; Alice buys two hats
    (10 each) and a scarf (30) in ``token``; Bob a hat (20) and a scarf (30) with a referrer's commission, in
    ``token``, in the plain token and in ETH."""
    plain = _accepted(chain, shop, accounts, test_artifacts, "TestToken")
    shop.accept_token(token.address)
    shop.set_credit_cash_out_delay(DAY)
    alice, bob = (ledger.customer_desk(account) for account in accounts[3:5])
    alices = buy(shop, alice, week_terms.id, [("HAT", 2, 10 * unit), ("SCARF", 1, 30 * unit)], "A-1",
                 token=token.address)
    bobs_lines = [("HAT", 1, 20 * unit), ("SCARF", 1, 30 * unit)]
    bobs = buy(shop, bob, week_terms.id, bobs_lines, "B-1", token=token.address, referrer=accounts[7].address,
               referral_bps=referral_bps)
    controls = tuple(buy(shop, bob, week_terms.id, lines, ref, token=currency, referrer=accounts[7].address,
                         referral_bps=referral_bps)
                     for lines, ref, currency in (([("HAT", 1, 20 * UNIT), ("SCARF", 1, 30 * UNIT)], "B-2",
                                                    plain.address),
                                                   ([("HAT", 1, 20 * ETHER), ("SCARF", 1, 30 * ETHER)], "B-3",
                                                    NATIVE)))
    return Trade(token, plain, alices, bobs, controls)


def _close(ledger, chain, shop, trade: Trade, accounts, goodwill: int) -> Payouts:
    """Alice returns her scarf and gets ``goodwill``; Bob returns his hats for credit (in the token) or money
    (controls); after the window one batch settles all four purchases; a day later Bob cashes out his credit."""
    alice, bob = (ledger.customer_desk(account) for account in accounts[3:5])
    returned = alice.return_items(trade.alices.id, [1]).amount
    shop.goodwill_refund(trade.alices.id, goodwill)
    credited = bob.return_for_credit(trade.bobs.id, [0]).amount
    for control in trade.controls:
        bob.return_items(control.id, [0])
    chain.advance_time(8 * DAY)
    batch = ledger.settle(accounts[5], [trade.alices.id, trade.bobs.id, *(c.id for c in trade.controls)])
    assert len(batch.settled) == 4 and batch.skipped == ()
    in_token = [s for s in batch.settled if s.purchase_id in (trade.alices.id, trade.bobs.id)]
    assert bob.cash_out_credit(shop.merchant_id, trade.token.address) == credited
    return Payouts(returned, goodwill, credited, sum(s.amount for s in in_token), sum(s.commission for s in in_token))


def _holders(accounts) -> list[str]:
    return [account.address for account in accounts]


def _held(ledger, token) -> int:
    return token.functions.balanceOf(ledger.address).call()


def _shortfall(ledger, shop, accounts, token) -> int:
    """What the ledger owes in ``token`` less what it holds (negative: it holds more than it owes)."""
    return owed(ledger, token.address, _holders(accounts), [shop.merchant_id]) - _held(ledger, token)


def _assert_controls_exact(ledger, shop, accounts, trade: Trade) -> None:
    """The plain token's and the ETH books are exact: the ledger holds what it owes, not a unit more or less,
    and nothing in them waits to be withdrawn (so the weird token touched none of their payments)."""
    holders, merchants = _holders(accounts), [shop.merchant_id]
    assert _held(ledger, trade.plain) == owed(ledger, trade.plain.address, holders, merchants)
    assert ledger.w3.eth.get_balance(ledger.address) == owed(ledger, NATIVE, holders, merchants)
    for currency in (trade.plain.address, NATIVE):
        assert all(ledger.deferred_balance(holder, currency) == 0 for holder in holders)
        assert ledger.merchant_deferred_balance(shop.merchant_id, currency) == 0
    for control in trade.controls:
        settled = ledger.purchase(control.id)
        assert settled.settled and settled.paid == settled.price


def _assert_never_more_than_due(ledger) -> None:
    assert all(p.paid <= p.price for p in ledger.purchases())


def _token_error(refused: pytest.ExceptionInfo) -> str:
    """Which of the test tokens' errors a revert the library could not decode carries (bubbled up by the ledger)."""
    for signature in TOKEN_ERRORS:
        if refused.value.data[:4] == function_signature_to_4byte_selector(signature):
            return signature
    return "0x" + refused.value.data.hex()


TOKEN_ERRORS = ("FlatFeeTokenBelowFee(uint256,uint256)", "PausableTokenPaused()", "BlocklistTokenBlocked(address)",
                "ApprovalRaceTokenNonZeroAllowance(uint256,uint256)", "ERC20InsufficientBalance(address,uint256,uint256)")


def _deferred(ledger, shop, accounts, token) -> dict[str, int]:
    """What waits to be withdrawn in ``token``, by who (the shop as ``"shop"``)."""
    waiting = {holder: ledger.deferred_balance(holder, token.address) for holder in _holders(accounts)}
    waiting["shop"] = ledger.merchant_deferred_balance(shop.merchant_id, token.address)
    return {who: amount for who, amount in waiting.items() if amount}


@pytest.mark.parametrize("kind", sorted(PLAIN_KINDS))
def test_weird_token_that_moves_what_it_is_asked_is_supported(ledger, chain, shop, week_terms, accounts,
                                                             test_artifacts, kind) -> None:
    """No return value, reverting on zero-value and self transfers, USDT's approval race protection, 6
    decimals: every payment arrives in full, nothing waits, and the ledger ends holding exactly what it owes."""
    token = _trader(chain, accounts, test_artifacts, kind, *PLAIN_KINDS[kind])
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    assert (trade.alices.paid, trade.bobs.paid) == (50 * UNIT, 50 * UNIT) == (_held(ledger, token) // 2,) * 2
    alice, bob, referrer, payout = (accounts[i].address for i in (3, 4, 7, 6))
    paid = _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    # Kept: Alice 50 - 27 - 1, Bob 50 - 18, of which 10 % commission.
    assert (paid.returned, paid.credited, paid.merchant, paid.commission) == (27 * UNIT, 18 * UNIT,
                                                                              50_800_000, 3_200_000)
    balance = token.functions.balanceOf
    assert balance(alice).call() == 1_000 * UNIT - 50 * UNIT + 27 * UNIT + UNIT
    assert balance(bob).call() == 1_000 * UNIT - 50 * UNIT + 18 * UNIT
    assert (balance(payout).call(), balance(referrer).call()) == (paid.merchant, paid.commission)
    assert _held(ledger, token) == 0 == _shortfall(ledger, shop, accounts, token)
    assert _deferred(ledger, shop, accounts, token) == {}
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


def test_flat_fee_token_leaves_payments_smaller_than_the_fee_kept_but_unwithdrawable(
        ledger, chain, shop, week_terms, accounts, test_artifacts) -> None:
    """A fee of 1 token out of every transfer (d-xo's TransferFee): a purchase pays what arrived, 49 of 50; a
    push smaller than the fee (a goodwill refund of 0.5, a commission of 0.63) is refused by the token and kept
    for its recipient, who cannot withdraw it either while what is kept stays below the fee. Kept sums add up: a
    second small refund to Alice lifts hers over the fee, and she gets what is left after it."""
    fee = UNIT
    token = _trader(chain, accounts, test_artifacts, "FlatFeeToken", fee)
    alice, referrer = (ledger.customer_desk(accounts[i]) for i in (3, 7))
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token, referral_bps=200)
    assert (trade.alices.paid, trade.bobs.paid) == (49 * UNIT, 49 * UNIT) == (_held(ledger, token) // 2,) * 2
    for total in (fee // 2, fee):  # the token refuses to move less than its fee; the fee itself: nothing arrives
        small = shop.quote(week_terms.id, [("PIN", 1, total)], f"PIN-{total}", customer=alice.address,
                           token=token.address)
        with pytest.raises(errors.ContractReverted if total < fee else errors.ZeroAmount) as refused:
            alice.buy(small)
        assert total == fee or _token_error(refused) == "FlatFeeTokenBelowFee(uint256,uint256)"

    shop.goodwill_refund(trade.alices.id, fee // 2)
    assert _deferred(ledger, shop, accounts, token) == {alice.address: fee // 2}
    with pytest.raises(errors.ContractReverted) as refused:
        alice.withdraw(token.address)
    assert _token_error(refused) == "FlatFeeTokenBelowFee(uint256,uint256)"
    paid = _close(ledger, chain, shop, trade, accounts, goodwill=fee * 7 // 10)
    commission = (49 * UNIT - paid.credited) * 200 // 10_000
    assert (paid.returned, paid.credited, paid.commission) == (26_460_000, 17_640_000, commission)
    assert commission < fee
    assert _deferred(ledger, shop, accounts, token) == {alice.address: fee * 12 // 10, referrer.address: commission}
    before = token.functions.balanceOf(alice.address).call()
    assert alice.withdraw(token.address).amount == fee * 12 // 10
    assert token.functions.balanceOf(alice.address).call() - before == fee * 2 // 10  # 1.2 kept, 1 to the token
    with pytest.raises(errors.ContractReverted) as refused:
        referrer.withdraw(token.address)
    assert _token_error(refused) == "FlatFeeTokenBelowFee(uint256,uint256)"
    assert _deferred(ledger, shop, accounts, token) == {referrer.address: commission}  # for good, unless more comes
    assert _held(ledger, token) == commission and _shortfall(ledger, shop, accounts, token) == 0
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


def test_token_with_approval_race_protection_is_bought_with_an_allowance_left_over(
        ledger, chain, shop, week_terms, customer, accounts, test_artifacts) -> None:
    """USDT refuses to change a non-zero allowance to another non-zero amount. Alice let the ledger take 1 token
    earlier (an approval whose purchase never came): the customer desk first sets the allowance to zero, then to
    what is due, and buys; nothing of the old allowance is taken."""
    token = _trader(chain, accounts, test_artifacts, "ApprovalRaceToken")
    shop.accept_token(token.address)
    send(chain, accounts[3], token.functions.approve(ledger.address, UNIT))
    with pytest.raises(errors.ContractReverted) as refused:  # what the wallet would meet without the zero step
        ledger.transact(accounts[3], token.functions.approve(ledger.address, 50 * UNIT))
    assert _token_error(refused) == "ApprovalRaceTokenNonZeroAllowance(uint256,uint256)"
    purchase = buy(shop, customer, week_terms.id, [("HAT", 2, 10 * UNIT), ("SCARF", 1, 30 * UNIT)], "R-1",
                   token=token.address)
    assert purchase.paid == 50 * UNIT == _held(ledger, token)
    assert token.functions.allowance(customer.address, ledger.address).call() == 0


EVERY_PAYOUT = {"alice": 27 * UNIT + UNIT, "bob": 18 * UNIT, "referrer": 3_200_000, "shop": 50_800_000}
"""What the trade pays out in the token with a goodwill refund of 1: Alice's refund and goodwill, Bob's credit
cashed out, the referrer's commission, the shop's part."""


def _by_name(accounts, waiting: dict[str, int]) -> dict[str, int]:
    names = {accounts[3].address: "alice", accounts[4].address: "bob", accounts[7].address: "referrer",
             "shop": "shop"}
    return {names[who]: amount for who, amount in waiting.items()}


def _withdraw_everything(ledger, shop, accounts, token) -> None:
    """Everyone takes out what was kept for them in ``token``, the shop to its payout."""
    for index in (3, 4, 7):
        if ledger.deferred_balance(accounts[index].address, token.address):
            ledger.withdraw(accounts[index], token.address)
    if ledger.merchant_deferred_balance(shop.merchant_id, token.address):
        ledger.withdraw_merchant(accounts[5], shop.merchant_id, token.address)


def test_paused_token_payments_are_kept_and_withdrawn_once_it_unpauses(ledger, chain, shop, week_terms, customer,
                                                                       accounts, test_artifacts) -> None:
    """While the token is paused a purchase in it is refused, and every payment in it (refund, goodwill,
    settlement, commission, credit cashed out) is kept for its recipient; the same batch pays the other
    currencies. Unpaused, everyone withdraws in full."""
    token = _trader(chain, accounts, test_artifacts, "PausableToken")
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    send(chain, accounts[0], token.functions.setPaused(True))
    with pytest.raises(errors.ContractReverted) as refused:
        buy(shop, customer, week_terms.id, [("HAT", 1, UNIT)], "P-1", token=token.address)
    assert _token_error(refused) == "PausableTokenPaused()"
    _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == EVERY_PAYOUT
    assert _shortfall(ledger, shop, accounts, token) == 0
    _assert_controls_exact(ledger, shop, accounts, trade)
    with pytest.raises(errors.ContractReverted) as refused:
        customer.withdraw(token.address)
    assert _token_error(refused) == "PausableTokenPaused()"
    send(chain, accounts[0], token.functions.setPaused(False))
    _withdraw_everything(ledger, shop, accounts, token)
    balance = token.functions.balanceOf
    assert balance(customer.address).call() == 1_000 * UNIT - 50 * UNIT + EVERY_PAYOUT["alice"]
    assert (balance(accounts[6].address).call(), balance(accounts[7].address).call()) == (
        EVERY_PAYOUT["shop"], EVERY_PAYOUT["referrer"])
    assert _held(ledger, token) == 0 and _deferred(ledger, shop, accounts, token) == {}
    _assert_never_more_than_due(ledger)


def test_blocklisted_recipients_withdraw_elsewhere_and_a_blocked_ledger_freezes_only_that_token(
        ledger, chain, shop, week_terms, customer, accounts, test_artifacts) -> None:
    """USDC-style: Alice, the referrer and the shop's payout are blocked after buying. Their payments are
    kept; each takes them out to an address that is not blocked (the shop by changing its payout). Once the
    token blocks the ledger itself, its escrow in that token cannot move at all, and nothing else is touched."""
    token = _trader(chain, accounts, test_artifacts, "BlocklistToken")
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    alice, referrer, payout, elsewhere = (accounts[i] for i in (3, 7, 6, 8))
    for blocked in (alice, referrer, payout):
        send(chain, accounts[0], token.functions.setBlocked(blocked.address, True))
    _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == {
        key: EVERY_PAYOUT[key] for key in ("alice", "referrer", "shop")}  # Bob's cash-out went straight to him
    with pytest.raises(errors.ContractReverted) as refused:
        ledger.withdraw_merchant(accounts[5], shop.merchant_id, token.address)
    assert _token_error(refused) == "BlocklistTokenBlocked(address)"
    ledger.withdraw(alice, token.address, to=elsewhere.address)
    ledger.withdraw(referrer, token.address, to=elsewhere.address)
    shop.set_payout(accounts[9].address)
    ledger.withdraw_merchant(accounts[5], shop.merchant_id, token.address)
    assert token.functions.balanceOf(elsewhere.address).call() == EVERY_PAYOUT["alice"] + EVERY_PAYOUT["referrer"]
    assert token.functions.balanceOf(accounts[9].address).call() == EVERY_PAYOUT["shop"]
    assert _held(ledger, token) == 0

    bob = ledger.customer_desk(accounts[4])
    frozen = buy(shop, bob, week_terms.id, [("HAT", 1, 10 * UNIT)], "B-9", token=token.address)
    send(chain, accounts[0], token.functions.setBlocked(ledger.address, True))
    assert bob.return_items(frozen.id).amount == 9 * UNIT  # booked, and kept: the token will not let it go
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == {"bob": 9 * UNIT}
    with pytest.raises(errors.ContractReverted) as refused:
        bob.withdraw(token.address, to=elsewhere.address)
    assert _token_error(refused) == "BlocklistTokenBlocked(address)"
    assert _held(ledger, token) == 10 * UNIT and _shortfall(ledger, shop, accounts, token) == 0
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


def test_token_returning_false_on_failure_is_refused_at_purchase_and_kept_on_payouts(
        ledger, chain, shop, week_terms, customer, accounts, test_artifacts) -> None:
    """ZRX-style: a transfer that fails answers false and moves nothing. A purchase is refused in words
    (nothing recorded); payments while it fails are kept, and withdrawn once it works again."""
    token = _trader(chain, accounts, test_artifacts, "FalseReturnToken")
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    send(chain, accounts[0], token.functions.setAnswers(True, False))
    with pytest.raises(errors.TokenTransferFailed) as refused:
        buy(shop, customer, week_terms.id, [("HAT", 1, UNIT)], "F-1", token=token.address)
    assert refused.value.token == token.address and len(ledger.purchases()) == 4
    _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == EVERY_PAYOUT
    with pytest.raises(errors.TokenTransferFailed):
        customer.withdraw(token.address)
    assert _shortfall(ledger, shop, accounts, token) == 0
    send(chain, accounts[0], token.functions.setAnswers(False, False))
    _withdraw_everything(ledger, shop, accounts, token)
    assert token.functions.balanceOf(customer.address).call() == 1_000 * UNIT - 50 * UNIT + EVERY_PAYOUT["alice"]
    assert _held(ledger, token) == 0 and _deferred(ledger, shop, accounts, token) == {}
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


def test_token_returning_false_on_success_pays_twice_and_leaves_that_token_short(
        ledger, chain, shop, week_terms, customer, accounts, test_artifacts, stranger) -> None:
    """Tether-Gold-style: a transfer moves the tokens and answers false. A purchase is refused (the revert
    undoes the move). Once a token bought with starts doing it, a push that did arrive is also kept as failed:
    Alice's refund reaches her and is kept for her too; her withdrawal is refused while the token answers false,
    and pays her a second time once it stops. The 27 missing then fall on the last paid in that token (here the
    shop's settlement, kept for it and more than the ledger holds); the other currencies are exact."""
    token = _trader(chain, accounts, test_artifacts, "FalseReturnToken")
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    send(chain, accounts[0], token.functions.setAnswers(False, True))
    with pytest.raises(errors.TokenTransferFailed):
        buy(shop, customer, week_terms.id, [("HAT", 1, UNIT)], "F-1", token=token.address)
    assert token.functions.balanceOf(customer.address).call() == 1_000 * UNIT - 50 * UNIT
    assert customer.return_items(trade.alices.id, [1]).amount == 27 * UNIT
    assert token.functions.balanceOf(customer.address).call() == 1_000 * UNIT - 50 * UNIT + 27 * UNIT
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == {"alice": 27 * UNIT}
    with pytest.raises(errors.TokenTransferFailed):
        customer.withdraw(token.address)
    send(chain, accounts[0], token.functions.setAnswers(False, False))
    customer.withdraw(token.address)
    assert token.functions.balanceOf(customer.address).call() == 1_000 * UNIT - 50 * UNIT + 2 * 27 * UNIT
    assert _shortfall(ledger, shop, accounts, token) == 27 * UNIT

    chain.advance_time(8 * DAY)
    batch = ledger.settle(stranger, [trade.alices.id, trade.bobs.id, *(c.id for c in trade.controls)])
    assert len(batch.settled) == 4
    assert _by_name(accounts, _deferred(ledger, shop, accounts, token)) == {"shop": 23 * UNIT + 45 * UNIT}
    assert _held(ledger, token) == 46 * UNIT - 5 * UNIT  # the referrer was paid; the shop's 68 cannot be
    with pytest.raises(errors.ContractReverted) as refused:
        ledger.withdraw_merchant(stranger, shop.merchant_id, token.address)
    assert _token_error(refused) == "ERC20InsufficientBalance(address,uint256,uint256)"
    assert _shortfall(ledger, shop, accounts, token) == 27 * UNIT
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


def test_token_refusing_zero_value_and_self_transfers_is_never_sent_one(ledger, chain, shop, customer, bob,
                                                                        accounts, test_artifacts, stranger) -> None:
    """Zero amounts are skipped, never sent: a purchase paid wholly with credit, a return whose restocking fee is
    all of it, a settlement whose commission is all of it, and one of a purchase refunded in full. The ledger
    never sends to itself or to the zero address (OpenZeppelin tokens revert on that)."""
    token = _trader(chain, accounts, test_artifacts, "StrictToken")
    shop.accept_token(token.address)
    shop.set_credit_cash_out_delay(DAY)
    week, keep_all = shop.publish_terms(7 * DAY, restocking_fee_bps=1_000), shop.publish_terms(7 * DAY, 10_000)
    bobs = ledger.customer_desk(bob)
    first = buy(shop, customer, week.id, [("HAT", 1, 10 * UNIT)], "S-1", token=token.address)
    assert customer.return_for_credit(first.id).amount == 9 * UNIT
    on_credit = buy(shop, customer, week.id, [("PIN", 1, 9 * UNIT)], "S-2", token=token.address, use_credit=9 * UNIT)
    assert on_credit.paid == 9 * UNIT and _held(ledger, token) == 10 * UNIT  # nothing moved for it
    kept = buy(shop, bobs, keep_all.id, [("HAT", 1, 10 * UNIT)], "S-3", token=token.address)
    assert bobs.return_items(kept.id).amount == 0
    referred = buy(shop, bobs, week.id, [("HAT", 1, 10 * UNIT)], "S-4", token=token.address,
                   referrer=accounts[7].address, referral_bps=10_000)
    refunded = buy(shop, bobs, week.id, [("HAT", 1, 10 * UNIT)], "S-5", token=token.address)
    shop.goodwill_refund(refunded.id, 10 * UNIT)
    chain.advance_time(8 * DAY)
    batch = ledger.settle(stranger, [p.id for p in (first, on_credit, kept, referred, refunded)])
    by_id = {s.purchase_id: s for s in batch.settled}
    assert (by_id[referred.id].amount, by_id[referred.id].commission) == (0, 10 * UNIT)
    assert (by_id[refunded.id].amount, by_id[kept.id].amount) == (0, 10 * UNIT)
    assert _deferred(ledger, shop, accounts, token) == {}  # no push failed: none was of zero or to itself
    assert token.functions.balanceOf(accounts[7].address).call() == 10 * UNIT
    assert token.functions.balanceOf(accounts[6].address).call() == 1 * UNIT + 9 * UNIT + 10 * UNIT
    assert _held(ledger, token) == 0 == _shortfall(ledger, shop, accounts, token)
    _assert_never_more_than_due(ledger)


def test_low_decimals_round_down_inside_each_purchase(ledger, chain, shop, week_terms, accounts,
                                                      test_artifacts) -> None:
    """A token with 2 decimals, prices of a few cents: each share and fee rounds down, and what rounding leaves
    stays with the purchase's own settlement; every cent paid in is paid out, none is made up."""
    token = _trader(chain, accounts, test_artifacts, "DecimalsToken", 2, unit=1)
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token, unit=1, referral_bps=333)
    paid = _close(ledger, chain, shop, trade, accounts, goodwill=1)
    assert (paid.returned, paid.credited, paid.commission) == (27, 18, 1)  # 32 kept by Bob: 1.0656 cents
    assert paid.returned + paid.goodwill + paid.credited + paid.merchant + paid.commission == 100
    assert _held(ledger, token) == 0 and _deferred(ledger, shop, accounts, token) == {}
    _assert_controls_exact(ledger, shop, accounts, trade)


def test_amounts_up_to_uint128_with_24_decimals_are_supported(ledger, chain, shop, week_terms, customer, accounts,
                                                              test_artifacts, stranger) -> None:
    """A 24-decimal token and a purchase of 2^128 - 1 units (about 3.4e14 tokens), the largest the ledger takes:
    a return for credit, a 50 % commission and the cash-out work without overflow; one unit more is refused."""
    largest = 2**128 - 1
    token = deploy_contract(chain, accounts[0], test_artifacts["DecimalsToken"], 24)
    send(chain, accounts[0], token.functions.mint(customer.address, 2**129))
    shop.accept_token(token.address)
    shop.set_credit_cash_out_delay(DAY)
    with pytest.raises((errors.InvalidInput, errors.AmountTooLarge)):
        shop.quote(week_terms.id, [("BAR", 1, largest + 1)], "L-0", customer=customer.address, token=token.address)
    purchase = buy(shop, customer, week_terms.id, [("BAR", 1, 2**127), ("COIN", 1, 2**127 - 1)], "L-1",
                   token=token.address, referrer=accounts[7].address, referral_bps=5_000)
    assert purchase.paid == largest == _held(ledger, token)
    credited = customer.return_for_credit(purchase.id, [0]).amount
    assert credited == 2**127 - 2**127 // 10
    chain.advance_time(8 * DAY)
    (settled,) = ledger.settle(stranger, [purchase.id]).settled
    assert settled.amount + settled.commission == largest - credited and settled.commission == (largest - credited) // 2
    assert customer.cash_out_credit(shop.merchant_id, token.address) == credited
    assert _held(ledger, token) == 0 and _deferred(ledger, shop, accounts, token) == {}
    assert token.functions.balanceOf(customer.address).call() == 2**129 - largest + credited


def test_rebase_up_leaves_a_surplus_no_one_can_claim(ledger, chain, shop, week_terms, accounts,
                                                     test_artifacts) -> None:
    """Every balance doubles after the purchases: the ledger pays what it booked, nothing more, and the other
    half stays in it, owed to nobody. (A rebase down: test_hostile_peers.py,
    test_rebasing_token_damage_stays_with_that_tokens_claimants.)"""
    token = _trader(chain, accounts, test_artifacts, "RebasingToken")
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    send(chain, accounts[0], token.functions.rebase(2 * 10**18))
    assert _held(ledger, token) == 200 * UNIT
    paid = _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    assert (paid.returned, paid.credited, paid.merchant, paid.commission) == (27 * UNIT, 18 * UNIT,
                                                                              50_800_000, 3_200_000)
    assert _deferred(ledger, shop, accounts, token) == {}
    assert _held(ledger, token) == 100 * UNIT == -_shortfall(ledger, shop, accounts, token)
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)


@pytest.mark.parametrize(("kind", "arrived"), [("FeeOnTransferToken", 49_500_000), ("BonusOnTransferToken", 50 * UNIT)])
def test_token_moving_more_or_less_than_asked_pays_out_what_it_booked(ledger, chain, shop, week_terms, accounts,
                                                                      test_artifacts, kind, arrived) -> None:
    """1 % burnt on each transfer, or as much again minted to the recipient: a purchase records what arrived,
    never more than its price; the ledger sends what it booked (the token then takes its cut, or adds its
    bonus, on the way), nothing waits, and the ledger ends owing nothing and holding no less."""
    token = _trader(chain, accounts, test_artifacts, kind, *TOKEN_ARGS[kind])
    trade = _open(ledger, chain, shop, week_terms, accounts, test_artifacts, token)
    assert trade.alices.paid == trade.bobs.paid == arrived
    paid = _close(ledger, chain, shop, trade, accounts, goodwill=UNIT)
    booked = paid.returned + paid.goodwill + paid.credited + paid.merchant + paid.commission
    assert booked == 2 * arrived
    assert _deferred(ledger, shop, accounts, token) == {}
    assert owed(ledger, token.address, _holders(accounts), [shop.merchant_id]) == 0
    assert _held(ledger, token) == (0 if kind == "FeeOnTransferToken" else 100 * UNIT)  # the bonus on the buys
    _assert_controls_exact(ledger, shop, accounts, trade)
    _assert_never_more_than_due(ledger)
