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


def test_the_customer_sees_store_credit_per_shop_and_refunds_split_by_how_they_came_back(client, scene) -> None:
    ledger = scene.ledger
    desk = ledger.customer_desk(scene.alice)
    desk.return_items(scene.open_purchase.id, [0])
    credit = desk.return_for_credit(scene.open_purchase.id, [1])
    sign_in(client, scene.alice)
    html = client.get("/purchases").text
    assert 'id="credit"' in html and f"{ledger.names(scene.merchant_id).shop}: " in html
    held = ledger.credit(scene.merchant_id, scene.alice.address)
    assert held.amount == credit.amount and '<span class="credit-amount">0.475 ETH</span>' in html
    card = html[html.index(f'data-purchase="{scene.open_purchase.id}"'):]
    card = card[:card.index("</article>")]
    assert "0.019 ETH as money, 0.475 ETH as store credit" in card
    receipt = client.get(f"/receipts/{scene.open_purchase.id}").text
    assert 'id="refunded-money">0.019 ETH<' in receipt and 'id="refunded-credit">0.475 ETH<' in receipt
