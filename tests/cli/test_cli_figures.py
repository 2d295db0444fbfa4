"""``ledger figures``: the headline numbers of a period with their change from the period before, return rates by
value and by units with their counts, SKU rates; and the dashboard shows the same numbers for the same period."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain import connect, dev_accounts
from ledger.client import Ledger
from ledger.deployment import Deployment
from ledger.models import PERIODS
from ledger.web import create_app
from tests.support.cli import ok
from tests.support.web import Dashboard, sign_in

ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4


@pytest.fixture
def sold(cli, tmp_path):
    """Shop #1 sold Alice a 2 ETH sofa and two 0.25 ETH lamps, and the lamps came back (no fee)."""
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    order = tmp_path / "order.json"
    ok(cli("--account", "1", "quote", "1", "SOFA:1:2", "LAMP:2:0.25", "--order", "S-1", "--for", ALICE, "-o", order))
    bought = json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", order)))
    ok(cli("--account", "4", "return", bought["id"], "--line", "2"))
    return cli


def test_figures_give_return_rates_by_value_and_by_units_with_their_counts(sold) -> None:
    (figures,) = json.loads(ok(sold("--json", "figures", "1", "--period", "30d")))
    assert (figures["sales"], figures["refunds"], figures["units_returned"], figures["units_sold"]) == (
        25 * 10**17, 5 * 10**17, 2, 3)
    assert figures["return_rate_by_value"] == 0.2 and figures["return_rate_by_units"] == 2 / 3
    assert figures["average_order"] == 25 * 10**17 and figures["in_escrow"] == 2 * 10**18
    assert figures["previous"]["purchases"] == 0 and figures["period"] == "30d"
    table = ok(sold("figures", "1", "--period", "30d"))
    assert "the last 30 days" in table and "20.0%" in table and "0.5 ETH of 2.5 ETH" in table
    assert "2 of 3 units" in table and "new (was 0)" in table
    assert "LAMP" in table and "100.0% (2 of 2 units)" in table and "0.0% (0 of 1 unit)" in table
    assert "was" not in ok(sold("figures", "1"))  # all time has no period before
    refused = sold("figures", "1", "--period", "week")
    assert refused.exit_code == 2 and "'week' is not one of '7d', '30d', '90d', 'all'" in refused.output


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_dashboard_shows_what_ledger_figures_says_for_the_same_period(sold, cli_project) -> None:
    from fastapi.testclient import TestClient

    ledger = Ledger.attach(connect(cli_project.url), Deployment.load(cli_project.home / ".ledger" / "deployment.json"))
    app = create_app(ledger, None, Path(__file__).parents[2] / "node_modules", origin="http://testserver")
    client = TestClient(app)
    sign_in(client, dev_accounts()[1])
    for period in PERIODS:
        (figures,) = json.loads(ok(sold("--json", "figures", "1", "--period", period)))
        page = Dashboard(client.get("/shop/1", params={"period": period}).text)
        shown = page.figures[figures["token"]]
        assert len(shown) >= 12
        for key, number in shown.items():
            assert number["data-value"] == _text(figures[key]), (period, key)
            assert number["data-was"] == (_text(figures["previous"][key]) if figures["previous"] else ""), key


def _text(value: object) -> str:
    """A number as the page writes it in an attribute (nothing for None)."""
    return "" if value is None else str(value)
