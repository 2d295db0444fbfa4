"""A command line you can type back: ``ledger``'s own options after the subcommand too, and an account named as
``--account`` names it (a development account's number, a stored key's name) wherever an address is asked."""

from __future__ import annotations

import json
import re

import pytest
from eth_account import Account

from tests.support.cli import ok

OWNER, AGENT, ALICE = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # development account 1
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # development account 2
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # development account 4
)


@pytest.fixture
def shop(cli):
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    return cli


def test_the_ledgers_options_work_after_the_subcommand_too(shop) -> None:
    before = json.loads(ok(shop("--json", "merchant", "show", "1")))
    assert json.loads(ok(shop("merchant", "show", "1", "--json"))) == before
    assert json.loads(ok(shop("merchant", "show", "--json", "1"))) == before
    ok(shop("merchant", "add-agent", "1", AGENT, "--account", "1"))  # the signer named last, as people type it
    assert json.loads(ok(shop("--json", "merchant", "show", "1")))["owner"] == OWNER
    # an option of the subcommand's own keeps its meaning: `index --confirmations 0` is the index's (ledger's own
    # --confirmations starts at 1, and would refuse it)
    assert "index" in ok(shop("index", "--confirmations", "0"))
    # an option's value stays its value, whatever it looks like: the note says "--json"
    noted = shop("--account", "4", "contact", "log", "1", "--channel", "chat", "--kind", "question", "--note", "--json")
    assert noted.exit_code == 0 and noted.output.lstrip()[:1] != "{"


def test_an_account_number_or_a_key_name_names_an_address(shop, monkeypatch, tmp_path) -> None:
    ok(shop("--account", "1", "merchant", "add-agent", "1", "2"))  # development account 2
    assert ok(shop("--json", "merchant", "show", "1"))  # the shop still reads
    order = tmp_path / "order.json"
    ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--order", "TYPED-1", "--for", "4", "-o", order))
    assert json.loads(order.read_text())["order"]["customer"] == ALICE

    carol = Account.create()
    monkeypatch.setenv("CAROL_KEY", carol.key.hex())
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "correct horse")
    ok(shop("key", "import", f"carol-{carol.address[2:8]}", "--from-env", "CAROL_KEY"))
    monkeypatch.delenv("LEDGER_KEY_PASSWORD")  # a key's name gives its address without its password
    ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--order", "TYPED-2", "--for", f"carol-{carol.address[2:8]}",
            "-o", order))
    assert json.loads(order.read_text())["order"]["customer"] == carol.address


@pytest.mark.parametrize("given, words", [
    ("99", "there are development accounts 0 to"),
    ("bob", "'bob' is not an address (0x and 40 hex digits), a development account's number or the name of a key"),
    ("0x123", "address"),
])
def test_an_account_that_names_nobody_is_one_line(shop, given, words) -> None:
    result = shop("--account", "1", "merchant", "add-agent", "1", given)
    assert result.exit_code == 1 and words in result.output and len(result.output.strip().splitlines()) == 1


def test_a_purchase_is_named_as_the_tables_show_it(shop, tmp_path) -> None:
    order = tmp_path / "order.json"
    ok(shop("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "TYPED-3", "--for", "4", "-o", order))
    bought = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", order)))
    shown = f"{bought['id'][:10]}…"  # the purchases table's column
    assert shown[:8] in ok(shop("purchases", "--merchant", "1"))
    assert json.loads(ok(shop("purchase", shown, "--json")))["purchase"]["id"] == bought["id"]
    ok(shop("--account", "4", "return", bought["id"][2:12]))  # without the 0x too
    assert json.loads(ok(shop("--json", "purchase", bought["id"])))["purchase"]["returned_lines"] == [0]


def test_buy_shows_what_it_pays_and_asks_unless_told_yes(shop, tmp_path) -> None:
    order = tmp_path / "order.json"
    ok(shop("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "TYPED-4", "--for", "4", "-o", order))
    unanswered = shop("--account", "4", "buy", order)  # nobody answers: nothing is paid
    assert unanswered.exit_code == 1 and "no answer came, so nothing was paid: answer y to pay 0.01 ETH to shop #1" \
        in unanswered.output
    declined = shop("--account", "4", "buy", order, input="n\n")
    assert declined.exit_code == 0 and "You are about to buy" in declined.output and "nothing was paid" in declined.output
    assert "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 pays 0.01 ETH into the ledger's escrow for shop #1" in \
        declined.output
    piped = shop("--account", "4", "buy", "-", input=order.read_text())  # the order on stdin: no answer can come
    assert piped.exit_code == 1 and "add --yes" in piped.output
    assert json.loads(ok(shop("--json", "purchases", "--merchant", "1"))) == []  # nothing was bought
    not_theirs = shop("--account", "5", "buy", order)  # made out to account 4: said before anything is asked
    assert not_theirs.exit_code == 1 and "made out to" in not_theirs.output and "Pay?" not in not_theirs.output
    ok(shop("--account", "4", "buy", order, input="y\n"))
    assert [p["customer"] for p in json.loads(ok(shop("--json", "purchases", "--merchant", "1")))] == [ALICE]
    ok(shop("--account", "4", "return", str(order), "--line", "1"))  # the purchase named by its order file
    assert json.loads(ok(shop("--json", "purchases", "--merchant", "1")))[0]["returned_lines"] == [0]


def test_tables_fit_80_columns_without_cutting_amounts_and_wide_shows_them_whole(shop, tmp_path, monkeypatch) -> None:
    order = tmp_path / "order.json"
    ok(shop("--account", "1", "quote", "1", "MUG-LONG-NAME:2:165.123456", "TEA:1:0.5", "--order", "ORDER-2026-0001",
            "--for", "4", "-o", order))
    bought = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", order)))
    ok(shop("--account", "4", "return", bought["id"], "--line", "2"))
    monkeypatch.setenv("COLUMNS", "80")
    for command in (("purchases", "--merchant", "1"), ("figures", "1"), ("--account", "1", "returns", "1"),
                    ("--account", "4", "my", "purchases"), ("purchase", bought["id"])):
        out = ok(shop(*command))
        assert max(len(line) for line in out.splitlines()) <= 80, (command, out)
        assert not re.search(r"\d\.\d*…", out), (command, out)  # no amount cut to "…" (addresses are short by design)
        assert "330.746912 ETH" in out or "0.5 ETH" in out  # an amount whole, on one line
    wide = ok(shop("--wide", "purchases", "--merchant", "1"))
    assert "ORDER-2026-0001" in wide and "MUG-LONG-NAME" in wide and max(len(line) for line in wide.splitlines()) > 80


def test_lines_are_counted_from_one_as_the_tables_number_them(shop, tmp_path) -> None:
    order = tmp_path / "order.json"
    ok(shop("--account", "1", "quote", "1", "MUG:1:0.01", "TEA:1:0.02", "--order", "TYPED-5", "--for", "4", "-o", order))
    bought = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", order)))
    table = ok(shop("purchase", bought["id"]))
    assert re.search(r"│ 1 +│ MUG", table) and re.search(r"│ 2 +│ TEA", table)
    zero = shop("--account", "4", "return", bought["id"], "--line", "0")
    assert zero.exit_code == 2 and "lines are counted from 1 (--line 1 is the first" in zero.output
    assert "returned line(s) 2: 0.02 ETH" in ok(shop("--account", "4", "return", bought["id"], "--line", "2"))
    assert json.loads(ok(shop("--json", "purchase", bought["id"])))["purchase"]["returned_lines"] == [1]  # the index
    again = shop("--again", "--account", "4", "return", bought["id"], "--line", "2")  # not the same run found
    assert again.exit_code == 1 and "line 2 (counted from 1)" in again.output and "already returned" in again.output
    beyond = shop("--account", "4", "return", bought["id"], "--line", "3")
    assert beyond.exit_code == 1 and "line 3 (index 2) does not exist" in beyond.output and "has 2 line(s)" in beyond.output
