"""The command line, as a merchant uses it: register, agents and mandates, tokens, terms, signed orders,
delivery, refunds, window extensions, settlement, history, figures and exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from ledger.chain import connect
from ledger.client import Ledger
from ledger.deployment import Deployment
from ledger.desks.anyone import Anyone
from ledger.history import database_url
from ledger.history.store import engine_for
from ledger.models import LineItem
from ledger.texts import TextStore
from tests.support.cli import ok
from tests.support.world import ETHER, deploy_contract, send

OWNER, AGENT, ALICE = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # development account 1
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # development account 2
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # development account 4
)
DAY = 86_400


@pytest.fixture
def shop(cli):
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    return cli


@pytest.fixture
def library(cli, cli_project) -> Ledger:
    """The ledger the command line uses, through the library (for set-ups the test is not about)."""
    return Ledger.attach(connect(cli_project.url), Deployment.load(cli_project.home / ".ledger" / "deployment.json"))


def buy(cli, folder, *lines: str, order: str, buyer: str = "4", customer: str = ALICE, terms: str = "1") -> dict:
    """The agent quotes an order for ``customer``; ``buyer`` buys it."""
    path = folder / f"{order}.json"
    ok(cli("--account", "2", "quote", terms, *lines, "--order", order, "--for", customer, "-o", path))
    return json.loads(ok(cli("--json", "--account", buyer, "buy", "--yes", path)))


def test_register_and_show_a_merchant(cli) -> None:
    out = ok(cli("--account", "1", "merchant", "register", "--payout", AGENT))
    assert "merchant #1 registered" in out
    shown = json.loads(ok(cli("--json", "merchant", "show", "1")))
    assert shown.pop("registered_at") > 1_700_000_000  # a block time: no contact is dated before it
    assert shown == {"id": 1, "owner": OWNER, "payout": AGENT, "active_terms": 0, "credit_cash_out_delay": 0,
                     "credit_bonus_bps": 0}
    assert "0 terms in force" in ok(cli("merchant", "show", "1"))


@pytest.mark.parametrize("address", ["0x123", "alice", "0x3c44cddDB6a900fa2b585dd299e03d12FA4293BC"])
def test_malformed_address_is_one_line(shop, address) -> None:
    result = shop("--account", "1", "merchant", "add-agent", "1", address)
    assert result.exit_code == 1 and result.output.startswith("error:") and "address" in result.output


def test_payout_and_agents_are_owner_only(shop) -> None:
    ok(shop("--account", "1", "merchant", "payout", "1", ALICE))
    assert json.loads(ok(shop("--json", "merchant", "show", "1")))["payout"] == ALICE
    refused = shop("--account", "2", "merchant", "payout", "1", AGENT)
    assert refused.exit_code == 1 and "is not the owner of merchant #1" in refused.output
    ok(shop("--account", "1", "merchant", "remove-agent", "1", AGENT))
    again = shop("--account", "1", "merchant", "remove-agent", "1", AGENT)  # the same command: its removal is found
    assert again.exit_code == 0 and "already on chain" in again.stderr
    anew = shop("--again", "--account", "1", "merchant", "remove-agent", "1", AGENT)
    assert anew.exit_code == 1 and "is not an agent" in anew.output


def test_publish_list_and_retire_terms(shop) -> None:
    out = ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d", "--fee", "1%", "--from-delivery",
                  "--max-wait", "14d", "--item-back"))
    assert "Terms #1 published" in out and "delivery, or day 14" in out
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "30d", "--from-delivery"))
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "0s"))
    listed = json.loads(ok(shop("--json", "terms", "list", "1")))
    assert [(t["return_window"], t["restocking_fee_bps"], t["delivery_wait"], t["item_must_be_returned"])
            for t in listed] == [(7 * DAY, 100, 14 * DAY, True), (30 * DAY, 0, 30 * DAY, False), (0, 0, 0, False)]
    assert "no returns" in ok(shop("terms", "list", "1"))
    ok(shop("--account", "1", "terms", "retire", "1"))
    assert json.loads(ok(shop("--json", "terms", "list", "1")))[0]["retired"] is True


@pytest.mark.parametrize("options, message", [
    (("--window", "7x"), "not a duration"),
    (("--window", "7d", "--fee", "1.234%"), "finer than"),
    (("--window", "7d", "--fee", "150%"), "150 % is more than 100 %"),
    (("--window", "7d", "--max-wait", "14d"), "give it with --from-delivery"),
    (("--window", "7d", "--from-delivery", "--max-wait", "0s"), "--max-wait must be longer than 0s"),
])
def test_publish_terms_bad_input(shop, options, message) -> None:
    result = shop("--account", "1", "terms", "publish", "1", *options)
    assert result.exit_code == 1 and message in result.output, result.output


@pytest.fixture
def sale(shop, tmp_path):
    """Terms #1: 7 days from delivery (or from day 14), and a purchase of 2.5 ETH by Alice under them."""
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d", "--from-delivery", "--max-wait", "14d"))
    return buy(shop, tmp_path, "SOFA:1:2", "LAMP:2:0.25", order="S-1")


def test_deliver_refund_extend_and_settle(shop, sale) -> None:
    assert "awaiting delivery" in ok(shop("--account", "5", "settle", sale["id"]))
    out = ok(shop("--account", "2", "deliver", sale["id"]))
    assert "delivery confirmed for" in out and re.search(r"return window closes in (6|7) days", out)
    twice = shop("--again", "--account", "2", "deliver", sale["id"])
    assert twice.exit_code == 1 and "was confirmed already, on" in twice.output

    no_budget = shop("--account", "2", "refund", sale["id"], "0.1", "--reason", "damaged")
    assert no_budget.exit_code == 1 and "has no goodwill budget left" in no_budget.output
    assert "may refund up to 0.15 ETH" in ok(shop("--account", "1", "merchant", "budget", "1", AGENT, "0.15"))
    out = ok(shop("--account", "2", "refund", sale["id"], "0.1", "--reason", "damaged", "--note", "scratch"))
    assert f"refunded 0.1 ETH to {ALICE}" in out
    over = shop("--account", "2", "refund", sale["id"], "0.1")
    assert over.exit_code == 1 and "less than the" in over.output and "top up the budget" in over.output

    no_mandate = shop("--account", "2", "extend", sale["id"], "3d")
    assert no_mandate.exit_code == 1 and "more than the 0 days allowed" in no_mandate.output
    assert "may add up to 3 day(s)" in ok(shop("--account", "1", "merchant", "mandate", "1", AGENT, "3d"))
    extended = json.loads(ok(shop("--json", "--account", "2", "extend", sale["id"], "3d", "--reason",
                                  "late_delivery")))
    assert extended["extension_days"] == 3
    assert extended["deadline"] == extended["delivered_at"] + 10 * DAY
    beyond = shop("--account", "2", "extend", sale["id"], "1")
    assert beyond.exit_code == 1 and "an extension of 4 days in all is more than the 3 days allowed" in beyond.output
    assert "not a whole number of days" in shop("--account", "2", "extend", sale["id"], "36h").output
    by_agent = shop("--account", "2", "set-extension", sale["id"], "5d")
    assert by_agent.exit_code == 1 and "is not the owner of merchant #1" in by_agent.output
    undo = shop("--account", "1", "set-extension", sale["id"], "3d")
    assert undo.exit_code == 1 and "is never taken back" in undo.output  # not even by the owner
    assert "4 day(s) added; it closes in" in ok(shop("--account", "1", "set-extension", sale["id"], "4d"))

    out = ok(shop("--account", "1", "keep-it", sale["id"], "--line", "2"))
    assert "refunded 0.5 ETH for line(s) 2; the customer keeps them" in out
    waiting = json.loads(ok(shop("--json", "--account", "5", "settle", sale["id"])))
    assert waiting == {"settled": [], "skipped": [{"purchase_id": sale["id"], "reason": "window_open"}],
                       "left_out_unanswered": []}
    assert "return window still open, closes" in ok(shop("--account", "5", "settle", sale["id"]))
    ok(shop("time", "advance", "12d"))  # 7 days from delivery, and the 4 added
    settled = json.loads(ok(shop("--json", "--account", "5", "settle", "--merchant", "1")))
    assert [(s["purchase_id"], s["amount"]) for s in settled["settled"]] == [
        (sale["id"], 25 * 10**17 - 10**17 - 5 * 10**17)]
    assert "nothing to settle" in ok(shop("--account", "5", "settle", "--merchant", "1"))
    again = ok(shop("--account", "5", "settle", sale["id"]))
    assert "settled 0 purchase(s)" in again and f"skipped {sale['id'][:10]}: already settled" in again


def test_owner_reopens_a_closed_window(shop, sale) -> None:
    ok(shop("time", "advance", "22d"))  # never delivered: the window ran from day 14 and closed on day 21
    closed = shop("--account", "1", "extend", sale["id"], "3d")
    assert closed.exit_code == 1 and "the return window of purchase" in closed.output
    reopened = json.loads(ok(shop("--json", "--account", "1", "set-extension", sale["id"], "3d")))
    assert reopened["extension_days"] == 3 and reopened["deadline"] == sale["purchased_at"] + (14 + 7 + 3) * DAY
    assert "refunded" in ok(shop("--account", "4", "return", sale["id"], "--line", "2"))


def test_a_delivery_cannot_be_dated_back(shop, sale) -> None:
    ok(shop("time", "advance", "10d"))
    back = shop("--account", "2", "deliver", sale["id"], "--at", str(sale["purchased_at"]))
    assert back.exit_code == 2 and "No such option '--at'" in back.output
    delivered = json.loads(ok(shop("--json", "--account", "2", "deliver", sale["id"])))
    assert delivered["delivered_at"] >= sale["purchased_at"] + 10 * DAY
    assert delivered["deadline"] == delivered["delivered_at"] + 7 * DAY  # the whole window from now


def test_delivery_out_of_bounds_is_refused(shop, sale, tmp_path) -> None:
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d"))
    plain = buy(shop, tmp_path, "SOFA:1:2", order="S-2", terms="2")
    refused = shop("--account", "2", "deliver", plain["id"]).output
    assert "runs from its purchase, not from delivery: there is no delivery to confirm" in refused


def test_settle_many_in_batches(shop, library, monkeypatch) -> None:
    """Transactions of ``Anyone.settle_batch_size`` purchases (250 in anvil's blocks; 40 here), each purchase
    reported once."""
    monkeypatch.setattr(Anyone, "settle_batch_size", lambda self: 40)
    desk = library.merchant_desk(library.chain.accounts()[1], 1)
    terms = desk.publish_terms(1)
    buyer = library.customer_desk(library.chain.accounts()[4])
    for i in range(45):
        buyer.buy(desk.quote(terms.id, [LineItem("PEN", 1, 10**15)], f"P-{i}", customer=buyer.address))
    ok(shop("time", "advance", "1m"))
    settled = json.loads(ok(shop("--json", "--account", "5", "settle")))["settled"]
    assert len(settled) == 45 and len({s["block_number"] for s in settled}) == 2  # 40 + 5


def test_accept_a_token_then_sell_in_it(shop, library, test_artifacts, tmp_path) -> None:
    deployer, alice = library.chain.accounts()[0], library.chain.accounts()[4]
    token = deploy_contract(library.chain, deployer, test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(library.chain, deployer, token.functions.mint(alice.address, 100 * ETHER))
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d"))
    quote = ("--account", "2", "quote", "1", "HAT:2:1.5", "--order", "T-1", "--token", token.address)
    refused = shop(*quote)
    assert refused.exit_code == 1 and f"does not accept token {token.address}" in refused.output
    assert "now accepts token" in ok(shop("--account", "1", "merchant", "accept-token", "1", token.address))
    assert "3 TUSD" in ok(shop(*quote, "-o", tmp_path / "hat.json"))
    purchase = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", tmp_path / "hat.json")))
    assert purchase["token"] == token.address and purchase["paid"] == 3 * ETHER
    assert token.functions.balanceOf(library.address).call() == 3 * ETHER
    assert "no longer accepts" in ok(shop("--account", "1", "merchant", "accept-token", "1", token.address, "--stop"))
    assert "does not accept" in shop(*quote).output
    stranger = shop("--account", "2", "merchant", "accept-token", "1", token.address)
    assert stranger.exit_code == 1 and "is not the owner" in stranger.output


def test_merchant_withdraw_with_nothing_deferred(shop) -> None:
    result = shop("--account", "5", "merchant", "withdraw", "1")
    assert result.exit_code == 1 and "nothing is waiting for" in result.output


def test_staff_logs_a_contact(shop, sale, library) -> None:
    library.chain.advance_time(2 * 3_600)
    at = datetime.fromtimestamp(library.merchant(1).registered_at + 3_600, UTC).isoformat()  # since the shop
    out = ok(shop("--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "video", "--kind",
                  "complaint", "--purchase", sale["id"], "--note", "scratched", "--at", at))
    assert "video complaint logged" in out
    (contact,) = json.loads(ok(shop("--json", "contact", "list", "--purchase", sale["id"])))
    assert contact["logged_by"] == AGENT and contact["by_customer"] is False
    stranger = shop("--account", "7", "contact", "log", "1", "--customer", ALICE, "--channel", "chat", "--kind",
                    "question")
    assert stranger.exit_code == 1 and "neither owner nor agent" in stranger.output


def test_contact_notes_are_kept_salted_beside_the_index_even_without_it(shop, cli_project) -> None:
    texts = TextStore(engine_for(database_url(cli_project.home / ".ledger" / "deployment.json")))
    notes = ["call back at 555-0100", "left a voicemail"]
    for flags, note in zip(((), ("--no-index",)), notes):
        ok(shop(*flags, "--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "phone",
                "--kind", "question", "--note", note))
    logged = [c["content_hash"] for c in json.loads(ok(shop("--json", "contact", "list", "--customer", ALICE)))]
    kept = [texts.get(content_hash) for content_hash in logged]
    assert [k.body for k in kept] == notes and all(k.matches and k.customer == ALICE for k in kept)


def test_purchases_with_filters(shop, sale, tmp_path) -> None:
    ok(shop("time", "advance", "1m"))
    bob = buy(shop, tmp_path, "CHAIR:1:1", order="S-2", buyer="5",
              customer="0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc")
    ids = lambda *args: [p["id"] for p in json.loads(ok(shop("--json", "purchases", *args)))]  # noqa: E731
    assert ids("--merchant", "1") == [sale["id"], bob["id"]]
    assert ids("--customer", ALICE) == [sale["id"]]
    assert ids("--sku", "CHAIR") == [bob["id"]]
    assert ids("--status", "awaiting_delivery") == [sale["id"], bob["id"]]
    assert ids("--since", "2100-01-01") == []
    assert ids("--until", str(bob["purchased_at"]), "--since", str(bob["purchased_at"])) == [bob["id"]]
    assert "2 purchase(s)" in ok(shop("purchases", "--merchant", "1"))


def test_figures(shop, sale) -> None:
    ok(shop("--account", "4", "return", sale["id"], "--line", "2"))
    (figures,) = json.loads(ok(shop("--json", "figures", "1")))
    assert figures["purchases"] == 1 and figures["sales"] == 25 * 10**17 and figures["refunds"] == 5 * 10**17
    assert (figures["return_rate_by_value"], figures["units_returned"], figures["units_sold"]) == (0.2, 2, 3)
    assert "0.5 ETH of 2.5 ETH" in ok(shop("figures", "1"))  # beside its 20.0%, not "100%" of one purchase


def test_export_csv_and_json(shop, sale, tmp_path) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(shop("--account", "2", "export", "1")))))
    assert rows[0]["purchase_id"] == sale["id"] and rows[0]["lines"] == "1× SOFA; 2× LAMP"
    assert (rows[0]["paid"], rows[0]["token"], rows[0]["paid_raw"]) == ("2.5", "ETH", "2500000000000000000")
    assert rows[0]["status"] == "awaiting_delivery" and rows[0]["return_deadline"]  # the latest it closes
    target = tmp_path / "history.json"
    ok(shop("--account", "1", "export", "1", "--format", "json", "--output", str(target)))
    (named,) = json.loads(target.read_text())
    assert (named["id"], named["order_number"], named["shop"], named["products"]) == (
        sale["id"], "S-1", "shop #1", ["SOFA", "LAMP"])
    missing = shop("--account", "2", "export", "1", "--output", str(tmp_path / "no" / "such.csv"))
    assert missing.exit_code == 1 and "cannot write" in missing.output
    stranger = shop("--account", "4", "export", "1")  # the buyer is not the shop's staff
    assert stranger.exit_code == 1 and "neither owner nor agent of merchant #1" in stranger.output
