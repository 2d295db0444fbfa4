"""Order links on the page over HTTP: the short link ``/o/<code>`` shows the same pay page as the self-contained
one, with a QR code of the short link; an unknown code is a 404 in words; and whichever link it comes by, an order
that cannot be paid says why (``check_order``'s verdict) in place of the offer, with no button: paid already
(the receipt for its buyer), expired (when, in words), another buyer's, signed by an agent removed since."""

from __future__ import annotations

import html
import re

import pytest

from ledger.links import code_of, qr_svg
from tests.support.web import mug_order, problem, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

ORIGIN = "http://testserver"
BUTTONS = ('id="pay"', 'id="signin"', 'id="exchange"', 'action="/pay/exchange"')


def _short(scene, signed) -> str:
    """The path of the order's short link, the order kept as `ledger quote --link` keeps it."""
    return "/o/" + scene.ledger.order_links.keep(signed)


def _no_offer(page, says: str) -> None:
    assert page.status_code == 409, page.text
    assert says in page.text, page.text
    assert not any(button in page.text for button in BUTTONS) and 'id="qr"' not in page.text


def test_a_short_link_shows_the_pay_page_with_a_qr_code_of_itself(client, scene) -> None:
    signed = mug_order(scene)
    long = client.get(signed.link())  # the self-contained link keeps working, and keeps the order for a short one
    short_path = f"/o/{code_of(signed)}"
    assert long.status_code == 200 and f'href="{ORIGIN}{short_path}"' in long.text
    page = client.get(short_path)
    assert page.status_code == 200 and "0.01 ETH" in page.text and "14 days from purchase" in page.text
    assert 'id="signin"' in page.text
    figure = re.search(r'<figure class="qr" id="qr">(.*?)</figure>', page.text, re.S)
    assert figure is not None
    assert qr_svg(ORIGIN + short_path) in figure.group(1)  # the code holds the short link, which the caption gives
    assert qr_svg(signed.link(ORIGIN)) not in figure.group(1)
    assert f"<title>{ORIGIN}{short_path}</title>" in figure.group(1) and f">{ORIGIN}{short_path}</a>" in figure.group(1)
    sign_in(client, scene.bob)
    signed_in = client.get(short_path.upper().replace("/O/", "/o/"))  # a code read out in capitals opens it too
    assert signed_in.status_code == 200 and 'id="pay"' in signed_in.text
    assert f'"order": "{signed.encoded()}"' in signed_in.text.replace("&#34;", '"')  # what the wallet's button sends


@pytest.mark.parametrize("code", ["aaaaaaaaaaaaaaaa", "not-a-code", "a" * 40])
def test_an_unknown_short_code_is_a_404_in_words(client, code) -> None:
    page = client.get(f"/o/{code}")
    assert page.status_code == 404
    said = html.unescape(problem(page))
    assert said == (f"no order is kept here under the code '{code}': check that the link was copied whole, or ask "
                    "the shop for the order's link again")


def test_a_paid_order_says_so_with_the_receipt_for_its_buyer_only(client, scene) -> None:
    signed = mug_order(scene, customer=scene.alice.address)
    path = _short(scene, signed)
    bought = scene.ledger.customer_desk(scene.alice).buy(signed)
    for link in (path, signed.link()):
        _no_offer(client.get(link), "This order has been paid already, and an order is paid once")
        assert "/receipts/" not in client.get(link).text  # not signed in: whose it is is not said
    sign_in(client, scene.bob)
    assert "/receipts/" not in client.get(path).text
    sign_in(client, scene.alice)
    receipt = f'<a id="receipt" href="/receipts/{bought.id}">See the receipt of your purchase</a>'
    _no_offer(client.get(path), receipt)
    assert client.get(f"/receipts/{bought.id}").status_code == 200
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)  # a reloaded checkout signs the number again
    again = shop.quote(scene.terms_id, [("MUG", 2, signed.order.total)], signed.order_number)
    _no_offer(client.get(again.link()), receipt)
    assert f"was paid already, as purchase {bought.id[:10]}…" in client.get(again.link()).text


def test_an_expired_order_says_when_in_words(client, scene) -> None:
    signed = mug_order(scene, valid_for=60)
    path = _short(scene, signed)
    snapshot = scene.ledger.chain.snapshot()
    try:
        scene.ledger.chain.advance_time(3 * 3_600)
        for link in (path, signed.link()):
            page = client.get(link)
            _no_offer(page, "This order link cannot be paid")
            expired = re.search(r'<p class="problem" id="refused">(.*?)</p>', page.text).group(1)
            assert re.fullmatch(r"the order expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC, (2|3) hours ago: ask the shop for "
                                r"a new one", expired), expired
    finally:
        scene.ledger.chain.revert(snapshot)


def test_an_order_for_another_buyer_says_whose_it_is(client, scene) -> None:
    signed = mug_order(scene, customer=scene.alice.address)
    path = _short(scene, signed)
    sign_in(client, scene.bob)
    _no_offer(client.get(path), f"is made out to {scene.alice.address}, not to {scene.bob.address}")


def test_an_order_signed_by_a_removed_agent_says_so(client, scene) -> None:
    signed = mug_order(scene, signer=scene.agent)
    path = _short(scene, signed)
    snapshot = scene.ledger.chain.snapshot()
    try:
        scene.ledger.merchant_desk(scene.owner, scene.merchant_id).remove_agent(scene.agent.address)
        _no_offer(client.get(path), f"is signed by {scene.agent.address}, who is not staff of its shop")
    finally:
        scene.ledger.chain.revert(snapshot)
