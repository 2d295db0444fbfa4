"""Gas per operation next to the EVM floor for the same work, contract sizes, and throughput.

Run with ``./dev.sh bench`` (``--quick`` for the small run CI makes so this cannot rot). Prints, per
operation, the receipt's ``gasUsed`` on anvil and on the embedded chain, the floor (what any contract must
pay for the same work: the 21,000 base, the calldata as sent, the storage it must touch, the value it must
move, the signature it must check, the events as emitted) and v2's figure with the change; then each contract's size
against the 24,576-byte limit; then purchases per second through the library. The figures go in
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.artifacts import SHIPPED_CONTRACTS, load_artifact  # noqa: E402
from ledger.chain import AnvilChain, Chain, EmbeddedChain  # noqa: E402
from ledger.client import Ledger  # noqa: E402
from ledger.models import LineItem  # noqa: E402

DAY = 86_400
ETHER = 10**18
SIZE_LIMIT = 24_576
SIZE_BAR = SIZE_LIMIT * 8 // 10  # each contract at least 20 % under the limit

COLD_SLOAD, NEW_SLOT, SLOT_UPDATE = 2_100, 20_000 + 2_100, 2_100 + 2_900
VALUE_TO_WARM_ACCOUNT, VALUE_TO_COLD_ACCOUNT, ECRECOVER = 9_000 + 100, 9_000 + 2_600, 3_000

TARGETS = {
    "buy, ETH, 1 line (signed order)": 58_000,
    "return, full (1 line)": 40_000,
    "contact moment (staff)": 26_000,
    "settle, per purchase in a batch of 100": 15_000,
}
V2 = {  # the figures of the v2 contract (BENCHMARKS.md, anvil), for comparison
    "register merchant": 115_706, "add agent": 51_322, "publish terms": 66_046,
    "set an agent's goodwill budget": 54_961, "set an agent's extension mandate": 34_792,
    "buy, ETH, 1 line (signed order)": 66_710, "buy, ETH, 3 lines (signed order)": 71_809,
    "contact moment (staff)": 29_508, "contact moment (customer)": 28_974, "confirm delivery": 35_232,
    "return, full (1 line)": 43_271, "return, 1 of 3 lines": 46_265, "goodwill refund (agent, within budget)": 59_437,
    "extend a return window (agent)": 43_067, "return, signed, submitted by a relayer": 78_491,
    "review": 56_588, "review again (replaces)": 39_500, "net promoter score": 38_553,
    "contact satisfaction score": 47_187, "settle 1 purchase": 47_901,
    "settle, per purchase in a batch of 100": 13_649,
}


class Meter:
    """Runs actions on a chain and keeps, per operation, the gas its blocks used and the floor for it."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.gas: dict[str, int] = {}
        self.floor: dict[str, int] = {}

    def measure(self, name: str, action: Callable[[], Any], unavoidable: int = 0, per: int = 1) -> Any:
        """Run ``action``; record its gas (divided by ``per``) and, given the unavoidable state, value and
        signature work, its floor: base, calldata and logs of its transactions as sent, plus ``unavoidable``.
        Expiries and deadlines differ by chain time, so the two chains' calldata (and gas) can differ by a
        few units."""
        w3 = self.chain.w3
        before = w3.eth.block_number
        result = action()
        used, floor = 0, unavoidable
        for number in range(before + 1, w3.eth.block_number + 1):
            block = w3.eth.get_block(number, full_transactions=True)
            used += block["gasUsed"]
            for tx in block["transactions"]:
                data = bytes(tx["input"] if "input" in tx else tx["data"])  # eth-tester says "data"
                floor += 21_000 + sum(16 if byte else 4 for byte in data)
                for log in w3.eth.get_transaction_receipt(tx["hash"])["logs"]:
                    floor += 375 + 375 * len(log["topics"]) + 8 * len(bytes(log["data"]))
        self.gas[name] = used // per
        if unavoidable:
            self.floor[name] = floor // per
        return result


def gas_table(chain: Chain, batch: int) -> Meter:
    """Gas used by each operation, measured from the blocks it mined."""
    deployer, owner, agent, alice, bob = chain.accounts()[:5]
    ledger = Ledger.deploy(chain, deployer)
    meter = Meter(chain)
    measure = meter.measure

    shop = measure("register merchant", lambda: ledger.register_merchant(owner))
    measure("add agent", lambda: shop.add_agent(agent.address))
    terms = measure("publish terms", lambda: shop.publish_terms(30 * DAY, restocking_fee_bps=500))
    late = shop.publish_terms(30 * DAY, restocking_fee_bps=500, delivery_wait=14 * DAY)
    measure("set an agent's goodwill budget", lambda: shop.set_budget(agent.address, 10 * ETHER))
    measure("set an agent's extension mandate", lambda: shop.set_mandate(agent.address, 14))
    staff = ledger.merchant_desk(agent, shop.merchant_id)
    alice_desk, bob_desk = ledger.customer_desk(alice), ledger.customer_desk(bob)

    def bought(desk: Any, terms_id: int, lines: list[LineItem], ref: str) -> Any:
        order = shop.quote(terms_id, lines, ref, customer=desk.address)
        return lambda: desk.buy(order)

    # the purchase slot and its order reference's (one order reference, one purchase); staff role and terms read
    signed_buy = 2 * NEW_SLOT + 2 * COLD_SLOAD + ECRECOVER
    one = measure("buy, ETH, 1 line (signed order)",
                  bought(alice_desk, terms.id, [LineItem("SKU-1", 1, ETHER)], "o-1"), signed_buy)
    three = measure("buy, ETH, 3 lines (signed order)",
                    bought(alice_desk, late.id, [LineItem(f"SKU-{i}", i, ETHER) for i in (1, 2, 3)], "o-2"),
                    signed_buy)
    measure("contact moment (staff)",
            lambda: staff.log_contact(alice.address, "chat", "question", "hi", purchase_id=one.id), COLD_SLOAD)
    measure("contact moment (customer)", lambda: alice_desk.log_contact(shop.merchant_id, "email", "feedback", "x"),
            COLD_SLOAD)
    measure("confirm delivery", lambda: shop.confirm_delivery(three.id), COLD_SLOAD + SLOT_UPDATE)
    measure("return, full (1 line)", lambda: alice_desk.return_items(one.id), SLOT_UPDATE + VALUE_TO_WARM_ACCOUNT)
    measure("return, 1 of 3 lines", lambda: alice_desk.return_items(three.id, [1]),
            SLOT_UPDATE + VALUE_TO_WARM_ACCOUNT)
    measure("goodwill refund (agent, within budget)",
            lambda: staff.goodwill_refund(three.id, ETHER // 10, "late delivery", "sorry"),
            SLOT_UPDATE + 2 * COLD_SLOAD + 2_900 + VALUE_TO_COLD_ACCOUNT)
    measure("extend a return window (agent)", lambda: staff.extend_window(three.id, 7, "service recovery"),
            SLOT_UPDATE + COLD_SLOAD)
    signed = alice_desk.sign_return(three.id, [2])
    measure("return, signed, submitted by a relayer", lambda: ledger.submit_return(bob, signed),
            SLOT_UPDATE + NEW_SLOT + ECRECOVER + VALUE_TO_COLD_ACCOUNT)
    measure("review", lambda: alice_desk.review(three.id, 4, "good"), NEW_SLOT + 2_600 + COLD_SLOAD)
    measure("review again (replaces)", lambda: alice_desk.review(three.id, 5, "better"),
            SLOT_UPDATE + 2_600 + COLD_SLOAD)
    measure("net promoter score", lambda: alice_desk.give_nps(three.id, 9), SLOT_UPDATE + 2_600 + COLD_SLOAD)
    contact = staff.log_contact(alice.address, "email", "question", "size?")
    measure("contact satisfaction score", lambda: alice_desk.rate_contact(contact, 5), NEW_SLOT)
    shop.set_credit_bonus(1_000)
    pair = bought(bob_desk, terms.id, [LineItem("COAT", 1, ETHER), LineItem("HAT", 1, ETHER)], "o-3")()
    # the purchase slot rewritten; the credit's two slots written new; the shop's bonus read
    measure("return for credit, 1 of 2 lines", lambda: bob_desk.return_for_credit(pair.id, [1]),
            SLOT_UPDATE + 2 * NEW_SLOT + COLD_SLOAD)
    swap = shop.quote(terms.id, [LineItem("COAT-L", 1, ETHER)], "o-4", customer=bob.address)
    # the return's slot rewritten, and a purchase as bought: its slot, its order reference's, the signer's and
    # the terms' reads and the signature (the 5 % fee's difference comes in with the call)
    measure("exchange, 1 line for a new 1-line order", lambda: bob_desk.exchange(pair.id, swap, [0]),
            SLOT_UPDATE + signed_buy)
    orders = [shop.quote(terms.id, [LineItem("SKU-1", 1, ETHER)], f"b-{i}", customer=bob.address)
              for i in range(batch)]
    purchases = [bob_desk.buy(order) for order in orders]
    chain.advance_time(50 * DAY)  # past every window, extensions included
    measure("settle 1 purchase", lambda: ledger.settle(bob, [three.id]),
            SLOT_UPDATE + COLD_SLOAD + VALUE_TO_COLD_ACCOUNT)
    measure(f"settle, per purchase in a batch of {batch}", lambda: ledger.settle(bob, [p.id for p in purchases]),
            batch * SLOT_UPDATE + COLD_SLOAD + VALUE_TO_COLD_ACCOUNT, per=batch)
    return meter


def throughput(chain: Chain, count: int) -> float:
    """Purchases per second through the library (quote, simulate, sign, send, wait, decode)."""
    deployer, owner, alice = chain.accounts()[0], chain.accounts()[1], chain.accounts()[3]
    ledger = Ledger.deploy(chain, deployer)
    shop = ledger.register_merchant(owner)
    terms = shop.publish_terms(7 * DAY)
    desk = ledger.customer_desk(alice)
    orders = [shop.quote(terms.id, [LineItem("SKU", 1, 1000)], f"t-{i}", customer=alice.address) for i in range(count)]
    start = time.perf_counter()
    for order in orders:
        desk.buy(order)
    return count / (time.perf_counter() - start)


def sizes() -> dict[str, int]:
    """Deployed bytecode size of each shipped contract, in bytes."""
    return {name: len(bytes.fromhex(load_artifact(name)["deployedBytecode"][2:])) for name in SHIPPED_CONTRACTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (batch of 10, few purchases) for CI")
    quick = parser.parse_args().quick
    batch = 10 if quick else 100
    with AnvilChain() as anvil:
        meter = gas_table(anvil, batch)
    with EmbeddedChain() as embedded:
        embedded_gas = gas_table(embedded, batch).gas
    print("| operation | gas (anvil) | gas (embedded) | floor | above floor | target | v2 | change |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, used in meter.gas.items():
        target = TARGETS.get(name.replace(f"batch of {batch}", "batch of 100"))
        mark = "" if target is None else f"{target:,} {'✓' if used <= target else '✗'}"
        old = V2.get(name.replace(f"batch of {batch}", "batch of 100"))
        floor = meter.floor.get(name)
        beyond = "" if floor is None else f"{floor:,} | {used - floor:,}"
        change = "" if old is None else f"{100 * (used - old) / old:+.1f} %"
        print(f"| {name} | {used:,} | {embedded_gas[name]:,} | {beyond or ' | '} | {mark} | "
              f"{'' if old is None else f'{old:,}'} | {change} |")
    print()
    print("| contract | bytes | of the limit | bar (80 %) |")
    print("|---|---:|---:|---:|")
    for name, size in sizes().items():
        print(f"| {name} | {size:,} | {100 * size / SIZE_LIMIT:.0f} % | {'✓' if size <= SIZE_BAR else '✗'} |")
    print()
    with AnvilChain() as anvil:
        anvil_rate = throughput(anvil, 20 if quick else 200)
    with EmbeddedChain() as embedded:
        embedded_rate = throughput(embedded, 10 if quick else 60)
    print(f"purchases per second through the library: anvil {anvil_rate:.0f}, embedded {embedded_rate:.0f} "
          f"(anvil / embedded = {anvil_rate / embedded_rate:.1f}×)")


if __name__ == "__main__":
    main()
