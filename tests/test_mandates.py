"""Staff mandates: an agent refunds, extends windows or lets a customer keep items within a goodwill
budget the owner sets, tops up, lowers or revokes."""

from __future__ import annotations

import pytest
from conftest import DAY, ETHER

from ledger import errors
from ledger.models import Reason, Status


@pytest.fixture
def purchase(week_terms, customer):
    return customer.buy(week_terms.id, [("CHAIR", 1, ETHER), ("TABLE", 1, 2 * ETHER)], "M-1")


@pytest.fixture
def mandated(ledger, shop, agent):
    """The agent with a budget of 0.5 ETH."""
    shop.set_budget(agent.address, ETHER // 2)
    return ledger.merchant_desk(agent, shop.merchant_id)


def test_agent_refunds_within_budget_and_the_budget_shrinks(shop, mandated, purchase, agent) -> None:
    refund = mandated.goodwill_refund(purchase.id, ETHER // 5, "damaged", "leg wobbles")
    assert (refund.reason, refund.by, refund.amount) == (Reason.DAMAGED, agent.address, ETHER // 5)
    assert shop.budget(agent.address) == ETHER // 2 - ETHER // 5


def test_agent_past_its_budget_is_refused(shop, mandated, purchase, agent) -> None:
    with pytest.raises(errors.BudgetExceeded) as info:
        mandated.goodwill_refund(purchase.id, ETHER)
    assert (info.value.requested, info.value.available) == (ETHER, ETHER // 2)
    assert "top up the budget" in str(info.value)


def test_agent_without_a_mandate_cannot_refund_or_extend(ledger, shop, agent, purchase) -> None:
    staff = ledger.merchant_desk(agent, shop.merchant_id)
    with pytest.raises(errors.BudgetExceeded, match="no goodwill budget"):
        staff.goodwill_refund(purchase.id, 1)
    with pytest.raises(errors.BudgetExceeded):
        staff.extend_window(purchase.id, DAY)


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


def test_only_the_owner_sets_budgets_and_only_for_agents(shop, mandated, agent, stranger) -> None:
    with pytest.raises(errors.NotMerchantOwner):
        mandated.set_budget(agent.address, ETHER)
    with pytest.raises(errors.NotAnAgent):
        shop.set_budget(stranger.address, ETHER)


def test_owner_refunds_without_a_budget(shop, purchase) -> None:
    assert shop.goodwill_refund(purchase.id, 2 * ETHER).amount == 2 * ETHER


def test_agent_extends_one_window(ledger, chain, mandated, customer, purchase) -> None:
    extended = mandated.extend_window(purchase.id, 3 * DAY, "late delivery")
    assert extended.deadline == purchase.deadline + 3 * DAY and extended.window_extension == 3 * DAY
    chain.set_next_block_time(purchase.deadline + DAY)  # past the original window, inside the extension
    assert customer.return_items(purchase.id, [0]).amount > 0


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
    mandated.extend_window(purchase.id, DAY, "service recovery")
    reasons = [r.reason for r in ledger.refunds(purchase_id=purchase.id)]
    assert reasons == [Reason.LOYALTY, Reason.DAMAGED]
    (extension,) = ledger.events("WindowExtended", purchase.id)
    assert extension.args["reason"] == Reason.SERVICE_RECOVERY and extension.args["agent"] == agent.address
