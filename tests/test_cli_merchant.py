"""The command line, as a merchant uses it: register, agents, terms, delivery, refunds, settlement,
history, figures and exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import ok

OWNER, AGENT, ALICE = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # development account 1
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # development account 2
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # development account 4
)


@pytest.fixture
def shop(cli):
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    return cli


def test_register_and_show_a_merchant(cli) -> None:
    out = ok(cli("--account", "1", "merchant", "register", "--payout", AGENT))
    assert "merchant #1 registered" in out
    shown = json.loads(ok(cli("--json", "merchant", "show", "1")))
    assert shown == {"id": 1, "owner": OWNER, "payout": AGENT, "referral_bps": 0, "credit_bonus_bps": 0}


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
    again = shop("--account", "1", "merchant", "remove-agent", "1", AGENT)
    assert again.exit_code == 1 and "is not an agent" in again.output


def test_publish_list_and_retire_terms(shop) -> None:
    out = ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d", "--fee", "1%", "--from-delivery",
                  "--item-back"))
    assert "Terms #1 published" in out and "delivery" in out
    listed = json.loads(ok(shop("--json", "terms", "list", "1")))
    assert listed[0]["return_window"] == 7 * 86_400 and listed[0]["restocking_fee_bps"] == 100
    ok(shop("--account", "1", "terms", "retire", "1"))
    assert json.loads(ok(shop("--json", "terms", "list", "1")))[0]["retired"] is True


@pytest.mark.parametrize("window, fee, message", [("7x", "1%", "not a duration"), ("7d", "1.234%", "finer than"),
                                                  ("7d", "150%", "above the maximum")])
def test_publish_terms_bad_input(shop, window, fee, message) -> None:
    result = shop("--account", "1", "terms", "publish", "1", "--window", window, "--fee", fee)
    assert result.exit_code == 1 and message in result.output


@pytest.fixture
def sale(shop):
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "7d", "--from-delivery"))
    result = shop("--json", "--account", "4", "buy", "1", "SOFA:1:2", "LAMP:2:0.25", "--order", "S-1")
    return json.loads(ok(result))


def test_deliver_refund_and_settle(shop, sale) -> None:
    out = ok(shop("--account", "2", "deliver", sale["id"]))
    assert "delivery confirmed; closes in 7 days" in out
    no_mandate = shop("--account", "2", "refund", sale["id"], "0.1", "--reason", "damaged")
    assert no_mandate.exit_code == 1 and "has no goodwill budget left" in no_mandate.output
    assert "may refund up to 0.15 ETH" in ok(shop("--account", "1", "merchant", "budget", "1", AGENT, "0.15"))
    out = ok(shop("--account", "2", "refund", sale["id"], "0.1", "--reason", "damaged", "--note", "scratch"))
    assert f"refunded 0.1 ETH to {ALICE}" in out
    over = shop("--account", "2", "refund", sale["id"], "0.1")
    assert over.exit_code == 1 and "less than the" in over.output and "top up the budget" in over.output
    extended = json.loads(ok(shop("--json", "--account", "2", "extend", sale["id"], "3d", "--reason",
                                  "late_delivery")))
    assert extended["window_extension"] == 3 * 86_400
    assert extended["deadline"] == extended["delivered_at"] + 10 * 86_400
    out = ok(shop("--account", "1", "keep-it", sale["id"], "--line", "1"))
    assert "refunded 0.5 ETH for line(s) 1; the customer keeps them" in out
    waiting = shop("--account", "5", "settle", sale["id"])
    assert waiting.exit_code == 1 and "can be returned until" in waiting.output
    ok(shop("time", "advance", "11d"))
    settled = json.loads(ok(shop("--json", "--account", "5", "settle", "--merchant", "1")))
    assert [(s["purchase_id"], s["amount"]) for s in settled] == [(sale["id"], 25 * 10**17 - 10**17 - 5 * 10**17)]
    assert "nothing to settle" in ok(shop("--account", "5", "settle", "--merchant", "1"))


def test_settle_many_in_batches(shop) -> None:
    ok(shop("--account", "1", "terms", "publish", "1", "--window", "1s"))
    for i in range(45):
        ok(shop("--account", "4", "buy", "1", "PEN:1:0.001", "--order", f"P-{i}"))
    ok(shop("time", "advance", "1m"))
    settled = json.loads(ok(shop("--json", "--account", "5", "settle")))
    assert len(settled) == 45 and len({s["block_number"] for s in settled}) == 2  # 40 + 5


def test_staff_logs_a_contact(shop, sale) -> None:
    out = ok(shop("--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "video", "--kind",
                  "complaint", "--purchase", sale["id"], "--note", "scratched", "--at", "2026-01-02T10:00"))
    assert "video complaint logged" in out
    (contact,) = json.loads(ok(shop("--json", "contact", "list", "--purchase", sale["id"])))
    assert contact["logged_by"] == AGENT and contact["by_customer"] is False
    stranger = shop("--account", "7", "contact", "log", "1", "--customer", ALICE, "--channel", "chat", "--kind",
                    "question")
    assert stranger.exit_code == 1 and "neither owner nor agent" in stranger.output


def test_purchases_with_filters(shop, sale) -> None:
    ok(shop("time", "advance", "1m"))
    bob = json.loads(ok(shop("--json", "--account", "5", "buy", "1", "CHAIR:1:1", "--order", "S-2")))
    ids = lambda *args: [p["id"] for p in json.loads(ok(shop("--json", "purchases", *args)))]  # noqa: E731
    assert ids("--merchant", "1") == [sale["id"], bob["id"]]
    assert ids("--customer", ALICE) == [sale["id"]]
    assert ids("--sku", "CHAIR") == [bob["id"]]
    assert ids("--status", "awaiting_delivery") == [sale["id"], bob["id"]]
    assert ids("--since", "2100-01-01") == []
    assert ids("--until", str(bob["purchased_at"]), "--since", str(bob["purchased_at"])) == [bob["id"]]
    assert "2 purchase(s)" in ok(shop("purchases", "--merchant", "1"))


def test_figures(shop, sale) -> None:
    ok(shop("--account", "4", "return", sale["id"], "--line", "1"))
    (figures,) = json.loads(ok(shop("--json", "figures", "1")))
    assert figures["purchases"] == 1 and figures["sales"] == 25 * 10**17 and figures["refunds"] == 5 * 10**17
    assert figures["return_rate"] == 1.0
    assert "100%" in ok(shop("figures", "1"))


def test_export_csv_and_json(shop, sale, tmp_path) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(shop("export", "1")))))
    assert rows[0]["purchase_id"] == sale["id"] and rows[0]["lines"] == (
        "SOFA x1 @ 2000000000000000000; LAMP x2 @ 250000000000000000")
    target = tmp_path / "history.json"
    shop("export", "1", "--format", "json", "--output", str(target))
    assert json.loads(target.read_text())[0]["id"] == sale["id"]
