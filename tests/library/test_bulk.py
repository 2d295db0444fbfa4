"""The bulk write path: many calls simulated, signed over the cores, sent in batches and confirmed in bulk,
one result or one decoded error per call, each sent once.

Run as a script (``python -m tests.library.test_bulk [N]``, from the checkout) it prints bulk against one-at-a-time
purchases/s on anvil.
"""

from __future__ import annotations

import sys
import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ledger import errors
from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.events import contact_of
from ledger.models import LineItem
from ledger.orders import (
    ORDER_TYPES,
    Order,
    compact_signature,
    domain,
    recover_order_signer,
)
from ledger.sending import Call, bulk, sign_orders
from ledger.validate import hash_of
from tests.support.world import DAY, buy_call, buy_calls, deploy_contract, orders_for


def _contact(ledger: Ledger, merchant_id: int, customer: str, text: str, occurred_at: int | None = None):
    return ledger.contact_call(merchant_id, customer, None, "chat", "question", occurred_at, hash_of(text))


def _nonce(chain, account) -> int:
    return chain.w3.eth.get_transaction_count(account.address)


def test_bulk_sends_exactly_one_transaction_per_item(ledger, chain, staff, agent, alice) -> None:
    before, first_block = _nonce(chain, agent), chain.w3.eth.block_number + 1
    report = ledger.send_many([Call(agent, _contact(ledger, staff.merchant_id, alice.address, f"call {n}"))
                                for n in range(12)])
    assert not report.failed and len(report.sent) == 12
    assert _nonce(chain, agent) == before + 12
    mined = [bytes(tx).hex() for number in range(first_block, chain.w3.eth.block_number + 1)
             for tx in chain.w3.eth.get_block(number)["transactions"]]
    assert sorted("0x" + tx for tx in mined) == sorted(result.tx_hash for result in report.sent)  # none twice
    contacts = [contact_of(result.named("ContactLogged")[0]) for result in report.results()]
    assert [c.content_hash for c in contacts] == [c.content_hash for c in ledger.contacts()]  # in order


def test_bulk_reports_each_failure_and_leaves_no_nonce_gap(ledger, chain, staff, agent, alice, stranger) -> None:
    now = chain.now()
    calls = [Call(agent, _contact(ledger, staff.merchant_id, alice.address, f"call {n}")) for n in range(6)]
    calls[1] = Call(stranger, calls[1].function)  # not the shop's staff
    calls[4] = Call(agent, _contact(ledger, staff.merchant_id, alice.address, "later", now + 10 * DAY))
    before = _nonce(chain, agent)
    report = ledger.send_many(calls)
    assert [outcome.index for outcome in report.failed] == [1, 4]
    assert isinstance(report.outcomes[1].error, errors.NotMerchantAgent)
    assert report.outcomes[1].error.caller == stranger.address
    assert isinstance(report.outcomes[4].error, errors.TimeInFuture)
    assert "item 2: " in report.summary() and "item 5: " in report.summary()
    assert _nonce(chain, agent) == before + 4 and _nonce(chain, stranger) == 0
    with pytest.raises(errors.NotMerchantAgent):
        report.results()
    # The next single transaction takes the next nonce.
    assert staff.log_contact(alice.address, "email", "feedback", "after the batch").tx_hash
    assert _nonce(chain, agent) == before + 5 and len(ledger.contacts()) == 5


def test_bulk_buys_orders_signed_in_bulk(ledger, chain, shop, agent, week_terms, alice, bob) -> None:
    orders = orders_for(ledger, week_terms, [alice, bob], 6)
    signed = sign_orders(agent, orders, chain.chain_id, ledger.address)
    assert all(recover_order_signer(s.order, bytes.fromhex(s.signature[2:]), chain.chain_id, ledger.address)
               == agent.address for s in signed)
    report = ledger.send_many(buy_calls(ledger, signed, [alice, bob]))
    bought = [result.named("PurchaseRecorded")[0].args["purchaseId"] for result in report.results()]
    assert bought == [s.purchase_id for s in signed] == [o.purchase_id(chain.chain_id, ledger.address) for o in orders]
    assert chain.w3.eth.get_balance(ledger.address) == sum(order.total for order in orders)


def test_bulk_decodes_a_failure_that_happens_when_mined(ledger, chain, shop, agent, week_terms, alice, bob) -> None:
    # Both simulations pass (the order is not bought yet); the second purchase fails once the first is mined.
    order = orders_for(ledger, week_terms, [alice], 1)[0]
    anyone = Order(**{**order.__dict__, "customer": "0x" + "00" * 20})
    signed = sign_orders(agent, [anyone], chain.chain_id, ledger.address)
    report = ledger.send_many([buy_call(ledger, alice, signed[0]), buy_call(ledger, bob, signed[0])])
    assert report.outcomes[0].ok
    assert isinstance(report.outcomes[1].error, errors.PurchaseExists)
    assert report.outcomes[1].error.purchase_id == signed[0].purchase_id
    assert _nonce(chain, bob) == 1  # it was sent (and mined as failed), not retried


def test_bulk_leaves_out_what_a_sender_cannot_pay(ledger, chain, shop, agent, week_terms, alice) -> None:
    third = chain.w3.eth.get_balance(alice.address) // 3
    orders = orders_for(ledger, week_terms, [alice], 3, price=third)  # a third, two thirds, all of her balance
    report = ledger.send_many(buy_calls(ledger, sign_orders(agent, orders, chain.chain_id, ledger.address), [alice]))
    assert [outcome.ok for outcome in report.outcomes] == [True, False, False]
    assert all(isinstance(outcome.error, errors.InsufficientFunds) for outcome in report.failed)
    assert _nonce(chain, alice) == len(report.sent)


def test_bulk_events_match_the_ledgers_own_decoding(ledger, chain, shop, agent, week_terms, alice) -> None:
    signed = sign_orders(agent, orders_for(ledger, week_terms, [alice], 2), chain.chain_id, ledger.address)
    report = ledger.send_many(buy_calls(ledger, signed, [alice]) + [
        Call(agent, _contact(ledger, shop.merchant_id, alice.address, "hello"))])
    for result in report.results():
        receipt = chain.w3.eth.get_transaction_receipt(result.tx_hash)
        assert result.events == tuple(ledger.contracts.decode(log) for log in receipt["logs"])


def test_orders_signed_in_the_pool_equal_those_signed_inline(ledger, chain, agent, monkeypatch) -> None:
    class Terms:
        id, merchant_id, return_window, restocking_fee_bps, delivery_wait, item_must_be_returned = 1, 1, 0, 0, 0, False

    orders = orders_for(ledger, Terms, [agent], 8)
    inline = sign_orders(agent, orders, chain.chain_id, ledger.address)
    monkeypatch.setattr(bulk, "POOL_THRESHOLD", 2)
    assert sign_orders(agent, orders, chain.chain_id, ledger.address, workers=2) == inline


def test_transactions_signed_in_bulk_equal_eth_accounts(agent) -> None:
    tx = {"to": agent.address, "data": "0x" + "ab" * 100, "value": 7, "gas": 60_000, "nonce": 3, "chainId": 31337,
          "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}
    signed = Account.sign_transaction({**tx, "type": 2}, agent.key)
    assert bulk._sign_transactions([(bytes(agent.key), tx)]) == [(bytes(signed.raw_transaction), bytes(signed.hash))]


@pytest.mark.parametrize("deployed", ["anvil"], indirect=True)
def test_bulk_does_not_resend_what_the_node_already_has(ledger, chain, staff, agent, alice, monkeypatch) -> None:
    sent_for_real = bulk._HttpNode.send

    def answer_lost(self, raws):  # the node takes the batch but the answer never comes back
        sent_for_real(self, raws)
        monkeypatch.setattr(bulk._HttpNode, "send", sent_for_real)
        raise errors.NodeError("timed out")

    monkeypatch.setattr(bulk._HttpNode, "send", answer_lost)
    before = _nonce(chain, agent)
    report = ledger.send_many([Call(agent, _contact(ledger, staff.merchant_id, alice.address, f"call {n}"))
                                for n in range(5)])
    assert len(report.results()) == 5 and _nonce(chain, agent) == before + 5


def measure(purchases: int = 2_000, one_by_one: int = 100) -> None:
    """Print purchases/s through the bulk path and one at a time (``CustomerDesk.buy``), on a fresh anvil."""
    from ledger.chain import AnvilChain

    with AnvilChain() as chain:
        accounts = chain.accounts()
        ledger = Ledger.deploy(chain, accounts[0])
        shop = ledger.register_merchant(accounts[1])
        terms = shop.publish_terms(30 * DAY)
        buyers = accounts[2:]
        started = time.monotonic()
        signed = sign_orders(accounts[1], orders_for(ledger, terms, buyers, purchases), chain.chain_id, ledger.address)
        report = ledger.send_many(buy_calls(ledger, signed, buyers))
        bulk_rate = len(report.results()) / (time.monotonic() - started)
        started = time.monotonic()
        for n in range(one_by_one):
            buyer = ledger.customer_desk(buyers[n % len(buyers)])
            buyer.buy(shop.quote(terms.id, [LineItem("MUG", 1, 10**15)], f"ONE-{n}", customer=buyer.address))
        single_rate = one_by_one / (time.monotonic() - started)
        print(f"bulk: {purchases} purchases at {bulk_rate:,.0f}/s (orders signed, bought, confirmed); "
              f"one at a time: {one_by_one} at {single_rate:,.0f}/s; ratio {bulk_rate / single_rate:.1f}x")


if __name__ == "__main__":
    measure(*(int(arg) for arg in sys.argv[1:]))


def test_orders_signed_in_bulk_equal_eth_accounts(ledger, chain, agent) -> None:
    class Terms:
        id, merchant_id, return_window, restocking_fee_bps, delivery_wait, item_must_be_returned = 1, 1, 0, 0, 0, False

    orders = orders_for(ledger, Terms, [agent], 3)
    for order, signed in zip(orders, sign_orders(agent, orders, chain.chain_id, ledger.address)):
        signable = encode_typed_data(domain(chain.chain_id, ledger.address), ORDER_TYPES, order.message())
        by_eth_account = Account.sign_message(signable, agent.key)
        assert signed.signature == "0x" + compact_signature(bytes(by_eth_account.signature)).hex()
        assert signed.purchase_id == "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def test_encoded_calls_equal_web3s(ledger, agent, alice) -> None:
    args = (1, alice.address, bytes(32), 2, 3, 1_700_000_000, b"\x11" * 32)
    assert bulk.encoder(ledger.contract, "logContact")(*args).data == \
        ledger.contract.functions.logContact(*args)._encode_transaction_data()


def test_a_call_that_needs_more_gas_than_its_shape_is_sent_again_with_its_own(
        ledger, chain, agent, test_artifacts) -> None:
    probe = deploy_contract(chain, agent, test_artifacts["GasProbe"])
    fill = bulk.encoder(probe, "fill")
    before = _nonce(chain, agent)
    report = ledger.send_many([Call(agent, fill(count)) for count in (1, 1, 1, 1, 40)])  # the first three priced
    assert [outcome.ok for outcome in report.outcomes] == [True] * 5
    assert probe.functions.slots(43).call() == 39  # every fill ran once: 4 one-slot fills, then 40 slots
    assert _nonce(chain, agent) == before + 6  # the 40-slot fill ran short once, then went through


@pytest.mark.parametrize("says_it_automines", [True, False])
def test_a_stalled_automining_node_is_asked_to_mine(says_it_automines, monkeypatch) -> None:
    """anvil, automining, can leave transactions pending for good when many arrive out of nonce order
    (foundry-rs/foundry issue 10122). Here the node holds them for real (its mining is off) and says it
    automines: after ``STALL`` seconds without a receipt the bulk path has a block mined. A node that does not
    automine is left alone (its owner mines by hand): the send then times out and says so."""
    monkeypatch.setattr(bulk, "STALL", 0.5)
    with AnvilChain() as node:
        accounts = node.accounts()
        ledger = Ledger.deploy(node, accounts[0], index=False)
        merchant = ledger.register_merchant(accounts[1]).merchant_id
        node._rpc("evm_setAutomine", [False])
        asked = bulk._HttpNode._many

        def node_says(self, method, params):
            return [True] if method == "anvil_getAutomine" and says_it_automines else asked(self, method, params)

        monkeypatch.setattr(bulk._HttpNode, "_many", node_says)
        calls = [Call(accounts[1], _contact(ledger, merchant, accounts[3].address, f"call {n}")) for n in range(3)]
        report = ledger.send_many(calls, timeout=3)
        if says_it_automines:
            assert len(report.results()) == 3
            assert node.w3.eth.get_transaction_count(accounts[1].address) == 4  # registration + 3
        else:
            assert len(report.failed) == 3
            assert all("not mined within 3 s" in str(outcome.error) for outcome in report.failed)
            assert node.w3.eth.get_block("pending")["transactions"]  # still there, unmined


def test_a_node_that_refuses_nonces_ahead_as_hardhat_does_gets_each_senders_in_order(monkeypatch) -> None:
    """A node that keeps no queue of future transactions and answers a batch's requests in any order (Hardhat while
    it automines; here the last of a batch first): what it refused as ahead of its sender's nonce goes again in nonce
    order, one per sender a batch, and so does every later send. Below a gap (C's first nonce refused for another
    reason) the sender's later ones get the gap's refusal; a refusal that names the transaction as mined (Hardhat's
    answer to one that reverted) is none. One answer per transaction."""
    expected = dict.fromkeys("ABCD", 0)
    batches: list[list[tuple[str, int]]] = []

    def answer(raw: bytes) -> object:
        sender, nonce = chr(raw[0]), raw[1]
        if sender == "C" and nonce == 0:
            return bulk._RpcError({"message": "insufficient funds for gas * price + value"})
        if nonce > expected[sender]:
            return bulk._RpcError({"message": f"Nonce too high. Expected nonce to be {expected[sender]} but got {nonce}. "
                                              "Note that transactions can't be queued when automining."})
        expected[sender] += 1
        if sender == "D":
            return bulk._RpcError({"message": "VM Exception while processing transaction: reverted",
                                   "data": {"txHash": "0x" + tx_hash(raw).hex(), "data": "0x"}})
        return "0x" + tx_hash(raw).hex()

    def many(method, params):
        raws = [bytes.fromhex(p[0][2:]) for p in params]
        batches.append([(chr(raw[0]), raw[1]) for raw in raws])
        return [answer(raw) for raw in reversed(raws)][::-1]

    def tx_hash(raw: bytes) -> bytes:
        return raw * 16

    def signed(*names: str) -> list[bulk._Signed]:
        return [bulk._Signed(name[0], int(name[1:]), bytes([ord(name[0]), int(name[1:])]),
                             tx_hash(bytes([ord(name[0]), int(name[1:])]))) for name in names]

    node = bulk._HttpNode("http://127.0.0.1:9", 200)
    monkeypatch.setattr(node, "_many", many)
    answers = node.send(signed("A0", "A1", "A2", "B0", "B1", "C0", "C1", "C2", "D0"))
    assert expected == {"A": 3, "B": 2, "C": 0, "D": 1}
    assert [a is None for a in answers] == [True] * 5 + [False] * 3 + [True]
    assert "insufficient funds" in str(answers[5]) and "Nonce too high" in str(answers[6])
    assert str(answers[7]).startswith("it cannot follow nonce 1 of C, which the node refused (Nonce too high.")
    assert all(len({sender for sender, _ in batch}) == len(batch) for batch in batches[1:])  # one each, in order
    assert batches[1:] == [[("A", 1), ("B", 1), ("C", 1)], [("A", 2)]]
    batches.clear()
    assert node.send(signed("A4", "A3")) == [None, None]
    assert batches == [[("A", 3)], [("A", 4)]]  # in nonce order from the start now
