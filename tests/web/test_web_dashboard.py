"""The shop's dashboard over HTTP: headline numbers of a period with their change from the period before (the
library's, as ``ledger figures`` has them: ``tests/cli/test_cli_figures.py`` holds the two to each other), history
newest first, a status filter in people's words that lists only rows in that state, every time as an ISO 8601
``<time>`` with UTC words for a browser without JavaScript, and each chart with its numbers in a table."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from ledger import render
from ledger.models import Status
from tests.support.web import DAY, ETHER, Dashboard, sign_in
from tests.support.world import deploy_contract, send

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def dashboard(client, scene, **query: str) -> Dashboard:
    answer = client.get(f"/shop/{scene.merchant_id}", params=query)
    assert answer.status_code == 200, answer.text
    return Dashboard(answer.text)


@pytest.fixture(scope="module")
def shop(scene):
    """The scene's shop with more to show: a purchase of two mugs with one line back and one all back."""
    ledger = scene.ledger
    desk = ledger.merchant_desk(scene.owner, scene.merchant_id)
    alice = ledger.customer_desk(scene.alice)
    bob = ledger.customer_desk(scene.bob)
    kept = alice.buy(desk.quote(scene.terms_id, [("MUG", 2, ETHER // 10), ("SPOON", 1, ETHER // 100)], "ORDER-2",
                                customer=scene.alice.address))
    alice.return_items(kept.id, [1])
    back = bob.buy(desk.quote(scene.terms_id, [("LAMP", 1, ETHER // 5)], "ORDER-3", customer=scene.bob.address))
    bob.return_items(back.id)
    return scene


def test_headline_numbers_are_the_librarys_for_the_period_with_the_period_before(client, shop) -> None:
    sign_in(client, shop.owner)
    for period in ("7d", "30d", "90d", "all"):
        page = dashboard(client, shop, period=period)
        (figures,) = shop.ledger.figures(shop.merchant_id, period)
        shown = page.figures[figures.token]
        for number in render.headline(figures):
            assert shown[number.key]["data-value"] == ("" if number.value is None else str(number.value)), number
            assert shown[number.key]["data-was"] == ("" if number.was is None else str(number.was)), number
    (month,) = shop.ledger.figures(shop.merchant_id, "30d")  # the page opens on the last 30 days
    assert dashboard(client, shop).figures[month.token]["sales"]["data-value"] == str(month.sales)
    assert month.previous is not None and month.previous.purchases == 0  # nothing before the scene


def test_the_period_before_is_as_long_and_the_change_is_said_against_it(client, shop) -> None:
    """The last 7 days hold the scene's recent purchases and the 7 days before them none (its first purchase is 20
    days old): each figure is said against those 7 days."""
    sign_in(client, shop.owner)
    (week,) = shop.ledger.figures(shop.merchant_id, "7d")
    assert week.until - week.since == week.previous.until - week.previous.since == 7 * DAY - 1
    assert week.previous.until == week.since - 1
    page = client.get(f"/shop/{shop.merchant_id}", params={"period": "7d"}).text
    assert "How we are doing: the last 7 days (change: on the 7 days before)" in page
    assert "Purchases" in page and "new (was 0)" in page  # sales where there were none
    assert client.get(f"/shop/{shop.merchant_id}", params={"period": "week"}).status_code == 400


def test_return_rates_by_value_and_by_units_have_their_counts_beside_them(client, shop) -> None:
    sign_in(client, shop.owner)
    (f,) = shop.ledger.figures(shop.merchant_id, "all")
    page = client.get(f"/shop/{shop.merchant_id}", params={"period": "all"}).text
    value = next(n for n in render.headline(f) if n.key == "return_rate_by_value")
    units = next(n for n in render.headline(f) if n.key == "return_rate_by_units")
    assert value.value == pytest.approx(f.refunds / f.sales) and value.detail in page
    assert f"{f.units_returned} of {f.units_sold} units" == units.detail and units.detail in page
    skus = {row[0]: row[1] for row in Dashboard(page).tables["sku-table"][1:]}
    assert skus["LAMP"] == "100.0% (1 of 1 unit)" and skus["SPOON"] == "100.0% (1 of 1 unit)"
    assert skus["MUG"] == "0.0% (0 of 4 units)"  # the scene's two and these two, all kept


def test_history_is_newest_first(client, shop) -> None:
    sign_in(client, shop.owner)
    rows = dashboard(client, shop).rows
    newest = [p.id for p in shop.ledger.purchases(merchant_id=shop.merchant_id, newest_first=True)]
    assert rows == newest and rows[-1] == shop.closed_purchase.id  # the oldest last


def test_each_status_lists_only_purchases_in_it_and_window_open_never_a_returned_or_settled_one(client, shop) -> None:
    ledger = shop.ledger
    ledger.merchant_desk(shop.owner, shop.merchant_id).settle([shop.closed_purchase.id])
    sign_in(client, shop.owner)
    listed = {}
    for name, (words, _, _) in render.STATES.items():
        page = dashboard(client, shop, status=name)
        assert all(words in state.split(" · ") for state in page.states), (name, page.states)
        listed[name] = [ledger.purchase(p) for p in page.rows]
    assert listed["window_open"] and listed["returned"] and listed["settled"]
    assert all(not {Status.RETURNED, Status.SETTLED} & p.statuses for p in listed["window_open"])
    assert [p.status for p in listed["returned"]] == [Status.RETURNED]  # Bob's lamp, its window still open
    exported = client.get(f"/shop/{shop.merchant_id}/export.csv", params={"status": "window_open"}).text
    assert sorted(row["purchase_id"] for row in csv.DictReader(io.StringIO(exported))) == sorted(
        p.id for p in listed["window_open"])
    page = client.get(f"/shop/{shop.merchant_id}").text
    assert 'value="window_open"' in page and ">window open</option>" in page
    assert client.get(f"/shop/{shop.merchant_id}", params={"status": "open"}).status_code == 400


def test_every_time_is_an_iso_time_with_utc_words_for_a_browser_without_javascript(client, shop) -> None:
    sign_in(client, shop.owner)
    page = dashboard(client, shop)
    assert len(page.times) >= len(page.rows) > 0
    for moment, words in page.times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment), moment
        assert words == f"{moment[:10]} {moment[11:16]} UTC"


def test_each_chart_has_its_numbers_in_a_table_a_screen_reader_gets(client, shop) -> None:
    """Each canvas is an image named by its caption and described by a table of the numbers it draws, in words."""
    sign_in(client, shop.owner)
    html = client.get(f"/shop/{shop.merchant_id}").text
    page = Dashboard(html)
    drawn = json.loads(html.split('id="chart-data">')[1].split("</script>")[0])
    assert len(page.canvases) == len(drawn) == 5
    for canvas in page.canvases:
        assert canvas["role"] == "img" and canvas["aria-labelledby"].endswith("-caption")
        key = canvas["aria-describedby"].removesuffix("-table")
        heading, *rows = page.tables[canvas["aria-describedby"]]
        assert heading == [drawn[key]["heading"], *(s["label"] for s in drawn[key]["series"])]
        if not drawn[key]["labels"]:
            assert rows == [["Nothing in this period."]]
            continue
        assert [row[0] for row in rows] == drawn[key]["labels"]
        assert [row[1:] for row in rows] == [list(cells) for cells in zip(*(s["shown"] for s in drawn[key]["series"]))]
    assert page.tables["contacts-table"][2] == ["1", "1 purchase"]  # the mug question
    assert page.tables["sku-table"][1] == ["LAMP", "100.0% (1 of 1 unit)"]


def test_a_shop_paid_in_two_tokens_gets_the_headline_of_each_apart(client, shop, test_artifacts) -> None:
    """No amount of one token is added to another: ETH and the dollar token each have their own numbers."""
    ledger = shop.ledger
    dollar = deploy_contract(ledger.chain, shop.accounts[0], test_artifacts["TestToken"], "Test Dollar", "TUSD")
    send(ledger.chain, shop.accounts[0], dollar.functions.mint(shop.alice.address, 1_000 * 10**6))
    desk = ledger.merchant_desk(shop.owner, shop.merchant_id)
    desk.accept_token(dollar.address)
    alice = ledger.customer_desk(shop.alice)
    alice.buy(desk.quote(shop.terms_id, [("PEN", 1, 40 * 10**6)], "ORDER-T", customer=shop.alice.address,
                         token=dollar.address))
    sign_in(client, shop.owner)
    html = client.get(f"/shop/{shop.merchant_id}").text
    page = Dashboard(html)
    eth, dollars = ledger.figures(shop.merchant_id, "30d")
    assert set(page.figures) == {eth.token, dollars.token} and html.count("<h3>Paid in ") == 2
    assert page.figures[dollars.token]["sales"]["data-value"] == str(40 * 10**6)
    assert page.figures[eth.token]["sales"]["data-value"] == str(eth.sales)
