"""Short order links (``ledger.links``): a signed order kept under a code derived from it, found again by that code
on SQLite and PostgreSQL, never overwritten by another; short enough for a small QR code, and the QR code of the
link itself."""

from __future__ import annotations

import dataclasses

import pytest
import segno

from ledger import links
from ledger.errors import OrderCodeTaken, UnknownOrderLink
from ledger.history import MEMORY
from ledger.history.store import engine_for
from ledger.links import OrderLinks, code_of, qr_file, qr_svg, qr_terminal, short_link
from ledger.models import LineItem
from ledger.orders import Order, SignedOrder

LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SHOP = "https://shop.example"


def _signed(number: str = "ORDER-1", lines: int = 1) -> SignedOrder:
    """An order as a shop signs it (the store checks no signature: its callers keep only orders the shop signed)."""
    from eth_utils import keccak

    order = Order(merchant_id=1, terms_id=1, lines=tuple(LineItem(f"SKU-{i}", 1, 10**16) for i in range(lines)),
                  order_ref="0x" + keccak(text=number).hex(), expiry=1_800_000_000, return_window=14 * 86_400,
                  restocking_fee_bps=500, delivery_wait=0, item_must_be_returned=False,
                  customer="0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65")
    return SignedOrder(order, "0x" + "ab" * 65, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 31337, LEDGER,
                       order.purchase_id(31337, LEDGER), number)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request) -> OrderLinks:
    if request.param == "sqlite":
        return OrderLinks(engine_for(MEMORY))
    return OrderLinks(engine_for(request.getfixturevalue("postgres_url")))


def test_an_order_has_one_code_whether_signed_here_or_read_from_its_link() -> None:
    signed = _signed()
    code = code_of(signed)
    assert len(code) == 16 and code == code.lower() and set(code) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert code_of(SignedOrder.from_link(signed.encoded())) == code  # the page keeps what the command line kept
    assert code_of(SignedOrder.from_json(signed.to_json())) == code
    assert code_of(_signed("ORDER-2")) != code
    assert code_of(dataclasses.replace(signed, signature="0x" + "cd" * 65)) != code  # the signature is part of it


def test_a_kept_order_is_found_by_its_code_in_any_case(store) -> None:
    signed = _signed()
    code = store.keep(signed)
    assert store.find(code) == signed
    assert store.find(f" {code.upper()} ") == signed  # read out or typed in capitals
    assert store.keep(signed) == code  # kept again: the same row, no error


def test_an_order_whose_code_is_taken_overwrites_nothing(store, monkeypatch) -> None:
    first, second = _signed("ORDER-1"), _signed("ORDER-2")
    monkeypatch.setattr(links, "code_of", lambda signed: "a" * 16)  # an 80-bit collision, forced
    assert store.link(first, SHOP) == f"{SHOP}/o/{'a' * 16}"
    with pytest.raises(OrderCodeTaken, match="give the customer the self-contained link"):
        store.keep(second)
    assert store.link(second, SHOP) == second.link(SHOP)  # what the command line prints and the page shows then
    assert store.find("a" * 16) == first


@pytest.mark.parametrize("code", ["aaaaaaaaaaaaaaaa", "abc", "a" * 17, "0" * 16, "../../etc/passwd", ""])
def test_an_unknown_or_malformed_code_names_no_order(store, code) -> None:
    store.keep(_signed())
    with pytest.raises(UnknownOrderLink, match="no order is kept here under the code") as refused:
        store.find(code)
    assert "check that the link was copied whole" in str(refused.value)


def test_a_short_link_fits_a_small_qr_code_and_the_long_one_does_not() -> None:
    """A short link is 39 characters at https://shop.example (40 at http://127.0.0.1:8000): a version 3 QR code
    (29 × 29 modules) at error correction M, where the self-contained link of a one-line order (1,401 characters)
    needs version 31 (141 × 141), and that of a 16-line order (3,149 characters) fits no QR code at all."""
    signed = _signed()
    short, long = short_link(SHOP + "/", code_of(signed)), signed.link(SHOP)
    assert short == f"{SHOP}/o/{code_of(signed)}" and len(short) == 39
    assert len(short_link("http://127.0.0.1:8000", code_of(signed))) == 40
    assert 1_300 < len(long) < 1_500
    assert links.qr_code(short).version <= 3
    assert links.qr_code(long).version >= 30
    with pytest.raises(segno.DataOverflowError):
        links.qr_code(_signed(lines=16).link(SHOP))


def test_the_qr_code_holds_the_link() -> None:
    link, other = short_link(SHOP, code_of(_signed())), short_link(SHOP, code_of(_signed("ORDER-2")))
    expected = segno.make_qr(link, error="m")
    code = links.qr_code(link)
    assert (code.designator, code.matrix) == (expected.designator, expected.matrix)
    assert code.matrix != segno.make_qr(other, error="m").matrix
    svg = qr_svg(link)
    assert svg.startswith("<svg") and f"<title>{link}</title>" in svg and svg != qr_svg(other)
    assert qr_terminal(link) != qr_terminal(other) and "▄" in qr_terminal(link)
    assert qr_file(link, "code.png").startswith(b"\x89PNG") and b"<svg" in qr_file(link, "code.SVG")
