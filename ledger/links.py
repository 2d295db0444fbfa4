"""Short order links, and QR codes of links.

An order link that carries the signed order (``SignedOrder.link``) is about 1,400 characters: too long for a
mail button, a text message or a QR code a phone reads at a glance. A short link, ``<page>/o/<code>``, names
instead a signed order that the server keeps (``OrderLinks``, a table in the index's database, where the
shop's names are: the command line and ``ledger serve`` on the same database share it).

The code is derived from the signed order itself: the first ``CODE_BYTES`` bytes of the SHA-256 of its JSON
(``SignedOrder.to_json``, which writes the same order the same way) in lower-case base32, 16 characters. So
the same order always gets the same code (keeping it twice keeps one row), and a code says nothing of the
order and cannot be worked out without it. 80 bits are enough on both counts:

- guessing: a made-up code opens an order only if it is one of the n kept, a chance of n / 2^80 a try; with
  a million orders kept, a trillion tries (far more than a server answers) find one with a chance below 1e-6;
- collisions: two of n kept orders share a code with a chance of about n^2 / 2^81: 4e-13 for a million orders,
  4e-7 for a billion. And a collision overwrites nothing: the order kept first keeps the code, the second is
  refused (``OrderCodeTaken``) and goes out as its self-contained link.

Who holds a link, short or long, can open the order and pay it, as with any payment link; the order was signed
to be paid, and only the buyer it names (if any) can pay it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from .errors import InvalidInput, OrderCodeTaken, UnknownOrderLink
from .extras import require
from .orders import SignedOrder

if TYPE_CHECKING:
    from segno import QRCode

CODE_BYTES = 10
"""Bytes of the order's hash in its code: 80 bits; the module's docstring says why that is enough."""

CODE_LENGTH = CODE_BYTES * 8 // 5
"""Characters of a code: base32 writes 5 bits a character, so 80 bits are 16 characters, with no padding."""

SHORT_PATH = "/o/"
"""Where the page serves a kept order: ``/o/<code>``."""

QR_ERROR = "m"
"""The QR codes' error correction: M restores 15 % of the code (a smudge, a crease, a glare on a screen)."""

_CODE = re.compile(f"[a-z2-7]{{{CODE_LENGTH}}}")

metadata = MetaData()

kept_orders = Table(
    "kept_orders", metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("signed_order", Text, nullable=False),
)
"""Signed orders given a short link, by code, as JSON (``SignedOrder.to_json``)."""


def code_of(signed: SignedOrder) -> str:
    """The order's short code: its JSON's SHA-256, the first ``CODE_BYTES`` bytes in lower-case base32."""
    digest = hashlib.sha256(signed.to_json().encode()).digest()[:CODE_BYTES]
    return base64.b32encode(digest).decode().lower()


def short_link(page: str, code: str) -> str:
    """The short link that opens the order kept under ``code`` on the page ``ledger serve`` runs at ``page``."""
    return page.rstrip("/") + SHORT_PATH + code


class OrderLinks:
    """Signed orders kept under their short codes, in the index's database (table made on first use)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def keep(self, signed: SignedOrder) -> str:
        """Keep a signed order under its code and return the code (kept already: the same row). Nothing is
        checked here: the caller keeps only orders its shop signed (the page, after ``check_order``; the command
        line, the order it has just signed). ``OrderCodeTaken`` when another order holds the code."""
        code, text = code_of(signed), signed.to_json()
        kept = self._kept(code)
        if kept is None:
            try:
                with self.engine.begin() as db:
                    db.execute(insert(kept_orders), [{"code": code, "signed_order": text}])
                return code
            except IntegrityError:  # another process kept one under this code in between
                kept = self._kept(code)
        if kept != text:
            raise OrderCodeTaken(code)
        return code

    def link(self, signed: SignedOrder, page: str) -> str:
        """The link to give for a signed order on the page at ``page``: its short link, the order kept for it; in
        the one-in-2^80 case of another order under its code, its self-contained link, which needs nothing kept.
        The caller keeps only orders its shop signed, as for ``keep``."""
        try:
            return short_link(page, self.keep(signed))
        except OrderCodeTaken:
            return signed.link(page)

    def find(self, code: str) -> SignedOrder:
        """The signed order kept under ``code`` (any case; spaces around it are dropped); ``UnknownOrderLink`` when
        none is, or the code is no code at all."""
        wanted = code.strip().lower()
        kept = self._kept(wanted) if _CODE.fullmatch(wanted) else None
        if kept is None:
            raise UnknownOrderLink(code)
        return SignedOrder.from_json(kept)

    def _kept(self, code: str) -> str | None:
        with self.engine.connect() as db:
            kept: str | None = db.execute(select(kept_orders.c.signed_order).where(kept_orders.c.code == code)).scalar()
        return kept


def qr_code(link: str) -> QRCode:
    """A QR code (never a Micro QR, which phones' cameras do not read) of ``link``, error correction M."""
    require("qr", "a QR code", "segno")
    import segno

    return segno.make_qr(link, error=QR_ERROR, boost_error=False)


def qr_svg(link: str) -> str:
    """A QR code of ``link`` as an inline SVG element, dark on white (a page in a dark theme must not invert
    it), titled with the link itself for a screen reader and a pointer."""
    return qr_code(link).svg_inline(scale=4, dark="#000", light="#fff", title=link, svgclass="qr")


def qr_terminal(link: str) -> str:
    """A QR code of ``link`` drawn in a terminal's text, two rows of modules a line (Unicode half blocks)."""
    out = io.StringIO()
    qr_code(link).terminal(out=out, compact=True)
    return out.getvalue()


QR_FILES = (".png", ".svg")
"""The kinds of file a QR code is written to."""


def qr_kind(name: str) -> str:
    """The kind of QR code file a file's name asks for (``png``, ``svg``); ``InvalidInput`` for another name."""
    suffix = Path(name).suffix.lower()
    if suffix not in QR_FILES:
        raise InvalidInput(f"a QR code is written to a .png or .svg file, not to {Path(name).name!r}: name the file so")
    return suffix[1:]


def qr_file(link: str, name: str) -> bytes:
    """A QR code of ``link`` as the bytes of the file ``name`` (``qr_kind``: .png or .svg)."""
    out = io.BytesIO()
    qr_code(link).save(out, kind=qr_kind(name), scale=8, dark="#000", light="#fff")
    return out.getvalue()
