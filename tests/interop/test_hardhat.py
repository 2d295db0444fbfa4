"""Hardhat's node (npm ``hardhat`` 2.x, on EDR), a second implementation of a development node beside anvil: the
main flows end to end, through the library, the command line and the page.

Hardhat answers a client differently from anvil where it matters: a reverted call carries the revert one level
deeper (``error.data.data``), a transaction that reverts is mined but answered with an error, and while it automines
it refuses a transaction whose nonce is ahead of its sender's and answers a batch's requests in any order. The
tests take the shared fixtures (tests/conftest.py) on the chain kind ``hardhat``: one node, reverted to the
deployment after each test. The deploy and seed scripts run on it in tests/interop/test_scripts.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import errors
from ledger.cli import main
from ledger.models import NATIVE, Status
from ledger.sending import Call, sign_orders
from ledger.validate import hash_of
from tests.support.cli import ok
from tests.support.web import build_scene, csrf_of, problem, sign_in
from tests.support.world import DAY, ETHER, buy, buy_call, buy_calls, orders_for, twin

pytestmark = [pytest.mark.tooling, pytest.mark.parametrize("deployed", ["hardhat"], indirect=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_the_node_is_hardhats_with_anvils_accounts(chain, accounts) -> None:
    assert chain.w3.client_version.startswith("HardhatNetwork/2.") and chain.chain_id == 31337
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first development account
    assert chain.w3.eth.get_balance(accounts[9].address) > 1_000 * ETHER


def test_buy_return_for_money_and_for_credit_then_settle(ledger, chain, shop, week_terms, customer, alice,
                                                         accounts) -> None:
    first = buy(shop, customer, week_terms.id, [("MUG", 2, ETHER // 10), ("TEA", 1, ETHER // 2)], "H-1")
    second = buy(shop, customer, week_terms.id, [("LAMP", 1, ETHER)], "H-2")
    refund = customer.return_items(first.id, [1])
    assert (refund.kind, refund.amount, refund.lines) == ("return", ETHER // 2 * 9 // 10, (1,))  # less the 10 % fee
    credit = customer.return_for_credit(second.id)
    assert credit.kind == "credit" and ledger.credit(shop.merchant_id, alice.address, NATIVE).amount == credit.amount
    payout = chain.w3.eth.get_balance(accounts[6].address)
    chain.advance_time(8 * DAY)
    batch = shop.settle()
    assert batch is not None and first.id in {s.purchase_id for s in batch.settled}
    assert Status.SETTLED in ledger.purchase(first.id).statuses
    assert chain.w3.eth.get_balance(accounts[6].address) > payout


def test_terms_quote_and_contacts_reach_the_index(ledger, chain, shop, staff, week_terms, customer, tmp_path) -> None:
    terms = ledger.terms(week_terms.id)
    assert (terms.return_window, terms.restocking_fee_bps) == (7 * DAY, 1_000)
    order = staff.quote(week_terms.id, [("MUG", 1, ETHER // 10)], "H-3", customer=customer.address)
    purchase = customer.buy(order)
    assert purchase.id == order.purchase_id
    staff.log_contact(customer.address, "chat", "question", "where is my mug?", purchase_id=purchase.id)
    indexed, direct = twin(ledger, f"sqlite:///{tmp_path / 'history.sqlite'}"), twin(ledger, False)
    report = indexed.history.sync()  # the index catches up from the deployment's block
    assert report.end == report.head and report.records > 0
    assert [p.id for p in indexed.purchases()] == [p.id for p in direct.purchases()] == [purchase.id]
    assert indexed.contacts() == direct.contacts() and len(direct.contacts()) == 1


def test_a_contract_error_is_its_typed_exception_in_words(ledger, chain, shop, week_terms, customer, alice) -> None:
    """The library checks a return's window itself; sent as it is, the contract refuses it and Hardhat's answer
    decodes to the same exception."""
    purchase = buy(shop, customer, week_terms.id, [("MUG", 1, ETHER // 10)], "H-4")
    chain.advance_time(8 * DAY)
    mask = purchase.mask_of(None)
    with pytest.raises(errors.ReturnWindowClosed) as refused:
        ledger.transact(alice, ledger.contract.functions.returnItems(
            purchase.order.packed(), purchase.lines_to_send(mask), mask, bytes(32)))
    assert refused.value.purchase_id == purchase.id
    assert f"the return window of purchase {purchase.id[:10]}… closed on" in str(refused.value)


def test_bulk_reports_each_of_many_purchases_exactly_once(ledger, chain, shop, agent, week_terms, accounts) -> None:
    """45 items by three customers in one bulk send, which Hardhat takes from each customer in nonce order only: an
    order for anyone bought twice (both simulations pass; the second fails when mined) and one bought by a customer it
    is not made out to (refused in simulation, before it takes a nonce). Every item has one outcome, nothing is sent
    twice, and no nonce is skipped."""
    customers = accounts[3:6]
    orders = orders_for(ledger, week_terms, customers, 43)
    *signed, anyone = sign_orders(agent, [*orders[:42], replace(orders[42], customer=NATIVE)], chain.chain_id,
                                  ledger.address)
    calls = buy_calls(ledger, signed, customers)
    calls.insert(10, buy_call(ledger, customers[0], anyone))
    calls.insert(30, buy_call(ledger, customers[0], anyone))  # bought already by then: her nonces keep the order
    calls.insert(20, buy_call(ledger, customers[2], signed[0]))  # made out to customers[0]
    nonces = [chain.w3.eth.get_transaction_count(c.address) for c in customers]
    first_block = chain.w3.eth.block_number + 1
    report = ledger.send_many(calls)
    assert [outcome.index for outcome in report.outcomes] == list(range(len(calls)))
    assert all(outcome.ok != (outcome.error is not None) for outcome in report.outcomes)
    assert len(report.sent) == 43 and [outcome.index for outcome in report.failed] == [20, 31]
    assert isinstance(report.outcomes[31].error, errors.PurchaseExists)
    assert isinstance(report.outcomes[20].error, errors.NotOrderCustomer)
    mined = [tx for number in range(first_block, chain.w3.eth.block_number + 1)
             for tx in chain.w3.eth.get_block(number, full_transactions=True)["transactions"]]
    assert len({tx["hash"] for tx in mined}) == len(mined) == 44  # the 43 and the failed second purchase, once each
    assert {"0x" + tx["hash"].hex() for tx in mined} >= {result.tx_hash for result in report.sent}
    assert [chain.w3.eth.get_transaction_count(c.address) - n for c, n in zip(customers, nonces)] == [16, 14, 14]
    assert len(ledger.purchases()) == 43


def test_the_command_line_on_hardhat(chain, tmp_path, monkeypatch) -> None:
    """Deploy, a shop with an agent and terms, a quote bought, a return, time moved on; a contract error (an order
    bought twice, which only the contract knows) is one line, no traceback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "160")
    deployment = tmp_path / "deployment.json"

    def cli(*args: object, account: int | None = None):
        who = ("--account", str(account)) if account is not None else ()
        return CliRunner().invoke(main, ["--rpc", chain.url, "--deployment", str(deployment), *who, *map(str, args)])

    assert "ledger deployed at" in ok(cli("deploy"))
    agent = chain.accounts()[2].address
    ok(cli("merchant", "register", account=1))
    ok(cli("merchant", "add-agent", "1", agent, account=1))
    ok(cli("terms", "publish", "1", "--window", "30d", "--fee", "5%", account=1))
    ok(cli("quote", "1", "MUG:2:0.01", "TEA:1:0.5", "--order", "H-5", "-o", tmp_path / "order.json", account=2))
    purchase = json.loads(ok(cli("--json", "buy", "--yes", tmp_path / "order.json", account=4)))
    assert "returned line(s) 2: 0.475 ETH refunded" in ok(cli("return", purchase["id"], "--line", "2", account=4))
    again = cli("buy", "--yes", tmp_path / "order.json", account=5)
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert again.output.startswith(f"error: order {purchase['id'][:10]}… was already bought")
    assert len(again.output.strip().splitlines()) == 1, again.output
    ok(cli("time", "advance", "31d"))
    late = cli("return", purchase["id"], account=4)
    assert late.exit_code == 1 and late.output.startswith("error: the return window of purchase")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_page_answers_a_contract_error_in_words(ledger, accounts) -> None:
    """Store credit Bob does not hold: only the contract refuses it, and the page says so in words (not a 500)."""
    from fastapi.testclient import TestClient

    from ledger.web import create_app

    scene = build_scene(ledger, accounts)
    client = TestClient(create_app(ledger, accounts[0], ROOT / "node_modules", origin="http://testserver"),
                        raise_server_exceptions=False)
    order = ledger.merchant_desk(scene.owner, scene.merchant_id).quote(scene.terms_id, [("SCARF", 1, ETHER)], "H-6")
    sign_in(client, scene.bob)
    refused = client.post("/api/orders/prepare", json={"order": order.link().split("order=")[1], "csrf": csrf_of(client),
                                                       "use_credit": str(ETHER // 10)})
    assert refused.status_code == 400 and problem(refused) == (
        "you hold 0 ETH in store credit at merchant #1, less than the 0.1 ETH asked for: use at most 0 ETH")


def test_a_transaction_hardhat_mines_as_failed_is_followed_to_its_receipt(ledger, chain, shop, stranger,
                                                                          monkeypatch) -> None:
    """Hardhat answers the sending of a transaction that reverts with an error, though it mined it (its nonce is
    used). Sent here without the simulation that would have refused it, the call is followed to its failed receipt
    and replayed to learn why: the typed error, and nothing sent again."""
    from ledger.sending import single

    def unsimulated(chain, account, function, value):
        fees = {"maxFeePerGas": 2 * 10**10, "maxPriorityFeePerGas": 10**9}
        return function.build_transaction({"from": account.address, "value": value, "chainId": chain.chain_id,
                                           "gas": 300_000, "nonce": chain.w3.eth.get_transaction_count(account.address),
                                           **fees})

    monkeypatch.setattr(single, "_prepare", unsimulated)
    before = chain.w3.eth.get_transaction_count(stranger.address)
    with pytest.raises(errors.NotMerchantOwner):
        ledger.transact(stranger, ledger.contract.functions.addAgent(shop.merchant_id, stranger.address))
    assert chain.w3.eth.get_transaction_count(stranger.address) == before + 1


def test_bulk_below_a_refused_nonce_reports_each_later_item_once(ledger, chain, staff, agent, alice,
                                                                 monkeypatch) -> None:
    """One of the agent's five contacts goes with too low a fee (Hardhat refuses it when it is sent): the items after
    it have no way in behind the gap it leaves, and each is reported failed, in the node's words, once; the items
    before it go through, and the agent's next send starts from the first free nonce."""
    from ledger.sending import bulk

    priced = bulk._funded

    def one_too_cheap(chain, node, items, errors):
        kept = priced(chain, node, items, errors)
        kept[1].tx.update(maxFeePerGas=1, maxPriorityFeePerGas=1)
        return kept

    monkeypatch.setattr(bulk, "_funded", one_too_cheap)
    contact = [ledger.contact_call(staff.merchant_id, alice.address, None, "chat", "question", None, hash_of(f"call {n}"))
               for n in range(5)]
    before = chain.w3.eth.get_transaction_count(agent.address)
    report = ledger.send_many([Call(agent, call) for call in contact])
    assert [outcome.ok for outcome in report.outcomes] == [True, False, False, False, False]
    assert "too low" in str(report.outcomes[1].error)
    assert "Nonce too high. Expected nonce to be 1 but got 2" in str(report.outcomes[2].error)
    assert all(f"it cannot follow nonce 2 of {agent.address}, which the node refused" in str(outcome.error)
               for outcome in report.outcomes[3:])
    assert chain.w3.eth.get_transaction_count(agent.address) == before + 1
    monkeypatch.setattr(bulk, "_funded", priced)
    assert len(ledger.send_many([Call(agent, call) for call in contact[1:]]).results()) == 4
