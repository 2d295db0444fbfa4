"""Staff mandates: an agent refunds, lets a customer keep items or extends windows only within what the
owner granted: a goodwill budget per token and a number of extension days per purchase."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.models import Reason, Role, Staff, Status
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("CHAIR", 1, ETHER), ("TABLE", 1, 2 * ETHER)], "M-1")


@pytest.fixture
def mandated(ledger, shop, agent):
    """The agent with a budget of 0.5 ETH and 5 extension days per purchase."""
    shop.set_budget(agent.address, ETHER // 2)
    shop.set_mandate(agent.address, 5)
    return ledger.merchant_desk(agent, shop.merchant_id)


def test_agent_starts_with_no_budget_and_no_extension_days(ledger, shop, agent, purchase) -> None:
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.AGENT, 0)
    staff = ledger.merchant_desk(agent, shop.merchant_id)
    with pytest.raises(errors.BudgetExceeded, match="no goodwill budget"):
        staff.goodwill_refund(purchase.id, 1)
    with pytest.raises(errors.ExtensionTooLong) as info:
        staff.extend_window(purchase.id, 1)
    assert (info.value.purchase_id, info.value.extension_days, info.value.max_days) == (purchase.id, 1, 0)


def test_agent_refunds_within_budget_and_the_budget_shrinks(shop, mandated, purchase, agent) -> None:
    refund = mandated.goodwill_refund(purchase.id, ETHER // 5, "damaged", "leg wobbles")
    assert (refund.reason, refund.by, refund.amount) == (Reason.DAMAGED, agent.address, ETHER // 5)
    assert shop.budget(agent.address) == ETHER // 2 - ETHER // 5


def test_agent_past_its_budget_is_refused(mandated, purchase) -> None:
    with pytest.raises(errors.BudgetExceeded) as info:
        mandated.goodwill_refund(purchase.id, ETHER)
    assert (info.value.requested, info.value.available) == (ETHER, ETHER // 2)
    assert "top up the budget" in str(info.value)


def test_owner_tops_up_lowers_and_revokes(shop, mandated, purchase, agent) -> None:
    shop.set_budget(agent.address, 2 * ETHER)
    mandated.goodwill_refund(purchase.id, ETHER)
    shop.set_budget(agent.address, 1)
    with pytest.raises(errors.BudgetExceeded):
        mandated.goodwill_refund(purchase.id, 2)
    shop.set_budget(agent.address, 0)
    with pytest.raises(errors.BudgetExceeded):
        mandated.goodwill_refund(purchase.id, 1)


def test_budget_is_per_token(shop, mandated, agent, accounts) -> None:
    token = accounts[9].address  # any token address: the budget is only a number here
    assert shop.budget(agent.address, token) == 0
    shop.set_budget(agent.address, 7, token)
    assert (shop.budget(agent.address, token), shop.budget(agent.address)) == (7, ETHER // 2)


def test_only_the_owner_sets_budgets_and_mandates_and_only_for_agents(shop, mandated, agent, stranger) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        mandated.set_budget(agent.address, ETHER)
    with pytest.raises(errors.NotMerchantOwner):
        mandated.set_mandate(agent.address, 365)
    with pytest.raises(errors.NotAnAgent):
        shop.set_budget(stranger.address, ETHER)
    with pytest.raises(errors.NotAnAgent):
        shop.set_mandate(stranger.address, 1)
    with pytest.raises(errors.InvalidInput, match="above 365 days"):
        shop.set_mandate(agent.address, 366)


def test_owner_refunds_without_a_budget(shop, purchase) -> None:
    assert shop.goodwill_refund(purchase.id, 2 * ETHER).amount == 2 * ETHER


def test_agent_extends_one_window_in_days(chain, mandated, customer, purchase) -> None:
    extended = mandated.extend_window(purchase.id, 3, "late delivery")
    assert extended.extension_days == 3 and extended.deadline == purchase.deadline + 3 * DAY
    chain.set_next_block_time(purchase.deadline + DAY)  # past the original window, inside the extension
    assert customer.return_items(purchase.id, [0]).amount > 0


def test_extension_days_count_against_the_mandate_per_purchase(shop, week_terms, customer, mandated, purchase) -> None:
    mandated.extend_window(purchase.id, 3)
    with pytest.raises(errors.ExtensionTooLong) as info:
        mandated.extend_window(purchase.id, 3)  # 6 days in all, the mandate is 5
    assert (info.value.extension_days, info.value.max_days) == (6, 5)
    assert mandated.extend_window(purchase.id, 2).extension_days == 5
    other = buy(shop, customer, week_terms.id, [("STOOL", 1, ETHER)], "M-2")
    assert mandated.extend_window(other.id, 5).extension_days == 5  # another purchase has its own 5 days


def test_extension_refused_once_the_window_closed(chain, shop, mandated, purchase) -> None:
    chain.set_next_block_time(purchase.deadline)
    for desk in (mandated, shop):  # not even the owner extends a closed window: it reopens it explicitly
        with pytest.raises(errors.ReturnWindowClosed) as info:
            desk.extend_window(purchase.id, 1)
        assert info.value.deadline == purchase.deadline


def test_extension_refused_on_terms_without_returns(shop, customer, mandated) -> None:
    final_sale = shop.publish_terms(0)
    purchase = buy(shop, customer, final_sale.id, [("CLEARANCE", 1, ETHER)], "M-3")
    with pytest.raises(errors.NoReturns) as info:
        shop.set_window_extension(purchase.id, 5)
    assert info.value.purchase_id == purchase.id
    for desk in (mandated, shop):  # nobody extends a final sale's window
        with pytest.raises(errors.NoReturns):
            desk.extend_window(purchase.id, 1)
    with pytest.raises(errors.ReturnWindowClosed):
        customer.return_items(purchase.id)


def test_no_one_takes_back_an_extension_given(ledger, shop, owner, mandated, purchase) -> None:
    """The owner changing a setting after the fact: an agent gave five days; the owner cannot set fewer, or
    the same, and the contract refuses it even when the library is bypassed."""
    extended = mandated.extend_window(purchase.id, 5)
    for days in (4, 5):
        with pytest.raises(errors.ExtensionNotLonger) as info:
            shop.set_window_extension(purchase.id, days, "other")
        assert (info.value.extension_days, info.value.current_days) == (days, 5)
    call = ledger.contract.functions.setWindowExtension(purchase.order.packed(), 0, 0)
    with pytest.raises(errors.ExtensionNotLonger), mapped_errors(ledger.errors):
        call.call({"from": owner.address})
    assert ledger.purchase(purchase.id).deadline == extended.deadline
    assert shop.set_window_extension(purchase.id, 6).deadline == extended.deadline + DAY  # more is fine


def test_owner_reopens_a_closed_window_explicitly(chain, shop, customer, purchase) -> None:
    chain.set_next_block_time(purchase.deadline + DAY)
    reopened = shop.set_window_extension(purchase.id, 3, "service recovery")
    assert reopened.window_open and reopened.deadline == purchase.deadline + 3 * DAY
    assert customer.return_items(purchase.id, [0]).amount == ETHER * 9 // 10


def test_only_the_owner_sets_a_window_extension(mandated, purchase) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        mandated.set_window_extension(purchase.id, 1)


def test_owner_extends_at_most_365_days_in_all(ledger, shop, owner, purchase) -> None:
    assert shop.extend_window(purchase.id, 365).extension_days == 365
    with pytest.raises(errors.ExtensionTooLong) as info:
        shop.extend_window(purchase.id, 1)
    assert (info.value.extension_days, info.value.max_days) == (366, 365)
    with pytest.raises(errors.InvalidInput, match="above the 365 days"):
        shop.set_window_extension(purchase.id, 366)
    call = ledger.contract.functions.setWindowExtension(purchase.order.packed(), 366, 0)
    with pytest.raises(errors.ExtensionTooLong), mapped_errors(ledger.errors):  # the contract checks it too
        call.call({"from": owner.address})


def test_removing_an_agent_voids_its_budgets_and_mandate(ledger, shop, mandated, agent, purchase, accounts) -> None:
    token = accounts[9].address
    shop.set_budget(agent.address, 7, token)
    shop.remove_agent(agent.address)
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.NONE, 0, generation=1)
    with pytest.raises(errors.NotMerchantAgent):
        mandated.goodwill_refund(purchase.id, 1)
    shop.add_agent(agent.address)  # re-added: it starts from nothing again
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.AGENT, 0, generation=1)
    assert (shop.budget(agent.address), shop.budget(agent.address, token)) == (0, 0)
    with pytest.raises(errors.BudgetExceeded):
        mandated.goodwill_refund(purchase.id, 1)
    with pytest.raises(errors.ExtensionTooLong):
        mandated.extend_window(purchase.id, 1)


def test_keep_it_refunds_lines_without_a_return_or_fee(ledger, mandated, customer, purchase, shop, agent) -> None:
    shop.set_budget(agent.address, 2 * ETHER)
    kept = mandated.refund_without_return(purchase.id, [1], "wrong item")
    assert (kept.kind, kept.lines, kept.amount) == ("kept", (1,), 2 * ETHER)  # no 10 % restocking fee
    after = ledger.purchase(purchase.id)
    assert after.returned_lines == {1} and Status.PARTLY_RETURNED in after.statuses
    with pytest.raises(errors.AlreadyReturned):  # the customer cannot also return it
        customer.return_items(purchase.id, [1])
    assert shop.budget(agent.address) == 0


def test_keep_it_past_the_budget_refused(mandated, purchase) -> None:
    with pytest.raises(errors.BudgetExceeded):
        mandated.refund_without_return(purchase.id, [1])


def test_every_use_is_an_event_with_its_reason(ledger, mandated, shop, agent, purchase) -> None:
    shop.set_budget(agent.address, 3 * ETHER)
    mandated.goodwill_refund(purchase.id, 1, "loyalty")
    mandated.refund_without_return(purchase.id, [0], "damaged")
    mandated.extend_window(purchase.id, 1, "service recovery")
    reasons = [r.reason for r in ledger.refunds(purchase_id=purchase.id)]
    assert reasons == [Reason.LOYALTY, Reason.DAMAGED]
    (extension,) = ledger.events("WindowExtended", purchase.id)
    assert extension.args["reason"] == Reason.SERVICE_RECOVERY and extension.args["agent"] == agent.address
    assert extension.args["extensionDays"] == 1
