"""Sign-in and sessions tried as an attacker would, over HTTP against the app on the embedded chain, with the
server's store in a SQLite file and on the test PostgreSQL server: a phishing site's back end relaying the
sign-in under its own name, replayed signatures and copied cookies, a second server sharing the database,
framing, loosely typed or UTF-16 input, unsigned order links, notes piling up in the server, and wallets
that sign with ``v`` = 0/1."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from eth_account.messages import encode_defunct, encode_typed_data
from sqlalchemy import select

from ledger.chain import EmbeddedChain
from ledger.client import Ledger
from ledger.web import create_app, siwe
from ledger.web.store import MAX_PENDING, sessions
from ledger.web.texts import PENDING_SECONDS
from tests.support.web import (
    ETHER,
    Scene,
    build_scene,
    csrf_of,
    mug_order,
    send_prepared,
    sign_in,
    sign_in_message,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

NODE_MODULES = Path(__file__).parents[2] / "node_modules"
SITE = "https://shop.example"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scene(request, tmp_path_factory) -> Scene:
    """A shop and its customers on a ledger whose index (and so the server's store) is a SQLite file or a
    database on the test PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'history.sqlite'}"
    else:
        from tools import postgres_server

        url = postgres_server.create_database(request.getfixturevalue("postgres"), f"web_{time.monotonic_ns()}")
    chain = EmbeddedChain()
    accounts = chain.accounts()
    return build_scene(Ledger.deploy(chain, accounts[0], index=url), accounts)


def server(scene: Scene):
    """A ``ledger serve`` process of its own (its own Ledger object, its own app) on the scene's database."""
    ledger = scene.ledger
    own = Ledger(ledger.chain, ledger.address, ledger.feedback.address, ledger.from_block, ledger.history.store.url)
    return create_app(own, scene.accounts[0], NODE_MODULES, origin=SITE)


@pytest.fixture
def app(scene: Scene):
    return server(scene)


def browser(app, base_url: str = SITE):
    """A browser of its own (own cookies) at the site's address."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url=base_url, raise_server_exceptions=False)


@pytest.fixture
def client(app):
    return browser(app)


def problem(response) -> str:
    assert "Traceback" not in response.text
    if response.headers["content-type"].startswith("application/json"):
        return response.json()["error"]
    return response.text.split('id="problem">')[1].split("</p>")[0]


def signature_of(account, message: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()


# ------------------------------------------------------------ the site's own origin


def test_a_phishing_back_end_cannot_get_a_message_under_its_own_name(client, scene) -> None:
    """The relay of the issue: the phishing server asks for the message with ``Host: evil.example``."""
    foreign = client.get("/", headers={"host": "evil.example"})
    assert foreign.status_code == 421 and "answers for https://shop.example only" in problem(foreign)
    relayed = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": csrf_of(client)},
                          headers={"host": "evil.example"})
    assert relayed.status_code == 421 and "set-cookie" not in relayed.headers
    message, _ = sign_in_message(client, scene.alice.address)
    assert message.startswith("shop.example wants you to sign in") and "\nURI: https://shop.example/\n" in message


def test_a_write_from_another_origin_is_refused_and_does_nothing(client, scene) -> None:
    csrf = csrf_of(client)
    answer = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": csrf},
                         headers={"origin": "https://evil.example"})
    assert answer.status_code == 403 and "came from https://evil.example" in problem(answer)
    signature = signature_of(scene.alice, "anything")
    assert "no sign-in is waiting" in problem(client.post("/api/signin", json={"signature": signature, "csrf": csrf}))
    same_site = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": csrf},
                            headers={"origin": SITE})
    assert same_site.status_code == 200


def test_the_origin_is_the_default_port_or_named_port() -> None:
    from ledger.errors import InvalidInput
    from ledger.web.app import Origin

    assert Origin.of("https://Shop.Example:443/").url == "https://shop.example"
    assert Origin.of("http://127.0.0.1:8000").host == "127.0.0.1:8000"
    for bad in ("shop.example", "https://shop.example/pay", "ftp://shop.example", "https://user@shop.example"):
        with pytest.raises(InvalidInput, match="is not a site's origin"):
            Origin.of(bad)


# ------------------------------------------------------------ nonces and sessions kept by the server


def test_a_signature_replayed_with_a_cookie_copied_before_sign_in_opens_nothing(app, scene) -> None:
    victim, attacker = browser(app), browser(app)
    message, csrf = sign_in_message(victim, scene.alice.address)
    attacker.cookies.set("ledger_session", victim.cookies["ledger_session"], domain="shop.example")
    signature = signature_of(scene.alice, message)
    assert victim.post("/api/signin", json={"signature": signature, "csrf": csrf}).status_code == 200
    replayed = attacker.post("/api/signin", json={"signature": signature, "csrf": csrf})
    assert replayed.status_code == 403
    assert attacker.get("/api/me").status_code == 401 and victim.get("/api/me").json()["address"] == scene.alice.address


def test_a_nonce_is_used_once_and_expires(client, app, scene) -> None:
    message, csrf = sign_in_message(client, scene.alice.address)
    app.state.site.clock = lambda: time.time() + siwe.VALID_FOR
    late = client.post("/api/signin", json={"signature": signature_of(scene.alice, message), "csrf": csrf})
    assert late.status_code == 403 and "expired" in problem(late)
    app.state.site.clock = time.time
    again = client.post("/api/signin", json={"signature": signature_of(scene.alice, message), "csrf": csrf})
    assert again.status_code == 403 and "no sign-in is waiting" in problem(again)  # the expired one was taken
    assert client.get("/api/me").status_code == 401


def test_a_signature_for_an_old_message_does_not_fit_a_new_one(client, scene) -> None:
    old, _ = sign_in_message(client, scene.alice.address)
    _, csrf = sign_in_message(client, scene.alice.address)  # a new message replaces the one waiting
    answer = client.post("/api/signin", json={"signature": signature_of(scene.alice, old), "csrf": csrf})
    assert answer.status_code == 403 and "not by" in problem(answer)


def test_sign_in_makes_a_new_session_and_a_new_csrf_token(client, scene) -> None:
    before_csrf = csrf_of(client)
    before_cookie = client.cookies["ledger_session"]
    answer = sign_in(client, scene.alice)
    assert answer.status_code == 200
    assert client.cookies["ledger_session"] != before_cookie and answer.json()["csrf"] != before_csrf
    stale = client.post("/api/signin/message", json={"address": scene.alice.address, "csrf": before_csrf})
    assert stale.status_code == 403 and "out of date" in problem(stale)


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app, scene) -> None:
    alice = browser(app)
    sign_in(alice, scene.alice)
    thief = browser(app)
    thief.cookies.set("ledger_session", alice.cookies["ledger_session"], domain="shop.example")
    assert thief.get("/api/me").json()["address"] == scene.alice.address  # a stolen cookie works until…
    assert alice.post("/signout", data={"csrf": csrf_of(alice)}, follow_redirects=False).status_code == 303
    assert thief.get("/api/me").status_code == 401  # … sign-out, which ended it on the server
    note = thief.get(f"/api/texts/{scene.note.hash}")
    assert note.status_code == 404 and "mug size" not in note.text


def test_sessions_expire_on_the_server(client, app, scene) -> None:
    sign_in(client, scene.alice)
    app.state.site.clock = lambda: time.time() + app.state.site.session_seconds
    assert client.get("/api/me").status_code == 401


def test_servers_sharing_the_database_share_nonces_and_sessions(scene) -> None:
    """Two ``ledger serve`` processes behind one address: a message asked of one is signed in at the other,
    once; a sign-out at either ends the session at both."""
    first, second = server(scene), server(scene)
    at_first = browser(first)
    message, csrf = sign_in_message(at_first, scene.alice.address)
    at_second = browser(second)
    at_second.cookies.set("ledger_session", at_first.cookies["ledger_session"], domain="shop.example")
    signature = signature_of(scene.alice, message)
    signed_in = at_second.post("/api/signin", json={"signature": signature, "csrf": csrf})
    assert signed_in.status_code == 200
    replay = browser(first)
    replay.cookies.set("ledger_session", at_first.cookies["ledger_session"], domain="shop.example")
    assert replay.post("/api/signin", json={"signature": signature, "csrf": csrf}).status_code == 403
    at_first.cookies.set("ledger_session", at_second.cookies["ledger_session"], domain="shop.example")
    assert at_first.get("/api/me").json()["address"] == scene.alice.address
    at_second.post("/signout", data={"csrf": signed_in.json()["csrf"]})
    assert at_first.get("/api/me").status_code == 401


def test_the_cookie_carries_a_random_token_the_database_keeps_only_hashed(client, scene) -> None:
    answer = sign_in(client, scene.alice)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie and "Path=/" in cookie
    token = client.cookies["ledger_session"]
    assert scene.alice.address.lower()[2:] not in token.lower()
    with scene.ledger.history.store.engine.connect() as db:
        keys = set(db.execute(select(sessions.c.key)).scalars())
    assert token not in keys and hashlib.sha256(token.encode()).hexdigest() in keys


def test_the_cookie_is_not_secure_on_a_plain_http_origin(scene) -> None:
    local = browser(create_app(scene.ledger, None, NODE_MODULES, origin="http://127.0.0.1:8000"),
                    "http://127.0.0.1:8000")
    answer = local.get("/")
    assert "HttpOnly" in answer.headers["set-cookie"] and "Secure" not in answer.headers["set-cookie"]
    assert "strict-transport-security" not in answer.headers  # a plain-http site promises nothing of https


@pytest.mark.parametrize("path", ["/", "/api/me", "/no-such-page", "/static/app.js"])
def test_an_https_site_tells_browsers_to_stay_on_https(client, path) -> None:
    assert client.get(path).headers["strict-transport-security"] == "max-age=31536000"


# ------------------------------------------------------------ headers


@pytest.mark.parametrize("path", ["/", "/api/me", "/no-such-page", "/static/app.js", "/purchases"])
def test_every_answer_forbids_framing_sniffing_and_referrers(client, path) -> None:
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_refused_hosts_get_the_headers_too(client) -> None:
    headers = client.get("/", headers={"host": "evil.example"}).headers
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]


def test_no_page_carries_an_inline_script(client, scene) -> None:
    sign_in(client, scene.owner)
    for path in ("/", f"/shop/{scene.merchant_id}", f"/shop/{scene.merchant_id}/purchases/{scene.open_purchase.id}"):
        html = client.get(path).text
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (path, opening)
        assert " onclick=" not in html and " style=" not in html


# ------------------------------------------------------------ input


@pytest.mark.parametrize("path, body", [
    ("/api/reviews/prepare", {"rating": True}),
    ("/api/reviews/prepare", {"rating": "5"}),
    ("/api/nps/prepare", {"score": 9.0}),
    ("/api/returns/prepare", {"lines": [True]}),
    ("/api/shop/1/extend/prepare", {"days": True}),
    ("/api/shop/1/keep/prepare", {"lines": ["0"]}),
])
def test_a_number_must_be_a_number(client, scene, path, body) -> None:
    sign_in(client, scene.owner if "/shop/" in path else scene.alice)
    answer = client.post(path, json={"purchase_id": scene.open_purchase.id, "lines": [0], "csrf": csrf_of(client),
                                     **body})
    assert answer.status_code == 422, answer.text
    assert "valid integer" in problem(answer)


def test_a_json_body_not_in_utf8_is_refused(client, scene) -> None:
    import json

    body = json.dumps({"address": scene.alice.address, "csrf": csrf_of(client)})
    for encoding, content_type in (("utf-16", "application/json"), ("utf-8", "application/json; charset=latin-1")):
        answer = client.post("/api/signin/message", content=body.encode(encoding), headers={"content-type": content_type})
        assert answer.status_code == 415 and "UTF-8" in problem(answer)
    fine = client.post("/api/signin/message", content=body.encode(), headers={"content-type": "application/json"})
    assert fine.status_code == 200


# ------------------------------------------------------------ texts waiting for their transaction


def _ask_for_help(client, scene, note: str):
    return client.post("/api/contacts/prepare", json={"purchase_id": scene.closed_purchase.id, "note": note,
                                                      "csrf": csrf_of(client)})


def test_notes_waiting_for_their_transaction_are_bounded_per_visitor(client, app, scene) -> None:
    sign_in(client, scene.alice)
    for n in range(MAX_PENDING):
        assert _ask_for_help(client, scene, f"note {n} " + "x" * 9_000).status_code == 200
    more = _ask_for_help(client, scene, "one more")
    assert more.status_code == 429 and "waiting for their transactions" in problem(more)
    other = browser(app)
    sign_in(other, scene.bob)  # another visitor is not held up by Alice's
    assert other.post("/api/reviews/prepare", json={"purchase_id": scene.open_purchase.id, "rating": 4, "text": "ok",
                                                    "csrf": csrf_of(other)}).status_code == 403  # not his purchase…
    app.state.site.clock = lambda: time.time() + PENDING_SECONDS + 1
    sign_in(client, scene.alice)
    assert _ask_for_help(client, scene, "after an hour").status_code == 200  # … and Alice's lapsed


def test_a_waiting_note_is_kept_by_another_server_once_its_transaction_lands(app, scene) -> None:
    """The note is sealed by one server, which then stops; the wallet's transaction lands and another
    server on the same database reads the outcome and keeps the note."""
    alice = browser(app)
    sign_in(alice, scene.alice)
    prepared = _ask_for_help(alice, scene, "the zip broke, can you help?").json()
    tx_hash = send_prepared(scene.ledger, scene.alice, prepared["transaction"])
    restarted = browser(server(scene))
    restarted.cookies.set("ledger_session", alice.cookies["ledger_session"], domain="shop.example")
    outcome = restarted.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf_of(restarted)})
    assert outcome.status_code == 200, outcome.text
    assert restarted.get(f"/api/texts/{prepared['text_hash']}").json()["text"] == "the zip broke, can you help?"


def test_a_lapsed_note_is_not_kept_when_its_transaction_lands_late(client, app, scene) -> None:
    sign_in(client, scene.alice)
    prepared = _ask_for_help(client, scene, "too late").json()
    tx_hash = send_prepared(scene.ledger, scene.alice, prepared["transaction"])
    app.state.site.clock = lambda: time.time() + PENDING_SECONDS + 1
    sign_in(client, scene.alice)
    assert client.post("/api/wallet/outcome", json={"tx_hash": tx_hash, "csrf": csrf_of(client)}).status_code == 200
    assert client.get(f"/api/texts/{prepared['text_hash']}").status_code == 404


# ------------------------------------------------------------ texts: one answer for unknown and not yours


def test_a_kept_note_not_yours_reads_like_an_unknown_one(client, scene) -> None:
    sign_in(client, scene.bob)
    unknown = "0x" + "cd" * 32
    for path in ("/api/texts/{}", "/texts/{}"):
        kept, missing = client.get(path.format(scene.note.hash)), client.get(path.format(unknown))
        assert kept.status_code == missing.status_code == 404
        assert problem(kept).replace(scene.note.hash, "H") == problem(missing).replace(unknown, "H")


# ------------------------------------------------------------ order links


def _shows_no_offer(page, says: str) -> None:
    assert page.status_code == 409 and says in page.text
    assert "Pay shop #" not in page.text and 'id="pay"' not in page.text and 'id="signin"' not in page.text


def test_an_order_link_with_changed_lines_is_no_offer(client, scene) -> None:
    from dataclasses import replace

    from ledger.models import LineItem

    signed = mug_order(scene)
    changed = replace(signed, order=replace(signed.order, lines=(LineItem("MUG", 1, ETHER // 1000),)))
    _shows_no_offer(client.get(changed.link()), "who is not staff of its shop, or it was changed after signing")
    junk = replace(signed, signature="0x" + "11" * 65)
    _shows_no_offer(client.get(junk.link()), "signed by nobody (the signature is malformed)")
    assert client.get(signed.link()).status_code == 200


def test_an_order_signed_by_a_removed_agent_is_no_offer(client, scene) -> None:
    signed = mug_order(scene, signer=scene.agent)
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    snapshot = scene.ledger.chain.snapshot()
    try:
        shop.remove_agent(scene.agent.address)
        _shows_no_offer(client.get(signed.link()), scene.agent.address)
    finally:
        scene.ledger.chain.revert(snapshot)


def test_an_expired_order_link_is_no_offer(client, app, scene) -> None:
    signed = mug_order(scene, valid_for=60)
    snapshot = scene.ledger.chain.snapshot()
    try:
        scene.ledger.chain.advance_time(120)
        _shows_no_offer(client.get(signed.link()), "the order expired")
    finally:
        scene.ledger.chain.revert(snapshot)


def test_an_order_number_paid_already_is_no_offer(client, scene) -> None:
    """A reloaded checkout signs ORDER-1 (which Alice paid) again: the new link says it was paid."""
    shop = scene.ledger.merchant_desk(scene.owner, scene.merchant_id)
    again = shop.quote(scene.terms_id, [("MUG", 2, ETHER // 100), ("TEA", 1, ETHER // 2)], "ORDER-1")
    _shows_no_offer(client.get(again.link()), "was paid already, as purchase")


def test_an_order_made_out_to_someone_else_is_no_offer_to_them(client, scene) -> None:
    signed = mug_order(scene, customer=scene.alice.address)
    anonymous = client.get(signed.link())
    assert anonymous.status_code == 200 and scene.alice.address in anonymous.text  # "made out to", before sign-in
    sign_in(client, scene.bob)
    _shows_no_offer(client.get(signed.link()), f"not to {scene.bob.address}")


# ------------------------------------------------------------ signatures with v = 0/1


def _low_v(signature: bytes) -> str:
    assert signature[64] in (27, 28)
    return "0x" + (signature[:64] + bytes([signature[64] - 27])).hex()


def test_a_sign_in_signature_with_v_0_or_1_is_taken(client, scene) -> None:
    message, csrf = sign_in_message(client, scene.alice.address)
    low = _low_v(bytes(scene.alice.sign_message(encode_defunct(text=message)).signature))
    assert client.post("/api/signin", json={"signature": low, "csrf": csrf}).status_code == 200


def test_a_return_signed_with_v_0_or_1_is_refunded_on_chain(client, scene) -> None:
    """A hardware wallet's ``v`` = 0/1: the page took it before and the contract refused it; now it is
    normalised in one place, so page and contract agree and the refund lands."""
    sign_in(client, scene.alice)
    snapshot = scene.ledger.chain.snapshot()
    try:
        typed = client.post("/api/returns/prepare", json={"purchase_id": scene.open_purchase.id, "lines": [1],
                                                          "csrf": csrf_of(client)}).json()["typed_data"]
        signed = scene.alice.sign_message(encode_typed_data(full_message={
            **typed, "message": {**typed["message"], "nonce": int(typed["message"]["nonce"])}}))
        refund = client.post("/api/returns/submit", json={"typed_data": typed, "csrf": csrf_of(client),
                                                          "signature": _low_v(bytes(signed.signature))})
        assert refund.status_code == 200, refund.text
        assert scene.ledger.purchase(scene.open_purchase.id).returned_lines == frozenset({1})
    finally:
        scene.ledger.chain.revert(snapshot)


# ------------------------------------------------------------ ledger serve


@pytest.mark.parametrize("args, says", [
    (["--host", "0.0.0.0"], "give it with --origin"),
    (["--origin", "shop.example"], "is not a site's origin"),
    (["--origin", "https://shop.example/pay"], "is not a site's origin"),
    (["--host", "[]"], "is not an address to listen on"),
])
def test_serve_refuses_an_origin_it_cannot_name_before_connecting(args, says, tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from ledger.cli import main

    monkeypatch.chdir(tmp_path)  # no deployment here: a refusal must come before anything is read
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code != 0 and says in result.output and "Traceback" not in result.output
    assert not (tmp_path / ".ledger").exists()


# ------------------------------------------------------------ from the review: races and bounds


def test_parallel_notes_cannot_pass_the_bound_together(scene) -> None:
    """Five servers on one database hold a note for the same visitor at once, with one place left: one
    gets it, the others are refused (the count and the insert are one step per visitor)."""
    from concurrent.futures import ThreadPoolExecutor

    from ledger.texts import TextStore
    from ledger.web.errors import TooManyPending
    from ledger.web.store import WebStore, pending_texts

    visitor, at = "0x" + "42" * 20, int(time.time())
    stores = [WebStore(server(scene).state.site.ledger.texts.engine) for _ in range(5)]

    def note(n: int):
        return TextStore.seal("contact", f"note {n}", visitor, scene.merchant_id, at).text

    for n in range(MAX_PENDING - 1):
        stores[0].hold(visitor, note(n), at + 60, at)

    def hold(store):
        try:
            store.hold(visitor, note(id(store)), at + 60, at)
            return True
        except TooManyPending:
            return False

    with ThreadPoolExecutor(5) as pool:
        held = list(pool.map(hold, stores))
    with stores[0].engine.connect() as db:
        kept = db.execute(select(pending_texts.c.hash).where(pending_texts.c.visitor == visitor)).all()
    assert held.count(True) == 1 and len(kept) == MAX_PENDING


def test_a_landed_transaction_releases_only_its_senders_notes(app, scene) -> None:
    """Bob lands a transaction carrying the hash of a note Alice is still waiting to send (hashes are public
    once in the mempool): Alice's note is not kept on his account."""
    alice, bob = browser(app), browser(app)
    sign_in(alice, scene.alice)
    waiting = _ask_for_help(alice, scene, "Alice's private note").json()["text_hash"]
    sign_in(bob, scene.bob)
    assert app.state.site.store.release(scene.bob.address, {waiting}, int(time.time())) == []
    assert bob.get(f"/api/texts/{waiting}").status_code == 404


def test_a_body_too_large_or_of_no_stated_length_is_refused(client) -> None:
    big = client.post("/api/signin/message", content=b"{" + b" " * (300 * 1024) + b"}",
                      headers={"content-type": "application/json"})
    assert big.status_code == 413 and "at most 256 KB" in problem(big)

    def chunks():
        yield b'{"address": "0x00"}'

    unsized = client.post("/api/signin/message", content=chunks(), headers={"content-type": "application/json"})
    assert unsized.status_code == 411 and "Content-Length" in problem(unsized)


def test_a_return_signature_the_contract_would_refuse_is_refused_before_gas(client, scene) -> None:
    """The 64-byte EIP-2098 form of a customer's return signature: the contract takes only 65 bytes from an
    account, so the library refuses it too, in words, and sends nothing."""
    sign_in(client, scene.alice)
    typed = client.post("/api/returns/prepare", json={"purchase_id": scene.open_purchase.id, "lines": [1],
                                                      "csrf": csrf_of(client)}).json()["typed_data"]
    signed = bytes(scene.alice.sign_message(encode_typed_data(full_message={
        **typed, "message": {**typed["message"], "nonce": int(typed["message"]["nonce"])}})).signature)
    r, s, v = signed[:32], int.from_bytes(signed[32:64], "big"), signed[64] - 27
    compact = "0x" + (r + (s | v << 255).to_bytes(32, "big")).hex()
    refused = client.post("/api/returns/submit", json={"typed_data": typed, "csrf": csrf_of(client),
                                                       "signature": compact})
    assert refused.status_code == 403 and "not signed by its customer" in problem(refused)
    assert scene.ledger.purchase(scene.open_purchase.id).returned_lines == frozenset()


def test_an_agents_link_beyond_its_referral_mandate_is_no_offer(client, scene) -> None:
    """An agent signs by hand (past the library's own check) a link paying its second wallet a commission:
    the page says the agent may not, before any button, as the contract would at purchase."""
    from dataclasses import replace

    from ledger.orders import ORDER_TYPES, compact_signature, domain

    honest = mug_order(scene, signer=scene.agent)
    rogue = replace(honest.order, referrer=scene.accounts[9].address, referral_bps=10_000)
    ledger = scene.ledger
    signature = scene.agent.sign_typed_data(domain(ledger.chain.chain_id, ledger.address), ORDER_TYPES,
                                            rogue.message()).signature
    link = replace(honest, order=rogue, signature="0x" + compact_signature(bytes(signature)).hex()).link()
    _shows_no_offer(client.get(link), "may not give a referral commission")


@pytest.mark.parametrize("field, value", [("lineMask", True), ("lineMask", 2.0), ("nonce", "0x5"), ("deadline", "9e9")])
def test_a_return_request_with_a_loosely_typed_field_is_refused(client, scene, field, value) -> None:
    sign_in(client, scene.alice)
    typed = client.post("/api/returns/prepare", json={"purchase_id": scene.open_purchase.id, "lines": [1],
                                                      "csrf": csrf_of(client)}).json()["typed_data"]
    typed["message"][field] = value
    answer = client.post("/api/returns/submit", json={"typed_data": typed, "csrf": csrf_of(client),
                                                      "signature": "0x" + "11" * 65})
    assert answer.status_code == 400 and "must be a whole number" in problem(answer)
