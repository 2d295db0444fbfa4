"""A shop's customer that is a Safe (1.4.1, 2 of 3 owners) on anvil: it buys through its own transaction,
signs in to the page and signs a gasless return with ERC-1271, which the page, the library and the contract
all accept; a signature of fewer owners than the threshold is refused by the page before any gas is spent. As
the shop's agent, the same Safe names the shop: its owners' ERC-1271 signature of the profile is kept, fewer is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.signatures import message_digest
from ledger.web import create_app
from tests.support.safe_wallet import Safe, deploy_safe
from tests.support.web import ETHER, Scene, build_scene, csrf_of

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def world() -> tuple[Scene, Safe]:
    chain = AnvilChain()
    accounts = chain.accounts()
    scene = build_scene(Ledger.deploy(chain, accounts[0]), accounts)
    safe = deploy_safe(chain, accounts[0], accounts[5:8], threshold=2)
    chain.w3.provider.make_request("anvil_setBalance", [safe.address, hex(10 * ETHER)])
    yield scene, safe
    chain.close()


@pytest.fixture
def client(world):
    from fastapi.testclient import TestClient

    scene, _ = world
    app = create_app(scene.ledger, scene.accounts[0], Path(__file__).parents[2] / "node_modules",
                     origin="http://testserver")
    return TestClient(app, raise_server_exceptions=False)


def _sign_in(client, safe: Safe, signers: int | None = None):
    csrf = csrf_of(client)
    message = client.post("/api/signin/message", json={"address": safe.address, "csrf": csrf}).json()["message"]
    signature = safe.sign(message_digest(message), signers)
    return client.post("/api/signin", json={"signature": "0x" + signature.hex(), "csrf": csrf})


def _buy(scene: Scene, safe: Safe, order_ref: str) -> str:
    """The Safe buys an order made out to it: its owners approve the Safe's call to ``buy``."""
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    signed = shop.quote(scene.terms_id, [("LAMP", 1, ETHER // 5), ("BULB", 2, ETHER // 50)], order_ref,
                        customer=safe.address)
    o = signed.order
    call = scene.ledger.contract.functions.buy(o.packed(), o.line_tuples(), 0, bytes.fromhex(signed.signature[2:]))
    safe.execute(scene.accounts[5], scene.ledger.address, bytes.fromhex(call._encode_transaction_data()[2:]), o.total)
    return o.purchase_id(scene.ledger.chain.chain_id, scene.ledger.address)


def _digest(typed_data: dict) -> bytes:
    """What a wallet signs for the typed data (eth-account's EIP-712, not the library's)."""
    message = {**typed_data, "message": {**typed_data["message"], "nonce": int(typed_data["message"]["nonce"])}}
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_a_safe_signs_in_buys_and_returns_without_gas(client, world) -> None:
    scene, safe = world
    purchase_id = _buy(scene, safe, "ORDER-SAFE-1")
    assert scene.ledger.purchase(purchase_id).customer == safe.address

    signed_in = _sign_in(client, safe)
    assert signed_in.status_code == 200, signed_in.text
    assert client.get("/api/me").json()["address"] == safe.address
    assert purchase_id in client.get("/purchases").text

    csrf = csrf_of(client)
    typed = client.post("/api/returns/prepare", json={"purchase_id": purchase_id, "lines": [0], "csrf": csrf})
    assert typed.status_code == 200, typed.text
    request = typed.json()["typed_data"]

    before, due = scene.ledger.w3.eth.get_balance(safe.address), scene.ledger.purchase(purchase_id).refund_for((0,))
    refund = client.post("/api/returns/submit", json={"typed_data": request, "csrf": csrf,
                                                      "signature": "0x" + safe.sign(_digest(request)).hex()})
    assert refund.status_code == 200, refund.text
    assert scene.ledger.w3.eth.get_balance(safe.address) - before == due > 0  # the lamp, to the Safe
    assert scene.ledger.purchase(purchase_id).returned_lines == frozenset({0})


def test_fewer_owners_than_the_threshold_sign_nothing_in(client, world) -> None:
    scene, safe = world
    refused = _sign_in(client, safe, signers=1)
    assert refused.status_code == 403 and f"wallet contract {safe.address} does not accept" in refused.json()["error"]
    assert client.get("/api/me").status_code == 401


def test_a_return_signed_by_one_owner_is_refused_before_gas_is_spent(client, world) -> None:
    scene, safe = world
    purchase_id = _buy(scene, safe, "ORDER-SAFE-2")
    assert _sign_in(client, safe).status_code == 200
    csrf = csrf_of(client)
    request = client.post("/api/returns/prepare", json={"purchase_id": purchase_id, "lines": [1],
                                                        "csrf": csrf}).json()["typed_data"]
    relayer = scene.accounts[0].address
    nonce = scene.ledger.w3.eth.get_transaction_count(relayer)
    refused = client.post("/api/returns/submit", json={"typed_data": request, "csrf": csrf,
                                                       "signature": "0x" + safe.sign(_digest(request), signers=1).hex()})
    assert refused.status_code == 403 and f"not signed by its customer {safe.address}" in refused.json()["error"]
    assert scene.ledger.w3.eth.get_transaction_count(relayer) == nonce  # the relayer sent nothing
    assert 1 not in scene.ledger.purchase(purchase_id).returned_lines


def test_a_safe_agent_names_the_shop_with_its_owners_signatures(client, world) -> None:
    scene, safe = world
    scene.ledger.merchant_desk(scene.owner, scene.merchant_id).add_agent(safe.address)
    assert _sign_in(client, safe).status_code == 200
    csrf = csrf_of(client)
    (typed,) = client.post(f"/api/shop/{scene.merchant_id}/profile/prepare",
                           json={"name": "Safe & Sound", "csrf": csrf}).json()["typed_data"]
    signable = encode_typed_data(full_message=typed)  # eth-account's EIP-712, not the library's
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)

    def keep(signature: bytes):
        return client.post(f"/api/shop/{scene.merchant_id}/names/keep",
                           json={"typed_data": typed, "signature": "0x" + signature.hex(), "csrf": csrf})

    short = keep(safe.sign(digest, signers=1))  # one owner of the two the Safe needs
    assert short.status_code == 400 and f"the signature is not {safe.address}'s" in short.json()["error"]
    kept = keep(safe.sign(digest))
    assert kept.status_code == 200, kept.text
    assert scene.ledger.names(scene.merchant_id).shop == f"Safe & Sound (shop #{scene.merchant_id})"
