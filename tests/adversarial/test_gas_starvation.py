"""A caller cannot pick a gas limit that starves a payment into being deferred.

A call gets at most 63/64 of the gas left, so a stranger settling a shop's purchases (anyone may) could send
just enough gas for the settlement but not for the payout's receive hook: the push would fail and the money
would wait in the ledger until the merchant withdraws it. The ledger reverts instead when a push failed with
too little gas left for it to have had its stipend."""

from __future__ import annotations

from ledger import errors
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, buy, deploy_contract


def test_a_stranger_cannot_starve_a_payout_into_deferral(ledger, chain, shop, week_terms, customer, stranger,
                                                        accounts, test_artifacts) -> None:
    wallet = deploy_contract(chain, accounts[7], test_artifacts["HungryWallet"])
    shop.set_payout(wallet.address)
    purchase = buy(shop, customer, week_terms.id, [("LAMP", 1, ETHER)], "H-1")
    chain.advance_time(8 * DAY)
    w3 = chain.w3
    settle = ledger.contract.functions.settle([purchase.order.packed()])
    needed = settle.estimate_gas({"from": stranger.address})
    refusals = []
    for gas in range(needed - 45_000, needed + 1, 1_500):  # from far too little up to the estimate
        tx = settle.build_transaction({"from": stranger.address, "gas": gas, "chainId": chain.chain_id,
                                       "nonce": w3.eth.get_transaction_count(stranger.address)})
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(stranger.sign_transaction(tx).raw_transaction))
        if receipt["status"] == 1:
            break
        refusals.append(gas)
    assert receipt["status"] == 1 and refusals  # the low limits failed; one went through
    assert [ledger.contracts.decode(log).name for log in receipt["logs"]] == ["Settled"]  # paid, not deferred
    assert wallet.functions.payments(0).call() == ETHER
    assert ledger.merchant_deferred_balance(shop.merchant_id) == 0


def test_the_refusal_is_decoded(ledger, chain, shop, week_terms, customer, stranger, accounts,
                                test_artifacts) -> None:
    wallet = deploy_contract(chain, accounts[7], test_artifacts["HungryWallet"])
    shop.set_payout(wallet.address)
    purchase = buy(shop, customer, week_terms.id, [("LAMP", 1, ETHER)], "H-1")
    chain.advance_time(8 * DAY)
    settle = ledger.contract.functions.settle([purchase.order.packed()])
    needed = settle.estimate_gas({"from": stranger.address})
    starved = None
    for gas in range(needed - 60_000, needed, 250):  # some limit leaves the push short but the rest enough
        try:
            with mapped_errors(ledger.errors):
                settle.call({"from": stranger.address, "gas": gas})
        except errors.GasTooLowForPayment as refusal:
            starved = refusal
            break
        except Exception:  # out of gas before the push (each node words it its own way): more gas next time
            continue
    assert starved is not None and starved.to == wallet.address
    assert "send the transaction again with more gas" in str(starved)
