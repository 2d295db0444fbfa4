"""The demo story, on the embedded chain: two shops sign orders, three customers buy them, and a year of
returns, mandates, store credit, referrals and settlement follows."""

from __future__ import annotations

from rich.console import Console

from . import render
from .chain import Chain, EmbeddedChain
from .client import Ledger
from .errors import LedgerError
from .models import DAY, LineItem
from .names import Product

ETHER = 10**18


def run(console: Console | None = None, chain: Chain | None = None) -> Ledger:
    """Play the story and print it; return the ledger so callers (and tests) can inspect the end state."""
    console = console or Console()
    chain = chain or EmbeddedChain()
    deployer, dream_owner, dream_agent, car_owner, alice, bob, carol, keeper, car_agent = chain.accounts()[:9]

    def say(text: str) -> None:
        console.print(f"\n[bold]{text}[/bold]")

    def refused(error: LedgerError) -> None:
        console.print(f"[red]refused:[/red] {error}")

    ledger = Ledger.deploy(chain, deployer)
    say(f"The ledger contract is deployed on the {chain.name} at {ledger.address}.")

    dream = ledger.register_merchant(dream_owner)
    dream.add_agent(dream_agent.address)
    dream.approve_referrer(carol.address)  # Carol sends customers; the checkout may pay her up to 5 %
    dream.set_referral_mandate(dream_agent.address, 500)
    dream_terms = dream.publish_terms(365 * DAY)
    dream.set_credit_bonus(1_000)
    dream.set_credit_cash_out_delay(90 * DAY)
    cars = ledger.register_merchant(car_owner)
    cars.add_agent(car_agent.address)
    car_terms = cars.publish_terms(7 * DAY, restocking_fee_bps=100, delivery_wait=14 * DAY, item_must_be_returned=True)
    say("Two shops publish their return promise; the contract will keep it for them. Northgate's 7 days run "
        "from the delivery it confirms, or from day 14 if it never does.")
    dream.set_profile("DreamRest", "sleep@dreamrest.example")
    dream.import_catalogue([Product("MATTRESS-QUEEN", "Queen mattress"), Product("MATTRESS-KING", "King mattress"),
                            Product("PILLOW", "Pillow"), Product("DUVET", "Duvet")])
    cars.set_profile("Northgate Cars", "+44 20 7946 0000")
    cars.import_catalogue([Product("SEDAN-2024", "Sedan, 2024 model"), Product("FLOOR-MATS", "Floor mats")])
    say("Each shop names itself and its products, signed by its own key and kept off chain; the chain holds SKUs.")
    shops = {m: ledger.names(m).shop for m in (dream.merchant_id, cars.merchant_id)}
    people: dict[str, str] = {
        alice.address: "Alice", bob.address: "Bob", carol.address: "Carol", keeper.address: "a keeper",
        dream_agent.address: "DreamRest agent", car_agent.address: "Northgate agent", car_owner.address: "Northgate owner"}
    console.print(render.terms_table([dream_terms, car_terms], merchants=shops))

    checkout = ledger.merchant_desk(dream_agent, dream.merchant_id)  # DreamRest's web shop signs with its agent key
    alice_desk, bob_desk, carol_desk = (ledger.customer_desk(a) for a in (alice, bob, carol))
    alice_order = checkout.quote(
        dream_terms.id, [LineItem("MATTRESS-QUEEN", 1, 8 * ETHER // 10), LineItem("PILLOW", 2, 5 * ETHER // 100)],
        "DR-1001", customer=alice.address, referrer=carol.address, referral_bps=500,
    )
    say("DreamRest's checkout signs Alice's order: what she buys, for how much, under which terms, until when, "
        "and that Carol, who sent her, earns 5 % of what the shop keeps. Nothing is on chain yet.")
    console.print(render.order_view(alice_order.order, alice_order.purchase_id, chain.now(), names=people,
                                    title="Order DR-1001", shop=ledger.names(dream.merchant_id)))
    say("The order is made out to Alice: Bob cannot buy it.")
    try:
        bob_desk.buy(alice_order)
    except LedgerError as error:
        refused(error)
    alice_bed = alice_desk.buy(alice_order)
    carol_bed = carol_desk.buy(checkout.quote(dream_terms.id, [LineItem("MATTRESS-KING", 1, ETHER)], "DR-1002",
                                              customer=carol.address))
    bob_car = bob_desk.buy(cars.quote(
        car_terms.id, [LineItem("SEDAN-2024", 1, 12 * ETHER), LineItem("FLOOR-MATS", 1, ETHER // 5)], "NG-77",
        customer=bob.address,
    ))
    say("Alice buys it as signed, once (its signed digest is the purchase id); Carol and Bob buy theirs. "
        "The money waits in escrow, in the contract, until each return window closes.")
    console.print(render.purchases_table(ledger.purchases(), chain.now(), names=people,
                                         labels=ledger.labels(ledger.purchases())))

    dream.set_budget(dream_agent.address, ETHER // 2)
    chat = checkout.log_contact(alice.address, "chat", "question", "Which pillow is firmer?", purchase_id=alice_bed.id)
    checkout.goodwill_refund(alice_bed.id, ETHER // 50, "late delivery", "pillows came a day late")
    bob_desk.log_contact(cars.merchant_id, "phone", "delivery", "When does the car arrive?", purchase_id=bob_car.id)
    cars.log_contact(bob.address, "chatbot", "order_status", "Your car is on its way", purchase_id=bob_car.id)
    chain.advance_time(2 * DAY)
    cars.confirm_delivery(bob_car.id)
    say("Every contact is logged as a hash of the conversation; the car is delivered, so its 7 days start now.")
    console.print(render.contacts_table(ledger.contacts(), chain.now(), names=people, merchants=shops))

    say("Alice looks up her own history, across shops:")
    console.print(render.purchases_table(
        alice_desk.purchases(), chain.now(), title="Alice's purchases", names=people,
        labels=ledger.labels(alice_desk.purchases())))

    refund = bob_desk.return_items(bob_car.id, [1], shipment_ref="PARCEL-NG-77-MATS")
    say(
        f"Bob sends the floor mats back: the contract refunds {render.amount(refund.amount)} at once "
        f"(price {render.amount(ETHER // 5)} less the 1 % restocking fee), nobody had to approve it."
    )
    bob_desk.log_contact(cars.merchant_id, "email", "feedback", "Mats sent back, thanks!", purchase_id=bob_car.id)
    alice_desk.rate_contact(chat, 5)
    bob_desk.give_nps(bob_car.id, 8)
    say("Alice rates the chat that helped her 5/5 (CSAT); Bob would recommend Northgate 8/10 (NPS). "
        "DreamRest's agent had already refunded Alice 0.02 ETH for late pillows, within the 0.5 ETH "
        "goodwill budget the owner gave it, without asking anyone.")

    cars.set_mandate(car_agent.address, 3)
    car_staff = ledger.merchant_desk(car_agent, cars.merchant_id)
    car_staff.extend_window(bob_car.id, 3, "service recovery")
    say("Bob asks for more time to decide about the car. Northgate's agent may add up to 3 days to a "
        "purchase's window (its mandate); it adds 3, and 2 more are refused:")
    try:
        car_staff.extend_window(bob_car.id, 2, "service recovery")
    except LedgerError as error:
        refused(error)

    credit = alice_desk.return_for_credit(alice_bed.id, [1])
    duvet = alice_desk.buy(checkout.quote(dream_terms.id, [LineItem("DUVET", 1, 3 * ETHER // 10)], "DR-1003",
                                          customer=alice.address), use_credit=credit.amount)
    later = ledger.pending_bonus(alice_bed.id)
    say(f"Alice swaps her pillows for store credit: {render.amount(credit.amount)}, with as much of the 10 % "
        "bonus as DreamRest is sure to keep while the bed can still come back; "
        f"{render.amount(later)} more bonus comes when the purchase settles. "
        f"The credit pays part of a duvet, and she pays only {render.amount(duvet.price - credit.amount)} more. "
        "Credit never becomes more money than she paid: DreamRest lets its money part be cashed out "
        "90 days after it was issued.")

    chain.advance_time(12 * DAY)
    say("Twelve days later Bob wants to return the car too:")
    try:
        bob_desk.return_items(bob_car.id, [0], shipment_ref="TOW-NG-77")
    except LedgerError as error:
        refused(error)

    batch = cars.settle()
    paid = sum(s.amount for s in batch.settled) if batch else 0
    say(f"Northgate settles: {render.amount(paid)} goes to its payout address.")

    chain.advance_time(200 * DAY)
    request = carol_desk.sign_return(carol_bed.id)
    refund = ledger.submit_return(dream_agent, request)
    say(f"Night 214: Carol keeps the mattress (the terms allow it) and signs a return request; she needs no "
        f"ether: DreamRest's agent submits it and the contract pays her {render.amount(refund.amount)}.")
    carol_desk.review(carol_bed.id, 2, "Too soft for me")
    alice_desk.review(alice_bed.id, 5, "Best sleep in years")
    alice_desk.give_nps(alice_bed.id, 10)
    say("Only buyers can review: Alice gives her mattress 5 stars; Carol's 2 stars are listed, not counted: she "
        "returned hers in full.")
    console.print(render.reviews_table(
        ledger.reviews(dream.merchant_id), ledger.ratings(dream.merchant_id), title="DreamRest reviews", names=people
    ))

    chain.advance_time(160 * DAY)
    batch = ledger.settle(keeper, [p.id for p in ledger.purchases()])
    commission = sum(s.commission for s in batch.settled if s.referrer == carol.address)
    say(f"A year on, anyone may trigger settlement: a keeper settles {len(batch.settled)} purchase(s) in one "
        f"transaction and passes over the {len(batch.skipped)} settled before. Carol, who referred Alice, "
        f"earns {render.amount(commission)}: 5 % of what DreamRest kept of that sale.")
    console.print(render.purchases_table(
        ledger.purchases(), chain.now(), title="All purchases, a year later", names=people,
        labels=ledger.labels(ledger.purchases())))
    console.print(render.figures_table(
        dream.figures() + cars.figures(), title="How the shops are doing", merchants=shops
    ))
    return ledger
