"""Fill a local chain with a realistic data set: several shops with different return terms, many
customers, purchases spread over months, contact moments, deliveries, returns, reviews, scores,
referrals and settlement.

Each shop's checkout (an agent key) signs an order for the customer, with a referral commission when an
affiliate the shop approved referred them, and the customer buys it: the way every purchase is made. The work
goes in weekly rounds through the bulk write path (``ledger.sending``): the round's orders signed together, bought in one
bulk send, then the staff's contacts and deliveries, then the customers' returns, reviews and scores.

    python scripts/seed.py                                     # on the node of `ledger node start`
    SEED_PURCHASES=2000 python scripts/seed.py
    brownie run scripts/seed.py --network anvil-ledger

It uses the deployment file (LEDGER_DEPLOYMENT, default as for scripts/deploy.py) or, when there is none, deploys
first; a file whose deployment the chain does not have is refused with the cause (but brownie's own, replaced).
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

from ledger import validate  # noqa: E402
from ledger.client import Ledger, MerchantDesk  # noqa: E402
from ledger.deployment import Deployment  # noqa: E402
from ledger.desks.contacts import contact_fields  # noqa: E402
from ledger.errors import DeploymentError, WrongChain  # noqa: E402
from ledger.models import NATIVE, Channel, ContactKind, LineItem, ReturnTerms  # noqa: E402
from ledger.orders import Order  # noqa: E402
from ledger.scripting import run, script_chain, script_deployment, script_signer  # noqa: E402
from ledger.sending import Call, sign_orders  # noqa: E402

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
    """The recorded deployment, else a new one recorded; a record of a deployment the chain does not have stays
    as it is (the error says why), unless it may be replaced (``ScriptDeployment.replaceable``)."""
    place = script_deployment(chain)
    if place.recorded_at.exists():
        try:
            return Ledger.attach(chain, Deployment.load(place.recorded_at))
        except (DeploymentError, WrongChain):
            if not place.replaceable:
                raise
    place.make_room(chain)
    ledger = Ledger.deploy(chain, deployer)
    ledger.deployment().save(place.path)
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

    affiliates = [_key(f"affiliate {i}") for i in range(3)]  # who refers customers, approved by every shop
    shops = []
    for index, (name, (window, fee, delivery_wait, item_back), catalogue) in enumerate(SHOPS):
        owner = ledger.register_merchant(dev[1 + index])
        checkout = _key(f"checkout {index}")
        owner.add_agent(checkout.address)
        referral_bps = 300 + 100 * index
        owner.set_referral_mandate(checkout.address, referral_bps)  # the checkout pays affiliates that much
        for affiliate in affiliates:
            owner.approve_referrer(affiliate.address)
        terms = owner.publish_terms(window, fee, delivery_wait, item_back)
        shops.append(Shop(name, owner, ledger.merchant_desk(checkout, owner.merchant_id), terms, catalogue,
                          referral_bps))

    # Customers are fresh keys too, topped up once by the last development accounts for all they will buy.
    customers = [_key(f"customer {i}") for i in range(customer_count)]
    plans = [_plan(n, rng, shops, customers, affiliates) for n in range(purchases)]
    for customer in customers:
        _fund(chain, dev[5:], customer.address, sum(p.total for p in plans if p.customer is customer))

    # The purchases go in weekly rounds on the chain's clock, each round in a few bulk sends: the shops'
    # orders signed together, then bought, then the staff's work, then the customers' returns and feedback.
    rounds = max(1, min(purchases, days // 7))
    counts = dict.fromkeys(("purchases", "contacts", "deliveries", "returns", "reviews"), 0)
    start = chain.now()
    with Progress(console=console) as progress:
        task = progress.add_task(f"seeding {purchases} purchases over {days} days", total=purchases)
        for number in range(rounds):
            batch = plans[number * purchases // rounds:(number + 1) * purchases // rounds]
            if not batch:
                continue
            chain.set_next_block_time(max(start + number * days * DAY // rounds, chain.now()))
            _round(ledger, chain, rng, batch, counts)
            progress.advance(task, len(batch))

    chain.advance_time(366 * DAY)  # every window has closed: pay the shops and the referrers
    closed = ledger.settleable()
    settled = len(ledger.settle_purchases(dev[0], closed).settled) if closed else 0  # in block-sized transactions
    console.print(
        f"seeded {counts['purchases']} purchases at {len(shops)} shops (#{shops[0].owner.merchant_id} to "
        f"#{shops[-1].owner.merchant_id}, owned by development accounts 1 to {len(shops)}) by {len(customers)} customers, "
        f"{counts['contacts']} contacts, {counts['deliveries']} deliveries, {counts['returns']} returns, "
        f"{counts['reviews']} reviews; {settled} settled"
    )
    return ledger


@dataclass
class Plan:
    """One purchase to make: who buys what at which shop, referred by whom."""

    n: int
    shop: Shop
    customer: LocalAccount
    lines: tuple[LineItem, ...]
    referrer: str | None

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


def _plan(n: int, rng: random.Random, shops: list[Shop], customers: list[LocalAccount],
          affiliates: list[LocalAccount]) -> Plan:
    shop, customer = rng.choice(shops), rng.choice(customers)
    lines = tuple(LineItem(sku, rng.randint(1, 3), price)
                  for sku, price in rng.sample(shop.catalogue, rng.randint(1, min(3, len(shop.catalogue)))))
    referrer = rng.choice(affiliates).address if rng.random() < 0.2 else None
    return Plan(n, shop, customer, lines, referrer)


def _fund(chain, banks: list[LocalAccount], address: str, needed: int) -> None:
    if chain.w3.eth.get_balance(address) >= needed + 10**18:  # 1 ETH spare for gas
        return
    bank = max(banks, key=lambda account: chain.w3.eth.get_balance(account.address))
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(bank.sign_transaction({
        "to": address, "value": needed + 50 * 10**18, "gas": 21_000, "chainId": chain.chain_id,
        "maxFeePerGas": 2 * chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) + 10**9,
        "maxPriorityFeePerGas": 10**9, "nonce": chain.w3.eth.get_transaction_count(bank.address),
    }).raw_transaction))


def _round(ledger: Ledger, chain, rng: random.Random, batch: list[Plan], counts: dict[str, int]) -> None:
    """One round of purchases and what follows them, each step one bulk send."""
    expiry = chain.now() + DAY
    orders = {}
    for shop in {id(plan.shop): plan.shop for plan in batch}.values():
        mine = [plan for plan in batch if plan.shop is shop]
        signed = sign_orders(shop.checkout.account, [_order(shop, plan, expiry) for plan in mine], chain.chain_id,
                             ledger.address)
        orders.update({plan.n: order for plan, order in zip(mine, signed)})
    functions = ledger.contract.functions
    bought = ledger.send_many([Call(plan.customer, functions.buy(
        orders[plan.n].order.packed(), orders[plan.n].order.line_tuples(), 0,
        bytes.fromhex(orders[plan.n].signature[2:])), plan.total) for plan in batch]).results()
    purchases = [ledger.purchase_from_event(result.named("PurchaseRecorded")[0]) for result in bought]
    counts["purchases"] += len(purchases)

    # The shop's staff (its owner here): contact moments about the purchases, deliveries confirmed.
    staff_work, contacted = [], []
    for plan, purchase in zip(batch, purchases):
        owner = plan.shop.owner
        if rng.random() < 0.5:
            contacted.append((len(staff_work), plan.customer))
            staff_work.append(Call(owner.account, functions.logContact(
                owner.merchant_id, purchase.customer, bytes.fromhex(purchase.id[2:]),
                *contact_fields(rng.choice(list(Channel)), rng.choice(list(ContactKind)), None,
                                validate.hash_of(f"conversation {plan.n}")))))
        if plan.shop.terms.window_from_delivery and rng.random() < 0.9:  # the rest start at the longest wait
            staff_work.append(Call(owner.account, functions.confirmDelivery(purchase.order.packed())))
    done = ledger.send_many(staff_work).results()
    contacts = [(customer, done[i].named("ContactLogged")[0]) for i, customer in contacted]
    counts["contacts"] += len(contacted)
    counts["deliveries"] += len(staff_work) - len(contacted)

    # The customers: returns, reviews, scores, ratings of the contacts the shop logged with them.
    feedback, customer_work = ledger.feedback.functions, []
    for plan, purchase in zip(batch, purchases):
        packed = purchase.order.packed()
        returned = rng.random() < 0.15
        if returned:
            sent_back = [i for i in range(len(plan.lines)) if rng.random() < 0.6] or [0]
            mask = purchase.mask_of(sent_back)
            shipment = validate.hash_of(f"PARCEL-{plan.n}") if plan.shop.terms.item_must_be_returned else bytes(32)
            customer_work.append(Call(plan.customer, functions.returnItems(
                packed, purchase.lines_to_send(mask), mask, shipment)))
            counts["returns"] += 1
        if rng.random() < 0.3:
            weights = (3, 3, 2, 1, 1) if returned else (1, 1, 2, 4, 6)
            rating = rng.choices(range(1, 6), weights)[0]
            customer_work.append(Call(plan.customer, feedback.review(packed, rating,
                                                                     validate.hash_of(f"review {plan.n}"))))
            counts["reviews"] += 1
        if rng.random() < 0.2:
            score = rng.randint(3, 10) if returned else rng.randint(6, 10)
            customer_work.append(Call(plan.customer, feedback.giveNps(packed, score)))
    for customer, event in contacts:
        if rng.random() < 0.3:
            customer_work.append(Call(customer, feedback.rateContact(
                event.args["merchantId"], bytes.fromhex(event.args["contentHash"][2:]), rng.randint(2, 5))))
    ledger.send_many(customer_work).results()


def _order(shop: Shop, plan: Plan, expiry: int) -> Order:
    """The order the shop's checkout signs for a planned purchase, under the shop's terms."""
    terms = shop.terms
    return Order(
        merchant_id=shop.owner.merchant_id, terms_id=terms.id, lines=plan.lines,
        order_ref="0x" + validate.hash_of(f"{shop.name[:2].upper()}-{plan.n:06d}").hex(), expiry=expiry,
        return_window=terms.return_window, restocking_fee_bps=terms.restocking_fee_bps,
        delivery_wait=terms.delivery_wait, item_must_be_returned=terms.item_must_be_returned,
        customer=plan.customer.address, referrer=plan.referrer or NATIVE,
        referral_bps=shop.referral_bps if plan.referrer else 0,
    )


if __name__ == "__main__":
    run(main)
