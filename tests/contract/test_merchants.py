"""Registering merchants, payout addresses and agents."""

from __future__ import annotations

import pytest

from ledger import errors
from ledger.client import MerchantDesk
from ledger.models import Merchant, Role, Staff

ZERO = "0x" + "00" * 20


def test_register_merchant_numbers_from_one_and_makes_the_caller_owner(ledger, owner, bob) -> None:
    first = ledger.register_merchant(owner)
    second = ledger.register_merchant(bob, payout=owner.address)
    assert (first.merchant_id, second.merchant_id) == (1, 2)
    assert ledger.merchant(1).owner == owner.address and ledger.merchant(1).payout == owner.address
    assert ledger.merchant(2).payout == owner.address
    assert ledger.role(1, owner.address) is Role.OWNER
    assert [m.id for m in ledger.merchants()] == [1, 2]


def test_register_merchant_rejects_a_payout_of_zero_or_the_ledger(ledger, owner) -> None:
    for payout in (ZERO, ledger.address):  # money sent there could never come out
        with pytest.raises(errors.InvalidAddress, match="give a real account address") as info:
            ledger.register_merchant(owner, payout=payout)
        assert info.value.account == payout
    assert ledger.merchants() == []


def test_set_payout_and_add_agent_reject_zero_and_the_ledger(ledger, shop, accounts) -> None:
    for address in (ZERO, ledger.address):
        with pytest.raises(errors.InvalidAddress):
            shop.set_payout(address)
        with pytest.raises(errors.InvalidAddress):
            shop.add_agent(address)
    assert ledger.merchant(shop.merchant_id).payout == accounts[6].address
    assert ledger.role(shop.merchant_id, ledger.address) is Role.NONE


def test_set_payout_changes_where_settlement_goes(ledger, shop, bob) -> None:
    result = shop.set_payout(bob.address)
    assert ledger.merchant(shop.merchant_id).payout == bob.address
    assert result.named("PayoutChanged")[0].args == {"merchantId": shop.merchant_id, "payout": bob.address}


def test_set_payout_rejected_for_an_agent(staff, bob) -> None:
    with pytest.raises(errors.NotMerchantOwner) as info:
        staff.set_payout(bob.address)
    assert info.value.merchant_id == staff.merchant_id and info.value.caller == staff.account.address


def test_add_agent_gives_staff_rights_without_budget_or_mandate(ledger, shop, agent) -> None:
    assert ledger.role(shop.merchant_id, agent.address) is Role.AGENT
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.AGENT, max_extension_days=0)
    assert shop.budget(agent.address) == 0 == ledger.budget(shop.merchant_id, agent.address)


def test_staff_reads_role_and_mandate(ledger, shop, owner, agent, stranger) -> None:
    assert ledger.staff(shop.merchant_id, owner.address) == Staff(Role.OWNER, 0)
    assert ledger.staff(shop.merchant_id, stranger.address) == Staff(Role.NONE, 0)
    shop.set_mandate(agent.address, 5)
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.AGENT, 5)
    assert ledger.staff(shop.merchant_id + 1, agent.address) == Staff(Role.NONE, 0)  # no such merchant: no role
    shop.remove_agent(agent.address)
    assert ledger.staff(shop.merchant_id, agent.address) == Staff(Role.NONE, 0, generation=1)  # its orders void


def test_register_merchant_starts_with_default_settings(ledger, owner) -> None:
    desk = ledger.register_merchant(owner)
    registered = ledger.w3.eth.get_block("latest")["timestamp"]
    assert desk.info() == Merchant(desk.merchant_id, owner.address, owner.address, active_terms=0,
                                   credit_cash_out_delay=0, credit_bonus_bps=0, registered_at=registered)


def test_add_agent_twice_rejected(shop, agent, owner) -> None:
    with pytest.raises(errors.AlreadyHasRole) as info:
        shop.add_agent(agent.address)
    assert (info.value.merchant_id, info.value.account, info.value.role) == (shop.merchant_id, agent.address, Role.AGENT)
    with pytest.raises(errors.AlreadyHasRole, match="already the owner"):
        shop.add_agent(owner.address)


def test_owner_actions_rejected_for_a_stranger(ledger, shop, agent, stranger, bob) -> None:
    outsider = MerchantDesk(ledger.reads, ledger.outbox, stranger, shop.merchant_id)
    for action in (lambda: outsider.add_agent(bob.address), lambda: outsider.remove_agent(agent.address),
                   lambda: outsider.set_payout(bob.address)):
        with pytest.raises(errors.NotMerchantOwner) as info:
            action()
        assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, stranger.address)
    assert ledger.role(shop.merchant_id, bob.address) is Role.NONE
    assert ledger.role(shop.merchant_id, agent.address) is Role.AGENT


def test_agent_cannot_manage_agents(ledger, staff, agent, bob) -> None:
    with pytest.raises(errors.NotMerchantOwner) as info:
        staff.add_agent(bob.address)
    assert info.value.caller == agent.address
    with pytest.raises(errors.NotMerchantOwner):
        staff.remove_agent(agent.address)
    assert ledger.role(staff.merchant_id, agent.address) is Role.AGENT


def test_remove_agent_takes_rights_away(ledger, shop, staff, agent, alice) -> None:
    shop.remove_agent(agent.address)
    assert ledger.role(shop.merchant_id, agent.address) is Role.NONE
    with pytest.raises(errors.NotMerchantAgent) as info:
        staff.log_contact(alice.address, "phone", "question")
    assert (info.value.merchant_id, info.value.caller) == (shop.merchant_id, agent.address)
    with pytest.raises(errors.InvalidInput, match="neither owner nor agent"):
        ledger.merchant_desk(agent, shop.merchant_id)


def test_remove_agent_rejects_a_non_agent(shop, owner, stranger) -> None:
    with pytest.raises(errors.NotAnAgent) as info:
        shop.remove_agent(stranger.address)
    assert (info.value.merchant_id, info.value.account) == (shop.merchant_id, stranger.address)
    with pytest.raises(errors.NotAnAgent):
        shop.remove_agent(owner.address)


def test_unknown_merchant_is_reported_by_id(ledger, owner) -> None:
    with pytest.raises(errors.UnknownMerchant, match="no merchant #7") as info:
        ledger.merchant(7)
    assert info.value.merchant_id == 7
    with pytest.raises(errors.UnknownMerchant) as info:
        MerchantDesk(ledger.reads, ledger.outbox, owner, 7).add_agent(owner.address)
    assert info.value.merchant_id == 7


def test_merchant_desk_refuses_an_account_without_a_role(ledger, shop, stranger) -> None:
    with pytest.raises(errors.InvalidInput, match="neither owner nor agent"):
        ledger.merchant_desk(stranger, shop.merchant_id)


def test_writes_return_the_transaction_with_decoded_events(ledger, chain, shop, bob) -> None:
    result = shop.add_agent(bob.address)
    receipt = chain.w3.eth.get_transaction_receipt(result.tx_hash)
    assert receipt["status"] == 1 and result.gas_used == receipt["gasUsed"] > 21_000
    (event,) = result.events
    assert event.name == "AgentAdded" and event.args == {"merchantId": shop.merchant_id, "agent": bob.address}
    assert result.named("AgentAdded") == [event] and event.tx_hash == result.tx_hash
