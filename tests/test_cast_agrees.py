"""An independent client agrees: what the library wrote and reads, `cast` (Foundry) reads the same.

This shows the contract speaks plain ABI that any Ethereum tool can read, and that the library's
view of state and events is the chain's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ledger.chain import AnvilChain
from ledger.client import Ledger

ROOT = Path(__file__).resolve().parent.parent
PURCHASE_TUPLE = "(address,uint64,uint64,address,uint128,uint128,uint40,uint32,uint16,bool,bool,bytes32,bytes32,address,uint16)"


def cast_binary() -> Path:
    found = sorted((ROOT / "node_modules" / "@foundry-rs").glob("cast-*/bin/cast"))
    assert found, "cast is not installed: run `npm ci`"
    return found[0]


@pytest.fixture(scope="module")
def story():
    """On a fresh anvil: a shop, two purchases, a contact, a partial return, a delivery."""
    with AnvilChain() as chain:
        deployer, owner, agent, alice, bob = chain.accounts()[:5]
        ledger = Ledger.deploy(chain, deployer)
        shop = ledger.register_merchant(owner)
        shop.add_agent(agent.address)
        terms = shop.publish_terms(7 * 86_400, restocking_fee_bps=1_000)
        first = ledger.customer_desk(alice).buy(terms.id, [("MUG", 2, 10**17), ("TEA", 1, 5 * 10**17)], "O-1")
        second = ledger.customer_desk(bob).buy(terms.id, [("LAMP", 1, 3 * 10**17)], "O-2")
        shop.set_budget(agent.address, 10**17)
        staff = ledger.merchant_desk(agent, shop.merchant_id)
        staff.extend_window(second.id, 3 * 86_400, "late delivery")
        staff.log_contact(alice.address, "chat", "return help", "can I send the tea back?", purchase_id=first.id)
        ledger.customer_desk(alice).return_items(first.id, [1])
        staff.confirm_delivery(second.id)
        yield chain, ledger, [first.id, second.id]


def cast(chain, *args: str, rpc: bool = True):
    command = [str(cast_binary()), *args, *(["--rpc-url", chain.url] if rpc else [])]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def test_purchase_state_agrees(story) -> None:
    chain, ledger, ids = story
    for purchase_id in ids:
        mine = ledger.purchase(purchase_id)
        (state,) = cast(chain, "call", "--json", ledger.address,
                        "purchaseState(bytes32)((uint128,uint40,uint32,uint32,bool,bool))", purchase_id)
        refunded, delivered_at, mask, extension, recorded, settled = state
        assert (int(refunded), int(delivered_at), int(extension), recorded, settled) == (
            mine.refunded, mine.delivered_at, mine.window_extension, True, mine.settled)
        assert {i for i in range(32) if int(mask) >> i & 1} == set(mine.returned_lines)


def test_terms_and_merchant_agree(story) -> None:
    chain, ledger, _ = story
    (terms,) = cast(chain, "call", "--json", ledger.address, "terms(uint64)((uint64,uint32,uint16,bool,bool,bool))", "1")
    mine = ledger.terms(1)
    assert [int(terms[0]), int(terms[1]), int(terms[2]), *terms[3:]] == [
        mine.merchant_id, mine.return_window, mine.restocking_fee_bps, mine.window_from_delivery,
        mine.item_must_be_returned, mine.retired]
    (merchant,) = cast(chain, "call", "--json", ledger.address, "merchant(uint64)((address,address,uint16,uint16))",
                       "1")
    mine = ledger.merchant(1)
    assert [merchant[0].lower(), merchant[1].lower(), int(merchant[2]), int(merchant[3])] == [
        mine.owner.lower(), mine.payout.lower(), mine.referral_bps, mine.credit_bonus_bps]


def test_purchase_id_is_the_hash_of_the_abi_encoded_purchase(story) -> None:
    chain, ledger, ids = story
    p = ledger.purchase(ids[0])
    fields = [p.customer, p.merchant_id, p.terms_id, p.token, p.paid, p.price, p.purchased_at, p.return_window,
              p.restocking_fee_bps, str(p.window_from_delivery).lower(), str(p.item_must_be_returned).lower(),
              p.lines_hash, p.order_ref, p.referrer, p.referral_bps]
    encoded = subprocess.run([str(cast_binary()), "abi-encode", f"f({PURCHASE_TUPLE})", f"({','.join(map(str, fields))})"],
                             capture_output=True, text=True, check=True).stdout.strip()
    digest = subprocess.run([str(cast_binary()), "keccak", encoded], capture_output=True, text=True, check=True)
    assert digest.stdout.strip() == p.id


def logs(chain, ledger, signature: str):
    return cast(chain, "logs", "--json", "--address", ledger.address, "--from-block", "0", signature)


def test_purchase_events_agree(story) -> None:
    chain, ledger, ids = story
    found = logs(chain, ledger, f"PurchaseRecorded(bytes32 indexed,uint64 indexed,address indexed,{PURCHASE_TUPLE},"
                                "(bytes32,uint32,uint128)[])")
    assert [log["topics"][1] for log in found] == [p.id for p in ledger.purchases()] == ids
    customers = ["0x" + log["topics"][3][-40:] for log in found]
    assert customers == [p.customer.lower() for p in ledger.purchases()]


def test_contact_events_agree(story) -> None:
    chain, ledger, ids = story
    (log,) = logs(chain, ledger, "ContactLogged(uint64 indexed,address indexed,bytes32 indexed,address,uint8,uint8,"
                                 "uint40,bytes32)")
    logged_by, channel, kind, occurred_at, content = cast(
        chain, "decode-abi", "--json", "f()(address,uint8,uint8,uint40,bytes32)", log["data"], rpc=False)
    (mine,) = ledger.contacts()
    assert log["topics"][3] == mine.purchase_id == ids[0]
    assert (logged_by.lower(), int(channel), int(kind), int(occurred_at), content) == (
        mine.logged_by.lower(), int(mine.channel), int(mine.kind), mine.occurred_at, mine.content_hash)


def test_return_events_agree(story) -> None:
    chain, ledger, ids = story
    (log,) = logs(chain, ledger, "ItemsReturned(bytes32 indexed,address indexed,uint32,uint256,bytes32)")
    mask, refund, shipment = cast(chain, "decode-abi", "--json", "f()(uint32,uint256,bytes32)", log["data"], rpc=False)
    (mine,) = ledger.refunds()
    assert log["topics"][1] == mine.purchase_id == ids[0]
    assert (int(mask), int(refund), shipment) == (0b10, mine.amount, mine.reference)
    (delivered,) = logs(chain, ledger, "DeliveryConfirmed(bytes32 indexed,uint64 indexed,uint40)")
    assert delivered["topics"][1] == ids[1]
