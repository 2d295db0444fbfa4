"""The shop's inbox and what it does to settlement: a late customer's "return help" reaches the staff with its
text, keeps its purchase out of the shop's settlement until a reply is logged, and is answered only by a
reply about that purchase; a customer asking again cannot hold the shop's money for good (named purchases
settle all the same), and feedback asks for nothing."""

from __future__ import annotations

from tests.support.world import DAY, ETHER, buy


def test_a_late_request_reaches_the_inbox_and_keeps_its_purchase_out_of_the_batch_until_answered(
        ledger, shop, staff, week_terms, customer, chain) -> None:
    late = buy(shop, customer, week_terms.id, [("COAT", 1, ETHER // 10)], "ORDER-1")
    quiet = buy(shop, customer, week_terms.id, [("HAT", 1, ETHER // 100)], "ORDER-2")
    chain.advance_time(8 * DAY)  # both windows have closed
    customer.log_contact(shop.merchant_id, "email", "return_help", "The zip broke on day 9, can I still return it?",
                         purchase_id=late.id)
    customer.log_contact(shop.merchant_id, "chat", "feedback", "Lovely hat", purchase_id=quiet.id)

    (item,) = staff.inbox()  # the feedback asks for nothing
    assert not item.answered and item.text == "The zip broke on day 9, can I still return it?"
    assert item.request.purchase_id == late.id
    assert [p.id for p in ledger.held_back(shop.merchant_id)] == [late.id]
    assert [p.id for p in ledger.settleable(shop.merchant_id)] == [quiet.id]
    assert {p.id for p in ledger.settleable(shop.merchant_id, unanswered_too=True)} == {late.id, quiet.id}

    staff.log_contact(customer.address, "email", "return_help", "We are sorry, here is something back",
                      purchase_id=quiet.id)  # a reply about another purchase answers nothing
    assert not staff.inbox()[0].answered

    batch = staff.settle()
    assert [s.purchase_id for s in batch.settled] == [quiet.id]
    assert not ledger.purchase(late.id).settled  # still in escrow: a goodwill refund can still be paid

    staff.goodwill_refund(late.id, ETHER // 20, "other")
    reply = staff.log_contact(customer.address, "email", "return_help", "Refunded half, sorry about the zip",
                              purchase_id=late.id)
    (item,) = staff.inbox()
    assert item.answered and item.reply == reply
    assert ledger.held_back(shop.merchant_id) == []
    assert [s.purchase_id for s in staff.settle().settled] == [late.id]


def test_asking_again_and_again_cannot_hold_the_shops_money_for_good(ledger, shop, staff, week_terms, customer,
                                                                     chain) -> None:
    bought = buy(shop, customer, week_terms.id, [("COAT", 1, ETHER // 10)], "ORDER-1")
    chain.advance_time(8 * DAY)
    for n in range(3):
        customer.log_contact(shop.merchant_id, "email", "complaint", f"Still waiting ({n})", purchase_id=bought.id)
        staff.log_contact(customer.address, "email", "complaint", "Answered", purchase_id=bought.id)
    customer.log_contact(shop.merchant_id, "email", "complaint", "And again", purchase_id=bought.id)
    inbox = staff.inbox()
    assert [i.answered for i in inbox] == [False, True, True, True] and inbox[0].text == "And again"
    assert staff.settle() is None  # left out by default…
    batch = staff.settle([bought.id])  # …and settled when the shop names it
    assert [s.purchase_id for s in batch.settled] == [bought.id]
