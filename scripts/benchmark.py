"""Gas per operation and transaction throughput, on anvil and the embedded chain.

Run with ``./dev.sh bench``. Prints a table of receipt ``gasUsed`` per operation with the bars of the
issues, then purchases per second through the library on each chain; the figures go in BENCHMARKS.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.chain import AnvilChain, Chain, EmbeddedChain  # noqa: E402
from ledger.client import Ledger  # noqa: E402
from ledger.models import LineItem  # noqa: E402

DAY = 86_400
ETHER = 10**18
BARS = {  # operation: (bar now, later target)
    "buy, ETH, 1 line": (80_000, 55_000),
    "return, full (1 line)": (50_000, 40_000),
    "contact moment (merchant)": (30_000, 26_000),
}


def gas_table(chain: Chain) -> dict[str, int]:
    """Gas used by each operation, measured from receipts."""
    deployer, owner, agent, alice, bob = chain.accounts()[:5]
    ledger = Ledger.deploy(chain, deployer)
    gas: dict[str, int] = {}

    def measure(name: str, action) -> object:
        before = chain.w3.eth.block_number
        result = action()
        receipt_gas = sum(
            chain.w3.eth.get_block(number, full_transactions=False)["gasUsed"]
            for number in range(before + 1, chain.w3.eth.block_number + 1)
        )
        gas[name] = receipt_gas
        return result

    shop = measure("register merchant", lambda: ledger.register_merchant(owner))
    measure("add agent", lambda: shop.add_agent(agent.address))
    terms = measure("publish terms", lambda: shop.publish_terms(30 * DAY, restocking_fee_bps=500))
    measure("set an agent's goodwill budget", lambda: shop.set_budget(agent.address, 10 * ETHER))
    staff = ledger.merchant_desk(agent, shop.merchant_id)
    alice_desk, bob_desk = ledger.customer_desk(alice), ledger.customer_desk(bob)
    one = measure("buy, ETH, 1 line", lambda: alice_desk.buy(terms.id, [LineItem("SKU-1", 1, ETHER)], "o-1"))
    three = measure(
        "buy, ETH, 3 lines",
        lambda: alice_desk.buy(terms.id, [LineItem(f"SKU-{i}", i, ETHER) for i in (1, 2, 3)], "o-2"),
    )
    measure(
        "contact moment (merchant)",
        lambda: staff.log_contact(alice.address, "chat", "question", "hi", purchase_id=one.id),
    )
    measure("contact moment (customer)", lambda: alice_desk.log_contact(shop.merchant_id, "email", "feedback", "x"))
    measure("confirm delivery", lambda: shop.confirm_delivery(three.id))
    measure("return, full (1 line)", lambda: alice_desk.return_items(one.id))
    measure("return, 1 of 3 lines", lambda: alice_desk.return_items(three.id, [1]))
    measure("goodwill refund (agent, within budget)",
            lambda: staff.goodwill_refund(three.id, ETHER // 10, "late delivery", "sorry"))
    measure("extend a return window (agent)", lambda: staff.extend_window(three.id, 7 * DAY, "service recovery"))
    signed = alice_desk.sign_return(three.id, [2])
    measure("return, signed, submitted by a relayer", lambda: ledger.submit_return(bob, signed))
    measure("review", lambda: alice_desk.review(three.id, 4, "good"))
    measure("review again (replaces)", lambda: alice_desk.review(three.id, 5, "better"))
    measure("net promoter score", lambda: alice_desk.give_nps(three.id, 9))
    contact = staff.log_contact(alice.address, "email", "question", "size?")
    measure("contact satisfaction score", lambda: alice_desk.rate_contact(contact, 5))
    batch = [bob_desk.buy(terms.id, [LineItem("SKU-1", 1, ETHER)], f"b-{i}") for i in range(10)]
    chain.advance_time(40 * DAY)  # past the 30-day window and the 7-day extension
    measure("settle 1 purchase", lambda: ledger.settle(bob, [three.id]))
    measure("settle 10 purchases (one tx)", lambda: ledger.settle(bob, [p.id for p in batch]))
    return gas


def throughput(chain: Chain, count: int) -> float:
    """Purchases per second through the library (simulate, sign, send, wait, decode)."""
    deployer, owner, alice = chain.accounts()[0], chain.accounts()[1], chain.accounts()[3]
    ledger = Ledger.deploy(chain, deployer)
    terms = ledger.register_merchant(owner).publish_terms(7 * DAY)
    desk = ledger.customer_desk(alice)
    start = time.perf_counter()
    for i in range(count):
        desk.buy(terms.id, [LineItem("SKU", 1, 1000)], f"t-{i}")
    return count / (time.perf_counter() - start)


def main() -> None:
    with AnvilChain() as anvil:
        gas = gas_table(anvil)
    with EmbeddedChain() as embedded:
        gas_embedded = gas_table(embedded)
    print("| operation | gas (anvil) | gas (embedded) | bar | later target |")
    print("|---|---:|---:|---:|---:|")
    for name, used in gas.items():
        bar, target = BARS.get(name, (None, None))
        status = "" if bar is None else (" ✓" if used <= bar else " ✗ over")
        print(
            f"| {name} | {used:,} | {gas_embedded[name]:,} | {'' if bar is None else f'{bar:,}{status}'} "
            f"| {'' if target is None else f'{target:,}'} |"
        )
    print()
    with AnvilChain() as anvil:
        anvil_rate = throughput(anvil, 200)
    with EmbeddedChain() as embedded:
        embedded_rate = throughput(embedded, 60)
    print(f"purchases per second through the library: anvil {anvil_rate:.0f}, embedded {embedded_rate:.0f} "
          f"(anvil / embedded = {anvil_rate / embedded_rate:.1f}×)")


if __name__ == "__main__":
    main()
