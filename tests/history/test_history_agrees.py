"""The index answers what the chain answers, purchase by purchase, on both chains and on every backend:
in memory (the library's default), a SQLite file, and a real PostgreSQL server these tests start."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.client import Ledger
from ledger.models import Status
from tests.support.world import DAY, ETHER, buy, twin


def _same_time(purchases, now):
    return [replace(p, as_of=now) for p in purchases]


def _unbounded(figures):
    """Figures without their period's bounds, which follow the clock (anvil's moves between two readers)."""
    before = figures.previous and _unbounded(figures.previous)
    return replace(figures, since=None, until=None, previous=before)


def answers(reader: Ledger, now: int, merchant_ids, customers, skus, staff) -> dict[str, object]:
    """Every query the library answers, keyed by what was asked (times pinned to ``now``)."""
    everything = reader.purchases()
    found: dict[str, object] = {}
    filters = [{}, *({"merchant_id": m} for m in merchant_ids), *({"customer": c} for c in customers),
               *({"sku": s} for s in skus), *({"status": s} for s in Status),
               {"since": everything[1].purchased_at, "until": everything[-2].purchased_at}]
    for query in filters:
        found[f"purchases {query}"] = [replace(p, as_of=now) for p in reader.purchases(**query)]
        found[f"count {query}"] = reader.count_purchases(**query), reader.count_purchases(**query, up_to=2)
    for query in ({"newest_first": True}, {"newest_first": True, "limit": 2, "after": everything[-1].id},
                  *({"status": s, "excluding": [Status.RETURNED]} for s in Status)):
        found[f"purchases {query}"] = [replace(p, as_of=now) for p in reader.purchases(**query)]
    for purchase in everything:
        found[f"purchase {purchase.id}"] = replace(reader.purchase(purchase.id), as_of=now)
    found["contacts"], found["refunds"] = reader.contacts(), reader.refunds()
    found["contacts of the first"] = reader.contacts(purchase_id=everything[0].id)
    found["refunds of the first"] = reader.refunds(purchase_id=everything[0].id)
    found["settlements"], found["reviews"] = reader.settlements(), reader.reviews()
    for customer in customers:
        found[f"contacts of {customer}"] = reader.contacts(customer=customer)
        found[f"refunds of {customer}"] = reader.refunds(customer=customer)
    for merchant_id in merchant_ids:
        for customer in customers:
            found[f"credit of {customer} at {merchant_id}"] = reader.credit(merchant_id, customer)
        for member in staff:
            found[f"budget of {member} at {merchant_id}"] = reader.budget(merchant_id, member)
        found[f"figures {merchant_id}"] = reader.figures(merchant_id)
        found[f"figures {merchant_id} of 7 days"] = [_unbounded(f) for f in reader.figures(merchant_id, "7d")]
        found[f"settlements {merchant_id}"] = reader.settlements(merchant_id=merchant_id)
        found[f"reviews {merchant_id}"] = reader.reviews(merchant_id)
        found[f"ratings {merchant_id}"] = reader.ratings(merchant_id)
        for kind in ("nps", "csat"):
            found[f"{kind} {merchant_id}"] = reader.scores(kind, merchant_id)
    for sku in skus:
        found[f"reviews of {sku}"] = reader.reviews(sku=sku)
    return found


@pytest.fixture
def scenario(ledger, chain, shop, staff, week_terms, customer, alice, bob):
    """Purchases, returns (whole, partial, for credit), credit spent, cashed out and given back, goodwill
    (by an agent within its budget and by the owner), keep-it, an extension, a delivery, contacts, reviews
    and scores; yields a check to run after each step that follows."""
    bob_desk = ledger.customer_desk(bob)
    shop.set_credit_bonus(1_000)
    shop.set_credit_cash_out_delay(DAY)
    shop.set_mandate(staff.account.address, 5)
    from_delivery = shop.publish_terms(7 * DAY, restocking_fee_bps=500, delivery_wait=14 * DAY)
    first = buy(shop, customer, week_terms.id, [("MUG", 2, ETHER), ("TEA", 1, ETHER)], "A-1")
    whole = buy(shop, bob_desk, week_terms.id, [("TEA", 3, ETHER)], "B-1")
    sofa = buy(shop, customer, from_delivery.id, [("SOFA", 1, 2 * ETHER)], "A-2")
    plates = buy(shop, bob_desk, week_terms.id, [("MUG", 1, ETHER), ("PLATE", 2, ETHER)], "B-2")
    chain.advance_time(DAY)
    customer.return_items(first.id, [1])
    bob_desk.return_items(whole.id)
    bob_desk.return_for_credit(plates.id, [1])
    bowl = buy(shop, bob_desk, week_terms.id, [("BOWL", 1, ETHER)], "B-3", use_credit=ETHER // 2)
    staff.goodwill_refund(bowl.id, ETHER // 10, "late delivery")
    staff.refund_without_return(plates.id, [0], "damaged")
    staff.extend_window(first.id, 3, "service recovery")
    other = ledger.register_merchant(bob)
    elsewhere = buy(other, customer, other.publish_terms(DAY).id, [("BOOK", 1, ETHER)], "X-1")
    chain.advance_time(DAY)
    bob_desk.cash_out_credit(shop.merchant_id)
    shop.refund_without_return(bowl.id, [0], "damaged")  # half paid with credit: half comes back as credit
    shop.goodwill_refund(first.id, ETHER // 100, "late delivery")  # the owner's own: no budget used
    shop.confirm_delivery(sofa.id)
    asked = staff.log_contact(alice.address, "chat", "question", purchase_id=first.id)
    customer.log_contact(shop.merchant_id, "email", "feedback")
    customer.review(first.id, 4)
    customer.review(first.id, 5, "better than I thought")
    bob_desk.review(whole.id, 2)
    customer.give_nps(first.id, 9)
    bob_desk.give_nps(whole.id, 3)
    customer.rate_contact(asked, 4)
    del elsewhere

    def check(*indexes: Ledger) -> None:
        asked = ([shop.merchant_id, other.merchant_id], [alice.address, bob.address],
                 ["MUG", "TEA", "SOFA", "BOOK", "NONE"], [staff.account.address, shop.account.address])
        now = chain.now()
        expected = answers(twin(ledger, False), now, *asked)
        assert len(expected) > 40 and expected["purchases {}"]
        for indexed in indexes:
            got = answers(indexed, now, *asked)
            for question, answer in expected.items():
                assert got[question] == answer, f"{indexed.index}: {question}"

    return check


def test_index_agrees_with_chain_in_memory_sqlite_and_postgresql(ledger, chain, shop, scenario, tmp_path,
                                                                 postgres_url) -> None:
    """After each step of the story, the index in memory (the default), in a SQLite file and in PostgreSQL
    answers every query as the chain does."""
    indexes = (ledger, twin(ledger, f"sqlite:///{tmp_path / 'history.sqlite'}"), twin(ledger, postgres_url))
    chain.advance_time(8 * DAY)  # most windows close; the extended one and the delivered sofa stay open
    scenario(*indexes)
    shop.settle()
    chain.advance_time(30 * DAY)
    shop.settle()
    scenario(*indexes)


def test_purchases_page_by_page(ledger, shop, week_terms, customer) -> None:
    bought = [buy(shop, customer, week_terms.id, [("PIN", 1, ETHER // 100)], f"P-{i}").id for i in range(5)]
    for reader in (ledger, twin(ledger, False)):
        first = reader.purchases(merchant_id=shop.merchant_id, limit=2)
        second = reader.purchases(merchant_id=shop.merchant_id, limit=2, after=first[-1].id)
        rest = reader.purchases(merchant_id=shop.merchant_id, after=second[-1].id)
        assert [p.id for p in first + second + rest] == bought
        assert reader.purchases(merchant_id=shop.merchant_id, after=bought[-1]) == []


def test_credit_and_budgets_from_the_index_match_the_contract_step_by_step(ledger, chain, shop, staff, week_terms,
                                                                            bob) -> None:
    """Store credit and goodwill budgets folded from events equal the contract's own after every step, with
    amounts that round: a return for credit with a bonus, credit spent bonus first, refunds and a return for
    credit of a purchase paid partly with credit (split between money and credit; by an agent and by the
    owner), a cash-out, credit given back after it, an agent's budget used, voided by its removal and set
    again."""
    direct, agent, owner = twin(ledger, False), staff.account.address, shop.account.address
    bob_desk, seen = ledger.customer_desk(bob), []

    def same() -> None:
        held = ledger.credit(shop.merchant_id, bob.address)
        assert held == direct.credit(shop.merchant_id, bob.address)
        assert held.cash <= held.amount
        budgets = (ledger.budget(shop.merchant_id, agent), ledger.budget(shop.merchant_id, owner))
        assert budgets == (direct.budget(shop.merchant_id, agent), direct.budget(shop.merchant_id, owner))
        seen.append((held, budgets[0]))

    shop.set_credit_bonus(333)
    shop.set_credit_cash_out_delay(DAY)
    plates = buy(shop, bob_desk, week_terms.id, [("PLATE", 3, 1_000_003), ("MUG", 1, 777_777)], "P-1")
    bob_desk.return_for_credit(plates.id, [0])
    same()
    bowl = buy(shop, bob_desk, week_terms.id, [("BOWL", 1, 5_000_017), ("SPOON", 2, 300_001)], "P-2",
               use_credit=1_234_567)
    same()
    staff.goodwill_refund(bowl.id, 777_779, "late delivery")
    same()
    bob_desk.return_for_credit(bowl.id, [1])  # credit for credit: part of it money
    same()
    chain.advance_time(DAY)
    bob_desk.cash_out_credit(shop.merchant_id)
    same()
    shop.goodwill_refund(bowl.id, 1_000_001, "damaged")  # the owner's: credit comes back, no budget used
    same()
    shop.remove_agent(agent)
    same()
    shop.add_agent(agent)
    same()
    shop.set_budget(agent, 5_000_000)
    staff.refund_without_return(bowl.id, [0], "damaged")
    same()
    amounts = [held.amount for held, _ in seen]
    budgets = [left for _, left in seen]
    assert amounts[4] == 0 < amounts[5] and all(amounts[:4]), "credit held, cashed out, given back"
    assert budgets[0] > budgets[2] > 0 and budgets[6] == budgets[7] == 0 < budgets[8] < 5_000_000, \
        "a budget used, voided with its agent, set again and used"


def test_later_credit_never_moves_the_cash_out_date(ledger, chain, shop, bob) -> None:
    """Each credit's cash-out date is fixed when it is issued; credit added later (here a return for credit that
    adds nothing, a 100 % restocking fee) joins the earlier date, and a delay changed since applies to new credit
    only: the index works it out from the events as the contract does."""
    direct, bob_desk = twin(ledger, False), ledger.customer_desk(bob)
    shop.set_credit_cash_out_delay(DAY)
    week, full_fee = shop.publish_terms(7 * DAY), shop.publish_terms(7 * DAY, restocking_fee_bps=10_000)
    bob_desk.return_for_credit(buy(shop, bob_desk, week.id, [("MUG", 1, 1_000)], "Z-1").id)
    first = ledger.credit(shop.merchant_id, bob.address)
    kept = buy(shop, bob_desk, full_fee.id, [("CUP", 1, 1_000)], "Z-2")
    chain.advance_time(DAY // 2)
    shop.set_credit_cash_out_delay(30 * DAY)
    bob_desk.return_for_credit(kept.id)
    held = ledger.credit(shop.merchant_id, bob.address)
    assert held == direct.credit(shop.merchant_id, bob.address)
    assert held.amount == first.amount == 1_000 and held.cashable_at == first.cashable_at
    shop.set_credit_cash_out_delay(DAY // 10)  # shorter now: new credit may bring the date forward, never back
    bob_desk.return_for_credit(buy(shop, bob_desk, week.id, [("PIN", 1, 10)], "Z-3").id)
    sooner = ledger.credit(shop.merchant_id, bob.address)
    assert sooner == direct.credit(shop.merchant_id, bob.address) and sooner.cashable_at < first.cashable_at
