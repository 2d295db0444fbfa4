"""Webhooks and reorgs: nothing from a block that was undone reaches the receiver when the confirmations cover
the reorg; with 0 confirmations what was posted stays posted, and what replaced it is posted too."""

from __future__ import annotations

import time

from ledger.chain import Chain
from ledger.history import History
from ledger.webhooks import Backoff, Deliverer, Webhook
from tests.support.receiver import Receiver
from tests.support.world import ETHER, buy

SECRET = "whsec-test-0123456789abcdef"


def mine(chain: Chain, blocks: int) -> None:
    for _ in range(blocks):
        chain.advance_time(1)


def bought(receiver: Receiver) -> list[str]:
    return [event["data"]["purchase_id"] for event in receiver.taken if event["type"] == "purchase"]


def place(event: dict) -> tuple[int, int]:
    return event["block"]["number"], event["log_index"]


def test_an_event_of_a_block_later_undone_never_reaches_the_receiver_when_confirmations_cover_the_reorg(
        ledger, chain, shop, week_terms, customer) -> None:
    kept = buy(shop, customer, week_terms.id, [("KEPT", 1, ETHER)], "R-1")
    mine(chain, 2)
    history = History(ledger.contracts)  # caught up to the head, as the page's queries catch it up
    fork = chain.snapshot()
    lost = buy(shop, customer, week_terms.id, [("LOST", 1, ETHER)], "R-2")
    history.sync()
    assert history.queries.purchase(lost.id, chain.now()) is not None  # the index holds it...
    with Receiver(SECRET) as receiver:
        webhook = Webhook(receiver.url, SECRET)
        posting = Deliverer(history, confirmations=2, backoff=Backoff(first=0.0))
        posting.subscriptions.add(webhook, int(time.time()))
        posting.deliver([webhook])
        assert bought(receiver) == [kept.id]  # ...but it is not 2 blocks deep: not posted
        chain.revert(fork)  # its block is replaced by others
        instead = buy(shop, customer, week_terms.id, [("INSTEAD", 1, ETHER)], "R-3")
        mine(chain, 2)
        held = posting.deliver([webhook])  # 2 deep now, but the chain replaced the block the index holds
        assert held.delivered == 0 and held.held is not None and f"block {lost.block_number} was replaced" in held.held
        assert history.sync().went_back is not None
        assert posting.deliver([webhook]).delivered == 1
    assert bought(receiver) == [kept.id, instead.id] and set(receiver.posts.values()) == {1}


def test_with_no_confirmations_what_replaced_an_undone_block_is_posted_too(ledger, chain, shop, week_terms,
                                                                           customer) -> None:
    kept = buy(shop, customer, week_terms.id, [("KEPT", 1, ETHER)], "R-1")
    history = History(ledger.contracts)
    with Receiver(SECRET) as receiver:
        webhook = Webhook(receiver.url, SECRET)
        posting = Deliverer(history, confirmations=0)
        posting.subscriptions.add(webhook, int(time.time()))
        history.sync()
        posting.deliver([webhook])
        fork = chain.snapshot()
        lost = buy(shop, customer, week_terms.id, [("LOST", 1, ETHER)], "R-2")
        history.sync()
        posting.deliver([webhook])  # 0 confirmations: final once indexed, so it goes out
        chain.revert(fork)
        instead = buy(shop, customer, week_terms.id, [("INSTEAD", 1, ETHER)], "R-3")
        assert posting.deliver([webhook]).delivered == 0  # the index has nothing new before it catches up
        assert history.sync().went_back is not None
        assert posting.subscriptions.delivered(webhook) < place(receiver.taken[-1])  # moved back to the fork
        assert posting.deliver([webhook]).delivered == 1
    assert bought(receiver) == [kept.id, lost.id, instead.id] and set(receiver.posts.values()) == {1}
    # The replacing purchase sits where the undone one sat: a place kept past the fork would have skipped it.
    assert place(receiver.taken[-1]) == place(receiver.taken[-2])
