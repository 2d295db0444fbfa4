"""The shop's returns list on the page: the staff see each return with the tracking number its customer gave,
newest first, and export it as CSV; a customer, or another shop's staff, never sees it."""

from __future__ import annotations

import csv
import io

import pytest

from ledger.render import PURCHASES_COLUMNS
from tests.support.web import problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def returned(scene):
    """Alice sends the mugs of her open purchase back, with a tracking number."""
    scene.ledger.customer_desk(scene.alice).return_items(scene.open_purchase.id, [0], shipment_ref="PARCEL-NL-4411")
    return scene


def test_the_staff_see_the_returns_with_their_tracking_numbers_and_export_them(client, returned) -> None:
    sign_in(client, returned.agent)
    html = client.get(f"/shop/{returned.merchant_id}/returns").text
    assert f'data-purchase="{returned.open_purchase.id}"' in html and "PARCEL-NL-4411" in html and "ORDER-1" in html
    assert f'href="/shop/{returned.merchant_id}/returns"' in client.get(f"/shop/{returned.merchant_id}").text
    exported = client.get(f"/shop/{returned.merchant_id}/returns.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    header, row = exported.text.strip().splitlines()
    assert header.split(",")[:3] == ["returned_at", "purchase_id", "order_number"]
    assert f",{returned.open_purchase.id},ORDER-1," in row and ",0.019,ETH,19000000000000000,PARCEL-NL-4411," in row


def test_the_history_export_holds_the_tracking_number_in_the_command_lines_layout(client, returned) -> None:
    sign_in(client, returned.agent)
    exported = client.get(f"/shop/{returned.merchant_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert tuple(rows[0]) == PURCHASES_COLUMNS  # `ledger export` writes the same (tests/cli/test_cli_names.py)
    (row,) = [row for row in rows if row["purchase_id"] == returned.open_purchase.id]
    assert (row["order_number"], row["refund_kinds"], row["tracking_numbers"]) == ("ORDER-1", "return", "PARCEL-NL-4411")
    assert row["token"] == "ETH" and row["refunded"] == "0.019" and row["refunded_raw"] == "19000000000000000"


@pytest.mark.parametrize("path", ["/shop/{}/returns", "/shop/{}/returns.csv", "/shop/{}/export.csv"])
def test_a_customer_never_sees_the_shops_returns(client, returned, path) -> None:
    sign_in(client, returned.alice)
    response = client.get(path.format(returned.merchant_id))
    assert response.status_code == 403 and "is not staff of merchant #1" in problem(response)
    assert "PARCEL-NL-4411" not in response.text
