"""Running a command again after its transaction went through sends nothing and says so, for every kind of
write. The first run goes through a node that vanishes once the transaction is handed to it, so it is told
the outcome is unknown (although the transaction landed); the run again, on the node, finds it; a third run
finds it too. Settlement and withdrawals, which pay what is due when they run, find nothing due."""

from __future__ import annotations

import json
import re
import threading

import click
import pytest

from ledger.chain import connect
from ledger.client import Ledger
from ledger.deployment import Deployment
from ledger.history import database_url
from ledger.history.store import engine_for
from ledger.models import LineItem
from ledger.texts import TextStore
from tests.support.faulty_proxy import FaultyProxy
from tests.support.world import DAY, ETHER, deploy_contract

OWNER, AGENT, ALICE = 1, 2, 4
"""Development accounts: the shop's owner, its agent, the customer."""


@pytest.fixture
def world(cli, cli_project):
    """Merchant #1 with an agent (budget 1 ETH, 30 days of mandate), 30-day terms and three purchases of
    Alice's, each two lines; set up through the library. The ledger and the purchases' ids."""
    ledger = Ledger.attach(connect(cli_project.url), Deployment.load(cli_project.home / ".ledger/deployment.json"))
    accounts = ledger.chain.accounts()
    shop = ledger.register_merchant(accounts[OWNER])
    shop.add_agent(accounts[AGENT].address)
    shop.set_budget(accounts[AGENT].address, ETHER)
    shop.set_mandate(accounts[AGENT].address, 30)
    terms = shop.publish_terms(30 * DAY)
    alice = ledger.customer_desk(accounts[ALICE])
    bought = [alice.buy(shop.quote(terms.id, [LineItem("MUG", 1, ETHER // 10), LineItem("TEA", 1, ETHER // 10)],
                                   f"RERUN-{n}", customer=alice.address)).id for n in range(3)]
    return ledger, bought


def _vanishing(url: str) -> FaultyProxy:
    """A proxy to the node that goes away the moment a transaction is handed to it (its answer lost)."""
    proxy = FaultyProxy(url, rate=0.0, faults=("drop_response",), rates={"eth_sendRawTransaction": 1.0})
    proxy.before_forward = lambda method: threading.Thread(target=proxy.go_away).start() \
        if method == "eth_sendRawTransaction" else None
    return proxy


def _first_run_unknown(cli, cli_project, args: list[str]) -> str:
    """Run ``ledger ARGS`` through a vanishing node: it must say the outcome is unknown, never that it failed,
    and name the transaction to look up; its hash."""
    proxy = _vanishing(cli_project.url)
    try:
        first = cli("--rpc", proxy.url, *args)
    finally:
        proxy.close()
    assert first.exit_code == 1 and "Traceback" not in first.output
    assert "whether it was recorded is not known" in first.stderr and "do not send it anew" in first.stderr
    assert "run it again" not in first.stderr and "nothing was recorded" not in first.stderr
    return re.search(r"`ledger tx (0x[0-9a-f]{64})`", first.stderr).group(1)


def _alice(ledger: Ledger) -> str:
    return ledger.chain.accounts()[ALICE].address


WRITES = {
    "staff contact": (AGENT, lambda ledger, bought: ["contact", "log", "1", "--customer", _alice(ledger), "--channel",
                                                     "chat", "--kind", "question", "--note", "which size?"],
                      lambda ledger, bought: len(ledger.events("ContactLogged", 1))),
    "customer contact": (ALICE, lambda ledger, bought: ["contact", "log", "1", "--channel", "email", "--kind",
                                                        "complaint", "--note", "late"],
                         lambda ledger, bought: len(ledger.events("ContactLogged", 1))),
    "goodwill": (AGENT, lambda ledger, bought: ["refund", bought[0], "0.01", "--note", "sorry"],
                 lambda ledger, bought: ledger.purchase(bought[0]).refunded),
    "keep-it": (OWNER, lambda ledger, bought: ["keep-it", bought[1], "--line", "2"],
                lambda ledger, bought: len(ledger.events("GoodwillRefunded", bought[1]))),
    "return": (ALICE, lambda ledger, bought: ["return", bought[2], "--line", "1", "--shipment", "PARCEL-1"],
               lambda ledger, bought: len(ledger.events("ItemsReturned", bought[2]))),
    "return for credit": (ALICE, lambda ledger, bought: ["return", bought[2], "--line", "2", "--credit"],
                          lambda ledger, bought: ledger.credit(1, _alice(ledger)).amount),
    "return of every open line": (ALICE, lambda ledger, bought: ["return", bought[2], "--credit"],
                                  lambda ledger, bought: ledger.credit(1, _alice(ledger)).amount),
    "extension": (AGENT, lambda ledger, bought: ["extend", bought[0], "3d"],
                  lambda ledger, bought: ledger.purchase(bought[0]).extension_days),
    "terms": (OWNER, lambda ledger, bought: ["terms", "publish", "1", "--window", "14d"],
              lambda ledger, bought: len(ledger.terms_of(1))),
    "budget": (OWNER, lambda ledger, bought: ["merchant", "budget", "1", ledger.chain.accounts()[AGENT].address, "0.5"],
               lambda ledger, bought: len(ledger.events("BudgetSet", 1))),
}


REFUSED_AGAIN = {"return of every open line": "every line of purchase"}
"""Writes whose run again is refused before the journal is looked at: what was asked is gone (here the open
lines: none is left), and the refusal says so."""


@pytest.mark.parametrize("kind", list(WRITES))
def test_a_write_run_again_after_it_landed_sends_nothing(cli, cli_project, world, kind) -> None:
    """The run again finds the transaction the first run sent, says so and sends nothing; so does a third."""
    ledger, bought = world
    signer, command, effect = WRITES[kind]
    args = ["--account", str(signer), *command(ledger, bought)]
    signer_address = ledger.chain.accounts()[signer].address
    before = effect(ledger, bought)
    tx_hash = _first_run_unknown(cli, cli_project, args)
    done, nonce = effect(ledger, bought), ledger.chain.w3.eth.get_transaction_count(signer_address)
    assert done != before  # it landed all the same
    assert f"transaction {tx_hash} went through in block" in cli("tx", tx_hash).output  # as the error told to look
    for _ in range(2):  # run again, and once more after that run reported it
        again = cli(*args)
        if kind in REFUSED_AGAIN:
            assert again.exit_code == 1 and REFUSED_AGAIN[kind] in again.stderr and "already" in again.stderr
        else:
            assert again.exit_code == 0, again.output
            assert "already on chain" in again.stderr and "nothing was sent" in again.stderr
        assert ledger.chain.w3.eth.get_transaction_count(signer_address) == nonce
        assert effect(ledger, bought) == done
    anew = cli("--again", *args)  # asked to do it once more, it does (or the contract says why not)
    assert ("already on chain" not in anew.stderr
            and (anew.exit_code == 1 or ledger.chain.w3.eth.get_transaction_count(signer_address) == nonce + 1))


def test_contact_import_run_again_sends_nothing(cli, cli_project, world, tmp_path) -> None:
    """Bulk items: the rows a first run sent (told their outcome is unknown) are found, none sent again."""
    ledger, _ = world
    alice = _alice(ledger)
    rows = ["channel,kind,customer,purchase,time,text", *(f"chat,question,{alice},,,row {n}" for n in range(5))]
    (tmp_path / "contacts.csv").write_text("\n".join(rows) + "\n")
    args = ["--account", str(AGENT), "contact", "import", "1", str(tmp_path / "contacts.csv")]
    agent = ledger.chain.accounts()[AGENT].address
    proxy = _vanishing(cli_project.url)
    try:
        first = cli("--rpc", proxy.url, *args)
    finally:
        proxy.close()
    assert first.exit_code == 1 and "whether it was recorded is not known" in first.output
    assert len(ledger.events("ContactLogged", 1)) == 5
    nonce = ledger.chain.w3.eth.get_transaction_count(agent)
    again = cli("--json", *args)
    assert again.exit_code == 0 and "already on chain" in again.stderr
    assert json.loads(again.stdout)["sent"] == 5 and json.loads(again.stdout)["failed"] == []
    assert ledger.chain.w3.eth.get_transaction_count(agent) == nonce
    assert len(ledger.events("ContactLogged", 1)) == 5
    texts = TextStore(engine_for(database_url(cli_project.home / ".ledger/deployment.json")))  # the command's
    kept = sorted(texts.get(event.args["contentHash"]).body for event in ledger.events("ContactLogged", 1))
    assert kept == [f"row {n}" for n in range(5)]  # each row's text kept once, under the hash on chain


def test_settlement_run_again_finds_nothing_to_settle(cli, cli_project, world) -> None:
    ledger, bought = world
    ledger.chain.advance_time(31 * DAY)
    _first_run_unknown(cli, cli_project, ["--account", "5", "settle", "--merchant", "1"])
    assert all(ledger.purchase(purchase_id).settled for purchase_id in bought)
    keeper = ledger.chain.accounts()[5].address
    nonce = ledger.chain.w3.eth.get_transaction_count(keeper)
    assert "nothing to settle" in cli("--account", "5", "settle", "--merchant", "1").output
    again = cli("--account", "5", "settle", *bought)
    assert again.exit_code == 0 and again.output.count("already settled") == 3
    assert ledger.chain.w3.eth.get_transaction_count(keeper) == nonce


def test_withdrawal_run_again_finds_nothing_waiting(cli, cli_project, world, test_artifacts) -> None:
    ledger, bought = world
    accounts = ledger.chain.accounts()
    shop = ledger.merchant_desk(accounts[OWNER], 1)
    shop.set_payout(deploy_contract(ledger.chain, accounts[7], test_artifacts["EthRejecter"]).address)
    ledger.chain.advance_time(31 * DAY)
    shop.settle()  # the payout rejects it: kept for the merchant
    shop.set_payout(accounts[8].address)
    _first_run_unknown(cli, cli_project, ["--account", "5", "merchant", "withdraw", "1"])
    assert ledger.merchant_deferred_balance(1) == 0
    nonce = ledger.chain.w3.eth.get_transaction_count(accounts[5].address)
    again = cli("--account", "5", "merchant", "withdraw", "1")
    assert again.exit_code == 1 and "nothing is waiting" in again.output
    assert ledger.chain.w3.eth.get_transaction_count(accounts[5].address) == nonce


def test_a_transaction_the_node_never_saw_is_said_unknown_to_it(cli, world) -> None:
    shown = json.loads(cli("--json", "tx", "0x" + "11" * 32).output)
    assert shown["state"] == "unknown" and shown["block_number"] is None
    assert "knows nothing of transaction" in cli("tx", "0x" + "11" * 32).output


def test_the_web_server_is_not_one_operation(cli_project, world) -> None:
    """``ledger serve`` relays many requests over its life: none of them is taken for another's run again,
    while a command is one operation."""
    from ledger.cli import main
    from ledger.cli.context import Env

    for name, params, one_operation in (("serve", {}, False), ("purchase", {"purchase_id": world[1][0]}, True)):
        env = Env(rpc=cli_project.url, deployment_file=cli_project.home / ".ledger/deployment.json")
        with click.Context(main.commands[name], info_name=name, obj=env) as command:
            command.params = params
            try:
                assert (env.ledger.current_operation is not None) is one_operation
            finally:
                env.close()
