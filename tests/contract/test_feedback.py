"""Verified-purchase reviews, net promoter scores and contact satisfaction, and their abuse: reviews and
scores only for purchases (orders the shop signed), contact ratings only for contacts its staff logged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.revert import mapped_errors
from ledger.validate import hash_of
from tests.support.world import ETHER, assert_kept, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("MUG", 1, ETHER), ("TEA", 1, ETHER)])


def test_review_is_linked_to_its_purchase(customer, purchase, alice) -> None:
    review = customer.review(purchase.id, 4, "solid mug")
    assert (review.purchase_id, review.customer, review.rating) == (purchase.id, alice.address, 4)
    assert_kept(customer.outbox, review.text_hash, "solid mug", "review")
    assert not review.replaced
    assert review.skus == ("MUG", "TEA") and not review.returned


def test_second_review_replaces_the_first_visibly(ledger, customer, purchase) -> None:
    customer.review(purchase.id, 2, "chipped")
    again = customer.review(purchase.id, 5, "they replaced it")
    assert again.replaced
    (latest,) = ledger.reviews(merchant_id=purchase.merchant_id)
    assert latest.rating == 5
    assert ledger.call(ledger.feedback.functions.feedbackOf(bytes.fromhex(purchase.id[2:])))[0] == 5


def test_stranger_cannot_review(ledger, purchase, stranger) -> None:
    with pytest.raises(errors.NotCustomer):
        ledger.customer_desk(stranger).review(purchase.id, 1, "fake")
    call = ledger.feedback.functions.review(purchase.order.packed(), 1, bytes(32))
    with pytest.raises(errors.NotCustomer), mapped_errors(ledger.errors):  # the contract refuses it too
        call.call({"from": stranger.address})


def test_feedback_only_for_purchases(ledger, purchase, alice) -> None:
    never_bought = replace(purchase.order, order_ref="0x" + hash_of("NOT-AN-ORDER").hex())
    for call in (ledger.feedback.functions.review(never_bought.packed(), 1, bytes(32)),
                 ledger.feedback.functions.giveNps(never_bought.packed(), 0)):
        with pytest.raises(errors.UnknownPurchase), mapped_errors(ledger.errors):
            call.call({"from": alice.address})


@pytest.mark.parametrize("rating", [0, 6])
def test_review_rating_out_of_range(ledger, customer, purchase, alice, rating) -> None:
    with pytest.raises(errors.InvalidInput, match="from 1 to 5"):
        customer.review(purchase.id, rating)
    call = ledger.feedback.functions.review(purchase.order.packed(), rating, bytes(32))
    with pytest.raises(errors.ScoreOutOfRange) as info, mapped_errors(ledger.errors):
        call.call({"from": alice.address})
    assert (info.value.min, info.value.max) == (1, 5)


def test_returned_purchases_are_marked_and_ratings_average_per_sku(ledger, shop, week_terms, customer, bob,
                                                                   purchase) -> None:
    bob_desk = ledger.customer_desk(bob)
    other = buy(shop, bob_desk, week_terms.id, [("MUG", 2, ETHER)], "ORDER-2")
    customer.return_items(purchase.id, [1])
    customer.review(purchase.id, 2)
    bob_desk.review(other.id, 5)
    reviews = ledger.reviews(merchant_id=shop.merchant_id)
    assert [(r.rating, r.returned) for r in reviews] == [(2, True), (5, False)]
    summary = ledger.ratings(shop.merchant_id)
    assert summary.reviews == 2 and summary.average == 3.5
    assert summary.by_sku == {"MUG": (3.5, 2), "TEA": (2.0, 1)}
    assert [r.purchase_id for r in ledger.reviews(sku="TEA")] == [purchase.id]


def test_nps_once_per_purchase(ledger, customer, purchase, stranger) -> None:
    assert customer.give_nps(purchase.id, 0).score == 0  # zero is a real score
    with pytest.raises(errors.AlreadyRated):
        customer.give_nps(purchase.id, 10)
    with pytest.raises(errors.InvalidInput, match="from 0 to 10"):
        customer.give_nps(purchase.id, 11)
    with pytest.raises(errors.NotCustomer):
        ledger.customer_desk(stranger).give_nps(purchase.id, 10)


def test_csat_once_per_contact_and_only_for_contacts_staff_logged(ledger, shop, staff, customer, alice,
                                                                  bob, purchase) -> None:
    contact = staff.log_contact(alice.address, "phone", "complaint", "late parcel", purchase_id=purchase.id)
    assert customer.rate_contact(contact, 4).score == 4
    with pytest.raises(errors.AlreadyRated):
        customer.rate_contact(contact, 5)
    with pytest.raises(errors.InvalidInput, match="not with you"):
        ledger.customer_desk(bob).rate_contact(contact, 1)
    # A rating of a contact that was never logged is accepted on chain, listed, but not counted.
    ledger.transact(bob, ledger.feedback.functions.rateContact(shop.merchant_id, b"\7" * 32, 1))
    rated = ledger.scores("csat", shop.merchant_id)
    assert [(s.score, s.counted) for s in rated] == [(4, True), (1, False)]
    assert rated[1].not_counted_because == "no contact with this customer was logged under this note"


def test_rating_a_self_logged_contact_does_not_count(ledger, shop, customer, alice) -> None:
    own = customer.log_contact(shop.merchant_id, "chat", "complaint", "nobody answers")
    with pytest.raises(errors.InvalidInput, match="logged yourself"):
        customer.rate_contact(own, 1)
    content = bytes.fromhex(own.content_hash[2:])
    ledger.transact(alice, ledger.feedback.functions.rateContact(shop.merchant_id, content, 1))  # past the library
    (rated,) = ledger.scores("csat", shop.merchant_id)
    assert not rated.counted and rated.not_counted_because == "the customer logged this contact itself"
    (figures,) = shop.figures()
    assert figures.csat is None and figures.contacts == 1 and figures.scores_not_counted == 1


def test_figures_show_csat_and_nps_next_to_return_rate(ledger, shop, staff, week_terms, customer, alice, bob,
                                                      purchase) -> None:
    bob_desk = ledger.customer_desk(bob)
    second = buy(shop, bob_desk, week_terms.id, [("MUG", 1, ETHER)], "ORDER-3")
    customer.give_nps(purchase.id, 10)   # promoter
    bob_desk.give_nps(second.id, 3)      # detractor
    customer.review(purchase.id, 4)
    customer.rate_contact(staff.log_contact(alice.address, "chat", "question", purchase_id=purchase.id), 5)
    bob_desk.rate_contact(staff.log_contact(bob.address, "chat", "question", purchase_id=second.id), 2)
    (figures,) = shop.figures()
    assert (figures.nps, figures.csat, figures.average_rating) == (0.0, 3.5, 4.0)
