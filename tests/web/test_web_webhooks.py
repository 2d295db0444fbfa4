"""A shop's webhook on the page (/shop/N/webhooks): its staff set and remove it; nobody else sees or changes it;
the secret is never shown back; bad input is one clear message."""

from __future__ import annotations

import pytest

from tests.support.web import csrf_of, problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

SECRET = "whsec-page-0123456789abcdef"
HOOK = "https://shop.example/ledger-events"


@pytest.fixture
def hooks(app, scene):
    """The page's webhooks, emptied after the test."""
    webhooks = app.state.site.webhooks
    yield webhooks
    webhooks.remove_from_page(scene.merchant_id)


@pytest.fixture(scope="module")
def other_shop(scene) -> int:
    """Another shop, owned by accounts[6]."""
    return scene.ledger.register_merchant(scene.accounts[6]).merchant_id


def set_hook(client, merchant_id: int, url: str = HOOK, secret: str = SECRET):
    return client.post(f"/shop/{merchant_id}/webhooks", data={"csrf": csrf_of(client), "url": url, "secret": secret},
                       follow_redirects=False)


def test_staff_set_change_and_remove_the_shops_webhook_and_never_see_the_secret_again(client, scene, hooks) -> None:
    shop = scene.merchant_id
    sign_in(client, scene.agent)
    assert 'id="no-webhook"' in client.get(f"/shop/{shop}/webhooks").text
    assert 'id="webhooks-link"' in client.get(f"/shop/{shop}").text
    done = set_hook(client, shop)
    assert done.status_code == 303 and done.headers["location"] == f"/shop/{shop}/webhooks"
    shown = client.get(f"/shop/{shop}/webhooks").text
    assert HOOK in shown and f"…{SECRET[-4:]}" in shown and SECRET not in shown and "nothing yet" in shown
    (kept,) = hooks.page_webhooks()
    assert (kept.url, kept.secret, kept.merchant_id) == (HOOK, SECRET, shop)
    assert hooks.on_page(shop).set_by == scene.agent.address
    hooks.failed(kept, "the receiver answered HTTP 503")  # as the follower notes a failed try
    assert "1 try in a row failed: the receiver answered HTTP 503" in client.get(f"/shop/{shop}/webhooks").text

    sign_in(client, scene.owner)  # the owner moves it elsewhere, with a new secret
    set_hook(client, shop, "https://backend.shop.example/events", SECRET[::-1])
    assert [(h.url, h.secret) for h in hooks.page_webhooks()] == [("https://backend.shop.example/events", SECRET[::-1])]
    removed = client.post(f"/shop/{shop}/webhooks/remove", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert removed.status_code == 303 and hooks.page_webhooks() == []
    assert 'id="no-webhook"' in client.get(f"/shop/{shop}/webhooks").text


@pytest.mark.parametrize("who", ["other_staff", "customer", "nobody"])
def test_only_the_shops_staff_see_or_change_its_webhook(client, scene, hooks, other_shop, who) -> None:
    shop = scene.merchant_id
    hooks.set_on_page(shop, HOOK, SECRET, scene.agent.address, 0)
    if who != "nobody":
        sign_in(client, scene.accounts[6] if who == "other_staff" else scene.alice)
    expected = 401 if who == "nobody" else 403
    seen = client.get(f"/shop/{shop}/webhooks")
    changed = set_hook(client, shop, "https://attacker.example/steal")
    removed = client.post(f"/shop/{shop}/webhooks/remove", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert (seen.status_code, changed.status_code, removed.status_code) == (expected, expected, expected)
    for answer in (seen, changed, removed):
        assert HOOK not in answer.text and SECRET[-4:] not in answer.text and problem(answer)
    assert [(h.url, h.secret) for h in hooks.page_webhooks()] == [(HOOK, SECRET)]
    if who == "other_staff":
        assert client.get(f"/shop/{other_shop}/webhooks").status_code == 200  # their own shop's page, empty
        assert 'id="no-webhook"' in client.get(f"/shop/{other_shop}/webhooks").text


@pytest.mark.parametrize(("url", "secret", "said"), [
    ("ftp://shop.example/events", SECRET, "is not an http:// or https:// address"),
    ("shop.example/events", SECRET, "is not an http:// or https:// address"),
    (HOOK, "too-short", "give at least 16"),
])
def test_bad_webhook_input_is_one_clear_message_and_nothing_is_set(client, scene, hooks, url, secret, said) -> None:
    sign_in(client, scene.agent)
    refused = set_hook(client, scene.merchant_id, url, secret)
    assert refused.status_code == 400 and said in problem(refused) and hooks.page_webhooks() == []


def test_a_webhook_form_without_the_sessions_token_changes_nothing(client, scene, hooks) -> None:
    sign_in(client, scene.agent)
    refused = client.post(f"/shop/{scene.merchant_id}/webhooks", data={"csrf": "forged", "url": HOOK, "secret": SECRET})
    assert refused.status_code == 403 and hooks.page_webhooks() == []
