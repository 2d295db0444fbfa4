"""`ledger inbox` and `ledger settle`: a late customer's request shows in the shop's inbox with its text, and
settlement leaves its purchase out, names it and says how to go on, until a reply is logged."""

from __future__ import annotations

import json

from tests.support.cli import ok

AGENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # development account 2
ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4


def test_a_late_request_is_in_the_inbox_and_kept_out_of_settlement_until_answered(cli, tmp_path) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    order = tmp_path / "order.json"
    ok(cli("--account", "2", "quote", "1", "COAT:1:0.1", "--order", "ORDER-1", "--for", ALICE, "-o", order))
    bought = json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", order)))
    ok(cli("time", "advance", "8d"))
    ok(cli("--account", "4", "contact", "log", "1", "--channel", "email", "--kind", "return_help",
           "--note", "The zip broke on day 9", "--purchase", bought["id"]))

    inbox = ok(cli("--account", "2", "inbox", "1"))
    assert "1 unanswered of 1" in inbox and "The zip broke on day 9" in inbox
    out = ok(cli("--account", "5", "settle", "--merchant", "1"))
    assert "nothing to settle" in out and f"left out 1 purchase(s) whose customer's request is unanswered: " \
        f"{bought['id'][:10]}" in out and "--include-unanswered" in out
    assert not json.loads(ok(cli("--json", "purchase", bought["id"])))["purchase"]["settled"]

    ok(cli("--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "email", "--kind",
           "return_help", "--note", "Sorry, here is 0.05 back", "--purchase", bought["id"]))
    assert "0 unanswered of 1" in ok(cli("--account", "2", "inbox", "1"))
    report = json.loads(ok(cli("--json", "--account", "5", "settle", "--merchant", "1")))
    assert [s["purchase_id"] for s in report["settled"]] == [bought["id"]] and report["left_out_unanswered"] == []


def test_a_receipt_is_printed_or_written_as_a_pdf(cli, tmp_path) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    order = tmp_path / "order.json"
    ok(cli("--account", "1", "quote", "1", "COAT:1:0.1", "--order", "ORDER-77", "--for", ALICE, "-o", order))
    bought = json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", order)))
    ok(cli("--account", "4", "return", bought["id"], "--line", "1"))
    shown = ok(cli("receipt", bought["id"]))
    assert "receipt for order ORDER-77" in shown and "refunded as money 0.1 ETH, as store credit 0 ETH" in shown
    assert f"purchase {bought['id']}" in shown
    out = tmp_path / "receipt.pdf"
    assert "receipt written to" in ok(cli("receipt", bought["id"], "-o", out))
    assert out.read_bytes().startswith(b"%PDF-")
