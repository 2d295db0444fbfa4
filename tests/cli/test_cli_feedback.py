"""The command line for reviews, scores, gasless returns (and cancelling them), referrals and store credit."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import ok

ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4
REFERRER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # development account 5


def buy(cli, folder, *lines: str, order: str, options: tuple[str, ...] = (), buy_options: tuple[str, ...] = ()):
    """The shop's owner quotes an order under terms #1 for Alice; Alice buys it (the CLI result)."""
    path = folder / f"{order}.json"
    ok(cli("--account", "1", "quote", "1", *lines, "--order", order, "--for", ALICE, *options, "-o", path))
    return cli("--json", "--account", "4", "buy", "--yes", path, *buy_options)


@pytest.fixture
def bought(cli, tmp_path):
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "10%"))
    return json.loads(ok(buy(cli, tmp_path, "BED:1:1", "LAMP:1:0.5", order="F-1")))


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
           "--note", "hi", "--purchase", bought["id"]))
    (contact,) = json.loads(ok(cli("--json", "--account", "4", "my", "contacts")))
    shown = contact["content_hash"][:10] + "…"  # a start of it, as a table shows it
    assert "contact rated 4/5" in ok(cli("--account", "4", "contact", "rate", "1", shown, "4"))
    unknown = cli("--account", "4", "contact", "rate", "1", "0x" + "11" * 32, "4")
    assert unknown.exit_code == 1 and "you have no contact" in unknown.output
    (figures,) = json.loads(ok(cli("--json", "figures", "1")))
    assert (figures["nps"], figures["csat"]) == (100.0, 4.0)
    assert "+100" in ok(cli("figures", "1"))


def test_a_contact_the_customer_logged_itself_cannot_be_rated(cli, bought) -> None:
    ok(cli("--account", "4", "contact", "log", "1", "--channel", "chat", "--kind", "feedback", "--note", "great shop"))
    (contact,) = json.loads(ok(cli("--json", "--account", "4", "my", "contacts")))
    result = cli("--account", "4", "contact", "rate", "1", contact["content_hash"], "5")
    assert result.exit_code == 1 and "is one you logged yourself" in result.output


def test_signed_return_is_relayed_by_someone_else(cli, bought, tmp_path) -> None:
    request = tmp_path / "request.json"
    out = ok(cli("--account", "4", "return", bought["id"], "--line", "2", "--sign-only", str(request)))
    assert "signed return request written" in out
    assert json.loads(request.read_text())["line_mask"] == 2
    out = ok(cli("--account", "2", "relay", str(request)))
    assert f"0.45 ETH refunded to {ALICE}" in out
    replay = cli("--again", "--account", "2", "relay", str(request))
    assert replay.exit_code == 1 and "was already used or cancelled" in replay.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"purchase_id": 1}')
    bad = cli("--account", "2", "relay", str(broken))
    assert bad.exit_code == 1 and "is not a signed return request" in bad.output


def test_a_signed_return_request_can_be_cancelled(cli, bought, tmp_path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    ok(cli("--account", "4", "return", bought["id"], "--line", "1", "--sign-only", str(first)))
    out = ok(cli("--account", "4", "return", bought["id"], "--line", "2", "--sign-only", str(second)))
    assert "`ledger cancel-request" in out
    assert json.loads(first.read_text())["nonce"] != json.loads(second.read_text())["nonce"]  # random nonces
    stranger = cli("--account", "5", "cancel-request", str(first))
    assert stranger.exit_code == 1 and "is not yours" in stranger.output
    assert "cancelled: nobody can submit it any more" in ok(cli("--account", "4", "cancel-request", str(first)))
    refused = cli("--account", "2", "relay", str(first))
    assert refused.exit_code == 1 and "was already used or cancelled" in refused.output
    assert "0.45 ETH refunded" in ok(cli("--account", "2", "relay", str(second)))  # the other one still works
    missing = cli("--account", "4", "cancel-request", str(tmp_path / "none.json"))
    assert missing.exit_code == 1 and "cannot read return request" in missing.output


def test_referral_commission_granted_in_the_order(cli, tmp_path) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "1d"))
    commission = ("--referrer", REFERRER, "--commission", "5%")
    out = ok(cli("--account", "1", "quote", "1", "BOOK:1:1", "--order", "B-0", "--for", ALICE, *commission))
    assert f"referrer {REFERRER} earns 5 % of what the shop keeps" in out
    ok(buy(cli, tmp_path, "BOOK:1:1", order="B-1", options=commission))
    ok(cli("time", "advance", "2d"))
    ok(cli("--account", "6", "settle"))
    (earning,) = json.loads(ok(cli("--json", "referrals", REFERRER)))
    assert earning["commission"] == 5 * 10**16
    assert "total 0.05 ETH" in ok(cli("referrals", REFERRER))
    selfish = buy(cli, tmp_path, "BOOK:1:1", order="B-2", options=("--referrer", ALICE, "--commission", "5%"))
    assert selfish.exit_code == 1 and "cannot be this order's referrer" in selfish.output
    lonely = cli("--account", "1", "quote", "1", "BOOK:1:1", "--order", "B-3", "--commission", "5%")
    assert lonely.exit_code == 1 and "a referral commission needs a referrer" in lonely.output


def test_store_credit_from_the_command_line(cli, bought, tmp_path) -> None:
    assert "10 % bonus" in ok(cli("--account", "1", "merchant", "credit-bonus", "1", "10%"))
    out = ok(cli("--account", "4", "return", bought["id"], "--line", "2", "--credit"))
    assert "0.495 ETH store credit at shop #1" in out  # 0.45 refund + 10 % bonus
    held = ok(cli("--account", "4", "my", "credit", "1"))
    assert "0.495 ETH store credit" in held and "0.45 ETH of it money you paid" in held
    later = json.loads(ok(buy(cli, tmp_path, "PEN:1:1", order="F-2", buy_options=("--use-credit", "all"))))
    assert later["paid"] == 10**18 and later["credit_used"] == 495 * 10**15
    assert "no store credit at shop #1" in ok(cli("--account", "4", "my", "credit", "1"))
    broke = buy(cli, tmp_path, "PEN:1:1", order="F-3", buy_options=("--use-credit", "0.1"))
    assert broke.exit_code == 1 and "less than the" in broke.output


def test_store_credit_cash_out(cli, bought) -> None:
    ok(cli("--account", "1", "merchant", "credit-bonus", "1", "10%"))
    assert "30 days after it is issued" in ok(cli("--account", "1", "merchant", "credit-delay", "1", "30d"))
    ok(cli("--account", "4", "return", bought["id"], "--line", "2", "--credit"))
    ok(cli("--account", "1", "merchant", "credit-delay", "1", "0s"))  # for credit issued from now on only
    assert "which can be cashed out from" in ok(cli("--account", "4", "my", "credit", "1"))
    still = cli("--account", "4", "credit", "cash-out", "1")
    assert still.exit_code == 1 and "can be cashed out from" in still.output
    ok(cli("time", "advance", "31d"))
    out = ok(cli("--account", "4", "credit", "cash-out", "1"))
    assert "cashed out 0.45 ETH of store credit at shop #1; the 0.045 ETH bonus went back to the shop" in out
    nothing = cli("--account", "4", "credit", "cash-out", "1")
    assert nothing.exit_code == 1 and "nothing is waiting" in nothing.output


def test_credit_can_be_cashed_out_once_the_shop_stops_trading(cli, bought) -> None:
    ok(cli("--account", "4", "return", bought["id"], "--line", "2", "--credit"))
    ok(cli("--account", "1", "terms", "retire", "1"))
    assert "can be cashed out now" in ok(cli("--account", "4", "my", "credit", "1"))
    assert "cashed out 0.45 ETH" in ok(cli("--account", "4", "credit", "cash-out", "1"))


WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # development account 3: the shop's second wallet


def test_reviews_and_figures_say_what_counts(cli, bought, tmp_path) -> None:
    """A 1-wei review by the shop's own wallet is counted and shows its price; a review of a purchase returned
    in full is listed, not counted; contacts are listed with whether they count."""
    ok(cli("--account", "4", "review", bought["id"], "4"))
    ok(cli("--account", "4", "return", bought["id"], "--line", "1", "--line", "2"))
    path = tmp_path / "pin.json"
    ok(cli("--account", "1", "quote", "1", "PIN:1:1wei", "--order", "PIN-1", "--for", WALLET, "-o", path))
    pin = json.loads(ok(cli("--json", "--account", "3", "buy", "--yes", path)))
    ok(cli("--account", "3", "review", pin["id"], "5"))
    listed = ok(cli("reviews", "--merchant", "1"))
    assert "1 wei" in listed and "no: fully refunded" in listed
    assert "1 of them reviews from wallets with no purchase at another shop" in listed
    assert "1 review(s) not counted: the purchase was fully refunded" in listed
    shown = json.loads(ok(cli("--json", "reviews", "--merchant", "1")))["reviews"]
    assert [(r["paid"], r["kept"], r["counted"]) for r in shown] == [(15 * 10**17, False, False), (1, True, True)]
    (figures,) = json.loads(ok(cli("--json", "figures", "1")))
    assert (figures["average_rating"], figures["reviews"], figures["reviews_only_here"]) == (5.0, 1, 1)
    table = ok(cli("figures", "1"))
    assert "from one-shop wallets: reviews from wallets with no purchase at another shop" in table
    assert "not counted: 1 review(s) of purchases fully refunded" in table
    ok(cli("--account", "3", "contact", "log", "1", "--channel", "chat", "--kind", "complaint", "--note", "n"))
    contacts = ok(cli("contact", "list", "--merchant", "1"))
    assert "counted" in contacts and "not counted" not in contacts
