"""Webhooks: every event of the index posted once, signed, in chain order; a receiver that fails, one that does
not know the secret, a follower stopped and started again, a shop's events alone."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from ledger.client import Ledger
from ledger.history import History
from ledger.webhooks import Backoff, Deliverer, Subscriptions, Webhook
from tests.support.receiver import Receiver
from tests.support.world import DAY, ETHER, buy

SECRET = "whsec-test-0123456789abcdef"


class Killed(BaseException):
    """Stands for the process dying between a receiver's answer and the place kept (not an error handled)."""


@pytest.fixture
def world(ledger, chain, shop, staff, week_terms, customer, alice):
    """Purchases, a return for money, one for credit, an exchange, a goodwill refund, a contact, a settlement."""
    coat = buy(shop, customer, week_terms.id, [("COAT-M", 1, ETHER), ("HAT", 1, ETHER // 2)], "W-1")
    mug = buy(shop, customer, week_terms.id, [("MUG", 1, ETHER)], "W-2")
    tea = buy(shop, customer, week_terms.id, [("TEA", 2, ETHER // 4)], "W-3")
    customer.return_items(mug.id)
    customer.return_for_credit(tea.id)
    new = customer.exchange(coat.id, shop.quote(week_terms.id, [("COAT-L", 1, ETHER)], "W-4", customer=alice.address),
                            [0])
    staff.goodwill_refund(coat.id, ETHER // 10, "loyalty")
    staff.log_contact(customer.address, "chat", "question", purchase_id=coat.id)
    chain.advance_time(8 * DAY)
    shop.settle([new.purchase.id])
    return {"coat": coat, "mug": mug, "tea": tea, "new": new.purchase}


def deliverer(history: History, webhook: Webhook, **options) -> Deliverer:
    """A deliverer that knows ``webhook`` (as the command line makes it known) and tries again at once."""
    made = Deliverer(history, **{"backoff": Backoff(first=0.0), **options})
    made.subscriptions.add(webhook, int(time.time()))
    return made


def in_order(events: list[dict]) -> bool:
    places = [(event["block"]["number"], event["log_index"]) for event in events]
    return places == sorted(places) and len(set(places)) == len(places)


def test_each_event_reaches_the_receiver_once_signed_and_in_chain_order(ledger, chain, shop, world, alice) -> None:
    history = History(ledger.contracts)
    history.sync()
    with Receiver(SECRET) as receiver:
        webhook = Webhook(receiver.url, SECRET)
        posting = deliverer(history, webhook)
        done = posting.deliver([webhook])
        assert done.failures == [] and done.held is None
        assert posting.deliver([webhook]).delivered == 0  # nothing twice
    assert done.delivered == len(receiver.taken) == 10 and set(receiver.posts.values()) == {1}
    assert in_order(receiver.taken)
    assert Counter(event["type"] for event in receiver.taken) == {
        "purchase": 4, "return": 2, "exchange": 1, "refund": 1, "contact": 1, "settlement": 1}
    returns = {event["data"]["purchase_id"]: event["data"] for event in receiver.taken if event["type"] == "return"}
    assert (returns[world["mug"].id]["kind"], returns[world["tea"].id]["kind"]) == ("money", "credit")
    assert returns[world["mug"].id]["amount"] == str(ledger.refunds(purchase_id=world["mug"].id)[0].amount)
    refund = next(event for event in receiver.taken if event["type"] == "refund")["data"]
    assert (refund["because"], refund["reason"], refund["amount"]) == ("goodwill", "loyalty", str(ETHER // 10))
    contact = next(event for event in receiver.taken if event["type"] == "contact")["data"]
    assert (contact["channel"], contact["kind"], contact["purchase_id"]) == ("chat", "question", world["coat"].id)
    settled = next(event for event in receiver.taken if event["type"] == "settlement")
    assert settled["data"]["purchase_id"] == world["new"].id and settled["shop_id"] == shop.merchant_id
    first = receiver.taken[0]
    block = chain.w3.eth.get_block(first["block"]["number"])
    assert first["block"]["hash"] == "0x" + bytes(block["hash"]).hex() and first["block"]["time"] == block["timestamp"]
    assert first["id"] == f"{chain.chain_id}:{first['transaction']}:{first['log_index']}"
    assert first["data"]["customer"] == alice.address and first["data"]["total"] == str(ETHER * 3 // 2)
    assert first["data"]["lines"][1] == {"sku": "HAT", "quantity": 1, "unit_price": str(ETHER // 2)}


def test_a_receiver_that_fails_twice_gets_each_event_once_afterwards_in_chain_order(ledger, world) -> None:
    history = History(ledger.contracts)
    history.sync()
    with Receiver(SECRET) as receiver:
        receiver.fail_next = 2
        webhook = Webhook(receiver.url, SECRET)
        posting = deliverer(history, webhook)
        rounds = [posting.deliver([webhook]) for _ in range(3)]
    first, second, third = rounds
    assert (first.delivered, second.delivered, third.delivered) == (0, 0, 10)
    assert [f.tries for f in first.failures + second.failures] == [1, 2]
    assert {f.event_id for f in first.failures + second.failures} == {receiver.ids()[0]}  # the first event, held
    assert "the receiver answered HTTP 500" in str(first.failures[0]) and "next try in 0 s" in str(first.failures[0])
    assert receiver.failed == 2 and set(receiver.posts.values()) == {1} and in_order(receiver.taken)
    assert posting.subscriptions.delivered(webhook) == (receiver.taken[-1]["block"]["number"],
                                                        receiver.taken[-1]["log_index"])


def test_the_back_off_doubles_from_one_second_up_to_a_minute() -> None:
    assert [Backoff().after(tries) for tries in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert Backoff(first=0.01, cap=0.05).after(10) == 0.05 and Backoff().after(10_000) == 60


def test_a_failing_webhook_waits_for_its_back_off_and_holds_back_only_itself(ledger, world) -> None:
    history = History(ledger.contracts)
    history.sync()
    now = [1_000.0]
    with Receiver(SECRET) as failing, Receiver(SECRET) as working:
        failing.fail_next = 1
        down, up = Webhook(failing.url, SECRET), Webhook(working.url, SECRET)
        posting = deliverer(history, down, backoff=Backoff(first=4, cap=60), clock=lambda: now[0])
        posting.subscriptions.add(up, 0)
        first = posting.deliver([down, up])
        assert [(f.webhook, f.tries, f.retry_in) for f in first.failures] == [(down, 1, 4)]
        assert first.delivered == len(working.taken) == 10 and posting.wait() == 4
        now[0] += 3
        assert posting.deliver([down, up]).delivered == 0 and failing.failed == 1  # not due yet: not tried
        assert posting.wait() == 1
        now[0] += 1
        assert posting.deliver([down, up]).delivered == 10 and posting.wait() is None
    assert failing.ids() == working.ids()


def test_a_receiver_with_another_secret_rejects_every_event(ledger, world) -> None:
    history = History(ledger.contracts)
    history.sync()
    with Receiver("the-receiver-knows-another-secret") as receiver:
        webhook = Webhook(receiver.url, SECRET)
        posting = deliverer(history, webhook)
        done = posting.deliver([webhook])
    assert receiver.taken == [] and len(receiver.rejected) == 1 and "matches" in receiver.rejected[0]
    assert [f.error for f in done.failures] == ["the receiver answered HTTP 400"]
    assert posting.subscriptions.delivered(webhook) == (-1, -1)  # nothing counted as taken


def test_a_follower_stopped_and_started_again_loses_nothing_and_repeats_at_most_the_event_in_flight(
        ledger, world, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    history = History(ledger.contracts, url)
    history.sync()
    with Receiver(SECRET) as receiver:
        webhook = Webhook(receiver.url, SECRET)
        stop = threading.Event()
        receiver.on_taken = lambda event: stop.set() if len(receiver.taken) == 3 else None
        assert deliverer(history, webhook).deliver([webhook], stop).delivered == 3  # stopped (Ctrl-C) after 3
        history.close()

        history = History(ledger.contracts, url)  # started again
        assert deliverer(history, webhook).deliver([webhook]).delivered == 7
        assert set(receiver.posts.values()) == {1}
        history.close()

        # Killed between the receiver's answer and the place kept: that one event comes again, nothing else.
        history = History(ledger.contracts, url)
        receiver.taken.clear()
        receiver.posts.clear()
        taken = Subscriptions.taken
        calls = iter(range(100))

        def dies_at_the_fourth(self, *args):
            if next(calls) == 3:
                raise Killed
            return taken(self, *args)

        again = Webhook(receiver.url + "?again", SECRET)
        monkeypatch.setattr(Subscriptions, "taken", dies_at_the_fourth)
        with pytest.raises(Killed):
            deliverer(history, again).deliver([again])
        monkeypatch.undo()
        history.close()
        history = History(ledger.contracts, url)
        assert deliverer(history, again).deliver([again]).delivered == 7
    assert len(receiver.taken) == 10 and in_order(receiver.taken)
    assert [count for count in receiver.posts.values() if count != 1] == [2]
    assert receiver.posts[receiver.ids()[3]] == 2


def test_a_webhook_for_one_shop_gets_that_shops_events_alone(ledger, world, shop, accounts, customer) -> None:
    other = ledger.register_merchant(accounts[7])
    other.log_contact(customer.address, "email", "order_status")
    history = History(ledger.contracts)
    history.sync()
    with Receiver(SECRET) as ours, Receiver(SECRET) as theirs, Receiver(SECRET) as everyone:
        hooks = [Webhook(ours.url, SECRET, shop.merchant_id), Webhook(theirs.url, SECRET, other.merchant_id),
                 Webhook(everyone.url, SECRET)]
        posting = Deliverer(history)
        for hook in hooks:
            posting.subscriptions.add(hook, 0)
        assert posting.deliver(hooks).delivered == 10 + 1 + 11
    assert {event["shop_id"] for event in ours.taken} == {shop.merchant_id} and len(ours.taken) == 10
    assert [(event["type"], event["shop_id"]) for event in theirs.taken] == [("contact", other.merchant_id)]
    assert everyone.ids() == sorted(ours.ids() + theirs.ids(), key=everyone.ids().index)


def test_in_postgresql_the_places_delivered_outlive_the_follower_too(ledger, world, postgres_url) -> None:
    history = History(ledger.contracts, postgres_url)
    history.sync()
    with Receiver(SECRET) as receiver:
        receiver.fail_next = 1
        webhook = Webhook(receiver.url, SECRET)
        assert deliverer(history, webhook).deliver([webhook]).failures[0].tries == 1
        history.close()
        history = History(ledger.contracts, postgres_url)  # started again, with the failure kept
        assert Subscriptions(history.store.engine).delivered(webhook) == (-1, -1)
        assert deliverer(history, webhook).deliver([webhook]).delivered == 10
        history.close()
    assert set(receiver.posts.values()) == {1} and in_order(receiver.taken)


def test_an_index_moved_to_another_deployment_starts_its_webhooks_again(ledger, chain, world, accounts,
                                                                        tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    history = History(ledger.contracts, url)
    history.sync()
    with Receiver(SECRET) as receiver:
        webhook = Webhook(receiver.url, SECRET)
        assert deliverer(history, webhook).deliver([webhook]).delivered == 10
        history.close()
        other = Ledger.deploy(chain, accounts[0])
        shop = other.register_merchant(accounts[1])
        shop.log_contact(accounts[3].address, "phone", "question")
        history = History(other.contracts, url)  # the same database, now for the other deployment
        history.sync()
        assert Subscriptions(history.store.engine).delivered(webhook) == (-1, -1)  # places of the other one: gone
        assert deliverer(history, webhook).deliver([webhook]).delivered == 1
        history.close()
    assert receiver.taken[-1]["ledger"] == other.address and receiver.taken[-1]["type"] == "contact"


def test_a_webhook_is_shown_without_its_secret_or_a_password_in_its_url() -> None:
    webhook = Webhook("https://shop:hunter2@backend.example:8443/events?x=1", SECRET, 3)
    assert webhook.shown == "https://shop:***@backend.example:8443/events?x=1"
    assert "hunter2" not in repr(webhook) and SECRET not in repr(webhook)
    assert Webhook("http://127.0.0.1:9/x", SECRET).shown == "http://127.0.0.1:9/x"
