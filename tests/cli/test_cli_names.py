"""`ledger merchant profile`, `ledger catalog import` and `list`: a shop names itself and its products from the
command line, and the names show where the shop and its SKUs did (purchases, quotes)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ledger.render import PURCHASES_COLUMNS
from tests.support.cli import ok

AGENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # development account 2
ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4


@pytest.fixture
def shop(cli, monkeypatch, tmp_path):
    """A shop with an agent and 7-day terms, its names kept in a database of this test's own."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'history.sqlite'}")
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    return cli


def test_a_shop_names_itself_and_its_products_and_the_names_show_on_its_purchases(shop, tmp_path) -> None:
    assert "no profile yet" in ok(shop("merchant", "profile", "1"))
    out = ok(shop("--account", "1", "merchant", "profile", "1", "--name", "Kettle & Co", "--support",
                  "help@kettle.example"))
    assert "Kettle & Co (shop #1); support: help@kettle.example" in out
    ok(shop("--account", "2", "merchant", "profile", "1", "--logo", "https://kettle.example/logo.png"))
    shown = json.loads(ok(shop("--json", "merchant", "profile", "1")))
    assert (shown["name"], shown["support"], shown["logo"]) == (
        "Kettle & Co", "help@kettle.example", "https://kettle.example/logo.png")  # the fields left out were kept

    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,name,picture\nMUG-1,Blue mug,\nTEA-2,Green tea,https://kettle.example/tea.jpg\n")
    assert "2 product name(s) signed in 1 batch(es)" in ok(shop("--account", "2", "catalog", "import", "1", catalog))
    listed = json.loads(ok(shop("--json", "catalog", "list", "1")))
    assert [(p["sku"], p["name"]) for p in listed] == [("MUG-1", "Blue mug"), ("TEA-2", "Green tea")]

    order = tmp_path / "order.json"
    quoted = ok(shop("--account", "2", "quote", "1", "MUG-1:2:0.01", "--order", "ORDER-1001", "--for", ALICE,
                     "-o", order))
    assert "Kettle & Co (shop #1) sells to" in quoted and "Blue mug" in quoted
    assert json.loads(order.read_text())["orderNumber"] == "ORDER-1001"
    ok(shop("--account", "4", "buy", "--yes", order))
    table = ok(shop("purchases", "--merchant", "1"))
    assert "ORDER-1001" in table and "Kettle & Co" in table and "2× Blue mug" in table
    assert "ORDER-1001" in ok(shop("--account", "4", "my", "purchases"))
    (listed,) = json.loads(ok(shop("--json", "purchases", "--merchant", "1")))  # the same names as JSON
    assert (listed["order_number"], listed["shop"], listed["products"]) == ("ORDER-1001", "Kettle & Co (shop #1)",
                                                                           ["Blue mug"])
    (mine,) = json.loads(ok(shop("--json", "--account", "4", "my", "purchases")))
    detail = json.loads(ok(shop("--json", "purchase", listed["id"])))["purchase"]
    assert all(shown["id"] == listed["id"] and shown["order_number"] == "ORDER-1001" and shown["products"] == [
        "Blue mug"] and shown["shop"] == "Kettle & Co (shop #1)" for shown in (mine, detail))


def test_a_bad_catalogue_names_every_bad_row_and_signs_nothing(shop, tmp_path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,name,picture\nMUG-1,Blue mug,\nMUG-1,Red mug,\nTEA-2,,\nPOT-3,Pot,http://x.example/p.jpg\n")
    result = shop("--account", "1", "catalog", "import", "1", catalog)
    assert result.exit_code == 1
    assert "has 3 bad row(s), nothing was signed" in result.output
    assert "row 3: SKU MUG-1 is named on row 2 already" in result.output
    assert "row 4: the name of TEA-2 is empty" in result.output
    assert "row 5: the picture of POT-3 must be an https" in result.output
    assert json.loads(ok(shop("--json", "catalog", "list", "1"))) == []
    catalog.write_text("code,title\nMUG-1,Blue mug\n")
    result = shop("--account", "1", "catalog", "import", "1", catalog)
    assert result.exit_code == 1 and "has no column sku, name" in result.output


def test_only_the_shops_staff_can_name_it(shop) -> None:
    result = shop("--account", "5", "merchant", "profile", "1", "--name", "Totally Legit Shop")
    assert result.exit_code == 1 and "neither owner nor agent of merchant #1" in result.output
    assert "no profile yet" in ok(shop("merchant", "profile", "1"))
    result = shop("--account", "1", "merchant", "profile", "1", "--name", "Kettle\u202eoC")
    assert result.exit_code == 1 and "control character (U+202E)" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_returns_list_shows_the_tracking_number_and_writes_a_csv(shop, tmp_path) -> None:
    order = tmp_path / "order.json"
    ok(shop("--account", "2", "quote", "1", "MUG-1:2:0.01", "--order", "ORDER-1001", "--for", ALICE, "-o", order))
    bought = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", order)))
    assert "no returns at shop #1 yet" in ok(shop("--account", "2", "returns", "1"))
    ok(shop("--account", "4", "return", bought["id"], "--line", "1", "--shipment", "PARCEL-NL-77"))
    table = ok(shop("--account", "2", "returns", "1"))
    assert "PARCEL-NL-77" in table and "ORDER-1001" in table and "1 return(s), newest first" in table
    out = tmp_path / "returns.csv"
    ok(shop("--account", "2", "returns", "1", "--output", out))
    header, row = out.read_text().splitlines()
    assert header.startswith("returned_at,purchase_id,order_number")
    assert f",{bought['id']},ORDER-1001," in row and ",0.02,ETH,20000000000000000,PARCEL-NL-77," in row
    result = shop("--account", "5", "returns", "1")  # not the shop's staff: no customer's tracking number
    assert result.exit_code == 1 and "neither owner nor agent" in result.output


def test_the_export_names_the_shop_its_products_and_orders_and_holds_the_tracking_numbers(shop, tmp_path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,name\nMUG-1,Blue mug\nTEA-2,Green tea\n")
    ok(shop("--account", "1", "merchant", "profile", "1", "--name", "Kettle & Co"))
    ok(shop("--account", "2", "catalog", "import", "1", catalog))
    order = tmp_path / "order.json"
    ok(shop("--account", "2", "quote", "1", "MUG-1:2:0.01", "TEA-2:1:1.5", "--order", "ORDER-1001", "--for", ALICE,
            "-o", order))
    bought = json.loads(ok(shop("--json", "--account", "4", "buy", "--yes", order)))
    ok(shop("--account", "4", "return", bought["id"], "--line", "1", "--shipment", "PARCEL-NL-77"))
    ok(shop("--account", "4", "return", bought["id"], "--line", "2", "--credit", "--shipment", "PARCEL-NL-78"))
    text = ok(shop("--account", "2", "export", "1"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == PURCHASES_COLUMNS  # the page's export has the same (tests/web/test_web_returns.py)
    (row,) = rows
    assert (row["purchase_id"], row["order_number"], row["shop"]) == (bought["id"], "ORDER-1001", "Kettle & Co (shop #1)")
    assert (row["lines"], row["skus"]) == ("2× Blue mug; 1× Green tea", "MUG-1; TEA-2")
    assert (row["paid"], row["refunded"], row["token"]) == ("1.52", "1.52", "ETH")
    assert (row["paid_raw"], row["refunded_raw"]) == ("1520000000000000000", "1520000000000000000")
    assert (row["refund_kinds"], row["returned"]) == ("return; credit", "2× Blue mug; 1× Green tea")
    assert row["tracking_numbers"] == "PARCEL-NL-77; PARCEL-NL-78" and row["status"] == "returned"
    assert row["purchased_at"].endswith("Z") and row["purchased_at"][:4] == row["return_deadline"][:4]
    assert row["tx_hash"] == bought["tx_hash"]
