"""The web app's security over HTTP (FastAPI's TestClient, on the embedded chain): sign-in that cannot be
replayed, sessions that expire, CSRF on forms, nobody served another customer's notes or purchases, and
bad input answered with a 4xx and a clear message, never a stack trace."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from eth_account.messages import encode_defunct, encode_typed_data

from tests.support.web import (
    ETHER,
    csrf_of,
    problem,
    send_prepared,
    sign_in,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def test_pages_need_a_signed_in_wallet(client, scene) -> None:
    response = client.get("/purchases")
    assert response.status_code == 401 and "sign in with your wallet first" in problem(response)


def test_sign_in_signature_cannot_be_replayed(client, app, scene) -> None:
    from fastapi.testclient import TestClient

    csrf = csrf_of(client)
    message = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": csrf}).json()["message"]
    assert f"Chain ID: {scene.ledger.chain.chain_id}\nNonce: " in message and message.startswith("testserver wants")
    signature = "0x" + bytes(scene.alice.sign_message(encode_defunct(text=message)).signature).hex()
    signed_in = client.post("/api/signin", json={"signature": signature, "csrf": csrf})
    assert signed_in.status_code == 200
    again = client.post("/api/signin", json={"signature": signature, "csrf": signed_in.json()["csrf"]})
    assert again.status_code == 403 and "no sign-in is waiting" in problem(again)
    elsewhere = TestClient(app, raise_server_exceptions=False)
    replayed = elsewhere.post("/api/signin", json={"signature": signature, "csrf": csrf_of(elsewhere)})
    assert replayed.status_code == 403 and "no sign-in is waiting" in problem(replayed)


def test_sign_in_signed_by_another_wallet_is_refused(client, scene) -> None:
    csrf = csrf_of(client)
    message = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": csrf}).json()["message"]
    forged = "0x" + bytes(scene.bob.sign_message(encode_defunct(text=message)).signature).hex()
    response = client.post("/api/signin", json={"signature": forged, "csrf": csrf})
    assert response.status_code == 403 and f"signed by {scene.bob.address}" in problem(response)
    assert client.get("/purchases").status_code == 401


def test_session_expires(client, app, scene) -> None:
    sign_in(client, scene.alice)
    assert client.get("/purchases").status_code == 200
    app.state.site.clock = lambda: time.time() + app.state.site.session_seconds
    assert client.get("/purchases").status_code == 401


def test_forms_and_requests_need_the_sessions_csrf_token(client, scene) -> None:
    sign_in(client, scene.alice)
    erase = client.post(f"/texts/{scene.note.hash}/erase", data={"csrf": "from-another-site"})
    assert erase.status_code == 403 and "came from another site" in problem(erase)
    message = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": "wrong"})
    assert message.status_code == 403
    assert client.get(f"/api/texts/{scene.note.hash}").json()["text"] == "Alice asked about the mug size"


@pytest.mark.parametrize("reader", ["alice", "owner", "agent"])
def test_contact_note_is_served_to_its_customer_and_shop(client, scene, reader) -> None:
    sign_in(client, getattr(scene, reader))
    answer = client.get(f"/api/texts/{scene.note.hash}").json()
    assert (answer["text"], answer["matches_hash"], answer["on_ledger"]) == ("Alice asked about the mug size", True, True)


def test_another_customers_contact_note_is_never_served(client, scene) -> None:
    anonymous = client.get(f"/api/texts/{scene.note.hash}")
    assert anonymous.status_code == 404 and "mug size" not in anonymous.text
    sign_in(client, scene.bob)
    for path in (f"/api/texts/{scene.note.hash}", f"/texts/{scene.note.hash}", "/purchases"):
        response = client.get(path)
        assert "mug size" not in response.text
    assert client.get(f"/api/texts/{scene.note.hash}").status_code == 404


def test_someone_elses_purchase_is_refused(client, scene) -> None:
    sign_in(client, scene.bob)
    page = client.get(f"/purchases/{scene.open_purchase.id}/return")
    assert page.status_code == 403 and "is not yours" in problem(page)
    prepared = client.post("/api/returns/prepare", json={"purchase_id": scene.open_purchase.id, "lines": [0],
                                                         "csrf": csrf_of(client)})
    assert prepared.status_code == 403 and "only the customer who bought it" in problem(prepared)


def test_return_signed_by_another_wallet_is_not_relayed(client, scene) -> None:
    sign_in(client, scene.alice)
    csrf = csrf_of(client)
    typed = client.post("/api/returns/prepare", json={"purchase_id": scene.open_purchase.id, "lines": [1],
                                                      "csrf": csrf}).json()["typed_data"]
    signed = scene.bob.sign_message(encode_typed_data(full_message={
        **typed, "message": {**typed["message"], "nonce": int(typed["message"]["nonce"])}}))
    response = client.post("/api/returns/submit", json={"typed_data": typed, "csrf": csrf,
                                                        "signature": "0x" + bytes(signed.signature).hex()})
    assert response.status_code == 403 and f"not signed by its customer {scene.alice.address}" in problem(response)
    assert scene.ledger.purchase(scene.open_purchase.id).returned_lines == frozenset()


def test_merchant_pages_are_for_its_staff_only(client, scene) -> None:
    sign_in(client, scene.alice)
    response = client.get(f"/shop/{scene.merchant_id}")
    assert response.status_code == 403 and "is not staff of merchant #1" in problem(response)


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/purchases/0x12/return", 400, "is not a 32-byte id"),
    (f"/purchases/0x{'ab' * 32}/return", 404, "no purchase"),
    ("/shop/abc", 422, "merchant_id"),
    ("/shop/99", 404, "there is no merchant #99"),
    ("/shop/1?since=yesterday", 400, "use YYYY-MM-DD"),
    ("/shop/1?customer=0xbad", 400, "is not an address"),
    ("/shop/1?status=lost", 400, "status"),
    ("/texts/0x1234", 400, "is not a 32-byte id"),
])
def test_bad_input_gets_a_clear_4xx(client, scene, path, status, says) -> None:
    sign_in(client, scene.owner if path.startswith("/shop") else scene.alice)
    response = client.get(path)
    assert response.status_code == status, response.text
    assert says in problem(response).lower() or says in problem(response)


def test_openapi_describes_the_json_endpoints(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/signin/message", "/api/signin", "/api/returns/prepare", "/api/returns/submit",
            "/api/texts/{content_hash}", "/api/orders/prepare", "/api/returns/credit/prepare", "/api/contacts/prepare",
            "/api/reviews/prepare", "/api/nps/prepare", "/api/contacts/rate/prepare", "/api/wallet/outcome",
            "/api/exchange/prepare",
            "/api/shop/{merchant_id}/goodwill/prepare"} <= set(paths)


# ---------------------------------------------------------------- transactions the visitor's wallet sends


def _order_link(scene, customer) -> str:
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    return shop.quote(scene.terms_id, [("MUG", 1, ETHER // 100)], "ORDER-HTTP", customer=customer.address).link()


def test_prepared_review_is_what_the_wallet_sends_and_the_outcome_is_read_back(client, scene) -> None:
    sign_in(client, scene.alice)
    csrf = csrf_of(client)
    prepared = client.post("/api/reviews/prepare", json={"purchase_id": scene.closed_purchase.id, "rating": 3,
                                                         "text": "ok", "csrf": csrf})
    assert prepared.status_code == 200, prepared.text
    transaction = prepared.json()["transaction"]
    assert (transaction["from"], transaction["to"]) == (scene.alice.address, scene.ledger.feedback.address)
    tx_hash = send_prepared(scene.ledger, scene.alice, transaction)
    outcome = client.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf}).json()
    assert [e["name"] for e in outcome["events"]] == ["ReviewPosted"]
    (review,) = scene.ledger.reviews(purchase_id=scene.closed_purchase.id)
    assert client.get(f"/api/texts/{review.text_hash}").json()["text"] == "ok"  # kept under its salted hash


def test_a_text_is_kept_only_once_its_transaction_landed(client, scene) -> None:
    """A help request prepared but never sent from the wallet leaves no text behind; sent, it is kept."""
    sign_in(client, scene.alice)
    csrf = csrf_of(client)
    ask = {"purchase_id": scene.closed_purchase.id, "note": "the zip broke", "csrf": csrf}
    abandoned = client.post("/api/contacts/prepare", json=ask).json()
    assert client.get(f"/api/texts/{abandoned['text_hash']}").status_code == 404
    sent = client.post("/api/contacts/prepare", json=ask).json()
    assert sent["text_hash"] != abandoned["text_hash"]  # salted anew
    landed = send_prepared(scene.ledger, scene.alice, sent["transaction"])
    client.post("/api/wallet/outcome", json={"tx_hash": landed, "csrf": csrf})
    assert client.get(f"/api/texts/{sent['text_hash']}").json()["text"] == "the zip broke"
    assert client.get(f"/api/texts/{abandoned['text_hash']}").status_code == 404


def test_outcome_of_another_wallets_transaction_is_refused(client, scene) -> None:
    sign_in(client, scene.bob)
    contact_tx = scene.ledger.contacts(customer=scene.alice.address)[0].tx_hash
    response = client.post("/api/wallet/outcome", json={"tx_hash": contact_tx, "csrf": csrf_of(client)})
    assert response.status_code == 403 and f"sent by {scene.agent.address}, not by you" in problem(response)
    bad = client.post("/api/wallet/outcome", json={"tx_hash": "0x12", "csrf": csrf_of(client)})
    assert bad.status_code == 400 and "64 hex digits" in problem(bad)


def _posts() -> list[str]:
    """Every JSON endpoint that changes something, read from the routes (a new one cannot be forgotten)."""
    from ledger.web import (
        customer,
        exchanges,
        feedback,
        payments,
        session,
        staff,
        wallet,
    )

    return sorted(route.path.replace("{merchant_id}", "1") for module in (customer, exchanges, feedback, payments,
                                                                         session, staff, wallet)
                  for route in module.router.routes if "POST" in route.methods and route.path.startswith("/api/"))


@pytest.mark.parametrize("path", _posts())
def test_every_wallet_request_needs_the_csrf_token(client, scene, path) -> None:
    sign_in(client, scene.owner)
    body = {"order": "x", "purchase_id": scene.open_purchase.id, "lines": [0], "note": "n", "rating": 1, "score": 1,
            "content_hash": scene.note.hash, "tx_hash": "0x" + "00" * 32, "amount": "0.001", "days": 1,
            "typed_data": {}, "signature": "0x", "address": scene.owner.address, "customer": scene.alice.address,
            "csrf": "from-another-site"}
    response = client.post(path, json=body)
    assert response.status_code == 403 and "came from another site" in problem(response)


@pytest.mark.parametrize("path", ["/api/returns/credit/prepare", "/api/contacts/prepare", "/api/reviews/prepare",
                                  "/api/nps/prepare"])
def test_customer_requests_are_for_own_purchases_only(client, scene, path) -> None:
    sign_in(client, scene.bob)
    response = client.post(path, json={"purchase_id": scene.open_purchase.id, "lines": [0], "note": "hi", "rating": 5,
                                       "score": 10, "csrf": csrf_of(client)})
    assert response.status_code == 403 and "only the customer who bought it" in problem(response)


def test_rating_a_contact_that_is_not_yours_is_refused(client, scene) -> None:
    sign_in(client, scene.bob)
    response = client.post("/api/contacts/rate/prepare", json={"content_hash": scene.note.hash, "score": 5,
                                                               "csrf": csrf_of(client)})
    assert response.status_code == 400 and "no contact of yours" in problem(response)


@pytest.mark.parametrize("action", ["goodwill", "keep", "extend", "deliver", "settle"])
def test_staff_forms_are_for_the_shops_staff_only(client, scene, action) -> None:
    sign_in(client, scene.alice)
    response = client.post(f"/api/shop/{scene.merchant_id}/{action}/prepare", json={
        "purchase_id": scene.open_purchase.id, "lines": [0], "amount": "0.001", "days": 1, "csrf": csrf_of(client)})
    assert response.status_code == 403 and "is not staff of merchant #1" in problem(response)
    assert client.get(f"/shop/{scene.merchant_id}/purchases/{scene.open_purchase.id}").status_code == 403


def test_agent_without_budget_is_refused_in_words_before_the_wallet_is_asked(client, scene) -> None:
    sign_in(client, scene.agent)
    response = client.post(f"/api/shop/{scene.merchant_id}/goodwill/prepare", json={
        "purchase_id": scene.open_purchase.id, "amount": "0.001", "csrf": csrf_of(client)})
    assert response.status_code == 403
    assert f"{scene.agent.address} has no goodwill budget left at merchant #1: ask the owner" in problem(response)


def test_owner_sees_the_consequence_of_keep_it_before_sending(client, scene) -> None:
    sign_in(client, scene.owner)
    answer = client.post(f"/api/shop/{scene.merchant_id}/keep/prepare", json={
        "purchase_id": scene.open_purchase.id, "lines": [0], "reason": "damaged", "csrf": csrf_of(client)}).json()
    assert answer["consequence"] == (f"{scene.alice.address} keeps MUG and gets 0.02 ETH back, with no restocking "
                                     "fee. As the owner you refund without a budget.")
    assert answer["transaction"]["from"] == scene.owner.address
    assert scene.ledger.purchase(scene.open_purchase.id).refunded == 0  # nothing sent by the server


@pytest.mark.parametrize(("path", "body", "status", "says"), [
    ("/api/orders/prepare", {"order": "%%%"}, 400, "the order link is damaged"),
    ("/api/orders/prepare", {"order": "e30"}, 400, "not a ledger order"),
    ("/api/shop/1/goodwill/prepare", {"purchase_id": "0x12", "amount": "1"}, 400, "is not a 32-byte id"),
    ("/api/shop/1/goodwill/prepare", {"amount": "lots"}, 400, "is not an amount"),
    ("/api/shop/1/extend/prepare", {"days": 400}, 400, "above the 365 days a window can be extended by"),
    ("/api/shop/1/settle/prepare", {}, 400, "is still open"),
    ("/api/shop/1/keep/prepare", {"lines": [7]}, 400, "line"),
    ("/api/shop/2/settle/prepare", {}, 404, "there is no merchant #2"),
    ("/api/reviews/prepare", {"rating": 9}, 400, "rating must be a whole number from 1 to 5"),
    ("/api/nps/prepare", {"score": "many"}, 422, "score"),
])
def test_bad_wallet_request_gets_a_clear_4xx(client, scene, path, body, status, says) -> None:
    sign_in(client, scene.owner if "/shop/" in path else scene.alice)
    response = client.post(path, json={"purchase_id": scene.open_purchase.id, "lines": [0], "amount": "0.001",
                                       "days": 1, "csrf": csrf_of(client), **body})
    assert response.status_code == status, response.text
    assert says in problem(response)


def test_order_link_shows_the_order_and_refuses_another_customer(client, scene) -> None:
    link = _order_link(scene, scene.alice)
    page = client.get(link)
    assert page.status_code == 200 and "0.01 ETH" in page.text and "14 days from purchase" in page.text
    sign_in(client, scene.bob)
    response = client.post("/api/orders/prepare", json={"order": link.split("order=")[1], "csrf": csrf_of(client)})
    assert response.status_code == 403 and f"not to {scene.bob.address}" in problem(response)


def test_staff_see_the_consequence_of_an_extension_and_a_delivery(client, scene) -> None:
    sign_in(client, scene.owner)
    purchase, csrf = scene.open_purchase, csrf_of(client)
    extend = client.post(f"/api/shop/{scene.merchant_id}/extend/prepare", json={
        "purchase_id": purchase.id, "days": 2, "csrf": csrf}).json()
    later = datetime.fromtimestamp(purchase.deadline + 2 * 86_400, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    assert extend["consequence"].startswith(f"The return window then closes on {later} instead of ")
    refused = client.post(f"/api/shop/{scene.merchant_id}/deliver/prepare", json={
        "purchase_id": purchase.id, "csrf": csrf})  # its window runs from the purchase: the contract says no
    assert refused.status_code == 400 and "runs from its purchase, not from delivery: there is no delivery to confirm" in (
        problem(refused))
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    shipped = shop.publish_terms(30 * 86_400, delivery_wait=10 * 86_400)
    bought = scene.ledger.customer_desk(scene.alice).buy(shop.quote(shipped.id, [("RUG", 1, ETHER // 10)], "ORDER-SHIP",
                                                                     customer=scene.alice.address))
    deliver = client.post(f"/api/shop/{scene.merchant_id}/deliver/prepare", json={
        "purchase_id": bought.id, "csrf": csrf}).json()
    closes = datetime.fromtimestamp(scene.ledger.chain.now() + 30 * 86_400, timezone.utc).strftime("%Y-%m-%d")
    assert deliver["consequence"].startswith(f"Delivered now: the 30 days return window runs from now and closes on "
                                             f"{closes}")
    assert 'id="deliver-form"' in client.get(f"/shop/{scene.merchant_id}/purchases/{bought.id}").text
    page = client.get(f"/shop/{scene.merchant_id}/purchases/{purchase.id}")
    assert page.status_code == 200 and 'id="extend-form"' in page.text and 'id="deliver-form"' not in page.text


def test_the_shop_page_shows_what_counts_in_its_reviews(client, scene) -> None:
    """A 1-wei purchase by a wallet of the shop's own, reviewed 5 stars: on the page with its price, counted, and
    among the reviews from one-shop wallets, with the line that says what those are."""
    ledger, wallet = scene.ledger, scene.accounts[7]
    shop = ledger.merchant_desk(scene.owner, scene.merchant_id)
    desk = ledger.customer_desk(wallet)
    order = shop.quote(scene.open_purchase.terms_id, [("PIN", 1, 1)], "PIN-WEB", customer=wallet.address)
    desk.review(desk.buy(order).id, 5)
    sign_in(client, scene.owner)
    page = client.get(f"/shop/{scene.merchant_id}").text
    section = page[page.index('id="feedback"'):page.index("</section>", page.index('id="feedback"'))]
    assert "1 wei" in section and "from one-shop wallets" in section
    assert "reviews from wallets with no purchase at another shop" in section
    row = section[section.index(wallet.address):]
    assert '<td data-label="Counted">yes</td><td data-label="Bought elsewhere">no</td>' in row  # counted, not elsewhere
