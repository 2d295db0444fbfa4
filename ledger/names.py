"""The names a shop gives itself and its products, and its own order numbers, kept off chain.

A shop's **profile** (display name, support contact, optional logo) and **catalogue** (SKU → product name,
optional picture) are signed by its staff, owner or agent, as EIP-712 typed data in the ledger's own domain
(so a signature made for one chain, one ledger or one shop is worth nothing on another). The store keeps
every signed version with its signature; any server holding the same rows can check them again
(``SignedProfile.signer_of``). A version counts while the account that signed it is still on the shop's
staff in the same generation: once the owner removes an agent, what that agent named stops showing, and the
names signed before take its place again. Nothing is overwritten: a newer version is added beside the older
ones, and a catalogue import names the SKUs it lists and leaves every other SKU's name as it was.

A version is refused when it is not newer than the one in place (a replayed older signature cannot roll a
name back), when it claims a time more than ``CLOCK_SKEW`` ahead of the chain's, or when it was signed more
than ``FRESHNESS`` ago (a signature held back for later).

An **order number** is the text whose keccak256 is an order's ``orderRef`` on chain: anyone may hand it in,
and it is kept only if it hashes to that reference, so the hash proves it. It may be read by the purchase's
customer and the shop's staff, as a contact note may.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_account.messages import encode_typed_data
from eth_utils import keccak
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from . import signatures, validate
from .errors import InvalidInput, InvalidRows, NotMerchantAgent, StaleName
from .models import Role
from .orders import wallet_typed_data

if TYPE_CHECKING:
    from .reading.reads import Reads

metadata = MetaData()

profiles = Table(
    "shop_profiles", metadata,
    Column("merchant_id", BigInteger, primary_key=True),
    Column("issued_at", BigInteger, primary_key=True),
    Column("signer", String(42), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("support", String(400), nullable=False),
    Column("logo", String(1000), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("signature", Text, nullable=False),
    Column("kept_at", BigInteger, nullable=False),
)
"""Every signed profile of every shop; the newest whose signer is still staff is the shop's."""

catalogues = Table(
    "shop_catalogues", metadata,
    Column("merchant_id", BigInteger, primary_key=True),
    Column("issued_at", BigInteger, primary_key=True),
    Column("signer", String(42), primary_key=True),
    Column("products", Text, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("signature", Text, nullable=False),
    Column("kept_at", BigInteger, nullable=False),
)
"""Every signed catalogue batch (its products as JSON, exactly as signed)."""

order_numbers = Table(
    "order_numbers", metadata,
    Column("merchant_id", BigInteger, primary_key=True),
    Column("order_ref", String(66), primary_key=True),
    Column("number", String(400), nullable=False),
)
"""A shop's own order number for an order reference on chain (keccak256 of the number)."""

MAX_NAME = 80
"""Characters in a shop's or a product's name."""
MAX_SUPPORT = 200
"""Characters in a support contact (an e-mail address, a telephone number, a web address)."""
MAX_URL = 500
"""Characters in a logo's or a picture's address."""
MAX_ORDER_NUMBER = 120
"""Characters in an order number."""
MAX_PRODUCTS = 500
"""Products in one signed catalogue batch (a larger file is signed in several)."""
CLOCK_SKEW = 600
"""Seconds a version may claim to be ahead of the chain's clock."""
FRESHNESS = 7 * 86_400
"""Seconds after signing within which a version must be handed in."""

PROFILE_TYPES: dict[str, list[dict[str, str]]] = {
    "ShopProfile": [
        {"name": "merchantId", "type": "uint256"},
        {"name": "name", "type": "string"},
        {"name": "support", "type": "string"},
        {"name": "logo", "type": "string"},
        {"name": "issuedAt", "type": "uint64"},
    ],
}
"""EIP-712 type a shop's staff signs for its profile."""

CATALOGUE_TYPES: dict[str, list[dict[str, str]]] = {
    "Catalogue": [
        {"name": "merchantId", "type": "uint256"},
        {"name": "products", "type": "Product[]"},
        {"name": "issuedAt", "type": "uint64"},
    ],
    "Product": [
        {"name": "sku", "type": "string"},
        {"name": "name", "type": "string"},
        {"name": "picture", "type": "string"},
    ],
}
"""EIP-712 types a shop's staff signs for a batch of its catalogue."""


def display_text(value: object, what: str, longest: int, *, required: bool = True) -> str:
    """A name or contact to show: trimmed, at most ``longest`` characters, no control or formatting characters
    (which could hide text or reorder it in a terminal or on the page)."""
    if not isinstance(value, str):
        raise InvalidInput(f"the {what} must be text")
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"the {what} is empty: give one")
    if len(text) > longest:
        raise InvalidInput(f"the {what} has {len(text)} characters: keep it to {longest}")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise InvalidInput(f"the {what} holds a control character (U+{ord(char):04X}): write it without one")
    return text


def web_address(value: object, what: str) -> str:
    """An https address of a picture ('' for none)."""
    text = display_text(value, what, MAX_URL, required=False)
    if text and (not text.startswith("https://") or len(text) <= len("https://") or any(c.isspace() for c in text)):
        raise InvalidInput(f"the {what} must be an https:// address, without spaces: {text!r} is not")
    return text


@dataclass(frozen=True)
class Profile:
    """How a shop presents itself."""

    merchant_id: int
    name: str
    support: str = ""
    """How customers reach the shop: an e-mail address, a telephone number or a web address ('' for none)."""
    logo: str = ""
    """An https address of the shop's logo ('' for none)."""
    issued_at: int = 0
    """When it was signed (chain time, seconds)."""

    def checked(self) -> Profile:
        """The profile with each field checked (``InvalidInput`` naming the first that is not fit)."""
        return Profile(validate.positive(self.merchant_id, "merchant id"),
                       display_text(self.name, "shop's name", MAX_NAME),
                       display_text(self.support, "support contact", MAX_SUPPORT, required=False),
                       web_address(self.logo, "logo address"), validate.non_negative(self.issued_at, "signing time"))

    def message(self) -> dict[str, Any]:
        return {"merchantId": self.merchant_id, "name": self.name, "support": self.support, "logo": self.logo,
                "issuedAt": self.issued_at}


@dataclass(frozen=True)
class Product:
    """A product in a shop's catalogue."""

    sku: str
    name: str
    picture: str = ""
    """An https address of a picture ('' for none)."""

    def checked(self) -> Product:
        validate.sku(self.sku)
        return Product(self.sku, display_text(self.name, f"name of {self.sku}", MAX_NAME),
                       web_address(self.picture, f"picture of {self.sku}"))


@dataclass(frozen=True)
class Catalogue:
    """A batch of a shop's catalogue, as signed: the SKUs it names, in the order given."""

    merchant_id: int
    products: tuple[Product, ...]
    issued_at: int = 0

    def checked(self) -> Catalogue:
        products = tuple(product.checked() for product in self.products)
        if not 1 <= len(products) <= MAX_PRODUCTS:
            raise InvalidInput(f"a catalogue batch names 1 to {MAX_PRODUCTS} products, not {len(products)}")
        once_each(products)
        return Catalogue(validate.positive(self.merchant_id, "merchant id"), products,
                         validate.non_negative(self.issued_at, "signing time"))

    def message(self) -> dict[str, Any]:
        return {"merchantId": self.merchant_id, "issuedAt": self.issued_at,
                "products": [{"sku": p.sku, "name": p.name, "picture": p.picture} for p in self.products]}


def once_each(products: Iterable[Product]) -> None:
    """``InvalidInput`` naming the first SKU that is named twice (a catalogue names each SKU once)."""
    seen: set[str] = set()
    for product in products:
        if product.sku in seen:
            raise InvalidInput(f"SKU {product.sku} is named twice: name each SKU once")
        seen.add(product.sku)


def typed_data(content: Profile | Catalogue, chain_id: int, ledger: str) -> dict[str, Any]:
    """The EIP-712 typed data a wallet signs for a profile or a catalogue batch (``eth_signTypedData_v4``)."""
    types = PROFILE_TYPES if isinstance(content, Profile) else CATALOGUE_TYPES
    primary = "ShopProfile" if isinstance(content, Profile) else "Catalogue"
    return wallet_typed_data(primary, types, content.message(), chain_id, ledger)


def content_of(typed: object) -> Profile | Catalogue:
    """The profile or catalogue batch a wallet signed, from the typed data a page sends back (only its
    ``primaryType`` and ``message``: the domain is the ledger's own when the signature is checked); a field of
    the wrong type or shape is ``InvalidInput``, and ``checked()`` says what is not fit in a field."""
    def field(message: dict[str, Any], name: str, kind: type) -> Any:
        value = message.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            what = {int: "a whole number", str: "a text", list: "a list"}[kind]
            raise InvalidInput(f"the signed names' field {name} is missing or not {what}: sign them again")
        return value

    if not isinstance(typed, dict) or not isinstance(typed.get("message"), dict):
        raise InvalidInput("no signed names were sent: sign them again")
    message = typed["message"]
    if typed.get("primaryType") == "ShopProfile":
        return Profile(field(message, "merchantId", int), field(message, "name", str), field(message, "support", str),
                       field(message, "logo", str), field(message, "issuedAt", int))
    if typed.get("primaryType") == "Catalogue":
        rows = field(message, "products", list)
        if not all(isinstance(row, dict) for row in rows):
            raise InvalidInput("the signed catalogue's products are not rows of sku, name and picture: sign it again")
        return Catalogue(field(message, "merchantId", int),
                         tuple(Product(field(row, "sku", str), field(row, "name", str), field(row, "picture", str))
                               for row in rows), field(message, "issuedAt", int))
    raise InvalidInput("the signed names are neither a shop profile nor a catalogue batch: sign them again")


def digest(content: Profile | Catalogue, chain_id: int, ledger: str) -> bytes:
    """The EIP-712 digest of a profile or a catalogue batch in a ledger's domain."""
    signable = encode_typed_data(full_message=typed_data(content, chain_id, ledger))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


@dataclass(frozen=True)
class Signed:
    """A profile or catalogue batch with the signature of the staff account that signed it."""

    content: Profile | Catalogue
    signer: str
    signature: str
    """0x and hex: an account's 65-byte signature, or what a contract wallet's ERC-1271 check accepts."""


@dataclass(frozen=True)
class Names:
    """What a shop is called and what its products are called, as kept and still signed by its staff."""

    merchant_id: int
    profile: Profile | None
    products: Mapping[str, Product]
    """SKU → the product's newest name."""

    @property
    def shop(self) -> str:
        """The shop as people read it: its name with its number (a name alone could copy another shop's)."""
        return f"{self.profile.name} (shop #{self.merchant_id})" if self.profile else f"shop #{self.merchant_id}"

    def product(self, sku: str) -> str:
        """A SKU's product name, or the SKU itself when the shop has not named it."""
        found = self.products.get(sku)
        return found.name if found else sku


@dataclass(frozen=True)
class Labels:
    """How to show purchases by their names: each shop's names and each purchase's order number."""

    shops: Mapping[int, Names]
    numbers: Mapping[str, str]
    """Purchase id → the shop's order number, for those whose number is kept."""

    def shop(self, merchant_id: int) -> str:
        names = self.shops.get(merchant_id)
        return names.shop if names else f"shop #{merchant_id}"

    def product(self, merchant_id: int, sku: str) -> str:
        names = self.shops.get(merchant_id)
        return names.product(sku) if names else sku

    def order(self, purchase_id: str) -> str:
        """The order number, or '' when the shop's number is not kept here."""
        return self.numbers.get(purchase_id, "")


class NameStore:
    """Shop profiles, catalogues and order numbers in the index's database; tables made on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    # ------------------------------------------------------------ keeping

    def keep(self, signed: Signed, reads: Reads) -> Signed:
        """Check a signed profile or catalogue batch and keep it beside the versions before it.

        Refused (nothing kept): a field that is not fit; a signature that is not ``signer``'s for this ledger;
        a signer who is not the shop's owner or agent now; a version not newer than the one in place, or
        claiming a time ahead of the chain's, or signed more than ``FRESHNESS`` ago."""
        content = signed.content.checked()
        if content != signed.content:
            raise InvalidInput("the signed text has spaces around a field: sign it as checked (trimmed)")
        signer = validate.address(signed.signer, "signer")
        raw = validate.hex_bytes(signed.signature, "signature")
        contracts = reads.contracts
        if not signatures.signed_by(contracts.w3, signer, digest(content, contracts.chain.chain_id, contracts.address),
                                    raw):
            raise InvalidInput(f"the signature is not {signer}'s on this {_kind(content)} for this ledger: sign it "
                               "again with that account")
        staff = reads.staff(content.merchant_id, signer)
        if staff.role is Role.NONE:
            raise NotMerchantAgent(content.merchant_id, signer)
        now = contracts.chain.now()
        if content.issued_at > now + CLOCK_SKEW:
            raise InvalidInput(f"the {_kind(content)} claims to be signed {content.issued_at - now} s from now: sign it "
                               "with the chain's time")
        if content.issued_at < now - FRESHNESS:
            raise StaleName(_kind(content), content.issued_at, "was signed more than a week ago: sign it again")
        table = profiles if isinstance(content, Profile) else catalogues
        row: dict[str, Any] = {"merchant_id": content.merchant_id, "issued_at": content.issued_at, "signer": signer,
                               "generation": staff.generation, "signature": "0x" + raw.hex(), "kept_at": now}
        if isinstance(content, Profile):
            row.update(name=content.name, support=content.support, logo=content.logo)
        else:
            row["products"] = json.dumps(content.message()["products"], ensure_ascii=False)
        with self.engine.begin() as db:
            newest = _newest(db, table, content.merchant_id, _StillStaff(reads, content.merchant_id))
            if newest is not None and content.issued_at <= newest:
                raise StaleName(_kind(content), content.issued_at, "is not newer than the one in place: sign a new one")
            try:
                db.execute(insert(table), [row])
            except IntegrityError:  # another server kept one of the same time in between
                raise StaleName(_kind(content), content.issued_at,
                                "is not newer than the one in place: sign a new one") from None
        return Signed(content, signer, "0x" + raw.hex())

    def keep_order_number(self, merchant_id: int, order_ref: str, number: str) -> bool:
        """Keep a shop's order number for an order reference, if it is the number's keccak256; True if it is
        kept now or was already, False if it does not match or is no number to show (too long, a control
        character): nothing is kept then."""
        try:
            number = display_text(number, "order number", MAX_ORDER_NUMBER)
        except InvalidInput:
            return False
        ref = "0x" + validate.bytes32(order_ref, "order reference").hex()
        if "0x" + keccak(text=number).hex() != ref:
            return False
        with self.engine.begin() as db:
            known = db.execute(select(order_numbers.c.number).where(
                order_numbers.c.merchant_id == merchant_id, order_numbers.c.order_ref == ref)).scalar()
            if known is None:
                db.execute(insert(order_numbers), [{"merchant_id": merchant_id, "order_ref": ref, "number": number}])
        return True

    # ------------------------------------------------------------ reading

    def newest(self, merchant_id: int, table: Table, reads: Reads) -> int | None:
        """When a shop's newest profile (``profiles``) or catalogue batch (``catalogues``) that still counts was
        signed (what a new one must be newer than: a removed agent's versions, dated ahead, block nobody)."""
        with self.engine.connect() as db:
            return _newest(db, table, merchant_id, _StillStaff(reads, merchant_id))

    def names(self, merchant_id: int, reads: Reads) -> Names:
        """A shop's profile and product names: of every kept version, those whose signer is still on its staff
        in the generation it signed in, newest first."""
        still = _StillStaff(reads, merchant_id)
        with self.engine.connect() as db:
            profile_rows = db.execute(select(profiles).where(profiles.c.merchant_id == merchant_id)
                                      .order_by(profiles.c.issued_at.desc())).mappings().all()
            catalogue_rows = db.execute(select(catalogues).where(catalogues.c.merchant_id == merchant_id)
                                        .order_by(catalogues.c.issued_at)).mappings().all()
        profile = next((Profile(merchant_id, r["name"], r["support"], r["logo"], r["issued_at"])
                        for r in profile_rows if still(r["signer"], r["generation"])), None)
        products: dict[str, Product] = {}
        for row in catalogue_rows:
            if still(row["signer"], row["generation"]):
                products.update((p["sku"], Product(p["sku"], p["name"], p["picture"])) for p in json.loads(row["products"]))
        return Names(merchant_id, profile, products)

    def versions(self, merchant_id: int) -> list[Signed]:
        """Every kept version of a shop's profile and catalogue, oldest first, with its signature: what another
        server needs to check them (``signer_of``)."""
        with self.engine.connect() as db:
            found = [Signed(Profile(merchant_id, r["name"], r["support"], r["logo"], r["issued_at"]), r["signer"],
                            r["signature"])
                     for r in db.execute(select(profiles).where(profiles.c.merchant_id == merchant_id)).mappings()]
            found += [Signed(Catalogue(merchant_id, tuple(Product(**p) for p in json.loads(r["products"])),
                                       r["issued_at"]), r["signer"], r["signature"])
                      for r in db.execute(select(catalogues).where(catalogues.c.merchant_id == merchant_id)).mappings()]
        return sorted(found, key=lambda s: s.content.issued_at)

    def order_numbers(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
        """The kept order numbers of (merchant id, order reference) pairs; pairs with none are left out."""
        wanted = {(merchant_id, ref.lower()) for merchant_id, ref in keys}
        if not wanted:
            return {}
        found: dict[tuple[int, str], str] = {}
        refs = sorted({ref for _, ref in wanted})
        with self.engine.connect() as db:
            for start in range(0, len(refs), 500):
                rows = db.execute(select(order_numbers).where(and_(order_numbers.c.order_ref.in_(refs[start:start + 500]))))
                for row in rows.mappings():
                    key = (row["merchant_id"], row["order_ref"])
                    if key in wanted:
                        found[key] = row["number"]
        return found


def signer_of(signed: Signed, w3: Any, chain_id: int, ledger: str) -> bool:
    """Whether a kept version's signature is its signer's for this ledger (for a server checking rows it was
    handed; whether the signer is still staff is ``Reads.staff``)."""
    return signatures.signed_by(w3, signed.signer, digest(signed.content, chain_id, ledger),
                                bytes.fromhex(signed.signature[2:]))


CATALOGUE_COLUMNS = ("sku", "name", "picture")
"""The columns of a catalogue file; ``picture`` may be left out or empty."""


def catalogue_file(text: str, source: str) -> tuple[Product, ...]:
    """The products a catalogue file (CSV with a header row: sku, name, picture) names, each row checked;
    ``InvalidRows`` naming every bad row when any is (nothing is signed then)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CATALOGUE_COLUMNS[:2] if column not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{source} has no column {', '.join(missing)}: the header row must name sku, name and "
                           "optionally picture; nothing was signed")
    products: list[Product] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        try:
            if None in row or None in row.values():
                raise InvalidInput(f"it does not have the header's {len(reader.fieldnames or [])} columns")
            product = Product(row["sku"].strip(), row["name"].strip(), (row.get("picture") or "").strip()).checked()
            if product.sku in seen:
                raise InvalidInput(f"SKU {product.sku} is named on row {seen[product.sku]} already: name each SKU once")
            seen[product.sku] = reader.line_num
            products.append(product)
        except InvalidInput as error:
            problems.append(f"row {reader.line_num}: {error}")
    if problems:
        raise InvalidRows(f"{source} has {len(problems)} bad row(s), nothing was signed", problems)
    if not products:
        raise InvalidInput(f"{source} has no product rows under its header: nothing to sign")
    return tuple(products)


class _StillStaff:
    """Whether an account is still on a shop's staff in a given generation, each account read once."""

    def __init__(self, reads: Reads, merchant_id: int) -> None:
        self.reads, self.merchant_id = reads, merchant_id
        self.seen: dict[str, tuple[Role, int]] = {}

    def __call__(self, signer: str, generation: int) -> bool:
        if signer not in self.seen:
            staff = self.reads.staff(self.merchant_id, signer)
            self.seen[signer] = (staff.role, staff.generation)
        role, now = self.seen[signer]
        return role is not Role.NONE and now == generation


def _newest(db: Any, table: Table, merchant_id: int, still: _StillStaff) -> int | None:
    rows = db.execute(select(table.c.issued_at, table.c.signer, table.c.generation)
                      .where(table.c.merchant_id == merchant_id).order_by(table.c.issued_at.desc()))
    return next((issued_at for issued_at, signer, generation in rows if still(signer, generation)), None)


def _kind(content: Profile | Catalogue) -> str:
    return "profile" if isinstance(content, Profile) else "catalogue batch"
