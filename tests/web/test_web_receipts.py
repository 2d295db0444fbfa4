"""Receipts on the page: the customer who bought, and the shop's staff, get the receipt to print and as a
PDF; another customer gets neither (a receipt names the customer's address and what they bought)."""

from __future__ import annotations

import pytest

from tests.support.web import problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.mark.parametrize("who", ["alice", "agent", "owner"])
def test_the_customer_and_the_staff_get_the_receipt_and_its_pdf(client, scene, who) -> None:
    sign_in(client, getattr(scene, who))
    purchase = scene.open_purchase
    page = client.get(f"/receipts/{purchase.id}")
    assert page.status_code == 200
    assert 'id="receipt-order">ORDER-1<' in page.text and purchase.tx_hash in page.text and purchase.customer in page.text
    assert f'href="/receipts/{purchase.id}.pdf"' in page.text
    document = client.get(f"/receipts/{purchase.id}.pdf")
    assert document.headers["content-type"] == "application/pdf" and document.content.startswith(b"%PDF-")
    assert 'filename="receipt-ORDER-1.pdf"' in document.headers["content-disposition"]


@pytest.mark.parametrize("path", ["/receipts/{}", "/receipts/{}.pdf"])
def test_another_customer_gets_no_receipt(client, scene, path) -> None:
    sign_in(client, scene.bob)
    response = client.get(path.format(scene.open_purchase.id))
    assert response.status_code == 403 and "only the customer who bought it" in problem(response)
    assert "ORDER-1" not in response.text
