"""The exchange on the pay page over HTTP (FastAPI's TestClient, on the embedded chain): an order link offers the
customer's purchases at the same shop whose window is open; the page quotes the refund and what is left to pay;
the server prepares the one ``exchange`` transaction the wallet sends (its value exactly what is due); and every
way an attacker or a stale link tries it is refused in words, with nothing sent."""

from __future__ import annotations

from itertools import count

import pytest

from ledger.desks.customer import prepare_exchange
from ledger.orders import SignedOrder
from tests.support.web import (
    DAY,
    ETHER,
    Scene,
    csrf_of,
    problem,
    send_prepared,
    sign_in,
)
from tests.support.world import deploy_contract, send

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

refs = count(1)

def shop(scene: Scene, account=None):
    return scene.ledger.merchant_desk(account or scene.owner, scene.merchant_id)


def order(scene: Scene, lines, terms_id: int | None = None, **options) -> SignedOrder:
    """A new order of the scene's shop for Alice (a fresh order number each time)."""
    return shop(scene, options.pop("signer", None)).quote(terms_id or scene.terms_id, lines, f"EXCHANGE-{next(refs)}",
                                                          customer=scene.alice.address, **options)


def bought(scene: Scene, lines, terms_id: int | None = None):
    """A new purchase of Alice's at the scene's shop, its window open."""
    return scene.ledger.customer_desk(scene.alice).buy(order(scene, lines, terms_id))


def encoded(signed: SignedOrder) -> str:
    return signed.link().split("order=")[1]


def ask(client, signed: SignedOrder, purchase_id: str, lines, **extra):
    """``POST /api/exchange/prepare`` as the page sends it."""
    return client.post("/api/exchange/prepare", json={"order": encoded(signed), "purchase_id": purchase_id,
                                                      "lines": lines, "csrf": csrf_of(client), **extra})


def test_the_pay_page_offers_the_purchases_that_can_pay_the_order(client, scene) -> None:
    signed = order(scene, [("TEA-L", 1, ETHER // 2)])
    assert 'id="exchange"' not in client.get(signed.link()).text  # nobody signed in: nobody's purchases
    sign_in(client, scene.alice)
    page = client.get(signed.link()).text
    offered = page[page.index('id="exchange"'):]
    assert f'data-purchase="{scene.open_purchase.id}"' in offered  # same shop, same token, window open
    assert scene.closed_purchase.id not in offered  # its window closed
    assert "1 × TEA (0.5 ETH)" in offered and 'action="/pay/exchange"' in offered
    sign_in(client, scene.bob)
    assert 'id="exchange"' not in client.get(signed.link()).text  # Bob has nothing to send back


def test_an_exchange_for_a_dearer_order_pays_the_difference_in_one_transaction(client, scene) -> None:
    ledger, alice = scene.ledger, scene.alice
    old = bought(scene, [("COAT-M", 1, ETHER // 10), ("HAT", 1, ETHER // 20)])
    new = order(scene, [("COAT-L", 1, ETHER * 12 // 100)])
    sign_in(client, alice)
    quote = client.post("/pay/exchange", data={"csrf": csrf_of(client), "order": encoded(new),
                                               "purchase_id": old.id, "lines": ["0"]})
    assert quote.status_code == 200, quote.text
    refund, due = ETHER // 10 * 95 // 100, ETHER * 12 // 100 - ETHER // 10 * 95 // 100  # 5 % restocking fee
    assert f'id="refund" data-wei="{refund}">0.095 ETH' in quote.text
    assert f'id="due" data-wei="{due}">0.025 ETH' in quote.text and "Exchange and pay 0.025 ETH" in quote.text

    prepared = ask(client, new, old.id, [0])
    assert prepared.status_code == 200, prepared.text
    answer, transaction = prepared.json(), prepared.json()["transaction"]
    assert (answer["refund"], answer["due"], answer["back"]) == (refund, due, 0)
    assert answer["purchase_id"] == new.purchase_id and "approval" not in answer
    plan = prepare_exchange(ledger.reads, alice.address, ledger.purchase(old.id), new, 1)
    assert (transaction["from"], transaction["to"], transaction["value"]) == (alice.address, ledger.address, hex(due))
    assert transaction["data"] == plan.call()._encode_transaction_data()  # exactly the library's call

    before = ledger.w3.eth.get_balance(ledger.address)
    tx_hash = send_prepared(ledger, alice, transaction)
    outcome = client.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf_of(client)}).json()
    assert {"ItemsReturned", "PurchaseRecorded", "Exchanged"} <= {e["name"] for e in outcome["events"]}
    assert ledger.w3.eth.get_balance(ledger.address) - before == due  # only the difference came in
    assert ledger.purchase(new.purchase_id).paid == ETHER * 12 // 100
    assert ledger.purchase(old.id).returned_lines == {0}

    purchases = client.get("/purchases").text
    assert f'data-purchase="{new.purchase_id}"' in purchases
    old_part = purchases[purchases.index(f'data-purchase="{old.id}"'):]
    old_part = old_part[:old_part.index("</table>")]
    assert old_part.count('class="exchanged">exchanged') == 1 and "HAT" in old_part


def test_an_exchange_for_a_cheaper_order_gives_the_rest_back(client, scene) -> None:
    ledger, alice = scene.ledger, scene.alice
    old = bought(scene, [("SHOES", 1, ETHER // 10)])
    new = order(scene, [("SOCKS", 1, ETHER // 50)])
    sign_in(client, alice)
    quote = client.post("/pay/exchange", data={"csrf": csrf_of(client), "order": encoded(new),
                                               "purchase_id": old.id, "lines": ["0"]})
    back = ETHER // 10 * 95 // 100 - ETHER // 50
    assert f'id="back" data-wei="{back}">0.075 ETH' in quote.text and "Exchange with my wallet" in quote.text
    answer = ask(client, new, old.id, [0]).json()
    assert (answer["due"], answer["back"], answer["transaction"]["value"]) == (0, back, "0x0")
    wallet = ledger.w3.eth.get_balance(alice.address)
    receipt = ledger.w3.eth.wait_for_transaction_receipt(send_prepared(ledger, alice, answer["transaction"]))
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert ledger.w3.eth.get_balance(alice.address) - wallet + gas == back


def test_a_shipment_reference_is_sealed_and_kept_once_the_exchange_landed(client, scene) -> None:
    ledger, alice = scene.ledger, scene.alice
    terms = shop(scene).publish_terms(14 * DAY, item_must_be_returned=True)
    old = bought(scene, [("LAMP", 1, ETHER // 10)], terms.id)
    new = order(scene, [("LAMP-XL", 1, ETHER // 10)], terms.id)
    sign_in(client, alice)
    page = client.get(new.link()).text
    assert 'name="shipment" required' in page[page.index(f'data-purchase="{old.id}"'):]
    missing = ask(client, new, old.id, [0])
    assert missing.status_code == 400 and "give the return shipment reference" in problem(missing)
    answer = ask(client, new, old.id, [0], shipment="TRACK-77").json()
    tx_hash = send_prepared(ledger, alice, answer["transaction"])
    client.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf_of(client)})
    (returned,) = [r for r in ledger.refunds(purchase_id=old.id) if r.kind == "exchange"]
    assert returned.reference != "0x" + "00" * 32  # the salted hash went on chain, not the text
    assert client.get(f"/api/texts/{returned.reference}").json()["text"] == "TRACK-77"


def test_an_exchange_in_a_token_asks_for_the_approval_of_the_difference_first(client, scene, test_artifacts) -> None:
    ledger, alice, chain = scene.ledger, scene.alice, scene.ledger.chain
    token = deploy_contract(chain, scene.accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(chain, scene.accounts[0], token.functions.mint(alice.address, 10_000))
    shop(scene).accept_token(token.address)
    old = ledger.customer_desk(alice).buy(order(scene, [("MUG", 1, 1_000)], token=token.address))
    new = order(scene, [("BIG-MUG", 1, 1_500)], token=token.address)
    sign_in(client, alice)
    approval = ask(client, new, old.id, [0]).json()
    assert approval["approval"] is True and approval["transaction"]["to"] == token.address
    assert approval["due"] == 1_500 - 950 and ledger.purchase(old.id).returned_lines == frozenset()
    ledger.w3.eth.wait_for_transaction_receipt(send_prepared(ledger, alice, approval["transaction"]))
    assert token.functions.allowance(alice.address, ledger.address).call() == 550  # the difference only (5 % restocking fee)
    exchange = ask(client, new, old.id, [0]).json()
    assert "approval" not in exchange and exchange["transaction"]["value"] == "0x0"
    ledger.w3.eth.wait_for_transaction_receipt(send_prepared(ledger, alice, exchange["transaction"]))
    assert token.functions.balanceOf(alice.address).call() == 10_000 - 1_000 - 550
    assert ledger.purchase(new.purchase_id).paid == 1_500


# ---------------------------------------------------------------- refused, with nothing sent


def untouched(scene: Scene) -> None:
    assert scene.ledger.purchase(scene.open_purchase.id).returned_lines == frozenset()


def test_someone_elses_purchase_is_refused_as_everywhere(client, scene) -> None:
    new = order(scene, [("TEA-L", 1, ETHER // 2)])
    sign_in(client, scene.bob)
    prepared = ask(client, new, scene.open_purchase.id, [1])
    assert prepared.status_code == 403 and "only the customer who bought it" in problem(prepared)
    quote = client.post("/pay/exchange", data={"csrf": csrf_of(client), "order": encoded(new),
                                               "purchase_id": scene.open_purchase.id, "lines": ["1"]})
    assert quote.status_code == 403 and "only the customer who bought it" in problem(quote)
    untouched(scene)


def test_the_exchange_needs_the_sessions_csrf_token_and_a_signed_in_customer(client, scene) -> None:
    new = order(scene, [("TEA-L", 1, ETHER // 2)])
    body = {"order": encoded(new), "purchase_id": scene.open_purchase.id, "lines": [1]}
    anonymous = client.post("/api/exchange/prepare", json={**body, "csrf": csrf_of(client)})
    assert anonymous.status_code == 401 and "sign in with your wallet first" in problem(anonymous)
    sign_in(client, scene.alice)
    forged = client.post("/api/exchange/prepare", json={**body, "csrf": "from-another-site"})
    assert forged.status_code == 403 and "came from another site" in problem(forged)
    form = client.post("/pay/exchange", data={**body, "lines": ["1"], "csrf": "from-another-site"})
    assert form.status_code == 403 and "came from another site" in problem(form)
    untouched(scene)


@pytest.mark.parametrize("lines", [[True], ["1"], [1.5], "1", [7]])
def test_lines_must_be_whole_numbers_of_the_purchase(client, scene, lines) -> None:
    new = order(scene, [("TEA-L", 1, ETHER // 2)])
    sign_in(client, scene.alice)
    response = ask(client, new, scene.open_purchase.id, lines)
    assert response.status_code == (400 if lines == [7] else 422), response.text
    assert ("does not exist" if lines == [7] else "lines") in problem(response)
    untouched(scene)


def test_another_shops_order_is_refused_with_409(client, scene) -> None:
    other = scene.ledger.register_merchant(scene.accounts[5])
    elsewhere = other.quote(other.publish_terms(7 * DAY).id, [("TEA-L", 1, ETHER // 2)], "ELSEWHERE-1",
                            customer=scene.alice.address)
    sign_in(client, scene.alice)
    assert 'id="exchange"' not in client.get(elsewhere.link()).text  # not offered
    response = ask(client, elsewhere, scene.open_purchase.id, [1])
    assert response.status_code == 409
    assert "only for an order of the same shop in the same token" in problem(response)
    untouched(scene)


def test_a_purchase_whose_window_closed_is_refused_with_409(client, scene) -> None:
    new = order(scene, [("SCARF-L", 1, ETHER // 10)])
    sign_in(client, scene.alice)
    response = ask(client, new, scene.closed_purchase.id, [0])
    assert response.status_code == 409 and "closed on" in problem(response)
    quote = client.post("/pay/exchange", data={"csrf": csrf_of(client), "order": encoded(new),
                                               "purchase_id": scene.closed_purchase.id, "lines": ["0"]})
    assert quote.status_code == 409 and "closed on" in problem(quote)


def test_an_order_already_paid_is_refused_with_409(client, scene) -> None:
    paid = order(scene, [("TEA-L", 1, ETHER // 2)])
    scene.ledger.customer_desk(scene.alice).buy(paid)
    sign_in(client, scene.alice)
    response = ask(client, paid, scene.open_purchase.id, [1])
    assert response.status_code == 409 and "already" in problem(response)
    untouched(scene)


def test_an_order_signed_by_an_agent_since_removed_is_refused_with_409(client, scene) -> None:
    signed = order(scene, [("TEA-L", 1, ETHER // 2)], signer=scene.agent)
    shop(scene).remove_agent(scene.agent.address)
    shop(scene).add_agent(scene.agent.address)  # back, but the order was signed before
    sign_in(client, scene.alice)
    response = ask(client, signed, scene.open_purchase.id, [1])
    assert response.status_code == 409 and "before it was removed from the shop's staff" in problem(response)
    untouched(scene)


def test_an_expired_order_is_refused_with_409(client, scene) -> None:
    signed = order(scene, [("TEA-L", 1, ETHER // 2)], valid_for=60)
    scene.ledger.chain.advance_time(120)
    sign_in(client, scene.alice)
    response = ask(client, signed, scene.open_purchase.id, [1])
    assert response.status_code == 409 and "expired" in problem(response)
    untouched(scene)
