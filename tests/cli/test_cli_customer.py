"""The command line, as a customer uses it: buying a shop's signed order, history, detail, returns,
contacts, errors."""

from __future__ import annotations

import json
import re

import pytest

from ledger.orders import SignedOrder
from tests.support.cli import ok

OWNER, AGENT, ALICE, BOB = (
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # development account 1
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # development account 2
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # development account 4
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",  # development account 5
)


@pytest.fixture
def shop(cli):
    """Merchant #1 (account 1) with agent account 2 and 30-day terms #1 (5 % fee)."""
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "5%"))
    return cli


def quoted(cli, folder, *lines: str, order: str = "ORD-1", customer: str | None = ALICE, signer: str = "2",
           options: tuple[str, ...] = ()):
    """The file of an order the shop's agent signed under terms #1."""
    path = folder / f"{order}.json"
    for_customer = ("--for", customer) if customer else ()
    ok(cli("--account", signer, "quote", "1", *lines, "--order", order, *for_customer, *options, "-o", path))
    return path


def bought(cli, folder, *lines: str, order: str = "ORD-1", buyer: str = "4") -> dict:
    return json.loads(ok(cli("--json", "--account", buyer, "buy", "--yes", quoted(cli, folder, *lines, order=order))))


def test_quote_prints_the_order_in_words(shop) -> None:
    out = ok(shop("--account", "2", "quote", "1", "MUG:2:0.01", "TEA:1:0.5", "--for", ALICE, "--valid", "1h",
                  "--order", "ORDER-1001"))
    assert "Order ORDER-1001" in out and "MUG" in out and "TEA" in out
    assert f"shop #1 sells to {ALICE} for 0.52 ETH" in out
    assert "terms #1: 30 days from purchase, restocking fee 5 %, keep the item" in out
    assert re.search(r"valid until .* \(in (59 minutes|1 hour)\)", out)
    assert re.search(r"purchase id 0x[0-9a-f]{64}", out)
    assert "note: this signed order was only shown, not kept: sign it again with -o FILE" in out  # not lost unsaid


def test_quote_json_is_the_order_file_and_buy_reads_it_from_stdin(shop) -> None:
    printed = ok(shop("--json", "--account", "1", "quote", "1", "MUG:1:0.01", "--order", "O-7", "--valid", "2d"))
    signed = SignedOrder.from_json(printed)
    assert signed.signer == OWNER and signed.order.customer == "0x" + "00" * 20 and signed.order.total == 10**16
    purchase = json.loads(ok(shop("--json", "--account", "5", "buy", "--yes", "-", input=printed)))
    assert purchase["id"] == signed.purchase_id and purchase["customer"] == BOB


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_quote_link_is_short_and_opens_the_order_on_a_page_reading_the_same_database(shop, cli_project) -> None:
    out = ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--for", ALICE, "--order", "WEB-1",
                  "--link", "http://shop.example:8000/"))
    link = out.strip().splitlines()[-1]  # on a line of its own, unwrapped
    assert re.fullmatch(r"http://shop\.example:8000/o/[a-z2-7]{16}", link), link
    signed = _page_ledger(cli_project).order_links.find(link.rsplit("/", 1)[1])  # kept in .ledger/history.sqlite
    assert (signed.order.customer, signed.order.total, signed.signer, signed.order_number) == (ALICE, 10**16, AGENT,
                                                                                                "WEB-1")
    page = _page(cli_project).get(link.removeprefix("http://shop.example:8000"))  # as `ledger serve` shows it
    assert page.status_code == 200 and 'id="pay"' not in page.text and "Connect wallet and sign in to pay" in page.text
    assert f'href="{link}"' in page.text  # the page's own QR code and link are the same short link

    printed = json.loads(ok(shop("--json", "--account", "2", "quote", "1", "MUG:1:0.01", "--order", "WEB-2",
                                 "--link", "http://127.0.0.1:8000")))
    assert _page_ledger(cli_project).order_links.find(printed["link"][-16:]).purchase_id == printed["purchaseId"]


def test_quote_self_contained_link_carries_the_whole_order(shop) -> None:
    out = ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--for", ALICE, "--order", "WEB-3",
                  "--link", "http://shop.example:8000", "--self-contained"))
    link = out.strip().splitlines()[-1]
    assert link.startswith("http://shop.example:8000/pay?order=") and " " not in link and len(link) > 1_300
    signed = SignedOrder.from_link(link.split("order=", 1)[1])
    assert (signed.order.customer, signed.order.total, signed.signer) == (ALICE, 10**16, AGENT)


def test_quote_qr_draws_the_link_in_the_terminal_or_writes_it_to_a_file(shop, tmp_path) -> None:
    from ledger.links import qr_file, qr_terminal

    out = ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--order", "WEB-4", "--link", "http://shop.example",
                  "--qr"))
    link = out.strip().splitlines()[-1]
    assert qr_terminal(link) + link in out  # the code of this very link, just above it
    assert qr_terminal(link.replace("/o/", "/o/x")[:-1]) not in out
    for name in ("code.png", "code.svg"):
        out = ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--order", f"WEB-5-{name}",
                      "--link", "http://shop.example", "--qr", tmp_path / name))
        link = out.strip().splitlines()[-1]
        assert f"QR code of the link written to {tmp_path / name}" in out
        assert (tmp_path / name).read_bytes() == qr_file(link, name)


@pytest.mark.parametrize(("options", "says"), [
    (("--link", "shop.example"), "--link takes the page's address"),
    (("--qr",), "--qr is about the order's link: give the page's address with --link URL too"),
    (("--self-contained",), "--self-contained is about the order's link"),
    (("--link", "http://shop.example", "--qr", "code.gif"), "a QR code is written to a .png or .svg file, not to 'code.gif'"),
    (("--json", "--link", "http://shop.example", "--qr"), "--json prints JSON only"),
])
def test_quote_link_options_refused_in_one_line(shop, options, says) -> None:
    front = ("--json",) if options[0] == "--json" else ()
    refused = shop(*front, "--account", "2", "quote", "1", "MUG:1:0.01", "--order", "WEB-6", *options[len(front):])
    assert refused.exit_code != 0 and says in refused.output and "Traceback" not in refused.output
    assert len(refused.output.strip().splitlines()) == 1, refused.output


def _page_ledger(cli_project):
    from ledger.chain import connect
    from ledger.client import Ledger
    from ledger.deployment import Deployment
    from ledger.history import database_url

    deployment = cli_project.home / ".ledger" / "deployment.json"
    return Ledger.attach(connect(cli_project.url), Deployment.load(deployment), database_url(deployment))


def _page(cli_project):
    """The page `ledger serve --origin http://shop.example:8000` serves, over the project's database."""
    from fastapi.testclient import TestClient

    from ledger.web import create_app

    ledger = _page_ledger(cli_project)
    app = create_app(ledger, ledger.chain.accounts()[0], cli_project.home / "node_modules", origin="http://shop.example:8000")
    return TestClient(app, base_url="http://shop.example:8000", raise_server_exceptions=False)


def test_buy_a_quoted_file_prints_the_purchase_with_its_window(shop) -> None:
    path = "order.json"  # in the project folder the test runs in
    out = ok(shop("--account", "2", "quote", "1", "MUG:2:0.01", "TEA:1:0.5", "--for", ALICE, "--order", "ORD-1",
                  "-o", path))
    assert f"signed order written to {path}; the customer buys it with `ledger buy {path}`" in out
    result = shop("--account", "4", "buy", "--yes", path)
    out = ok(result)
    assert "Bought" in out and "MUG" in out and "0.52 ETH" in out
    assert re.search(r"return window: closes .* \(in (29|30) days\)", out)  # a second may pass while reading
    assert "terms #1: 30 days from purchase, restocking fee 5 %, keep the item" in out
    assert "refund if everything still open is returned now: 0.494 ETH" in out


def test_buy_json_is_machine_readable(shop, tmp_path) -> None:
    purchase = bought(shop, tmp_path, "MUG:2:0.01")
    assert purchase["customer"] == ALICE and purchase["price"] == 2 * 10**16 and purchase["merchant_id"] == 1
    assert purchase["status"] == "open" and purchase["lines"][0] == {"sku": "MUG", "quantity": 2,
                                                                       "unit_price": 10**16, "total": 2 * 10**16}
    assert purchase["order"]["terms_id"] == 1 and purchase["deadline"] == purchase["purchased_at"] + 30 * 86_400


def test_an_order_for_anyone_is_bought_once(shop, tmp_path) -> None:
    path = quoted(shop, tmp_path, "MUG:1:0.01", customer=None)
    assert "sells to anyone (once)" in ok(shop("--account", "2", "quote", "1", "MUG:1:0.01", "--order", "X"))
    assert json.loads(ok(shop("--json", "--account", "5", "buy", "--yes", path)))["customer"] == BOB
    again = shop("--account", "4", "buy", "--yes", path)
    assert again.exit_code == 1 and "was already bought" in again.output


def test_an_order_made_out_to_someone_else_is_refused(shop, tmp_path) -> None:
    result = shop("--account", "5", "buy", "--yes", quoted(shop, tmp_path, "MUG:1:0.01"))
    assert result.exit_code == 1 and f"is made out to {ALICE}, not to {BOB}" in result.output


def test_an_expired_order_is_refused(shop, tmp_path) -> None:
    path = quoted(shop, tmp_path, "MUG:1:0.01", options=("--valid", "10m"))
    ok(shop("time", "advance", "11m"))
    result = shop("--account", "4", "buy", "--yes", path)
    assert result.exit_code == 1 and "the order expired on" in result.output
    assert "ask the shop for a new one" in result.output


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda text: "{", "the order file is malformed"),
        (lambda text: "", "the order file is malformed"),
        (lambda text: json.dumps({"kind": "something else"}), "is not a ledger order"),
        (lambda text: text.replace('"quantity": 1', '"quantity": "one"'), "the order file is malformed"),
        (lambda text: text.replace('"termsId"', '"terms"'), "missing field 'termsId'"),
        (lambda text: text.replace('"unitPrice": "10000000000000000"', '"unitPrice": "1"'),
         "who is not staff of its shop, or it was changed after signing"),
    ],
)
def test_a_malformed_or_tampered_order_file_is_one_line(shop, tmp_path, change, message) -> None:
    path = quoted(shop, tmp_path, "MUG:1:0.01")
    path.write_text(change(path.read_text()))
    result = shop("--account", "4", "buy", "--yes", path)
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_an_order_for_another_ledger_is_refused(shop, tmp_path) -> None:
    path = quoted(shop, tmp_path, "MUG:1:0.01")
    path.write_text(path.read_text().replace('"chainId": 31337', '"chainId": 1'))
    result = shop("--account", "4", "buy", "--yes", path)
    assert result.exit_code == 1 and "on chain 1, not for this one" in result.output


def test_my_purchases_lists_status_and_time_left(shop, tmp_path) -> None:
    bought(shop, tmp_path, "MUG:1:0.01")
    result = shop("--account", "4", "my", "purchases")
    assert result.exit_code == 0 and "1× MUG" in result.output
    assert re.search(r"closes in (29|30) days", result.output)  # a second may pass between buying and listing


def test_purchase_detail_shows_lines_terms_refund_and_contacts(shop, tmp_path) -> None:
    purchase = bought(shop, tmp_path, "MUG:1:0.01")
    ok(shop("--account", "2", "contact", "log", "1", "--customer", ALICE, "--channel", "chat", "--kind", "question",
            "--purchase", purchase["id"], "--note", "which colour?"))
    data = json.loads(ok(shop("--json", "purchase", purchase["id"])))
    assert data["refund_if_returned_now"] == 10**16 * 95 // 100
    assert [c["channel"] for c in data["contacts"]] == ["chat"]
    text = ok(shop("--tz", "Asia/Tokyo", "purchase", purchase["id"]))
    assert "JST" in text and "terms #1: 30 days from purchase, restocking fee 5 %" in text


def test_return_some_lines_prints_the_refund(shop, tmp_path) -> None:
    purchase = bought(shop, tmp_path, "MUG:2:0.01", "TEA:1:0.5")
    out = ok(shop("--account", "4", "return", purchase["id"], "--line", "2"))
    assert "returned line(s) 2: 0.475 ETH refunded" in out
    refunds = json.loads(ok(shop("--json", "--account", "4", "my", "refunds")))
    assert [(r["kind"], r["amount"]) for r in refunds] == [("return", 475 * 10**15)]


def test_return_after_the_window_is_one_clear_line(shop, tmp_path) -> None:
    purchase = bought(shop, tmp_path, "MUG:1:0.01")
    ok(shop("time", "advance", "31d"))
    result = shop("--account", "4", "return", purchase["id"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the return window of purchase")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_return_by_someone_else_refused(shop, tmp_path) -> None:
    purchase = bought(shop, tmp_path, "MUG:1:0.01")
    result = shop("--account", "5", "return", purchase["id"])
    assert result.exit_code == 1 and "is not yours" in result.output


def test_exchange_pays_the_new_order_with_the_return(shop, tmp_path) -> None:
    """Issue #20 item 7: one command returns the line and pays the new order with its refund; only the difference
    is paid, and the new purchase has its own window."""
    purchase = bought(shop, tmp_path, "SHOE-41:1:0.5", "SOCKS:1:0.01")
    new = quoted(shop, tmp_path, "SHOE-42:1:0.6", order="ORD-2")
    out = ok(shop("--account", "4", "exchange", purchase["id"], new, "--line", "1"))
    assert "exchanged line(s) 1" in out and "their refund of 0.475 ETH paid the new order" in out
    assert "you paid 0.125 ETH on top" in out and "New purchase" in out
    refunds = json.loads(ok(shop("--json", "--account", "4", "my", "refunds")))
    assert [(r["kind"], r["amount"]) for r in refunds] == [("exchange", 475 * 10**15)]
    again = shop("--account", "4", "exchange", purchase["id"], quoted(shop, tmp_path, "SHOE-43:1:0.6", order="ORD-3"),
                 "--line", "1")
    assert again.exit_code == 1 and "already returned" in again.output and "Traceback" not in again.output
    cheaper = quoted(shop, tmp_path, "SOCKS-BLUE:1:0.001", order="ORD-4")
    assert "came back to you" in ok(shop("--account", "4", "exchange", purchase["id"], cheaper, "--line", "2"))


def test_customer_logs_and_lists_its_contacts(shop) -> None:
    result = shop("--account", "4", "contact", "log", "1", "--channel", "chatbot", "--kind", "order_status")
    assert result.exit_code == 0 and "chatbot order status logged" in result.output
    contacts = json.loads(ok(shop("--json", "--account", "4", "my", "contacts")))
    assert contacts[0]["by_customer"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (("--account", "2", "quote", "1", "MUG:x:1", "--order", "A"), "is not a line"),
        (("--account", "2", "quote", "1", "MUG:1:1.5abc", "--order", "A"), "unknown unit"),
        (("--account", "2", "quote", "9", "MUG:1:1", "--order", "A"), "no return terms #9"),
        (("--account", "2", "quote", "1", "MUG:1:1", "--order", "A", "--for", "0x123"), "is not an address"),
        (("--account", "2", "quote", "1", "MUG:1:1", "--order", "A", "--valid", "soon"), "is not a duration"),
        (("--account", "5", "quote", "1", "MUG:1:1", "--order", "A"), "is neither owner nor agent of merchant #1"),
        (("--account", "2", "quote", "1", "MUG:1:1", "--order", "A", "-o", "no/such/folder/order.json"),
         "cannot write no/such/folder/order.json"),
        (("--account", "4", "buy", "--yes", "no-such-order.json"), "cannot read order file no-such-order.json"),
        (("--account", "4", "return", "0x1234"), "there is no purchase 0x1234"),
        (("--account", "4", "return", "0x12zz"), "is not a purchase id"),
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
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_withdraw_with_nothing_waiting(shop) -> None:
    result = shop("--account", "4", "withdraw")
    assert result.exit_code == 1 and "nothing is waiting for" in result.output
