"""Helpers for the web tests: a shop with a purchase to look at, and signing in from a test (their HTTP fixtures
are in ``tests/web/conftest.py``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from html.parser import HTMLParser

from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from ledger.client import Ledger
from ledger.models import Channel, ContactKind, Purchase
from ledger.orders import SignedOrder
from ledger.texts import KeptText, TextKind

DAY = 86_400
ETHER = 10**18


@dataclass
class Scene:
    """A shop (owner accounts[1], agent accounts[2]), Alice (accounts[3]) with an open purchase of two lines and
    a contact note the agent logged, a closed purchase, and Bob (accounts[4]) with nothing."""

    ledger: Ledger
    accounts: list[LocalAccount]
    merchant_id: int
    open_purchase: Purchase
    closed_purchase: Purchase
    note: KeptText
    terms_id: int

    owner = property(lambda self: self.accounts[1])
    agent = property(lambda self: self.accounts[2])
    alice = property(lambda self: self.accounts[3])
    bob = property(lambda self: self.accounts[4])


def build_scene(ledger: Ledger, accounts: list[LocalAccount]) -> Scene:
    """Set the scene on a freshly deployed ledger (the late purchase is made 20 days back in chain time)."""
    shop = ledger.register_merchant(accounts[1])
    shop.add_agent(accounts[2].address)
    terms = shop.publish_terms(14 * DAY, restocking_fee_bps=500)
    alice = ledger.customer_desk(accounts[3])
    closed = alice.buy(shop.quote(terms.id, [("SCARF", 1, ETHER // 10)], "ORDER-OLD", customer=alice.address))
    ledger.chain.advance_time(20 * DAY)
    bought = alice.buy(shop.quote(terms.id, [("MUG", 2, ETHER // 100), ("TEA", 1, ETHER // 2)], "ORDER-1",
                                  customer=alice.address))
    note = ledger.texts.keep(TextKind.CONTACT, "Alice asked about the mug size", alice.address, shop.merchant_id,
                      ledger.chain.now())
    ledger.transact(accounts[2], ledger.contract.functions.logContact(
        shop.merchant_id, alice.address, bytes.fromhex(bought.id[2:]), Channel.CHAT, ContactKind.QUESTION, 0,
        bytes.fromhex(note.hash[2:])))
    return Scene(ledger, accounts, shop.merchant_id, ledger.purchase(bought.id), ledger.purchase(closed.id), note,
                 terms.id)


def mug_order(scene: Scene, customer: str | None = None, valid_for: int = 3_600,
              signer: LocalAccount | None = None) -> SignedOrder:
    """A one-mug order of the scene's shop, under a number of its own, signed by ``signer`` (the owner)."""
    shop = scene.ledger.merchant_desk(signer or scene.owner, scene.merchant_id)
    return shop.quote(scene.terms_id, [("MUG", 1, ETHER // 100)], f"ORDER-{time.monotonic_ns()}",
                      customer=customer, valid_for=valid_for)


def sign_in(client, account: LocalAccount):
    """Sign ``client`` in as ``account`` the way the page does (EIP-4361 message, personal_sign)."""
    message, csrf = sign_in_message(client, account.address)
    signature = "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()
    return client.post("/api/signin", json={"signature": signature, "csrf": csrf})


def sign_in_message(client, address: str) -> tuple[str, str]:
    """Ask for a sign-in message for ``address``: (the message, the CSRF token it was asked with)."""
    csrf = csrf_of(client)
    answer = client.post("/api/signin/message", json={"address": address, "csrf": csrf})
    assert answer.status_code == 200, answer.text
    return answer.json()["message"], csrf


def csrf_of(client) -> str:
    """The session's CSRF token, read from a page the way the browser does."""
    html = client.get("/").text
    return html.split('name="csrf" content="')[1].split('"')[0]


def send_prepared(ledger: Ledger, account: LocalAccount, transaction: dict) -> str:
    """Sign and send a transaction the server prepared, as the visitor's wallet would (here with eth-account)."""
    w3 = ledger.w3
    signed = account.sign_transaction({
        "to": transaction["to"], "data": transaction["data"], "value": int(transaction["value"], 16),
        "gas": int(transaction["gas"], 16), "nonce": w3.eth.get_transaction_count(account.address),
        "chainId": w3.eth.chain_id, "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 10**9,
        "maxPriorityFeePerGas": 10**9})
    return "0x" + bytes(w3.eth.send_raw_transaction(signed.raw_transaction)).hex()


def problem(response) -> str:
    """The message of an error answer (JSON or page); a stack trace is never part of it."""
    assert "Traceback" not in response.text and 'File "' not in response.text
    if response.headers["content-type"].startswith("application/json"):
        return response.json()["error"]
    return response.text.split('id="problem">')[1].split("</p>")[0]


class Dashboard(HTMLParser):
    """What tests read of a shop's dashboard page: the headline figures by token, the history's rows with their status
    words, the ``<time>`` elements (datetime, words), the canvases, and the tables that have an id, cell by cell."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.figures: dict[str, dict[str, dict[str, str]]] = {}
        self.rows: list[str] = []
        self.states: list[str] = []
        self.times: list[tuple[str, str]] = []
        self.canvases: list[dict[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._token = self._table = self._cell = self._datetime = ""
        self._history = False
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if "data-token" in found:
            self._token = found["data-token"]
        if "data-figure" in found:
            self.figures.setdefault(self._token, {})[found["data-figure"]] = found
        if tag == "table":
            self._history = "history" in found.get("class", "")
            self._table = found.get("id", "")
            if self._table:
                self.tables[self._table] = []
        elif tag == "tr" and self._history and "data-purchase" in found:
            self.rows.append(found["data-purchase"])
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th", "time"):
            self._cell, self._text = tag, ""
            self._datetime = found.get("datetime", "") if tag == "time" else self._datetime
            self._status = found.get("data-label") == "Status"
        elif tag == "canvas":
            self.canvases.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "time":
            self.times.append((self._datetime, self._text.strip()))
        elif tag in ("td", "th") and self._history and self._status:
            self.states.append(self._text.strip())
        elif tag in ("td", "th") and self._table and self.tables[self._table]:
            self.tables[self._table][-1].append(self._text.strip())
        elif tag == "table":
            self._table, self._history = "", False

    def handle_data(self, data: str) -> None:
        self._text += data

    _status = False
