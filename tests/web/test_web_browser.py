"""The web page in a real browser: Debian's Chromium driven by Playwright against ``ledger serve`` on anvil.

The wallet is a small EIP-1193 provider injected into the page; it forwards every request to anvil, which
holds the development keys and signs with its own code (personal_sign, eth_signTypedData_v4): an
implementation independent of ours. Screenshots go to the test's temporary folder (and to the folder
LEDGER_WEB_SCREENSHOTS names, to refresh the screenshots docs/web.md shows).

The tests share one anvil, one server and one browser, and each goes on from the steps of those before
it (the last one reads the charts of all of them): run the file in one process, in order, as
``./dev.sh test`` does (``-n 0``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.models import ContactKind
from ledger.names import Product
from ledger.render import PURCHASES_COLUMNS
from tests.support.web import ETHER, Scene, build_scene
from tests.support.world import deploy_contract, free_port, send

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

WALLET = """
window.ethereum = {
  isTestWallet: true,
  request: ({method, params}) => window.__anvil(method, params || []),
};
"""


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Scene:
    folder = tmp_path_factory.mktemp("served")
    chain = AnvilChain()
    accounts = chain.accounts()
    ledger = Ledger.deploy(chain, accounts[0], index=f"sqlite:///{folder / 'history.sqlite'}")
    ledger.deployment().save(folder / "deployment.json")
    yield build_scene(ledger, accounts)
    chain.close()


@pytest.fixture(scope="module")
def server(scene: Scene) -> str:
    """``ledger serve`` in its own process, relaying with development account 0."""
    folder = Path(scene.ledger.history.store.url[len("sqlite:///"):]).parent
    port = free_port()
    command = [sys.executable, "-c", "import ledger.cli.web; from ledger.cli import main; main()",
               "--rpc", scene.ledger.chain.url, "--deployment", str(folder / "deployment.json"), "--account", "0",
               "serve", "--port", str(port)]
    log = open(folder / "serve.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"ledger serve did not start: {(folder / 'serve.log').read_text()}", pytrace=False)
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser_context(scene: Scene, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (./dev.sh setup does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    wallet = {"account": scene.alice.address}

    def anvil(method: str, params: list) -> object:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [wallet["account"]]
        answer = scene.ledger.chain.w3.provider.make_request(method, params)
        if "error" in answer:
            raise RuntimeError(answer["error"]["message"])
        return answer["result"]

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 900}, accept_downloads=True,
            timezone_id="Europe/Amsterdam", locale="en-GB")
        context.expose_function("__anvil", anvil)
        context.add_init_script(WALLET)
        context.wallet = wallet
        context.policy_violations = []  # what Chromium refused under the pages' Content-Security-Policy
        context.on("page", lambda page: page.on("console", lambda message: context.policy_violations.append(
            message.text) if "Content Security Policy" in message.text else None))
        yield context
        context.close()


@pytest.fixture
def as_(browser_context, server):
    """``as_(account)``: a fresh page signed in with ``account``'s wallet."""
    def sign_in(account):
        browser_context.clear_cookies()
        browser_context.wallet["account"] = account.address
        page = browser_context.new_page()
        page.goto(server + "/")
        page.click("#signin")
        page.wait_for_url(lambda url: "/purchases" in url or "/shop/" in url)
        return page

    return sign_in


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """Save a full-page screenshot as a test artefact (and where LEDGER_WEB_SCREENSHOTS says)."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("LEDGER_WEB_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["LEDGER_WEB_SCREENSHOTS"]) / name)
    return path


def test_agent_names_the_shop_and_its_products_signing_in_the_wallet(as_, scene, server) -> None:
    page = as_(scene.agent)
    page.goto(f"{server}/shop/{scene.merchant_id}/profile")
    page.fill('#profile input[name="name"]', "Kettle & Co")
    page.fill('#profile input[name="support"]', "help@kettle.example")
    page.click("#profile button")  # anvil signs the typed data: another implementation than ours checks it
    page.wait_for_selector("#profile .status[data-kept]", timeout=20_000)
    page.fill('#catalog textarea[name="rows"]', "sku,name\nMUG,Blue mug\nLAMP,Desk lamp\nSCARF,Red scarf\n")
    page.click("#catalog button")
    page.wait_for_selector("#catalog .status[data-kept]", timeout=20_000)
    assert page.inner_text("#catalog .status").startswith("Product names saved. Kept the shop's names of 3 product(s)")
    names = scene.ledger.names(scene.merchant_id)
    assert names.shop == "Kettle & Co (shop #1)" and names.product("SCARF") == "Red scarf"
    page.goto(f"{server}/shop/{scene.merchant_id}")
    assert page.inner_text("h1") == "Kettle & Co (shop #1)"


def test_customer_pays_order_link_then_returns_one_line_gasless(as_, scene, server, tmp_path) -> None:
    page = as_(scene.alice)
    article = page.locator(f'article[data-purchase="{scene.open_purchase.id}"]')
    assert "14 days from purchase, restocking fee 5 %, keep the item" in article.inner_text()
    assert re.fullmatch(r"closes in 13 d \d+ h \d+ min", article.locator(".deadline").inner_text())  # live countdown
    deadline_shown = article.locator(".deadline + .local-time").inner_text()  # in the browser's zone, not the server's
    bought_shown = article.locator("dd.bought .local-time").inner_text()  # the card says when it was bought
    assert str(time.gmtime(scene.open_purchase.purchased_at).tm_year) in bought_shown, bought_shown
    year = str(time.gmtime(scene.open_purchase.deadline).tm_year)
    assert year in deadline_shown and ("GMT+1" in deadline_shown or "CET" in deadline_shown), deadline_shown
    assert "Alice asked about the mug size" in article.inner_text()
    assert screenshot(page, "customer.png", tmp_path).stat().st_size > 20_000

    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    order = shop.quote(scene.terms_id, [("MUG", 2, ETHER // 100), ("LAMP", 1, ETHER // 50)], "ORDER-WEB",
                       customer=scene.alice.address)
    page.goto(server + order.link())
    assert page.inner_text("#total") == "0.04 ETH"
    assert page.inner_text("#terms") == "14 days from purchase, restocking fee 5 %, keep the item"
    assert page.inner_text("#token").startswith("ETH")
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    page.click("#pay")  # the wallet sends the buy transaction (anvil signs it with the development key)
    page.wait_for_selector("#status[data-tx]", timeout=20_000)
    assert page.inner_text("#status").startswith("Paid: the purchase is recorded")
    paid = before - scene.ledger.w3.eth.get_balance(scene.alice.address)
    assert 4 * ETHER // 100 < paid < 4 * ETHER // 100 + ETHER // 1000  # the total, and a little gas
    purchase_id = order.order.purchase_id(scene.ledger.chain.chain_id, scene.ledger.address)
    page.goto(server + "/purchases")
    assert "LAMP" in page.locator(f'article[data-purchase="{purchase_id}"]').inner_text()

    page.goto(f"{server}/purchases/{purchase_id}/return")
    page.check('input[name="lines"][value="0"]')
    page.click("text=See my refund")
    assert page.inner_text("#refund") == "0.019 ETH"  # 2 × 0.01 ETH less the 5 % restocking fee
    assert page.inner_text("#fee") == "0.001 ETH"
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    page.click("#sign-return")
    page.wait_for_selector("#status[data-tx]", timeout=20_000)
    assert page.inner_text("#status").startswith("Refund arrived: 0.019 ETH")
    assert scene.ledger.w3.eth.get_balance(scene.alice.address) - before == 19 * ETHER // 1000  # no gas paid
    assert scene.ledger.purchase(purchase_id).returned_lines == frozenset({0})


def test_order_link_made_out_to_another_customer_is_refused_in_words(browser_context, scene, server) -> None:
    browser_context.clear_cookies()
    browser_context.wallet["account"] = scene.bob.address
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    order = shop.quote(scene.terms_id, [("MUG", 1, ETHER // 100)], "ORDER-ALICE", customer=scene.alice.address)
    page = browser_context.new_page()
    page.goto(server + order.link())
    assert scene.alice.address in page.inner_text("#made-out-to")  # said before anyone signs in
    page.click("#signin")  # signs in on the order's page and stays there
    page.wait_for_selector("#refused")  # Bob is not the customer this order was signed for: said, no button
    assert f"made out to {scene.alice.address}, not to {scene.bob.address}" in page.inner_text("#refused")
    assert page.locator("#pay").count() == 0 and "Pay shop #" not in page.inner_text("main")


def test_an_order_link_that_expired_says_when_and_offers_no_button(as_, scene, server) -> None:
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    order = shop.quote(scene.terms_id, [("MUG", 1, ETHER // 100)], "ORDER-SOON", valid_for=10)
    link = f"{server}/o/{scene.ledger.order_links.keep(order)}"  # kept as `ledger quote --link` keeps it
    page = as_(scene.alice)
    page.goto(link)
    assert page.locator("#pay").is_enabled() and page.inner_text("#total") == "0.01 ETH"
    assert page.locator("#qr svg").bounding_box()["width"] > 100 and page.inner_text("#short-link") == link
    while scene.ledger.chain.now() <= order.order.expiry:  # anvil's clock is the wall clock, running on
        time.sleep(0.5)
    page.reload()  # the same link, opened again once the order expired
    said = page.inner_text("#refused")
    assert re.fullmatch(r"the order expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC, \d+ seconds? ago: ask the shop for a "
                        r"new one", said), said
    assert page.locator("#pay, #signin, #exchange, #qr").count() == 0 and "Pay shop #" not in page.inner_text("main")


def test_late_return_says_when_window_closed_and_offers_contact(as_, scene, server, tmp_path) -> None:
    page = as_(scene.alice)
    page.goto(f"{server}/purchases/{scene.closed_purchase.id}/return")
    closed = page.inner_text("#closed")
    assert "The return window closed on" in closed and "Contact Kettle & Co (shop #1)" in closed
    assert page.locator("#sign-return").count() == 0
    page.fill("#note", "The parcel came back to you late because of the strike")
    page.click("#send-contact")  # the customer's wallet logs the contact moment itself
    page.wait_for_selector(".contact .status[data-tx]", timeout=20_000)
    contact = scene.ledger.contacts(customer=scene.alice.address, purchase_id=scene.closed_purchase.id)[-1]
    assert contact.kind is ContactKind.RETURN_HELP and contact.by_customer
    page.goto(f"{server}/texts/{contact.content_hash}")  # the note is kept under its salted hash
    assert page.inner_text("#text") == "The parcel came back to you late because of the strike"
    assert page.inner_text("#on-chain").startswith("matches the ledger")

    staff = as_(scene.agent)  # the request reaches the shop's inbox, unanswered, and holds the purchase back
    staff.goto(f"{server}/shop/{scene.merchant_id}/inbox")
    request = staff.locator(f'article.unanswered[data-purchase="{scene.closed_purchase.id}"]')
    assert "The parcel came back to you late because of the strike" in request.inner_text()
    assert screenshot(staff, "inbox.png", tmp_path).stat().st_size > 10_000
    staff.goto(f"{server}/shop/{scene.merchant_id}")
    assert "left out of settlement" in staff.inner_text("#held-back")


def test_second_customer_cannot_see_first_ones_contact_note(as_, scene, server) -> None:
    page = as_(scene.bob)
    response = page.goto(f"{server}/texts/{scene.note.hash}")
    assert response.status == 404  # the answer an unknown hash gets: nothing tells that this one is kept
    assert "no text that" in page.inner_text("#problem") and "may read is kept" in page.inner_text("#problem")
    assert "mug size" not in page.content()


def test_erased_note_is_gone_and_hash_still_on_ledger(as_, scene, server) -> None:
    page = as_(scene.alice)
    page.goto(f"{server}/texts/{scene.note.hash}")
    assert page.inner_text("#text") == "Alice asked about the mug size"
    page.click("#erase")
    assert "erased on" in page.inner_text("#text")
    assert page.inner_text("#on-chain").startswith("matches the ledger")
    assert "mug size" not in page.content()


def test_customer_takes_store_credit_with_the_bonus_shown_first(as_, scene, server) -> None:
    scene.ledger.merchant_desk(scene.owner, scene.merchant_id).set_credit_bonus(1_000)  # 10 % on credit taken
    page = as_(scene.alice)
    page.goto(f"{server}/purchases/{scene.open_purchase.id}/return")
    page.check('input[name="lines"][value="1"]')
    page.click("text=See my refund")
    assert page.inner_text("#refund") == "0.475 ETH"  # 0.5 ETH less the 5 % restocking fee, in money
    # or as credit: now the bonus the shop is sure to keep while the other line can come back, the rest at settlement
    assert page.inner_text("#credit") == "0.501 ETH"
    assert page.inner_text("#bonus") == "0.026 ETH"
    assert page.inner_text("#bonus-later") == "0.0215 ETH"
    page.click("#take-credit")
    page.wait_for_selector(".credit .status[data-tx]", timeout=20_000)
    assert page.inner_text(".credit .status").startswith("Store credit added: 0.501 ETH")
    held = scene.ledger.credit(scene.merchant_id, scene.alice.address).amount
    assert held == 501 * ETHER // 1000 - 2  # a wei a line of the purchase kept back for rounding
    assert scene.ledger.pending_bonus(scene.open_purchase.id) == 475 * ETHER // 10_000 - (held - 475 * ETHER // 1000)
    assert scene.ledger.purchase(scene.open_purchase.id).returned_lines == frozenset({1})


def test_customer_reviews_rates_a_contact_and_gives_nps_from_the_wallet(as_, scene, server) -> None:
    page = as_(scene.alice)
    article = page.locator(f'article[data-purchase="{scene.closed_purchase.id}"]')
    article.locator("summary").click()
    article.locator('select[name="rating"]').select_option("4")
    article.locator('textarea[name="text"]').fill("Warm scarf, slow delivery")
    article.locator(".send-review").click()
    article.locator(".review-form .status[data-tx]").wait_for(timeout=20_000)
    article.locator('.nps-form select[name="score"]').select_option("9")
    article.locator(".send-nps").click()
    article.locator(".nps-form .status[data-tx]").wait_for(timeout=20_000)
    staff_contact = page.locator(f'article[data-purchase="{scene.open_purchase.id}"] .rate')
    staff_contact.locator("select").select_option("5")
    staff_contact.locator("button").click()
    staff_contact.locator(".status[data-tx]").wait_for(timeout=20_000)

    page.reload()
    article = page.locator(f'article[data-purchase="{scene.closed_purchase.id}"]')
    assert article.locator(".review").inner_text() == "4 / 5: “Warm scarf, slow delivery”"
    assert article.locator(".nps").inner_text() == "9 / 10"
    assert "you rated it 5 / 5" in page.locator(f'article[data-purchase="{scene.open_purchase.id}"]').inner_text()
    (review,) = scene.ledger.reviews(purchase_id=scene.closed_purchase.id)
    assert review.rating == 4 and review.text_hash != "0x" + "00" * 32  # the salted hash, text kept off chain


def test_agent_over_budget_sees_the_refusal_in_words_then_refunds_within_it(as_, scene, server) -> None:
    scene.ledger.merchant_desk(scene.owner, scene.merchant_id).set_budget(scene.agent.address, ETHER // 100)
    page = as_(scene.agent)
    page.goto(f"{server}/shop/{scene.merchant_id}")
    page.click(f'tr[data-purchase="{scene.closed_purchase.id}"] a')  # its window closed: goodwill is what is left
    form = page.locator("#goodwill-form")
    form.locator('input[name="amount"]').fill("0.05")
    form.locator("#goodwill").click()  # tried as the agent's wallet first: the contract's refusal, in words
    form.locator(".status.failed").wait_for()
    refusal = form.locator(".status").inner_text()
    assert f"{scene.agent.address} may refund 0.01 ETH more at merchant #{scene.merchant_id}" in refusal, refusal
    assert "ask the owner to top up the budget" in refusal

    form.locator('input[name="amount"]').fill("0.004")
    form.locator("#goodwill").click()  # the consequence first, the wallet on the second press
    page.wait_for_selector("#goodwill-form .consequence:not(:empty)")
    consequence = form.locator(".consequence")
    assert "gets 0.004 ETH back" in consequence.inner_text()
    assert "budget goes from 0.01 ETH to 0.006 ETH" in consequence.inner_text()
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    form.locator("#goodwill").click()
    form.locator(".status[data-tx]").wait_for(timeout=20_000)
    assert scene.ledger.w3.eth.get_balance(scene.alice.address) - before == 4 * ETHER // 1000
    assert scene.ledger.budget(scene.merchant_id, scene.agent.address) == 6 * ETHER // 1000


def test_failed_wallet_transaction_is_explained_in_words(as_, scene, server) -> None:
    page = as_(scene.agent)
    order = scene.open_purchase.order
    too_much = scene.ledger.contract.functions.goodwillRefund(order.packed(), ETHER, 0, bytes(32))
    data = too_much._encode_transaction_data()
    failed = page.evaluate("""async ([to, data]) => {
        const [from] = await window.ethereum.request({method: "eth_requestAccounts"});
        const hash = await window.ethereum.request(
          {method: "eth_sendTransaction", params: [{from, to, data, gas: "0x100000"}]});
        const answer = await fetch("/api/wallet/outcome", {method: "POST",
          headers: {"Content-Type": "application/json"},
          body: JSON.stringify({tx_hash: hash, csrf: document.querySelector('meta[name="csrf"]').content})});
        return [answer.status, await answer.json()];
    }""", [scene.ledger.address, data])
    assert failed[0] == 403 and "ask the owner to top" in failed[1]["error"]  # BudgetExceeded, in words


def test_owner_settles_and_extends_from_the_wallet_sees_every_chart_filters_and_exports(as_, scene, server,
                                                                                       tmp_path) -> None:
    page = as_(scene.owner)
    page.goto(f"{server}/shop/{scene.merchant_id}/purchases/{scene.closed_purchase.id}")
    page.click("#settle")
    page.wait_for_selector("#settle-form .consequence:not(:empty)")
    assert "Pays 0.096 ETH to the shop's payout address" in page.locator("#settle-form .consequence").inner_text()
    page.click("#settle")  # the second press sends it from the wallet
    page.wait_for_selector("#settle-form .status[data-tx]", timeout=20_000)
    assert scene.ledger.purchase(scene.closed_purchase.id).settled
    page.goto(f"{server}/shop/{scene.merchant_id}/purchases/{scene.open_purchase.id}")
    deadline = scene.ledger.purchase(scene.open_purchase.id).deadline
    page.fill('#extend-form input[name="days"]', "3")
    page.click("#extend")
    page.wait_for_selector("#extend-form .consequence:not(:empty)")
    page.click("#extend")
    page.wait_for_selector("#extend-form .status[data-tx]", timeout=20_000)
    assert scene.ledger.purchase(scene.open_purchase.id).deadline == deadline + 3 * 86_400

    page.goto(f"{server}/shop/{scene.merchant_id}")
    chart = "Chart.getChart('{}').data.datasets[{}].data"
    assert page.evaluate(chart.format("sales-chart", 0) + ".filter(v => v > 0).length") == 2  # 20 days apart
    assert page.evaluate("Chart.getChart('sku-chart').data.labels") == ["LAMP", "MUG", "SCARF", "TEA"]
    assert page.evaluate(chart.format("sku-chart", 0)) == [0, 50, 0, 100]  # 2 of 4 mugs back, the tea for credit
    assert page.evaluate(chart.format("contacts-chart", 0)) == [1, 2, 0, 0]  # purchases with 0, 1, 2, 3+ contacts
    assert page.evaluate(chart.format("feedback-chart", 0)) == [5]  # the CSAT the customer gave
    assert page.evaluate(chart.format("feedback-chart", 1)) == [100]  # one promoter: NPS 100
    settled, held, refunded = page.evaluate(chart.format("escrow-chart", 0))
    assert settled == 0.096 and held > 0 and refunded > 0
    assert screenshot(page, "merchant.png", tmp_path).stat().st_size > 20_000
    page.fill('input[name="sku"]', "SCARF")
    page.click("text=Filter")
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 1 and "1× Red scarf" in rows.inner_text()  # the SKU by its product name
    with page.expect_download() as download:
        page.click("#export")
    exported = Path(download.value.path()).read_text().splitlines()
    assert exported[0] == ",".join(PURCHASES_COLUMNS) and len(exported) == 2 and ",SCARF," in exported[1]


# The tests below add purchases of their own: they come after those that count what the scene holds.


def test_customer_pays_a_token_order_approving_it_first(as_, scene, server, test_artifacts) -> None:
    chain, deployer = scene.ledger.chain, scene.accounts[0]
    token = deploy_contract(chain, deployer, test_artifacts["TestToken"], "Shop Dollar", "SHD")
    send(chain, deployer, token.functions.mint(scene.alice.address, 10 * ETHER))
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    shop.accept_token(token.address)
    order = shop.quote(scene.terms_id, [("PEN", 3, ETHER)], "ORDER-TOKEN", customer=scene.alice.address,
                       token=token.address)
    page = as_(scene.alice)
    page.goto(server + order.link())
    assert page.inner_text("#token") == f"token {token.address}"
    assert "asks twice" in page.inner_text("#approval-note")
    page.click("#pay")  # the approval, then the purchase: two transactions from the wallet
    page.wait_for_selector("#status[data-tx]", timeout=30_000)
    assert page.inner_text("#status").startswith("Paid: the purchase is recorded")
    assert token.functions.balanceOf(scene.alice.address).call() == 7 * ETHER
    purchase = scene.ledger.purchase(order.order.purchase_id(chain.chain_id, scene.ledger.address))
    assert (purchase.customer, purchase.paid, purchase.token) == (scene.alice.address, 3 * ETHER, token.address)


def test_owner_confirms_delivery_then_lets_the_customer_keep_a_line(as_, scene, server) -> None:
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    terms = shop.publish_terms(30 * 86_400, delivery_wait=10 * 86_400)
    alice = scene.ledger.customer_desk(scene.alice)
    bought = alice.buy(shop.quote(terms.id, [("SOFA", 1, ETHER // 10), ("CUSHION", 2, ETHER // 100)], "ORDER-SOFA",
                                  customer=scene.alice.address))
    page = as_(scene.owner)
    page.goto(f"{server}/shop/{scene.merchant_id}/purchases/{bought.id}")
    page.click("#deliver")
    page.wait_for_selector("#deliver-form .consequence:not(:empty)")
    assert "the 30 days return window runs from now" in page.locator("#deliver-form .consequence").inner_text()
    page.click("#deliver")
    page.wait_for_selector("#deliver-form .status[data-tx]", timeout=20_000)
    delivered = scene.ledger.purchase(bought.id)
    assert delivered.delivered_at > 0 and delivered.deadline == delivered.delivered_at + 30 * 86_400

    page.goto(f"{server}/shop/{scene.merchant_id}/purchases/{bought.id}")
    assert page.locator("#deliver-form").count() == 0  # delivered: nothing more to confirm
    page.check('#keep-form input[name="lines"][value="1"]')
    page.click("#keep")
    page.wait_for_selector("#keep-form .consequence:not(:empty)")
    consequence = page.locator("#keep-form .consequence").inner_text()
    assert f"{scene.alice.address} keeps CUSHION and gets 0.02 ETH back, with no restocking fee" in consequence
    assert "As the owner you refund without a budget" in consequence
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    page.click("#keep")
    page.wait_for_selector("#keep-form .status[data-tx]", timeout=20_000)
    assert scene.ledger.w3.eth.get_balance(scene.alice.address) - before == 2 * ETHER // 100
    kept = scene.ledger.purchase(bought.id)
    assert kept.returned_lines == frozenset({1}) and kept.refunded == 2 * ETHER // 100


def test_customer_exchanges_a_line_for_a_new_order_paying_only_the_difference(as_, scene, server,
                                                                              tmp_path) -> None:
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    alice = scene.ledger.customer_desk(scene.alice)
    old = alice.buy(shop.quote(scene.terms_id, [("COAT-M", 1, ETHER // 10), ("HAT", 1, ETHER // 20)], "ORDER-COAT",
                               customer=scene.alice.address))
    new = shop.quote(scene.terms_id, [("COAT-L", 1, ETHER * 12 // 100)], "ORDER-COAT-L", customer=scene.alice.address)
    page = as_(scene.alice)
    page.goto(server + new.link())
    offer = page.locator(f'#exchange form[data-purchase="{old.id}"]')
    offer.locator('input[name="lines"][value="0"]').check()
    offer.locator("button").click()
    assert page.inner_text("#refund") == "0.095 ETH"  # 0.1 ETH less the 5 % restocking fee
    assert page.inner_text("#due") == "0.025 ETH"
    assert screenshot(page, "exchange.png", tmp_path).stat().st_size > 10_000
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    page.click("#exchange-send")  # one transaction from the wallet: the return and the new purchase
    page.wait_for_selector("#status[data-tx]", timeout=20_000)
    assert page.inner_text("#status").startswith("Exchanged: the new purchase is under My purchases")
    paid = before - scene.ledger.w3.eth.get_balance(scene.alice.address)
    assert 25 * ETHER // 1000 < paid < 25 * ETHER // 1000 + ETHER // 1000  # the difference, and a little gas
    page.goto(server + "/purchases")
    new_id = new.order.purchase_id(scene.ledger.chain.chain_id, scene.ledger.address)
    assert "COAT-L" in page.locator(f'article[data-purchase="{new_id}"]').inner_text()
    old_lines = page.locator(f'article[data-purchase="{old.id}"] table.lines tbody tr')
    assert old_lines.nth(0).locator(".exchanged").inner_text() == "exchanged"
    assert old_lines.nth(1).locator(".exchanged").count() == 0


def test_the_staff_see_every_return_with_its_tracking_number(as_, scene, server, tmp_path) -> None:
    alice = scene.ledger.customer_desk(scene.alice)
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    bought = alice.buy(shop.quote(scene.terms_id, [("BELT", 1, ETHER // 25)], "ORDER-BELT", customer=scene.alice.address))
    alice.return_items(bought.id, [0], shipment_ref="PARCEL-NL-9090")
    page = as_(scene.agent)
    page.goto(f"{server}/shop/{scene.merchant_id}")
    page.click("#returns-link")
    newest = page.locator("table.returns tbody tr").first  # newest first
    assert newest.get_attribute("data-purchase") == bought.id
    assert "PARCEL-NL-9090" in newest.inner_text() and "ORDER-BELT" in newest.inner_text()
    assert page.locator("table.returns tbody tr").count() >= 3  # money, credit and the exchange before it
    assert screenshot(page, "returns.png", tmp_path).stat().st_size > 10_000


def test_customer_pays_with_store_credit_then_prints_the_receipt(as_, scene, server, tmp_path) -> None:
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    alice = scene.ledger.customer_desk(scene.alice)
    gloves = alice.buy(shop.quote(scene.terms_id, [("GLOVES", 1, ETHER // 10)], "ORDER-GLOVES",
                                  customer=scene.alice.address))
    alice.return_for_credit(gloves.id, [0])
    held = scene.ledger.credit(scene.merchant_id, scene.alice.address).amount
    boots = shop.quote(scene.terms_id, [("BOOTS", 1, 2 * ETHER)], "ORDER-BOOTS", customer=scene.alice.address)
    page = as_(scene.alice)
    page.goto(server + boots.link())
    assert page.inner_text("#credit-held").startswith("You hold ")
    before = scene.ledger.w3.eth.get_balance(scene.alice.address)
    page.click("#pay-with-credit")
    page.wait_for_selector("#status[data-tx]", timeout=20_000)
    assert page.inner_text("#status").startswith("Paid: the purchase is recorded")
    paid = before - scene.ledger.w3.eth.get_balance(scene.alice.address)
    assert 2 * ETHER - held < paid < 2 * ETHER - held + ETHER // 1000  # what the credit left, and a little gas
    bought = scene.ledger.purchase(boots.order.purchase_id(scene.ledger.chain.chain_id, scene.ledger.address))
    assert bought.credit_used == held and scene.ledger.credit(scene.merchant_id, scene.alice.address).amount == 0

    page.goto(f"{server}/receipts/{bought.id}")
    assert page.inner_text("#receipt-order") == "ORDER-BOOTS" and "in store credit" in page.inner_text("main")
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")  # no printer here
    page.click("#print")
    assert page.get_attribute("body", "data-printed") == "yes"
    assert screenshot(page, "receipt.png", tmp_path).stat().st_size > 10_000


def test_owner_settles_every_closed_purchase_in_one_transaction(as_, scene, server) -> None:
    ledger = scene.ledger
    ledger.chain.advance_time(60 * 86_400)  # every window of the scene closes
    waiting = ledger.settleable(scene.merchant_id)
    assert len(waiting) >= 3 and len({p.token for p in waiting}) == 2  # ETH and the shop's token
    page = as_(scene.owner)
    page.goto(f"{server}/shop/{scene.merchant_id}")
    assert f"{len(waiting)} purchases have a closed return window" in page.inner_text("#settle-all-form")
    page.click("#settle-all")
    page.wait_for_selector("#settle-all-form .consequence:not(:empty)")
    consequence = page.locator("#settle-all-form .consequence").inner_text()
    assert consequence.startswith(f"Settles {len(waiting)} purchases: pays out the ") and " and " in consequence
    page.click("#settle-all")  # the second press sends it from the wallet
    page.wait_for_selector("#settle-all-form .status[data-tx]", timeout=20_000)
    assert all(ledger.purchase(p.id).settled for p in waiting) and ledger.settleable(scene.merchant_id) == []
    page.goto(f"{server}/shop/{scene.merchant_id}")
    assert page.locator("#settle-all-form").count() == 0  # nothing waits any more


def test_dashboard_on_a_phone_has_no_sideways_scroll(as_, scene, server, tmp_path) -> None:
    """At 390 px (a phone held upright), with a long shop name, long product names, an order number that fills a
    line and the history's addresses, the page is one column and never wider than the screen."""
    ledger = scene.ledger
    owner = ledger.merchant_desk(scene.owner, scene.merchant_id)
    owner.set_profile("Kettle" + "-and-Company" * 6, "help@" + "very-long-support-domain-" * 3 + "example")
    ledger.merchant_desk(scene.agent, scene.merchant_id).import_catalogue(
        [Product("STONEWARE-TEAPOT-EXTRA-LARGE-01", "Handmade" + "-stoneware-teapot" * 4)])
    alice = ledger.customer_desk(scene.alice)
    alice.buy(owner.quote(scene.terms_id, [("STONEWARE-TEAPOT-EXTRA-LARGE-01", 3, ETHER // 100)], "ORDER-" + "7" * 24,
                          customer=scene.alice.address))
    page = as_(scene.owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/shop/{scene.merchant_id}")
    page.wait_for_function("Chart.getChart('escrow-chart') !== undefined")  # the last one drawn: all were
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "stoneware-teapot" in page.inner_text("table.history")
    assert screenshot(page, "merchant-phone.png", tmp_path).stat().st_size > 10_000


def test_dashboard_times_are_in_the_visitors_zone(as_, scene, server) -> None:
    """The server writes UTC (``<time datetime>``, for a browser without JavaScript); the page shows each time in
    the browser's own zone (Europe/Amsterdam here), never in UTC beside it."""
    page = as_(scene.owner)
    page.goto(f"{server}/shop/{scene.merchant_id}")
    read = "ts => ts.map(t => [t.dateTime, t.textContent, t.title])"
    times = page.eval_on_selector_all("table.history time", read)
    customer = as_(scene.alice)
    customer.goto(f"{server}/purchases")  # the customer's cards: when bought, when the window closes
    times += customer.eval_on_selector_all("article time", read)
    assert len(times) > 2
    for moment, shown, utc_words in times:
        local = datetime.fromisoformat(moment).astimezone(ZoneInfo("Europe/Amsterdam"))
        assert local.strftime("%H:%M") in shown and local.tzname() in shown and "UTC" not in shown, (moment, shown)
        assert utc_words.endswith(" UTC")  # what the server wrote, kept as the title


def test_no_page_broke_its_own_content_security_policy(browser_context) -> None:
    """Every page the tests above went through ran under the policy (no inline script, no foreign source)
    without Chromium refusing anything of it."""
    assert browser_context.policy_violations == []


def test_another_site_cannot_frame_the_page(browser_context, server) -> None:
    page = browser_context.new_page()
    page.set_content(f'<iframe id="framed" src="{server}/" width="600" height="400"></iframe>')
    page.wait_for_load_state("load")
    framed = next(frame for frame in page.frames if frame is not page.main_frame)
    assert "Connect wallet" not in framed.content()  # Chromium refused to show it (frame-ancestors 'none')
    assert any("frame-ancestors" in text for text in browser_context.policy_violations)
