"""The command line, as a customer uses it: buy, history, detail, return, contacts, errors."""

from __future__ import annotations

import json
import re

import pytest

ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4


@pytest.fixture
def shop(cli):
    """Merchant #1 (account 1) with agent account 2 and 30-day terms #1 (5 % fee)."""
    assert cli("--account", "1", "merchant", "register").exit_code == 0
    assert cli("--account", "1", "merchant", "add-agent", "1", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC").exit_code == 0
    assert cli("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "5%").exit_code == 0
    return cli


def bought(cli, *lines: str, order: str = "ORD-1") -> dict:
    result = cli("--json", "--account", "4", "buy", "1", *lines, "--order", order)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_buy_prints_the_purchase_with_its_window(shop) -> None:
    result = shop("--account", "4", "buy", "1", "MUG:2:0.01", "TEA:1:0.5", "--order", "ORD-1")
    assert result.exit_code == 0, result.output
    assert "MUG" in result.output and "0.52 ETH" in result.output
    assert "closes" in result.output and "(in 30 days)" in result.output
    assert "refund if everything still open is returned now: 0.494 ETH" in result.output


def test_buy_json_is_machine_readable(shop) -> None:
    purchase = bought(shop, "MUG:2:0.01")
    assert purchase["customer"] == ALICE and purchase["price"] == 2 * 10**16
    assert purchase["status"] == "open" and purchase["lines"][0] == {"sku": "MUG", "quantity": 2,
                                                                       "unit_price": 10**16, "total": 2 * 10**16}


def test_my_purchases_lists_status_and_time_left(shop) -> None:
    bought(shop, "MUG:1:0.01")
    result = shop("--account", "4", "my", "purchases")
    assert result.exit_code == 0 and "1× MUG" in result.output
    assert re.search(r"closes in (29|30) days", result.output)  # a second may pass between buying and listing


def test_purchase_detail_shows_lines_terms_refund_and_contacts(shop) -> None:
    purchase = bought(shop, "MUG:1:0.01")
    shop("--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "chat", "--kind", "question",
         "--purchase", purchase["id"], "--note", "which colour?")
    result = shop("--json", "purchase", purchase["id"])
    data = json.loads(result.output)
    assert data["refund_if_returned_now"] == 10**16 * 95 // 100
    assert [c["channel"] for c in data["contacts"]] == ["chat"]
    text = shop("--tz", "Asia/Tokyo", "purchase", purchase["id"]).output
    assert "JST" in text and "terms #1: 30 days from purchase, restocking fee 5 %" in text


def test_return_some_lines_prints_the_refund(shop) -> None:
    purchase = bought(shop, "MUG:2:0.01", "TEA:1:0.5")
    result = shop("--account", "4", "return", purchase["id"], "--line", "1")
    assert result.exit_code == 0, result.output
    assert "returned line(s) 1: 0.475 ETH refunded" in result.output
    refunds = json.loads(shop("--json", "--account", "4", "my", "refunds").output)
    assert [(r["kind"], r["amount"]) for r in refunds] == [("return", 475 * 10**15)]


def test_return_after_the_window_is_one_clear_line(shop) -> None:
    purchase = bought(shop, "MUG:1:0.01")
    assert shop("time", "advance", "31d").exit_code == 0
    result = shop("--account", "4", "return", purchase["id"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the return window of purchase")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_return_by_someone_else_refused(shop) -> None:
    purchase = bought(shop, "MUG:1:0.01")
    result = shop("--account", "5", "return", purchase["id"])
    assert result.exit_code == 1 and "is not yours" in result.output


def test_customer_logs_and_lists_its_contacts(shop) -> None:
    result = shop("--account", "4", "contact", "log", "1", "--channel", "chatbot", "--kind", "order_status")
    assert result.exit_code == 0 and "chatbot order status logged" in result.output
    contacts = json.loads(shop("--json", "--account", "4", "my", "contacts").output)
    assert contacts[0]["by_customer"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (("--account", "4", "buy", "1", "MUG:x:1", "--order", "A"), "is not a line"),
        (("--account", "4", "buy", "1", "MUG:1:1.5abc", "--order", "A"), "unknown unit"),
        (("--account", "4", "buy", "9", "MUG:1:1", "--order", "A"), "no return terms #9"),
        (("--account", "4", "return", "0x1234"), "is not a 32-byte id"),
        (("--account", "4", "return", "0x" + "ab" * 32), "there is no purchase"),
        (("--account", "99", "my", "purchases"), "development accounts 0 to 9"),
        (("my", "purchases"), "say which account signs"),
        (("--account", "env:NO_SUCH_VARIABLE", "my", "purchases"), "is not set"),
        (("--tz", "Mars/Olympus", "purchases"), "unknown time zone"),
        (("--rpc", "http://127.0.0.1:1", "purchases"), "no Ethereum node answers"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(shop, args, message) -> None:
    result = shop(*args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_withdraw_with_nothing_waiting(shop) -> None:
    result = shop("--account", "4", "withdraw")
    assert result.exit_code == 1 and "nothing is waiting to be withdrawn" in result.output
