"""Paying an order link with store credit (HTTP, on the embedded chain): the pay page shows the credit the
signed-in customer holds at the shop and offers to use it; the server prepares the one ``buy`` whose value is
only what the credit leaves to pay; asking for more credit than one holds, or for someone else's, is refused in
words with nothing sent."""

from __future__ import annotations

from itertools import count

import pytest

from ledger.orders import SignedOrder
from tests.support.web import ETHER, Scene, csrf_of, problem, send_prepared, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

numbers = count(1)


def order(scene: Scene, price: int, customer: str | None = None) -> SignedOrder:
    """A new order of one scarf from the scene's shop (a fresh order number each time)."""
    return scene.ledger.merchant_desk(scene.owner, scene.merchant_id).quote(
        scene.terms_id, [("SCARF", 1, price)], f"CREDIT-{next(numbers)}", customer=customer)


def encoded(signed: SignedOrder) -> str:
    return signed.link().split("order=")[1]


def prepare(client, signed: SignedOrder, **extra):
    return client.post("/api/orders/prepare", json={"order": encoded(signed), "csrf": csrf_of(client), **extra})


@pytest.fixture(scope="module")
def credited(scene: Scene) -> int:
    """Alice returned the first line of her open purchase for store credit: what she holds at the shop."""
    scene.ledger.customer_desk(scene.alice).return_for_credit(scene.open_purchase.id, [0])
    return scene.ledger.credit(scene.merchant_id, scene.alice.address).amount


def test_the_pay_page_offers_credit_only_to_whom_holds_it(client, scene, credited) -> None:
    signed = order(scene, ETHER)
    sign_in(client, scene.bob)
    assert 'id="pay-with-credit"' not in client.get(signed.link()).text  # Bob holds none
    sign_in(client, scene.alice)
    page = client.get(signed.link()).text
    assert f'id="credit-held">You hold {credited / ETHER:g} ETH store credit at' in page
    left = ETHER - credited
    assert f'"use_credit": "{credited}"' in page  # as text: a script's numbers would round wei
    assert f"Use {credited / ETHER:g} ETH store credit and pay {left / ETHER:g} ETH with my wallet" in page
    assert "Pay 1 ETH with my wallet, keeping my credit" in page


def test_paying_with_credit_sends_only_what_the_credit_leaves(client, scene, credited) -> None:
    signed = order(scene, ETHER, customer=scene.alice.address)
    sign_in(client, scene.alice)
    prepared = prepare(client, signed, use_credit=str(credited))
    assert prepared.status_code == 200, prepared.text
    transaction = prepared.json()["transaction"]
    assert int(transaction["value"], 16) == ETHER - credited
    send_prepared(scene.ledger, scene.alice, transaction)
    bought = scene.ledger.purchase(prepared.json()["purchase_id"])
    assert bought.credit_used == credited and bought.paid == ETHER
    assert scene.ledger.credit(scene.merchant_id, scene.alice.address).amount == 0
    assert 'id="pay-with-credit"' not in client.get(order(scene, ETHER).link()).text  # none left to offer


def test_credit_that_covers_the_order_pays_it_all(client, scene) -> None:
    desk = scene.ledger.customer_desk(scene.alice)
    bought = desk.buy(order(scene, ETHER // 10))
    desk.return_for_credit(bought.id, [0])
    held = scene.ledger.credit(scene.merchant_id, scene.alice.address).amount
    cheap = order(scene, held // 2)
    sign_in(client, scene.alice)
    assert f"Pay with {held // 2 / ETHER:g} ETH of my store credit" in client.get(cheap.link()).text
    prepared = prepare(client, cheap, use_credit=str(held // 2))
    assert prepared.status_code == 200, prepared.text
    assert int(prepared.json()["transaction"]["value"], 16) == 0
    send_prepared(scene.ledger, scene.alice, prepared.json()["transaction"])
    assert scene.ledger.credit(scene.merchant_id, scene.alice.address).amount == held - held // 2


@pytest.mark.parametrize("asked, words", [
    ("true", "the store credit to use must be a whole number: reload the order page"),
    ("0x10", "the store credit to use must be a whole number: reload the order page"),
    ("-1", "the store credit to use must be a whole number: reload the order page"),
    (str(2 * ETHER), "the credit to use is more than the order's total: use at most the total"),
])
def test_a_forged_amount_of_credit_is_one_line(client, scene, asked, words) -> None:
    sign_in(client, scene.alice)
    refused = prepare(client, order(scene, ETHER), use_credit=asked)
    assert refused.status_code == 400 and problem(refused) == words


def test_more_credit_than_one_holds_is_the_contracts_refusal_in_words(client, scene) -> None:
    sign_in(client, scene.bob)  # Bob holds no credit at the shop: asking to use some is asking for Alice's
    refused = prepare(client, order(scene, ETHER), use_credit=str(ETHER // 10))
    assert refused.status_code == 400 and problem(refused) == (
        "you hold 0 ETH in store credit at merchant #1, less than the 0.1 ETH asked for: use at most 0 ETH")
