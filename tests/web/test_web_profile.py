"""The shop's names edited on the page (HTTP, on the embedded chain): the staff member's wallet signs the profile
and the catalogue as typed data (here eth-account, as a wallet would), the server keeps what was signed and the
names show; and every way around that is refused in words: a customer, someone else's signature relayed from
another session, a message changed after signing, another shop's names, a replay, malformed fields."""

from __future__ import annotations

import copy

import pytest
from eth_account.messages import encode_typed_data

from tests.support.web import csrf_of, problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def signed(account, typed: dict) -> str:
    """What ``eth_signTypedData_v4`` answers for ``typed``."""
    return "0x" + bytes(account.sign_message(encode_typed_data(full_message=typed)).signature).hex()


def prepare(client, merchant_id: int, kind: str, **fields):
    return client.post(f"/api/shop/{merchant_id}/{kind}/prepare", json={**fields, "csrf": csrf_of(client)})


def keep(client, merchant_id: int, typed: dict, signature: str):
    return client.post(f"/api/shop/{merchant_id}/names/keep",
                       json={"typed_data": typed, "signature": signature, "csrf": csrf_of(client)})


def test_the_staff_name_the_shop_and_its_products_from_their_wallet(client, scene) -> None:
    sign_in(client, scene.agent)
    page = client.get(f"/shop/{scene.merchant_id}/profile")
    assert page.status_code == 200 and 'id="no-products"' in page.text
    assert f'href="/shop/{scene.merchant_id}/profile"' in client.get(f"/shop/{scene.merchant_id}").text

    (typed,) = prepare(client, scene.merchant_id, "profile", name=" Kettle & Co ", support="help@kettle.example",
                       logo="").json()["typed_data"]
    assert typed["primaryType"] == "ShopProfile" and typed["message"]["name"] == "Kettle & Co"  # as checked
    assert typed["domain"]["verifyingContract"] == scene.ledger.address
    kept = keep(client, scene.merchant_id, typed, signed(scene.agent, typed))
    assert kept.status_code == 200 and kept.json()["kept"] == f"Kept the shop's profile, signed by {scene.agent.address}."

    rows = "sku,name,picture\nMUG,Blue mug,https://kettle.example/mug.jpg\nTEA,Green tea,\n"
    (batch,) = prepare(client, scene.merchant_id, "catalog", rows=rows).json()["typed_data"]
    assert keep(client, scene.merchant_id, batch, signed(scene.agent, batch)).status_code == 200

    names = scene.ledger.names(scene.merchant_id)
    assert names.shop == "Kettle & Co (shop #1)" and names.product("MUG") == "Blue mug"
    page = client.get(f"/shop/{scene.merchant_id}/profile").text
    assert 'value="Kettle &amp; Co"' in page and '<tr data-sku="TEA"><td><code>TEA</code></td><td>Green tea</td>' in page
    assert "<h1>Kettle &amp; Co (shop #1)</h1>" in client.get(f"/shop/{scene.merchant_id}").text


def test_a_bad_catalogue_names_every_bad_row_and_gives_nothing_to_sign(client, scene) -> None:
    sign_in(client, scene.owner)
    refused = prepare(client, scene.merchant_id, "catalog", rows="sku,name\nMUG,\nMUG,Red mug\nPOT,Pot\nPOT,Big pot\n")
    assert refused.status_code == 400 and "typed_data" not in refused.text
    assert problem(refused).splitlines() == ["the catalogue has 2 bad row(s), nothing was signed:",
                                             "row 2: the name of MUG is empty: give one",
                                             "row 5: SKU POT is named on row 4 already: name each SKU once"]


@pytest.mark.parametrize("who", ["alice", "other shop's owner"])
def test_a_customer_or_another_shops_staff_never_gets_the_names_page(client, scene, who) -> None:
    visitor = scene.alice if who == "alice" else scene.accounts[6]
    other = scene.ledger.register_merchant(visitor).merchant_id if who != "alice" else None  # staff of shop #2
    sign_in(client, visitor)
    if other is not None:
        assert client.get(f"/shop/{other}/profile").status_code == 200  # their own shop's names page
    response = client.get(f"/shop/{scene.merchant_id}/profile")
    assert response.status_code == 403 and "is not staff of merchant #1" in problem(response)
    assert prepare(client, scene.merchant_id, "profile", name="Totally Legit").status_code == 403
    assert prepare(client, scene.merchant_id, "catalog", rows="sku,name\nMUG,Fake mug\n").status_code == 403
    assert scene.ledger.names(scene.merchant_id).product("MUG") != "Fake mug"


def test_names_signed_by_someone_else_changed_or_replayed_are_refused(client, scene) -> None:
    sign_in(client, scene.agent)
    (typed,) = prepare(client, scene.merchant_id, "profile", name="Kettle & Sons").json()["typed_data"]
    signature = signed(scene.agent, typed)

    sign_in(client, scene.alice)  # a phishing relay: the agent's signature sent from the customer's session
    relayed = keep(client, scene.merchant_id, typed, signature)
    assert relayed.status_code == 403 and "is not staff of merchant #1" in problem(relayed)
    sign_in(client, scene.owner)  # the owner's session, the agent's signature: it is not the owner's
    assert f"the signature is not {scene.owner.address}'s" in problem(keep(client, scene.merchant_id, typed, signature))

    sign_in(client, scene.agent)
    changed = copy.deepcopy(typed)
    changed["message"]["name"] = "Kettle & Scams"  # changed after the wallet showed the other name
    assert "the signature is not" in problem(keep(client, scene.merchant_id, changed, signature))
    other_shop = copy.deepcopy(typed)
    other_shop["message"]["merchantId"] = scene.merchant_id + 1
    refused = keep(client, scene.merchant_id, other_shop, signed(scene.agent, other_shop))
    assert refused.status_code == 400 and "are for shop #2, not #1" in problem(refused)

    assert keep(client, scene.merchant_id, typed, signature).status_code == 200
    replayed = keep(client, scene.merchant_id, typed, signature)
    assert replayed.status_code == 400 and "is not newer than the one in place" in problem(replayed)
    assert scene.ledger.names(scene.merchant_id).shop == "Kettle & Sons (shop #1)"


@pytest.mark.parametrize("change, words", [
    ({"primaryType": "Order"}, "neither a shop profile nor a catalogue batch"),
    ({"message": {"merchantId": "1", "name": "X", "support": "", "logo": "", "issuedAt": 1}},
     "field merchantId is missing or not a whole number"),
    ({"primaryType": "Catalogue", "message": {"merchantId": 1, "issuedAt": 1, "products": ["MUG"]}},
     "are not rows of sku, name and picture"),
    ({"message": None}, "no signed names were sent"),
])
def test_malformed_signed_names_are_one_line(client, scene, change, words) -> None:
    sign_in(client, scene.agent)
    (typed,) = prepare(client, scene.merchant_id, "profile", name="Kettle").json()["typed_data"]
    refused = keep(client, scene.merchant_id, {**typed, **change}, "0x" + "00" * 65)
    assert refused.status_code == 400 and words in problem(refused) and "\n" not in problem(refused)
