"""An independent client agrees: what the library wrote and reads, `cast` (Foundry) reads the same.

This shows the contracts speak plain ABI that any Ethereum tool can read, that a purchase id is the
EIP-712 digest of the order the shop signed (computed here with cast alone), and that the library's view
of state, packed orders and events is the chain's.
"""

from __future__ import annotations

import json

import pytest

from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.models import NATIVE
from tests.support.cast import run_cast

pytestmark = pytest.mark.tooling

DAY = 86_400
ORDER_WORDS = "(uint256,uint256,uint256,uint256,bytes32,bytes32)"
LINES = "(bytes32,uint32,uint128)[]"
ORDER_TYPE = (
    "Order(uint64 merchantId,uint64 termsId,address customer,address token,uint256 total,bytes32 linesHash,"
    "uint8 lineCount,bytes32 orderRef,uint40 expiry,address referrer,uint16 referralBps,uint32 returnWindow,"
    "uint16 restockingFeeBps,uint32 deliveryWait,bool itemMustBeReturned,uint8 signerGeneration)"
)
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def cast(chain, *args: str, rpc: bool = True):
    return json.loads(run_cast(*args, *(["--rpc-url", chain.url] if rpc else [])))


@pytest.fixture(scope="module")
def story():
    """On a fresh anvil: a shop with an agent holding a 5-day mandate, terms from purchase and from delivery,
    an order for Alice with a referral, an order for anyone that Bob buys, an extension, a contact, a
    partial return, a delivery, and a settlement batch that skips a purchase settled before."""
    with AnvilChain() as chain:
        deployer, owner, agent, alice, bob, carol, keeper = chain.accounts()[:7]
        ledger = Ledger.deploy(chain, deployer)
        shop = ledger.register_merchant(owner)
        shop.add_agent(agent.address)
        shop.set_mandate(agent.address, 5)
        shop.set_referral_mandate(agent.address, 500)  # the agent may grant carol 5 %
        shop.approve_referrer(carol.address)
        week = shop.publish_terms(7 * DAY, restocking_fee_bps=1_000)
        delivered = shop.publish_terms(7 * DAY, delivery_wait=14 * DAY, item_must_be_returned=True)
        staff = ledger.merchant_desk(agent, shop.merchant_id)
        first = ledger.customer_desk(alice).buy(staff.quote(
            week.id, [("MUG", 2, 10**17), ("TEA", 1, 5 * 10**17)], "O-1", customer=alice.address,
            referrer=carol.address, referral_bps=500))
        second = ledger.customer_desk(bob).buy(staff.quote(delivered.id, [("LAMP", 1, 3 * 10**17)], "O-2"))
        staff.extend_window(first.id, 3, "late delivery")
        staff.log_contact(alice.address, "chat", "return help", "can I send the tea back?", purchase_id=first.id)
        ledger.customer_desk(alice).return_items(first.id, [1])
        staff.confirm_delivery(second.id)
        chain.advance_time(11 * DAY)
        ledger.settle(keeper, [first.id])
        # The batch again with the settled one in it, sent as it is (the library would leave that one out), so
        # the contract passes over it with SettlementSkipped.
        batch = ledger.transact(keeper, ledger.contract.functions.settle(
            [ledger.purchase(i).order.packed() for i in (first.id, second.id)]))
        yield chain, ledger, [first.id, second.id], batch


def test_purchase_state_agrees(story) -> None:
    chain, ledger, ids, _ = story
    for purchase_id in ids:
        mine = ledger.purchase(purchase_id)
        (state,) = cast(chain, "call", "--json", ledger.address,
                        "purchaseState(bytes32)((uint128,uint40,uint32,uint32,uint16,uint8))", purchase_id)
        refunded, purchased_at, delivered_after, mask, extension_days, flags = map(int, state)
        assert (refunded, purchased_at, extension_days, bool(flags & 1)) == (
            mine.refunded, mine.purchased_at, mine.extension_days, mine.settled)
        assert (purchased_at + delivered_after - 1 if delivered_after else 0) == mine.delivered_at
        assert {i for i in range(32) if mask >> i & 1} == set(mine.returned_lines)


def test_terms_merchant_and_staff_agree(story) -> None:
    chain, ledger, _, _ = story
    for terms_id in (1, 2):
        (terms,) = cast(chain, "call", "--json", ledger.address,
                        "terms(uint64)((uint64,uint32,uint16,uint32,bool,bool))", str(terms_id))
        mine = ledger.terms(terms_id)
        assert [int(terms[0]), int(terms[1]), int(terms[2]), int(terms[3]), *terms[4:]] == [
            mine.merchant_id, mine.return_window, mine.restocking_fee_bps, mine.delivery_wait,
            mine.item_must_be_returned, mine.retired]
    (merchant,) = cast(chain, "call", "--json", ledger.address,
                       "merchant(uint64)((address,uint32,uint32,address,uint16))", "1")
    mine = ledger.merchant(1)
    assert [merchant[0].lower(), int(merchant[1]), int(merchant[2]), merchant[3].lower(), int(merchant[4])] == [
        mine.owner.lower(), mine.active_terms, mine.credit_cash_out_delay, mine.payout.lower(), mine.credit_bonus_bps]
    agent = chain.accounts()[2].address
    (staff,) = cast(chain, "call", "--json", ledger.address, "staffOf(uint64,address)((uint8,uint32,uint16))", "1",
                    agent)
    mine = ledger.staff(1, agent)
    assert (int(staff[0]), int(staff[2])) == (int(mine.role), mine.max_extension_days)


def _order_tuple(p) -> str:
    words = p.order.packed()
    return "(" + ",".join([*map(str, words[:4]), "0x" + words[4].hex(), "0x" + words[5].hex()]) + ")"


def test_purchase_id_is_the_eip712_digest_of_the_order(story) -> None:
    chain, ledger, ids, _ = story
    (_, name, version, chain_id, contract, _, _) = cast(
        chain, "call", "--json", ledger.address,
        "eip712Domain()(bytes1,string,string,uint256,address,bytes32,uint256[])")
    assert (name, version, int(chain_id), contract.lower()) == ("Ledger", "3", chain.chain_id, ledger.address.lower())
    separator = run_cast("keccak", run_cast("abi-encode", "f(bytes32,bytes32,bytes32,uint256,address)",
                                            run_cast("keccak", DOMAIN_TYPE), run_cast("keccak", name),
                                            run_cast("keccak", version), chain_id, contract))
    for purchase_id in ids:
        p = ledger.purchase(purchase_id)
        lines = "[" + ",".join(f"(0x{line.sku.encode().ljust(32, bytes(1)).hex()},{line.quantity},{line.unit_price})"
                               for line in p.lines) + "]"
        lines_hash = run_cast("keccak", run_cast("abi-encode", f"f({LINES})", lines))
        assert lines_hash == p.order.lines_hash
        o = p.order
        struct = run_cast("abi-encode", "f(bytes32,uint64,uint64,address,address,uint256,bytes32,uint8,bytes32,uint40,"
                                        "address,uint16,uint32,uint16,uint32,bool,uint8)",
                          run_cast("keccak", ORDER_TYPE), o.merchant_id, o.terms_id, o.customer, o.token, o.total,
                          lines_hash, len(o.lines), o.order_ref, o.expiry, o.referrer, o.referral_bps, o.return_window,
                          o.restocking_fee_bps, o.delivery_wait, str(o.item_must_be_returned).lower(),
                          o.signer_generation)
        digest = run_cast("keccak", "0x1901" + separator[2:] + run_cast("keccak", struct)[2:])
        assert digest == p.id
        (on_chain,) = cast(chain, "call", "--json", ledger.address, f"purchaseIdOf({ORDER_WORDS})(bytes32)",
                           _order_tuple(p))
        assert on_chain == p.id


def logs(chain, address: str, signature: str):
    return cast(chain, "logs", "--json", "--address", address, "--from-block", "0", signature)


def test_purchase_events_agree_with_the_packed_orders(story) -> None:
    chain, ledger, ids, _ = story
    found = logs(chain, ledger.address, f"PurchaseRecorded(bytes32 indexed,uint64 indexed,address indexed,uint256,"
                                        f"uint256,uint256,bytes32,{LINES})")
    purchases = ledger.purchases()
    assert [log["topics"][1] for log in found] == [p.id for p in purchases] == ids
    assert ["0x" + log["topics"][3][-40:] for log in found] == [p.customer.lower() for p in purchases]
    for log, p in zip(found, purchases):
        head, payment, referral, order_ref, lines = cast(
            chain, "decode-abi", "--json", f"f()(uint256,uint256,uint256,bytes32,{LINES})", log["data"], rpc=False)
        head, payment, referral = int(head), int(payment), int(referral)
        # The bit layout documented on ILedger.Order, read here without the library.
        customer = head >> 96
        assert (customer, head >> 32 & (2**64 - 1), head >> 24 & 0xFF, head >> 16 & 1, head & 0xFFFF) == (
            int(p.order.customer, 16), p.merchant_id, len(p.lines), int(p.item_must_be_returned), p.restocking_fee_bps)
        assert (payment >> 96, payment >> 32 & (2**64 - 1), payment & (2**32 - 1)) == (
            int(p.token, 16), p.terms_id, p.return_window)
        assert (referral >> 96, referral >> 80 & 0xFFFF, referral >> 48 & (2**32 - 1), referral >> 8 & (2**40 - 1)) == (
            int(p.referrer, 16), p.referral_bps, p.delivery_wait, p.order.expiry)
        assert order_ref == p.order_ref and len(lines) == len(p.lines)
    assert purchases[0].referral_bps == 500 and purchases[1].order.customer == NATIVE  # an order for anyone


def test_contact_events_agree(story) -> None:
    chain, ledger, ids, _ = story
    (log,) = logs(chain, ledger.address, "ContactLogged(uint64 indexed,address indexed,bytes32,address,uint8,uint8,"
                                         "uint40,bytes32)")
    purchase_id, logged_by, channel, kind, occurred_at, content = cast(
        chain, "decode-abi", "--json", "f()(bytes32,address,uint8,uint8,uint40,bytes32)", log["data"], rpc=False)
    (mine,) = ledger.contacts()
    assert purchase_id == mine.purchase_id == ids[0]
    assert (logged_by.lower(), int(channel), int(kind), int(occurred_at), content) == (
        mine.logged_by.lower(), int(mine.channel), int(mine.kind), mine.occurred_at, mine.content_hash)


def test_return_delivery_and_extension_events_agree(story) -> None:
    chain, ledger, ids, _ = story
    (log,) = logs(chain, ledger.address, "ItemsReturned(bytes32 indexed,uint32,uint256,bytes32)")
    mask, refund, shipment = cast(chain, "decode-abi", "--json", "f()(uint32,uint256,bytes32)", log["data"], rpc=False)
    (mine,) = ledger.refunds()
    assert log["topics"][1] == mine.purchase_id == ids[0]
    assert (int(mask), int(refund), shipment) == (0b10, mine.amount, mine.reference)
    (delivered,) = logs(chain, ledger.address, "DeliveryConfirmed(bytes32 indexed,uint64 indexed,uint40)")
    assert delivered["topics"][1] == ids[1]
    assert int(delivered["data"], 16) == ledger.purchase(ids[1]).delivered_at
    (extended,) = logs(chain, ledger.address,
                       "WindowExtended(bytes32 indexed,uint64 indexed,address indexed,uint16,uint8)")
    days, reason = cast(chain, "decode-abi", "--json", "f()(uint16,uint8)", extended["data"], rpc=False)
    assert (extended["topics"][1], int(days), int(reason)) == (ids[0], ledger.purchase(ids[0]).extension_days, 1)


def test_settlement_events_agree(story) -> None:
    chain, ledger, ids, batch = story
    settled = logs(chain, ledger.address, "Settled(bytes32 indexed,uint64 indexed,address indexed,uint256,uint256)")
    assert [log["topics"][1] for log in settled] == [s.purchase_id for s in ledger.settlements()] == ids
    for log, mine in zip(settled, ledger.settlements()):
        amount, commission = cast(chain, "decode-abi", "--json", "f()(uint256,uint256)", log["data"], rpc=False)
        assert ("0x" + log["topics"][3][-40:], int(amount), int(commission)) == (
            mine.referrer.lower(), mine.amount, mine.commission)
    (skipped,) = logs(chain, ledger.address, "SettlementSkipped(bytes32 indexed,uint8)")
    assert (skipped["topics"][1], int(skipped["data"], 16)) == (ids[0], 1)  # already settled
    assert [e.args["purchaseId"] for e in batch.named("SettlementSkipped")] == [ids[0]]
    assert [e.args["purchaseId"] for e in batch.named("Settled")] == [ids[1]]
