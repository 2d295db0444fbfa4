"""The late-return path on the page, end to end over HTTP: a customer whose window closed writes to the shop;
the staff see the message in the inbox, the dashboard says the purchase is left out of settlement and "settle
them" leaves it out; the staff answer from their wallet; the customer is told their message waits, and once
the purchase is settled the page offers contact, never a refund it cannot give. Nobody else reads the inbox."""

from __future__ import annotations

import pytest

from ledger.models import ContactKind
from tests.support.web import csrf_of, problem, send_prepared, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

LATE = "The scarf came apart at the seam after two weeks"


@pytest.fixture(scope="module")
def asked(scene):
    """Alice writes about her closed purchase (its window closed days ago)."""
    desk = scene.ledger.customer_desk(scene.alice)
    desk.log_contact(scene.merchant_id, "chat", ContactKind.RETURN_HELP, LATE, purchase_id=scene.closed_purchase.id)
    return scene


def test_the_late_request_reaches_the_inbox_and_stays_out_of_settlement_until_answered(client, asked) -> None:
    ledger, shop = asked.ledger, asked.merchant_id
    sign_in(client, asked.alice)
    page = client.get(f"/purchases/{asked.closed_purchase.id}/return").text
    assert 'id="asked"' in page and "has not answered yet" in page and "goodwill refund" in page

    sign_in(client, asked.agent)
    inbox = client.get(f"/shop/{shop}/inbox").text
    assert LATE in inbox and 'class="request unanswered"' in inbox
    dashboard = client.get(f"/shop/{shop}").text
    assert 'id="held-back"' in dashboard and "left out of settlement" in dashboard
    refused = client.post(f"/api/shop/{shop}/settle-all/prepare", json={"csrf": csrf_of(client)})
    assert refused.status_code == 400 and "no purchase of shop #1 waits for settlement" in problem(refused)
    warned = client.post(f"/api/shop/{shop}/settle/prepare",
                         json={"purchase_id": asked.closed_purchase.id, "csrf": csrf_of(client)}).json()
    assert warned["consequence"].startswith("Its customer's request is still unanswered")

    answer = client.post(f"/api/shop/{shop}/reply/prepare", json={
        "customer": asked.alice.address, "purchase_id": asked.closed_purchase.id, "kind": "return_help",
        "note": "So sorry: we refund half of it", "csrf": csrf_of(client)})
    assert answer.status_code == 200, answer.text
    tx_hash = send_prepared(ledger, asked.agent, answer.json()["transaction"])
    client.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf_of(client)})
    inbox = client.get(f"/shop/{shop}/inbox").text
    assert 'class="request answered"' in inbox and 'class="request unanswered"' not in inbox
    assert 'id="held-back"' not in client.get(f"/shop/{shop}").text
    assert [p.id for p in ledger.settleable(shop)] == [asked.closed_purchase.id]

    ledger.settle(asked.accounts[5], [asked.closed_purchase.id])
    sign_in(client, asked.alice)
    page = client.get(f"/purchases/{asked.closed_purchase.id}/return").text
    assert 'id="settled"' in page and "goodwill refund" not in page and "Contact" in page


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_nobody_but_the_shops_staff_reads_its_inbox(client, asked, who) -> None:
    sign_in(client, getattr(asked, who))
    response = client.get(f"/shop/{asked.merchant_id}/inbox")
    assert response.status_code == 403 and LATE not in response.text
    sent = client.post(f"/api/shop/{asked.merchant_id}/reply/prepare", json={
        "customer": asked.alice.address, "note": "hi", "csrf": csrf_of(client)})
    assert sent.status_code == 403
