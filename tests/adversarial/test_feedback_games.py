"""The games a shop or its competitor can play with reviews, scores and contacts, each played as the attacker
would, and what the figures make of it (``ledger.history.counting``): on both chains, with the index (in memory,
a SQLite file, PostgreSQL) answering as the chain's logs do."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import Ledger
from ledger.history import counting
from ledger.models import Channel, ContactKind, ContactMoment
from tests.support.world import DAY, ETHER, buy, twin

NOTE = b"\x07" * 32


@pytest.fixture
def free_returns(shop):
    """30-day returns without a restocking fee: returning costs the competitor nothing."""
    return shop.publish_terms(30 * DAY)


def same_on_chain(ledger: Ledger, merchant_id: int, *others: Ledger) -> None:
    """The index (and any other reader given) answers every feedback query as the chain's logs do."""
    direct = twin(ledger, False)
    for reader in (ledger, *others):
        assert reader.reviews(merchant_id) == direct.reviews(merchant_id)
        assert reader.ratings(merchant_id) == direct.ratings(merchant_id)
        for kind in ("nps", "csat"):
            assert reader.scores(kind, merchant_id) == direct.scores(kind, merchant_id)
        assert reader.contacts(merchant_id) == direct.contacts(merchant_id)
        assert reader.contacts() == direct.contacts()
        assert reader.figures(merchant_id) == direct.figures(merchant_id)


def play_returned_one_star_reviews(ledger, shop, free_returns, customer, bob):
    """A real customer gives 5 stars and NPS 10; a competitor buys three TVs, reviews each 1 star, gives NPS 0
    and returns them all for free."""
    tv = buy(shop, customer, free_returns.id, [("TV", 1, ETHER)], "REAL-1")
    customer.review(tv.id, 5, "great picture")
    customer.give_nps(tv.id, 10)
    rival = ledger.customer_desk(bob)
    for n in range(3):
        bought = buy(shop, rival, free_returns.id, [("TV", 1, ETHER)], f"RIVAL-{n}")
        rival.review(bought.id, 1, "broke on day one")
        rival.give_nps(bought.id, 0)
        rival.return_items(bought.id)
    return tv


def test_a_competitors_returned_one_star_reviews_do_not_count(ledger, shop, free_returns, customer, bob) -> None:
    play_returned_one_star_reviews(ledger, shop, free_returns, customer, bob)
    reviews = ledger.reviews(shop.merchant_id)
    assert [(r.rating, r.kept, r.counted) for r in reviews] == [(5, True, True)] + [(1, False, False)] * 3
    assert all(r.paid == ETHER for r in reviews)  # shown with what was paid, returned or not
    (figures,) = shop.figures()
    assert (figures.average_rating, figures.nps) == (5.0, 100.0)  # not 2.0 and -50
    assert (figures.reviews, figures.reviews_not_counted, figures.scores_not_counted) == (1, 3, 3)
    assert [s.not_counted_because for s in ledger.scores("nps", shop.merchant_id)] == [""] + [counting.REFUNDED] * 3
    summary = ledger.ratings(shop.merchant_id)
    assert (summary.reviews, summary.average, summary.not_counted, summary.by_sku) == (1, 5.0, 3, {"TV": (5.0, 1)})
    same_on_chain(ledger, shop.merchant_id)


def test_a_review_counts_while_something_was_kept(ledger, shop, staff, free_returns, customer, bob) -> None:
    """Part returned: counted. Every line back, or all the money back without a return: not counted."""
    pair = buy(shop, customer, free_returns.id, [("TV", 1, ETHER), ("CABLE", 1, ETHER // 10)], "PAIR")
    customer.return_items(pair.id, [1])
    customer.review(pair.id, 2)
    rival = ledger.customer_desk(bob)
    refunded = buy(shop, rival, free_returns.id, [("TV", 1, ETHER)], "REFUNDED")
    rival.review(refunded.id, 1)
    shop.goodwill_refund(refunded.id, ETHER, "service recovery")  # all the money back, the TV kept
    kept_back = buy(shop, rival, free_returns.id, [("TV", 1, ETHER)], "KEPT-BACK")
    rival.review(kept_back.id, 1)
    staff.refund_without_return(kept_back.id, [0], "damaged")  # every line refunded
    assert [(r.rating, r.kept) for r in ledger.reviews(shop.merchant_id)] == [(2, True), (1, False), (1, False)]
    assert shop.figures()[0].average_rating == 2.0
    same_on_chain(ledger, shop.merchant_id)


def play_second_wallet_csat(ledger, shop, staff, agent, week_terms, customer, alice, stranger):
    """A real customer rates a real contact 1; the agent logs contacts with a second wallet of its own (one naming
    nothing, one naming the real customer's purchase) and rates each 5 from that wallet."""
    real = buy(shop, customer, week_terms.id, [("SOFA", 1, ETHER)], "SOFA-1")
    customer.rate_contact(staff.log_contact(alice.address, "phone", "complaint", "scratched", purchase_id=real.id), 1)
    for named, note in ((bytes(32), b"\x05" * 32), (bytes.fromhex(real.id[2:]), b"\x06" * 32)):
        ledger.transact(agent, ledger.contract.functions.logContact(  # the library would refuse the second
            shop.merchant_id, stranger.address, named, Channel.CHAT, ContactKind.FEEDBACK, 0, note))
        ledger.transact(stranger, ledger.feedback.functions.rateContact(shop.merchant_id, note, 5))
    return real


def test_an_agents_second_wallet_rating_its_own_contacts_counts_in_no_csat(ledger, shop, staff, agent, week_terms,
                                                                          customer, alice, stranger) -> None:
    play_second_wallet_csat(ledger, shop, staff, agent, week_terms, customer, alice, stranger)
    rated = ledger.scores("csat", shop.merchant_id)
    assert [(s.score, s.counted) for s in rated] == [(1, True), (5, False), (5, False)]
    assert [s.not_counted_because for s in rated[1:]] == [counting.NO_PURCHASE, counting.NOT_ITS_PURCHASE]
    (figures,) = shop.figures()
    assert figures.csat == 1.0  # not 3.7
    assert (figures.contacts, figures.contacts_not_counted) == (2, 1)  # the contact naming nothing still counts
    same_on_chain(ledger, shop.merchant_id)


def test_an_agents_second_wallet_with_a_purchase_of_its_own_does_count(ledger, shop, staff, week_terms,
                                                                      stranger) -> None:
    """What the rules cannot tell: a wallet that bought, and a contact about that purchase, is a customer's."""
    wallet = ledger.customer_desk(stranger)
    own = buy(shop, wallet, week_terms.id, [("PIN", 1, 1)], "PIN-1")
    wallet.rate_contact(staff.log_contact(stranger.address, "chat", "question", purchase_id=own.id), 5)
    assert shop.figures()[0].csat == 5.0  # its reviews show the 1 wei it paid, though (below)


def play_strangers_contacts(ledger, shop, staff, week_terms, customer, alice, bob, stranger):
    """A real contact; a stranger logs "its own" contacts against Alice's purchase and dated before the shop was
    registered; the agent logs one with Bob naming Alice's purchase. Returns whether the contract took the dated
    one (it is to refuse it)."""
    real = buy(shop, customer, week_terms.id, [("MUG", 1, ETHER)], "MUG-1")
    staff.log_contact(alice.address, "chat", "question", purchase_id=real.id)
    calls = [(stranger, ledger.contract.functions.logContact(
        shop.merchant_id, stranger.address, bytes.fromhex(real.id[2:]), Channel.EMAIL, ContactKind.COMPLAINT, 0,
        NOTE))]
    calls.append((staff.account, ledger.contract.functions.logContact(
        shop.merchant_id, bob.address, bytes.fromhex(real.id[2:]), Channel.PHONE, ContactKind.OTHER, 0, NOTE)))
    for sender, call in calls:
        ledger.transact(sender, call)
    registered = ledger.chain.w3.eth.get_block(ledger.events("MerchantRegistered", shop.merchant_id)[0].block_number)
    try:
        ledger.transact(stranger, ledger.contract.functions.logContact(
            shop.merchant_id, stranger.address, bytes(32), Channel.PHONE, ContactKind.COMPLAINT,
            registered["timestamp"] - 30 * DAY, NOTE))
    except errors.LedgerError:
        return False
    return True


def test_a_strangers_contacts_against_someone_elses_purchase_or_before_the_shop_do_not_count(
        ledger, shop, staff, week_terms, customer, alice, bob, stranger) -> None:
    dated_taken = play_strangers_contacts(ledger, shop, staff, week_terms, customer, alice, bob, stranger)
    listed = ledger.contacts(merchant_id=shop.merchant_id)
    expected = [(True, ""), (False, counting.NOT_ITS_PURCHASE), (False, counting.NOT_ITS_PURCHASE)]
    if dated_taken:
        expected.append((False, counting.BEFORE_THE_SHOP))
    assert [(c.counted, c.not_counted_because) for c in listed] == expected
    (figures,) = shop.figures()
    assert (figures.contacts, figures.contacts_per_purchase, figures.contacts_not_counted) == (1, 1.0,
                                                                                              len(expected) - 1)
    same_on_chain(ledger, shop.merchant_id)


def test_a_customer_contact_dated_before_the_shop_is_not_counted_whatever_the_contract_takes() -> None:
    """The library's own rule, should a contract take such a contact (the rule holds on its own)."""
    shops = counting.Shops([counting.StaffChange(1, "0xOwner", "owner", 10, at=1_000)])
    contact = ContactMoment(1, "0xStranger", None, "0xStranger", Channel.PHONE, ContactKind.COMPLAINT, 999,
                            "0x" + "07" * 32, 20, "0x")
    staff_one = ContactMoment(1, "0xAlice", None, "0xOwner", Channel.PHONE, ContactKind.OTHER, 999, "0x" + "08" * 32,
                              20, "0x")
    early, by_staff = counting.contacts([contact, staff_one], {}, shops)
    assert (early.counted, early.not_counted_because) == (False, counting.BEFORE_THE_SHOP)
    assert by_staff.counted and not by_staff.rated_counts  # staff's log of a past date counts; names no purchase


def test_a_contact_logged_by_a_removed_agent_cannot_be_rated_into_csat() -> None:
    shops = counting.Shops([counting.StaffChange(1, "0xOwner", "owner", 1, at=0),
                            counting.StaffChange(1, "0xAgent", "agent", 2),
                            counting.StaffChange(1, "0xAgent", "removed", 5)])
    assert shops.is_staff(1, "0xAgent", 3) and not shops.is_staff(1, "0xAgent", 6)
    assert shops.is_staff(1, "0xOwner", 6) and not shops.is_staff(2, "0xOwner", 6)


def play_one_wei_reviews(ledger, shop, week_terms, customer, accounts, bob):
    """The shop sells its own second wallets 1-wei orders and has them post 5 stars; a real customer, who also
    buys at another shop, posts 3."""
    for n, wallet in enumerate(accounts[7:9]):
        desk = ledger.customer_desk(wallet)
        desk.review(buy(shop, desk, week_terms.id, [("TV", 1, 1)], f"SELF-{n}").id, 5, "best shop ever")
    elsewhere = ledger.register_merchant(bob)
    buy(elsewhere, customer, elsewhere.publish_terms(DAY).id, [("BOOK", 1, ETHER)], "BOOK-1")
    customer.review(buy(shop, customer, week_terms.id, [("TV", 1, ETHER)], "REAL-TV").id, 3, "fine")


def test_self_bought_one_wei_reviews_count_but_show_their_price_and_wallets(ledger, shop, week_terms, customer,
                                                                           accounts, bob) -> None:
    play_one_wei_reviews(ledger, shop, week_terms, customer, accounts, bob)
    reviews = ledger.reviews(shop.merchant_id)
    assert [(r.rating, r.paid, r.counted, r.bought_elsewhere) for r in reviews] == [
        (5, 1, True, False), (5, 1, True, False), (3, ETHER, True, True)]
    (figures,) = shop.figures()
    assert (figures.reviews, figures.reviews_only_here, figures.average_rating) == (3, 2, pytest.approx(13 / 3))
    assert ledger.ratings(shop.merchant_id).only_here == 2
    same_on_chain(ledger, shop.merchant_id)


def test_every_game_read_from_sqlite_and_postgresql_as_from_the_chain(ledger, shop, staff, agent, week_terms,
                                                                     free_returns, customer, alice, bob, stranger,
                                                                     accounts, tmp_path, postgres_url) -> None:
    play_returned_one_star_reviews(ledger, shop, free_returns, customer, bob)
    play_second_wallet_csat(ledger, shop, staff, agent, week_terms, customer, alice, stranger)
    play_strangers_contacts(ledger, shop, staff, week_terms, customer, alice, bob, stranger)
    play_one_wei_reviews(ledger, shop, week_terms, customer, accounts, bob)
    shop.remove_agent(agent.address)  # its contacts were logged while it was staff: still staff's
    readers = (twin(ledger, f"sqlite:///{tmp_path / 'history.sqlite'}"), twin(ledger, postgres_url))
    same_on_chain(ledger, shop.merchant_id, *readers)
    (figures,) = shop.figures()
    assert figures.csat == 1.0 and figures.nps == 100.0 and figures.reviews_only_here == 2
