"""Fill a local chain with a realistic data set: several shops with different return terms, many
customers, purchases spread over months, contact moments, deliveries, returns and settlement.

    python scripts/seed.py                                     # on the node of `ledger node start`
    SEED_PURCHASES=2000 python scripts/seed.py
    brownie run scripts/seed.py --network anvil-ledger

It uses the deployment file (LEDGER_DEPLOYMENT, default .ledger/deployment.json) or deploys first.
The data is the same on every run (a fixed random seed); chain time moves forward as it goes.
Environment: LEDGER_RPC, SEED_PURCHASES (default 200), SEED_CUSTOMERS (default 25), SEED_DAYS (default 180).
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402

from ledger.client import Ledger, MerchantDesk  # noqa: E402
from ledger.deployment import Deployment  # noqa: E402
from ledger.errors import DeploymentError  # noqa: E402
from ledger.models import Channel, ContactKind, LineItem, ReturnTerms  # noqa: E402
from ledger.node import HOME  # noqa: E402
from ledger.scripting import run, script_chain, script_signer  # noqa: E402

DAY = 86_400
FINNEY = 10**15


@dataclass
class Shop:
    name: str
    desk: MerchantDesk
    terms: ReturnTerms
    catalogue: list[tuple[str, int]]
    """SKU and unit price (wei)."""


SHOPS = [
    # name, (window, fee bps, from delivery, item back), catalogue
    ("DreamRest Mattresses", (365 * DAY, 0, False, False),
     [("MATTRESS-QUEEN", 800 * FINNEY), ("MATTRESS-KING", 1000 * FINNEY), ("PILLOW", 50 * FINNEY)]),
    ("Northgate Cars", (7 * DAY, 100, True, True),
     [("SEDAN-2024", 1_200 * FINNEY), ("FLOOR-MATS", 20 * FINNEY)]),
    ("Threadline Fashion", (30 * DAY, 0, False, True),
     [("JACKET", 120 * FINNEY), ("JEANS", 60 * FINNEY), ("SNEAKERS", 90 * FINNEY), ("SOCKS", 5 * FINNEY)]),
    ("Voltage Electronics", (14 * DAY, 1_500, False, True),
     [("LAPTOP", 1_500 * FINNEY), ("HEADPHONES", 200 * FINNEY), ("CABLE", 10 * FINNEY)]),
]


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _ledger(chain, deployer) -> Ledger:
    path = Path(os.environ.get("LEDGER_DEPLOYMENT", HOME / "deployment.json"))
    try:
        return Ledger.attach(chain, Deployment.load(path))
    except DeploymentError:
        ledger = Ledger.deploy(chain, deployer)
        ledger.deployment().save(path)
        return ledger


def main() -> Ledger:
    console = Console()
    purchases, customer_count, days = _setting("SEED_PURCHASES", 200), _setting("SEED_CUSTOMERS", 25), _setting(
        "SEED_DAYS", 180)
    rng = random.Random(2026)
    chain = script_chain()
    dev = chain.accounts()
    ledger = _ledger(chain, script_signer(chain))

    shops = []
    for index, (name, (window, fee, from_delivery, item_back), catalogue) in enumerate(SHOPS):
        owner = dev[1 + index]
        desk = ledger.register_merchant(owner)
        desk.set_referral_commission(300 + 100 * index)
        shops.append(Shop(name, desk, desk.publish_terms(window, fee, from_delivery, item_back), catalogue))
    staff = [ledger.merchant_desk(shop.desk.account, shop.desk.merchant_id) for shop in shops]

    # Customers are fresh keys derived from a fixed seed, topped up by the last development accounts.
    customers = [Account.from_key(keccak(f"ledger seed customer {i}".encode())) for i in range(customer_count)]
    banks = dev[5:]

    def fund(address: str, needed: int) -> None:
        if chain.w3.eth.get_balance(address) >= needed + 10**18:  # 1 ETH spare for gas
            return
        bank = max(banks, key=lambda account: chain.w3.eth.get_balance(account.address))
        chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(bank.sign_transaction({
            "to": address, "value": needed + 50 * 10**18, "gas": 21_000, "chainId": chain.chain_id,
            "maxFeePerGas": 2 * chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) + 10**9,
            "maxPriorityFeePerGas": 10**9, "nonce": chain.w3.eth.get_transaction_count(bank.address),
        }).raw_transaction))

    desks = [ledger.customer_desk(c) for c in customers]

    start = chain.now()
    step = days * DAY // max(purchases, 1)
    counts = {"purchases": 0, "contacts": 0, "deliveries": 0, "returns": 0}
    with Progress(console=console) as progress:
        task = progress.add_task(f"seeding {purchases} purchases over {days} days", total=purchases)
        for n in range(purchases):
            chain.set_next_block_time(max(start + n * step, chain.now()))
            shop_index = rng.randrange(len(shops))
            shop, desk = shops[shop_index], rng.choice(desks)
            lines = [LineItem(sku, rng.randint(1, 3), price)
                     for sku, price in rng.sample(shop.catalogue, rng.randint(1, min(3, len(shop.catalogue))))]
            fund(desk.address, sum(line.total for line in lines))
            referrer = rng.choice([d.address for d in desks if d is not desk]) if rng.random() < 0.2 else None
            bought = desk.buy(shop.terms.id, lines, f"{shop.name[:2].upper()}-{n:06d}", referrer=referrer)
            counts["purchases"] += 1
            if rng.random() < 0.5:
                staff[shop_index].log_contact(
                    desk.address, rng.choice(list(Channel)), rng.choice(list(ContactKind)),
                    f"conversation {n}", purchase_id=bought.id)
                counts["contacts"] += 1
            if shop.terms.window_from_delivery:
                staff[shop_index].confirm_delivery(bought.id)
                counts["deliveries"] += 1
            if rng.random() < 0.15:
                returned = [i for i in range(len(lines)) if rng.random() < 0.6] or [0]
                shipment = f"PARCEL-{n}" if shop.terms.item_must_be_returned else None
                desk.return_items(bought.id, returned, shipment)
                counts["returns"] += 1
            progress.advance(task)

    chain.advance_time(366 * DAY)  # every window has closed: pay the shops
    closed = [p.id for p in ledger.settleable()]
    for begin in range(0, len(closed), 40):
        ledger.settle(dev[0], closed[begin:begin + 40])
    console.print(
        f"seeded {counts['purchases']} purchases at {len(shops)} shops by {len(customers)} customers, "
        f"{counts['contacts']} contacts, {counts['deliveries']} deliveries, {counts['returns']} returns; "
        f"{len(closed)} settled"
    )
    return ledger


if __name__ == "__main__":
    run(main)
