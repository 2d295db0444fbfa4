"""Fill a local chain with a realistic data set: several shops with different return terms, many
customers, purchases spread over months, contact moments, deliveries, returns, reviews, scores,
referrals and settlement.

Each shop's checkout (an agent key) signs an order for the customer, with a referral commission when
someone referred them, and the customer buys it: the way every purchase is made.

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
from eth_account.signers.local import LocalAccount  # noqa: E402
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
    owner: MerchantDesk
    """The owner's desk: staff work (contacts, deliveries) is signed by the owner."""
    checkout: MerchantDesk
    """The web shop's agent key, which only signs orders (it needs no ether)."""
    terms: ReturnTerms
    catalogue: list[tuple[str, int]]
    """SKU and unit price (wei)."""
    referral_bps: int
    """The commission the shop grants referrers, in each order that names one."""


SHOPS = [
    # name, (window, fee bps, longest wait for delivery or 0, item back), catalogue
    ("DreamRest Mattresses", (365 * DAY, 0, 0, False),
     [("MATTRESS-QUEEN", 800 * FINNEY), ("MATTRESS-KING", 1000 * FINNEY), ("PILLOW", 50 * FINNEY)]),
    ("Northgate Cars", (7 * DAY, 100, 14 * DAY, True),
     [("SEDAN-2024", 1_200 * FINNEY), ("FLOOR-MATS", 20 * FINNEY)]),
    ("Threadline Fashion", (30 * DAY, 0, 0, True),
     [("JACKET", 120 * FINNEY), ("JEANS", 60 * FINNEY), ("SNEAKERS", 90 * FINNEY), ("SOCKS", 5 * FINNEY)]),
    ("Voltage Electronics", (14 * DAY, 1_500, 0, True),
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


def _key(label: str) -> LocalAccount:
    """A fresh key derived from a fixed seed, so every run makes the same accounts."""
    return Account.from_key(keccak(f"ledger seed {label}".encode()))


def main() -> Ledger:
    console = Console()
    purchases, customer_count, days = _setting("SEED_PURCHASES", 200), _setting("SEED_CUSTOMERS", 25), _setting(
        "SEED_DAYS", 180)
    rng = random.Random(2026)
    chain = script_chain()
    dev = chain.accounts()
    ledger = _ledger(chain, script_signer(chain))

    shops = []
    for index, (name, (window, fee, delivery_wait, item_back), catalogue) in enumerate(SHOPS):
        owner = ledger.register_merchant(dev[1 + index])
        checkout = _key(f"checkout {index}")
        owner.add_agent(checkout.address)
        terms = owner.publish_terms(window, fee, delivery_wait, item_back)
        shops.append(Shop(name, owner, ledger.merchant_desk(checkout, owner.merchant_id), terms, catalogue,
                          300 + 100 * index))

    # Customers are fresh keys too, topped up by the last development accounts.
    customers = [_key(f"customer {i}") for i in range(customer_count)]
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
    counts = dict.fromkeys(("purchases", "contacts", "deliveries", "returns", "reviews"), 0)
    with Progress(console=console) as progress:
        task = progress.add_task(f"seeding {purchases} purchases over {days} days", total=purchases)
        for n in range(purchases):
            shop, desk = rng.choice(shops), rng.choice(desks)
            lines = [LineItem(sku, rng.randint(1, 3), price)
                     for sku, price in rng.sample(shop.catalogue, rng.randint(1, min(3, len(shop.catalogue))))]
            referrer = rng.choice([d.address for d in desks if d is not desk]) if rng.random() < 0.2 else None
            # The order is signed now and bought up to one step later on the chain's clock.
            order = shop.checkout.quote(shop.terms.id, lines, f"{shop.name[:2].upper()}-{n:06d}", customer=desk.address,
                                        valid_for=step + 3_600, referrer=referrer,
                                        referral_bps=shop.referral_bps if referrer else 0)
            fund(desk.address, order.order.total)
            chain.set_next_block_time(max(start + n * step, chain.now()))
            bought = desk.buy(order)
            counts["purchases"] += 1
            contact = None
            if rng.random() < 0.5:
                contact = shop.owner.log_contact(desk.address, rng.choice(list(Channel)), rng.choice(list(ContactKind)),
                                                 f"conversation {n}", purchase_id=bought.id)
                counts["contacts"] += 1
            if shop.terms.window_from_delivery and rng.random() < 0.9:  # the rest start at the longest wait
                shop.owner.confirm_delivery(bought.id)
                counts["deliveries"] += 1
            returned = rng.random() < 0.15
            if returned:
                sent_back = [i for i in range(len(lines)) if rng.random() < 0.6] or [0]
                desk.return_items(bought.id, sent_back, f"PARCEL-{n}" if shop.terms.item_must_be_returned else None)
                counts["returns"] += 1
            if rng.random() < 0.3:
                weights = (3, 3, 2, 1, 1) if returned else (1, 1, 2, 4, 6)
                desk.review(bought.id, rng.choices(range(1, 6), weights)[0], f"review {n}")
                counts["reviews"] += 1
            if rng.random() < 0.2:
                desk.give_nps(bought.id, rng.randint(3, 10) if returned else rng.randint(6, 10))
            if contact is not None and rng.random() < 0.3:
                desk.rate_contact(contact, rng.randint(2, 5))
            progress.advance(task)

    chain.advance_time(366 * DAY)  # every window has closed: pay the shops and the referrers
    closed = [p.id for p in ledger.settleable()]
    settled = sum(len(ledger.settle(dev[0], closed[begin:begin + 40]).settled) for begin in range(0, len(closed), 40))
    console.print(
        f"seeded {counts['purchases']} purchases at {len(shops)} shops by {len(customers)} customers, "
        f"{counts['contacts']} contacts, {counts['deliveries']} deliveries, {counts['returns']} returns, "
        f"{counts['reviews']} reviews; {settled} settled"
    )
    return ledger


if __name__ == "__main__":
    run(main)
