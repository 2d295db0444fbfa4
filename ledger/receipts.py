"""Receipts: what a purchase was, and what came back of it, for the customer to keep and print.

A ``Receipt`` is read from the ledger (the purchase, its refunds and exchanges) with the shop's names and its
order number (``ledger.names``); ``pdf`` lays it out as a PDF with fpdf2 (the ``receipts`` extra). Every
amount on it is one the ledger recorded; the purchase id, block and transactions are the proof anyone can look
up on chain. Refunds are split by how they came back: money, store credit, or paying a new order (exchange).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import render, timefmt
from .extras import require
from .models import CREDIT_KINDS, MONEY_KINDS, LineItem, Purchase, Refund
from .names import Names

_FONTS = Path("/usr/share/fonts/truetype/dejavu")
"""DejaVu Sans, where the system has it (Debian's fonts-dejavu-core): every script the page shows. Without it
the PDF uses Helvetica, which has Latin-1 only, and other characters become ``?``."""


@dataclass(frozen=True)
class ReceiptLine:
    """A line of the purchase as the receipt shows it."""

    product: str
    sku: str
    quantity: int
    unit_price: int
    total: int
    returned: bool


@dataclass(frozen=True)
class Receipt:
    """A purchase's receipt: who sold what to whom, when, for how much, under which terms, and what came back."""

    shop: str
    support: str
    order_number: str
    purchase: Purchase
    lines: tuple[ReceiptLine, ...]
    terms: str
    refunds: tuple[Refund, ...]

    @property
    def refunded_money(self) -> int:
        return sum(r.amount for r in self.refunds if r.kind in MONEY_KINDS)

    @property
    def refunded_credit(self) -> int:
        return sum(r.amount for r in self.refunds if r.kind in CREDIT_KINDS)

    @property
    def exchanged(self) -> int:
        """What returns of this purchase paid towards new orders of the shop."""
        return sum(r.amount for r in self.refunds if r.kind == "exchange")


def receipt(purchase: Purchase, refunds: list[Refund], names: Names, order_number: str) -> Receipt:
    """The receipt of ``purchase`` with its ``refunds``, its shop's ``names`` and the shop's order number."""
    lines = tuple(ReceiptLine(names.product(line.sku), line.sku, line.quantity, line.unit_price, line.total,
                              i in purchase.returned_lines) for i, line in enumerate(purchase.lines))
    return Receipt(names.shop, names.profile.support if names.profile else "", order_number, purchase, lines,
                   render.terms_words(purchase), tuple(refunds))


def refund_words(refund: Refund, lines: tuple[LineItem, ...]) -> str:
    """``return of 2× MUG`` / ``store credit for 1× TEA`` / ``goodwill refund``: what a refund was."""
    what = ", ".join(f"{lines[i].quantity}× {lines[i].sku}" for i in refund.lines if i < len(lines))
    kind = {"return": "return", "credit": "store credit for", "bonus": "store credit bonus", "exchange": "exchange of",
            "kept": "refund, kept:", "goodwill": "goodwill refund"}.get(refund.kind, refund.kind)
    return f"{kind} {what}".strip()


def pdf(r: Receipt, amount: Callable[[int, str], str]) -> bytes:
    """The receipt as a PDF (A4), amounts in the token's units (``amount``: value, token → text)."""
    require("receipts", "a PDF receipt", "fpdf")
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_title(f"Receipt {r.order_number or r.purchase.id[:10]}")
    document.set_creator("ledger")
    document.add_page()
    text: Callable[[str], str] = _latin1
    family = "Helvetica"
    if (_FONTS / "DejaVuSans.ttf").is_file() and (_FONTS / "DejaVuSans-Bold.ttf").is_file():
        document.add_font("Body", "", str(_FONTS / "DejaVuSans.ttf"))
        document.add_font("Body", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        family, text = "Body", str
    p = r.purchase

    def line(words: str, size: float = 10, bold: bool = False, height: float = 6) -> None:
        document.set_font(family, "B" if bold else "", size)
        document.multi_cell(0, height, text(words), new_x="LMARGIN", new_y="NEXT")

    line(r.shop, 16, bold=True, height=9)
    if r.support:
        line(f"Support: {r.support}")
    line(f"Receipt for order {r.order_number}" if r.order_number else "Receipt", 12, bold=True, height=8)
    line(f"Bought {timefmt.utc(p.purchased_at)} by {p.customer}")
    document.ln(2)
    widths = (78, 22, 14, 38, 38)
    document.set_font(family, "B", 9)
    for width, head in zip(widths, ("Product", "SKU", "Qty", "Unit price", "Total")):
        document.cell(width, 7, text(head), border="B")
    document.ln()
    document.set_font(family, "", 9)
    for item in r.lines:
        product = item.product + (" (returned)" if item.returned else "")
        for width, cell in zip(widths, (product, item.sku, str(item.quantity), amount(item.unit_price, p.token),
                                        amount(item.total, p.token))):
            document.cell(width, 7, text(cell[:60]))
        document.ln()
    document.ln(2)
    line(f"Total {amount(p.price, p.token)}: paid {amount(p.paid, p.token)}"
         + (f", of it {amount(p.credit_used, p.token)} in store credit" if p.credit_used else ""), bold=True)
    line(f"Return terms: {r.terms}")
    if r.refunds:
        document.ln(2)
        line("Refunds", 11, bold=True)
        for refund in r.refunds:
            line(f"{timefmt.utc(refund.refunded_at)}: {refund_words(refund, p.lines)}: "
                 f"{amount(refund.amount, p.token)} (transaction {refund.tx_hash})", 9, height=5)
        line(f"Refunded as money {amount(r.refunded_money, p.token)}, as store credit "
             f"{amount(r.refunded_credit, p.token)}" + (f", towards new orders {amount(r.exchanged, p.token)}"
                                                        if r.exchanged else ""), bold=True)
    document.ln(4)
    line("On chain (anyone can check it)", 9, bold=True, height=5)
    line(f"Purchase id {p.id}", 8, height=4)
    line(f"Block {p.block_number}, transaction {p.tx_hash}", 8, height=4)
    return bytes(document.output())


def _latin1(words: str) -> str:
    return words.encode("latin-1", "replace").decode("latin-1")
