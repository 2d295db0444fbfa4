"""The demo story, on the embedded chain: two shops, three customers, a year of returns and settlement."""

from __future__ import annotations

from rich.console import Console

from . import render
from .chain import Chain, EmbeddedChain
from .client import Ledger
from .errors import LedgerError
from .models import LineItem

DAY = 86_400
ETHER = 10**18


def run(console: Console | None = None, chain: Chain | None = None) -> Ledger:
    """Play the story and print it; return the ledger so callers (and tests) can inspect the end state."""
    console = console or Console()
    chain = chain or EmbeddedChain()
    deployer, dream_owner, dream_agent, car_owner, alice, bob, carol, keeper = chain.accounts()[:8]

    def say(text: str) -> None:
        console.print(f"\n[bold]{text}[/bold]")

    ledger = Ledger.deploy(chain, deployer)
    say(f"The ledger contract is deployed on the {chain.name} at {ledger.address}.")

    dream = ledger.register_merchant(dream_owner)
    dream.add_agent(dream_agent.address)
    dream_terms = dream.publish_terms(365 * DAY)
    dream.set_referral_commission(500)
    dream.set_credit_bonus(1_000)
    cars = ledger.register_merchant(car_owner)
    car_terms = cars.publish_terms(7 * DAY, restocking_fee_bps=100, window_from_delivery=True, item_must_be_returned=True)
    say("Two shops publish their return promise; the contract will keep it for them.")
    shops = {dream.merchant_id: "DreamRest", cars.merchant_id: "Northgate Cars"}
    people = {alice.address: "Alice", bob.address: "Bob", carol.address: "Carol",
              dream_agent.address: "DreamRest agent", car_owner.address: "Northgate owner"}
    console.print(render.terms_table([dream_terms, car_terms], merchants=shops))

    alice_desk, bob_desk, carol_desk = (ledger.customer_desk(a) for a in (alice, bob, carol))
    alice_bed = alice_desk.buy(
        dream_terms.id, [LineItem("MATTRESS-QUEEN", 1, 8 * ETHER // 10), LineItem("PILLOW", 2, 5 * ETHER // 100)],
        "DR-1001", referrer=carol.address,
    )
    carol_bed = carol_desk.buy(dream_terms.id, [LineItem("MATTRESS-KING", 1, ETHER)], "DR-1002")
    bob_car = bob_desk.buy(
        car_terms.id, [LineItem("SEDAN-2024", 1, 12 * ETHER), LineItem("FLOOR-MATS", 1, ETHER // 5)], "NG-77"
    )
    say("Customers pay into escrow: the money waits in the contract until each return window closes.")
    console.print(render.purchases_table(ledger.purchases(), chain.now(), names=people, merchants=shops))

    dream.set_budget(dream_agent.address, ETHER // 2)
    staff = ledger.merchant_desk(dream_agent, dream.merchant_id)
    staff.log_contact(alice.address, "chat", "question", "Which pillow is firmer?", purchase_id=alice_bed.id)
    staff.goodwill_refund(alice_bed.id, ETHER // 50, "late delivery", "pillows came a day late")
    bob_desk.log_contact(cars.merchant_id, "phone", "delivery", "When does the car arrive?", purchase_id=bob_car.id)
    cars.log_contact(bob.address, "chatbot", "order_status", "Your car is on its way", purchase_id=bob_car.id)
    chain.advance_time(2 * DAY)
    cars.confirm_delivery(bob_car.id)
    say("Every contact is logged as a hash of the conversation; the car is delivered, so its 7 days start now.")
    console.print(render.contacts_table(ledger.contacts(), chain.now(), names=people, merchants=shops))

    say("Alice looks up her own history, across shops:")
    console.print(render.purchases_table(
        alice_desk.purchases(), chain.now(), title="Alice's purchases", names=people, merchants=shops
    ))

    refund = bob_desk.return_items(bob_car.id, [1], shipment_ref="PARCEL-NG-77-MATS")
    say(
        f"Bob sends the floor mats back: the contract refunds {render.amount(refund.amount)} at once "
        f"(price {render.amount(ETHER // 5)} less the 1 % restocking fee), nobody had to approve it."
    )
    bob_desk.log_contact(cars.merchant_id, "email", "return_help", "Mats sent back, thanks!", purchase_id=bob_car.id)
    chat = next(c for c in alice_desk.contacts() if c.channel.name == "CHAT")
    alice_desk.rate_contact(chat, 5)
    bob_desk.give_nps(bob_car.id, 8)
    say("Alice rates the chat that helped her 5/5 (CSAT); Bob would recommend Northgate 8/10 (NPS). "
        "DreamRest's agent had already refunded Alice 0.02 ETH for late pillows, within the 0.5 ETH "
        "goodwill budget the owner gave it, without asking anyone.")
    credit = alice_desk.return_for_credit(alice_bed.id, [1])
    duvet = alice_desk.buy(dream_terms.id, [LineItem("DUVET", 1, 3 * ETHER // 10)], "DR-1003", use_credit=credit.amount)
    say(f"Alice swaps her pillows for store credit: {render.amount(credit.amount)} (10 % bonus included); "
        f"it pays part of a duvet, and she pays only {render.amount(duvet.price - credit.amount)} more.")

    chain.advance_time(10 * DAY)
    say("Ten days later Bob wants to return the car too:")
    try:
        bob_desk.return_items(bob_car.id, [0], shipment_ref="TOW-NG-77")
    except LedgerError as error:
        console.print(f"[red]refused:[/red] {error}")

    settled = cars.settle()
    say(f"Northgate settles: {render.amount(sum(s.amount for s in settled))} goes to its payout address.")

    chain.advance_time(200 * DAY)
    request = carol_desk.sign_return(carol_bed.id)
    refund = ledger.submit_return(dream_agent, request)
    say(f"Night 212: Carol keeps the mattress (the terms allow it) and signs a return request; she needs no "
        f"ether: DreamRest's agent submits it and the contract pays her {render.amount(refund.amount)}.")
    carol_desk.review(carol_bed.id, 2, "Too soft for me")
    alice_desk.review(alice_bed.id, 5, "Best sleep in years")
    alice_desk.give_nps(alice_bed.id, 10)
    say("Only buyers can review: Alice gives her mattress 5 stars; Carol's 2 stars show she returned hers.")
    console.print(render.reviews_table(
        ledger.reviews(dream.merchant_id), ledger.ratings(dream.merchant_id), title="DreamRest reviews", names=people
    ))

    chain.advance_time(160 * DAY)
    settled = ledger.settle(keeper, [p.id for p in ledger.settleable()])
    commission = sum(s.commission for s in settled if s.referrer == carol.address)
    say(f"A year on, anyone may trigger settlement: a keeper settles {len(settled)} purchase(s) in one transaction. "
        f"Carol, who referred Alice, earns {render.amount(commission)}: 5 % of what DreamRest kept of that sale.")
    console.print(render.purchases_table(
        ledger.purchases(), chain.now(), title="All purchases, a year later", names=people, merchants=shops
    ))
    console.print(render.figures_table(
        dream.figures() + cars.figures(), title="How the shops are doing", merchants=shops
    ))
    return ledger
