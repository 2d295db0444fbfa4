"""The command line for reviews, scores and gasless returns."""

from __future__ import annotations

import json

import pytest
from conftest import ok

ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4


@pytest.fixture
def bought(cli):
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "10%"))
    return json.loads(ok(cli("--json", "--account", "4", "buy", "1", "BED:1:1", "LAMP:1:0.5", "--order", "F-1")))


def test_review_then_rewrite_and_list_with_averages(cli, bought) -> None:
    assert "review posted: 3/5" in ok(cli("--account", "4", "review", bought["id"], "3", "--text", "firm"))
    assert "review replaced: 5/5" in ok(cli("--account", "4", "review", bought["id"], "5"))
    listed = json.loads(ok(cli("--json", "reviews", "--merchant", "1")))
    assert [r["rating"] for r in listed["reviews"]] == [5] and listed["summary"]["by_sku"]["BED"] == [5.0, 1]
    assert "average 5.0/5 over 1 review(s)" in ok(cli("reviews", "--merchant", "1"))
    stranger = cli("--account", "5", "review", bought["id"], "1")
    assert stranger.exit_code == 1 and "is not yours" in stranger.output
    assert cli("--account", "4", "review", bought["id"], "9").exit_code == 2  # outside 1-5: click refuses it


def test_nps_once_and_csat_once_show_in_figures(cli, bought) -> None:
    ok(cli("--account", "4", "nps", bought["id"], "10"))
    again = cli("--account", "4", "nps", bought["id"], "2")
    assert again.exit_code == 1 and "can be given once only" in again.output
    ok(cli("--account", "1", "contact", "log", "1", "--customer", ALICE, "--channel", "phone", "--kind", "question",
           "--note", "hi"))
    (contact,) = json.loads(ok(cli("--json", "--account", "4", "my", "contacts")))
    assert "contact rated 4/5" in ok(cli("--account", "4", "contact", "rate", "1", contact["content_hash"], "4"))
    unknown = cli("--account", "4", "contact", "rate", "1", "0x" + "11" * 32, "4")
    assert unknown.exit_code == 1 and "you have no contact" in unknown.output
    (figures,) = json.loads(ok(cli("--json", "figures", "1")))
    assert (figures["nps"], figures["csat"]) == (100.0, 4.0)
    assert "+100" in ok(cli("figures", "1"))


def test_signed_return_is_relayed_by_someone_else(cli, bought, tmp_path) -> None:
    request = tmp_path / "request.json"
    out = ok(cli("--account", "4", "return", bought["id"], "--line", "1", "--sign-only", str(request)))
    assert "signed return request written" in out
    assert json.loads(request.read_text())["line_mask"] == 2
    out = ok(cli("--account", "2", "relay", str(request)))
    assert f"0.45 ETH refunded to {ALICE}" in out
    replay = cli("--account", "2", "relay", str(request))
    assert replay.exit_code == 1 and "or was already used" in replay.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"purchase_id": 1}')
    bad = cli("--account", "2", "relay", str(broken))
    assert bad.exit_code == 1 and "is not a signed return request" in bad.output


def test_referral_commission_from_the_command_line(cli) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    assert "referrers now earn 5 %" in ok(cli("--account", "1", "merchant", "referral", "1", "5%"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "1d"))
    referrer = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # development account 5
    ok(cli("--account", "4", "buy", "1", "BOOK:1:1", "--order", "B-1", "--referrer", referrer))
    ok(cli("time", "advance", "2d"))
    ok(cli("--account", "6", "settle"))
    (earning,) = json.loads(ok(cli("--json", "referrals", referrer)))
    assert earning["commission"] == 5 * 10**16
    assert "total 0.05 ETH" in ok(cli("referrals", referrer))
    selfish = cli("--account", "4", "buy", "1", "BOOK:1:1", "--order", "B-2", "--referrer", ALICE)
    assert selfish.exit_code == 1 and "cannot refer itself" in selfish.output


def test_store_credit_from_the_command_line(cli, bought) -> None:
    assert "10 % bonus" in ok(cli("--account", "1", "merchant", "credit-bonus", "1", "10%"))
    out = ok(cli("--account", "4", "return", bought["id"], "--line", "1", "--credit"))
    assert "0.495 ETH store credit at merchant #1" in out  # 0.45 refund + 10 % bonus
    assert "0.495 ETH store credit" in ok(cli("--account", "4", "my", "credit", "1"))
    later = json.loads(ok(cli("--json", "--account", "4", "buy", "1", "PEN:1:1", "--order", "F-2", "--use-credit",
                              "all")))
    assert later["paid"] == 10**18
    assert "0 ETH store credit" in ok(cli("--account", "4", "my", "credit", "1"))
    broke = cli("--account", "4", "buy", "1", "PEN:1:1", "--order", "F-3", "--use-credit", "0.1")
    assert broke.exit_code == 1 and "less than the" in broke.output
