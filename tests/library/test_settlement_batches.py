"""A shop's whole settlement: 2,500 closed purchases (bought through the bulk path) settled by
``MerchantDesk.settle()`` in transactions that fit well inside a block, each purchase reported once; a call
the node finds too big for a block is refused in words."""

from __future__ import annotations

import pytest

from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.errors import GasLimitExceeded
from ledger.sending import sign_orders
from tests.support.world import DAY, buy_calls, orders_for

PURCHASES = 2_500
PRICE = 10**15


@pytest.fixture(scope="module")
def closed():
    """A shop on anvil with 2,500 purchases whose windows have closed; the ledger, the shop, the orders."""
    with AnvilChain() as chain:
        accounts = chain.accounts()
        ledger = Ledger.deploy(chain, accounts[0])
        shop = ledger.register_merchant(accounts[1], payout=accounts[9].address)
        terms = shop.publish_terms(7 * DAY)
        signed = sign_orders(accounts[1], orders_for(ledger, terms, accounts[2:9], PURCHASES, PRICE), chain.chain_id,
                             ledger.address)
        assert ledger.send_many(buy_calls(ledger, signed, accounts[2:9])).failed == []
        chain.advance_time(8 * DAY)
        yield ledger, shop, signed


def test_a_call_too_big_for_a_block_is_refused_in_words_on_anvil(closed) -> None:
    """All 2,500 in one call need more gas than a block has (before the shop settles them below)."""
    ledger, shop, signed = closed
    sender = ledger.chain.accounts()[5]
    nonce = ledger.chain.w3.eth.get_transaction_count(sender.address)
    everything = ledger.contract.functions.settle([s.order.packed() for s in signed])
    with pytest.raises(GasLimitExceeded, match="more gas than the node lets one transaction use.*nothing was sent"):
        ledger.transact(sender, everything)
    assert ledger.chain.w3.eth.get_transaction_count(sender.address) == nonce


def test_a_shop_settles_2500_closed_purchases_at_once_on_anvil(closed) -> None:
    ledger, shop, signed = closed
    chain = ledger.chain
    payout = ledger.merchant(shop.merchant_id).payout
    before, first_block = chain.w3.eth.get_balance(payout), chain.w3.eth.block_number + 1
    batch = shop.settle()
    assert sorted(s.purchase_id for s in batch.settled) == sorted(s.purchase_id for s in signed)  # each once
    assert batch.skipped == ()
    size = ledger.settle_batch_size()
    assert len(batch.tx_hashes) == -(-PURCHASES // size) and batch.tx_hash == batch.tx_hashes[0]
    limit = chain.w3.eth.get_block("latest")["gasLimit"]
    for tx_hash in batch.tx_hashes:  # each well inside a block
        assert chain.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"] < limit / 3
    assert chain.w3.eth.get_balance(payout) - before == sum(s.order.total for s in signed)
    assert chain.w3.eth.get_balance(ledger.address) == 0
    assert shop.settle() is None  # nothing left: nothing is sent
    assert chain.w3.eth.block_number == first_block - 1 + len(batch.tx_hashes)
