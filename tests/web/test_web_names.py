"""Names on the page: the shop's name, its products' names and its order numbers wherever the page showed
"shop #1", a SKU or nothing; names that would run as markup are shown as text; a link whose order number was
swapped is refused."""

from __future__ import annotations

import base64
import json

import pytest

from ledger.models import LineItem
from ledger.names import Product
from tests.support.web import problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def named(scene):
    """The scene's shop, named by its owner, its products by its agent."""
    ledger = scene.ledger
    ledger.merchant_desk(scene.owner, scene.merchant_id).set_profile("Kettle & Co", "help@kettle.example")
    ledger.merchant_desk(scene.agent, scene.merchant_id).import_catalogue(
        [Product("MUG", "Blue mug"), Product("TEA", "Green tea <script>alert(1)</script>")])
    return scene


def test_the_customer_sees_the_shops_name_product_names_order_number_and_purchase_date(client, named) -> None:
    sign_in(client, named.alice)
    html = client.get("/purchases").text
    assert "Kettle &amp; Co (shop #1)" in html and "Shop #1" not in html
    assert "Blue mug" in html and "order ORDER-1" in html and 'class="bought"' in html
    assert "<script>alert(1)</script>" not in html and "Green tea &lt;script&gt;" in html  # text, never markup


def test_the_staff_see_the_names_on_the_dashboard_and_a_purchase(client, named) -> None:
    sign_in(client, named.agent)
    dashboard = client.get(f"/shop/{named.merchant_id}").text
    assert "<h1>Kettle &amp; Co (shop #1)</h1>" in dashboard and "2× Blue mug" in dashboard
    purchase = client.get(f"/shop/{named.merchant_id}/purchases/{named.open_purchase.id}").text
    assert 'id="order-number">Order ORDER-1<' in purchase and "2 × Blue mug" in purchase


def test_an_order_link_shows_its_number_and_a_swapped_number_is_refused(client, named) -> None:
    ledger = named.ledger
    signed = ledger.merchant_desk(named.agent, named.merchant_id).quote(
        named.terms_id, [LineItem("MUG", 1, 10**16)], "ORDER-2002", customer=named.bob.address)
    sign_in(client, named.bob)
    shown = client.get(signed.link())
    assert shown.status_code == 200 and 'id="order-number">Order ORDER-2002<' in shown.text
    assert "Pay Kettle &amp; Co (shop #1)" in shown.text

    body = json.loads(signed.to_json())
    body["orderNumber"] = "ORDER-9999"
    swapped = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    response = client.get(f"/pay?order={swapped}")
    assert response.status_code == 400 and "number does not match" in problem(response)
    assert "ORDER-9999" not in response.text


def test_names_signed_by_someone_off_the_staff_never_show(client, named) -> None:
    from eth_account.messages import encode_typed_data

    from ledger.errors import NotMerchantAgent
    from ledger.names import Profile, Signed, typed_data

    ledger, stranger = named.ledger, named.bob
    content = Profile(named.merchant_id, "Refunds desk: send ETH here", issued_at=ledger.chain.now() + 1)
    message = encode_typed_data(full_message=typed_data(content, ledger.chain.chain_id, ledger.address))
    signed = Signed(content, stranger.address, "0x" + bytes(stranger.sign_message(message).signature).hex())
    with pytest.raises(NotMerchantAgent):
        ledger.names_store.keep(signed, ledger.reads)
    sign_in(client, named.alice)
    assert "Refunds desk" not in client.get("/purchases").text
