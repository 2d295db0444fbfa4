"""Shop-signed orders: what a purchase is made of.

The shop's owner or an agent signs an order (EIP-712 ``Order`` in the ledger's domain); the customer's
side carries it (as JSON) to ``CustomerDesk.buy``. On chain an order travels packed into six words
(``ILedger.Order``); its EIP-712 digest is the purchase id, so an order is bought once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from . import signatures, validate
from .codec import checksum
from .errors import InvalidInput

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

NATIVE = "0x0000000000000000000000000000000000000000"
"""The token address that stands for the chain's native currency (ETH)."""


@dataclass(frozen=True)
class LineItem:
    """One line of a purchase."""

    sku: str
    quantity: int
    unit_price: int

    @property
    def total(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_price

    @classmethod
    def of(cls, line: LineItem | Sequence[Any]) -> LineItem:
        """A ``LineItem`` from itself or a (sku, quantity, unit price) tuple."""
        if isinstance(line, LineItem):
            return line
        try:
            return cls(*line)
        except TypeError as error:
            raise InvalidInput(f"a line is a (sku, quantity, unit price), not {line!r}") from error



@dataclass(frozen=True)
class SignedReturn:
    """A return request signed by the customer (EIP-712); anyone may submit it, once. The nonce is random,
    so an unused request blocks no other; the customer may cancel it (``CustomerDesk.cancel_return``)."""

    purchase_id: str
    line_mask: int
    shipment_ref: str
    nonce: int
    deadline: int
    signature: str
    chain_id: int
    contract: str



ORDER_TYPES: dict[str, list[dict[str, str]]] = {
    "Order": [
        {"name": "merchantId", "type": "uint64"},
        {"name": "termsId", "type": "uint64"},
        {"name": "customer", "type": "address"},
        {"name": "token", "type": "address"},
        {"name": "total", "type": "uint256"},
        {"name": "linesHash", "type": "bytes32"},
        {"name": "lineCount", "type": "uint8"},
        {"name": "orderRef", "type": "bytes32"},
        {"name": "expiry", "type": "uint40"},
        {"name": "referrer", "type": "address"},
        {"name": "referralBps", "type": "uint16"},
        {"name": "returnWindow", "type": "uint32"},
        {"name": "restockingFeeBps", "type": "uint16"},
        {"name": "deliveryWait", "type": "uint32"},
        {"name": "itemMustBeReturned", "type": "bool"},
        {"name": "signerGeneration", "type": "uint8"},
    ]
}
"""EIP-712 type of an order (``Orders.ORDER_TYPEHASH``)."""

RETURN_REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "ReturnRequest": [
        {"name": "purchaseId", "type": "bytes32"},
        {"name": "lineMask", "type": "uint32"},
        {"name": "shipmentRef", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
"""EIP-712 type of a signed return request (``Ledger.RETURN_REQUEST_TYPEHASH``)."""

MAX_REQUEST_VALIDITY = 30 * 86_400
"""The longest a signed return request may be submitted for: it is a standing permission to return for the
customer, and one that outlives anyone's memory of it is a risk, not a convenience."""

DOMAIN_NAME, DOMAIN_VERSION = "Ledger", "3"
"""The ledger's EIP-712 domain name and version."""

EIP712_DOMAIN = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                 {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}]
"""The domain's own type, which ``eth_signTypedData_v4`` wants in ``types`` (and ethers refuses there)."""

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
ORDER_TYPEHASH = keccak(text="Order(" + ",".join(f"{f['type']} {f['name']}" for f in ORDER_TYPES["Order"]) + ")")
"""The type hashes, as ``ORDER_TYPES`` spells the order (``Orders.ORDER_TYPEHASH`` on chain)."""

MAX_LINES = 32


def domain(chain_id: int, ledger: str) -> dict[str, Any]:
    """The EIP-712 domain of a ledger contract."""
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": ledger}


def domain_separator(chain_id: int, ledger: str) -> bytes:
    """The EIP-712 domain separator of a ledger contract (what ``EIP712._domainSeparatorV4`` returns)."""
    return keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"], [
        DOMAIN_TYPEHASH, keccak(text=DOMAIN_NAME), keccak(text=DOMAIN_VERSION), chain_id, ledger]))


def return_digest(request: SignedReturn) -> bytes:
    """The EIP-712 digest a customer signs for a return request, as the contract computes it."""
    message = {"purchaseId": bytes.fromhex(request.purchase_id[2:]), "lineMask": request.line_mask,
               "shipmentRef": bytes.fromhex(request.shipment_ref[2:]), "nonce": request.nonce,
               "deadline": request.deadline}
    return _typed_digest(domain(request.chain_id, request.contract), RETURN_REQUEST_TYPES, message)


def wallet_typed_data(primary: str, types: dict[str, Any], message: dict[str, Any], chain_id: int,
                      ledger: str) -> dict[str, Any]:
    """Typed data in a ledger's domain as ``eth_signTypedData_v4`` takes it (MetaMask, a Safe through WalletConnect,
    ``cast wallet sign --data``, eth-account's ``full_message``): the domain's type in ``types``, and ``message``
    already JSON-safe."""
    return {"types": {"EIP712Domain": EIP712_DOMAIN, **types}, "primaryType": primary,
            "domain": domain(chain_id, ledger), "message": message}


def ethers_form(typed: dict[str, Any]) -> dict[str, Any]:
    """Typed data (``wallet_typed_data``) as ethers' ``signTypedData(domain, types, value)`` takes it: ethers works
    out the domain's type itself and refuses one given in ``types``."""
    return {"domain": typed["domain"], "types": {name: fields for name, fields in typed["types"].items()
                                                  if name != "EIP712Domain"}, "value": typed["message"]}


def _typed_digest(domain_fields: dict[str, Any], types: dict[str, Any], message: dict[str, Any]) -> bytes:
    """The EIP-712 digest of ``message``, as eth-account encodes it (independently of the contract)."""
    signable = encode_typed_data(domain_fields, types, message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def line_tuple(line: LineItem) -> tuple[bytes, int, int]:
    """A line as the contract takes it: (sku bytes32, quantity, unit price), checked."""
    validate.positive(line.quantity, "quantity")
    validate.non_negative(line.unit_price, "unit price")
    if line.quantity >= 2**32 or line.unit_price >= 2**128:
        raise InvalidInput(f"line {line.sku!r}: quantity must be below 2^32 and unit price below 2^128")
    return validate.sku(line.sku), line.quantity, line.unit_price


def lines_hash(lines: tuple[LineItem, ...]) -> bytes:
    """keccak256 of the ABI-encoded lines, as the contract computes it."""
    return keccak(encode(["(bytes32,uint32,uint128)[]"], [[line_tuple(line) for line in lines]]))


@dataclass(frozen=True)
class Order:
    """An order a shop offers: what is sold, for how much, under which terms, to whom and until when."""

    merchant_id: int
    terms_id: int
    lines: tuple[LineItem, ...]
    order_ref: str
    """The shop's order reference as 0x and 64 hex digits (a hash: never personal data)."""
    expiry: int
    """Last second at which the order may be bought."""
    return_window: int
    restocking_fee_bps: int
    delivery_wait: int
    """0: the window starts at purchase; otherwise at confirmed delivery, or after this many seconds."""
    item_must_be_returned: bool
    customer: str = NATIVE
    """The customer the order is made out to; the zero address lets anyone buy it (once)."""
    token: str = NATIVE
    referrer: str = NATIVE
    referral_bps: int = 0
    signer_generation: int = 0
    """The staff generation of the account that signs (``Staff.generation``): an agent removed since cannot
    have its earlier orders bought, even once it is added again."""

    @property
    def total(self) -> int:
        """What the order costs: quantity times unit price over the lines."""
        return sum(line.total for line in self.lines)

    @cached_property
    def _lines_hash(self) -> bytes:
        """keccak256 of the ABI-encoded lines, worked out once (an order is signed, packed and hashed)."""
        return lines_hash(self.lines)

    @property
    def lines_hash(self) -> str:
        """keccak256 of the ABI-encoded lines."""
        return "0x" + self._lines_hash.hex()

    def packed(self) -> tuple[int, int, int, int, bytes, bytes]:
        """The six words of ``ILedger.Order``."""
        head = (
            int(self.customer, 16) << 96 | self.merchant_id << 32 | len(self.lines) << 24
            | int(self.item_must_be_returned) << 16 | self.restocking_fee_bps
        )
        payment = int(self.token, 16) << 96 | self.terms_id << 32 | self.return_window
        referral = (int(self.referrer, 16) << 96 | self.referral_bps << 80 | self.delivery_wait << 48 | self.expiry << 8
                    | self.signer_generation)
        return head, payment, referral, self.total, self._lines_hash, bytes.fromhex(self.order_ref[2:])

    def line_tuples(self) -> list[tuple[bytes, int, int]]:
        """The lines as the contract takes them."""
        return [line_tuple(line) for line in self.lines]

    def message(self) -> dict[str, Any]:
        """The EIP-712 message the shop signs."""
        return {
            "merchantId": self.merchant_id, "termsId": self.terms_id, "customer": self.customer,
            "token": self.token, "total": self.total, "linesHash": self._lines_hash,
            "lineCount": len(self.lines), "orderRef": bytes.fromhex(self.order_ref[2:]), "expiry": self.expiry,
            "referrer": self.referrer, "referralBps": self.referral_bps, "returnWindow": self.return_window,
            "restockingFeeBps": self.restocking_fee_bps, "deliveryWait": self.delivery_wait,
            "itemMustBeReturned": self.item_must_be_returned, "signerGeneration": self.signer_generation,
        }

    def typed_data(self, chain_id: int, ledger: str) -> dict[str, Any]:
        """The order as a wallet signs it in a ledger's domain (``eth_signTypedData_v4``; ``ethers_form`` for
        ethers), in JSON: bytes as 0x-hex, and numbers wider than JavaScript reads exactly (the ``uint64`` ids, the
        ``uint256`` total) as decimal strings. Its digest is the purchase id (``purchase_id``)."""
        message = self.message()
        wide = {f["name"] for f in ORDER_TYPES["Order"] if f["type"] in ("uint64", "uint256")}
        json_safe = {name: "0x" + value.hex() if isinstance(value, bytes) else str(value) if name in wide else value
                     for name, value in message.items()}
        return wallet_typed_data("Order", ORDER_TYPES, json_safe, chain_id, ledger)

    def purchase_id(self, chain_id: int, ledger: str) -> str:
        """The order's EIP-712 digest in a ledger's domain: the id its purchase has."""
        return "0x" + self.digest(domain_separator(chain_id, ledger)).hex()

    def digest(self, separator: bytes) -> bytes:
        """The EIP-712 digest under a domain separator (``domain_separator``): the ``hashStruct`` of an
        ``Order`` is its type hash and sixteen static words, packed here directly, which is what lets the
        bulk path sign thousands of orders a second (``eth_account``'s general encoder takes half a
        millisecond an order; a test holds the two to the same digest)."""
        fields = (
            self.merchant_id, self.terms_id, int(self.customer, 16), int(self.token, 16), self.total,
            int.from_bytes(self._lines_hash, "big"), len(self.lines), int(self.order_ref, 16), self.expiry,
            int(self.referrer, 16), self.referral_bps, self.return_window, self.restocking_fee_bps,
            self.delivery_wait, int(self.item_must_be_returned), self.signer_generation,
        )
        struct = keccak(ORDER_TYPEHASH + b"".join(word.to_bytes(32, "big") for word in fields))
        return keccak(b"\x19\x01" + separator + struct)

    @classmethod
    def unpack(cls, words: Any, lines: tuple[LineItem, ...]) -> Order:
        """An order from the six words of ``ILedger.Order`` (as decoded from an event) and its lines."""
        head, payment, referral, total, _, order_ref = (words[k] for k in (
            "head", "payment", "referral", "total", "linesHash", "orderRef")) if isinstance(words, dict) else words
        def address(word: int) -> str:
            return checksum((word >> 96).to_bytes(20, "big"))

        return cls(
            merchant_id=head >> 32 & (2**64 - 1), terms_id=payment >> 32 & (2**64 - 1), lines=lines,
            order_ref="0x" + bytes(order_ref).hex() if not isinstance(order_ref, str) else order_ref,
            expiry=referral >> 8 & (2**40 - 1), return_window=payment & (2**32 - 1),
            restocking_fee_bps=head & 0xFFFF, delivery_wait=referral >> 48 & (2**32 - 1),
            item_must_be_returned=bool(head >> 16 & 1), customer=address(head),
            token=address(payment), referrer=address(referral),
            referral_bps=referral >> 80 & 0xFFFF, signer_generation=referral & 0xFF,
        )


def recover_order_signer(order: Order, signature: bytes, chain_id: int, ledger: str) -> str | None:
    """Who signed an order with an account's signature (64-byte EIP-2098 or 65-byte), as the contract sees it;
    the digest is eth-account's encoding of the typed data, not the contract's hashing of the packed order."""
    return signatures.recover(_typed_digest(domain(chain_id, ledger), ORDER_TYPES, order.message()), signature)


@dataclass(frozen=True)
class SignedOrder:
    """An order with the shop's signature, for one ledger on one chain: what the customer's side carries. Without
    a signature yet ('') it is an order waiting for ``signer``'s wallet (``MerchantDesk.prepare_quote``): its file
    carries the typed data to sign, and ``with_signature`` takes the signature back."""

    order: Order
    signature: str
    """As the contract takes it: an account's 64-byte EIP-2098 signature, or a contract wallet's
    ``abi.encode(wallet, payload)`` (``signatures.wallet_signature``); '' while unsigned."""
    signer: str
    chain_id: int
    ledger: str
    purchase_id: str = field(default="")
    order_number: str = ""
    """The shop's own order number, whose keccak256 is the order's reference ('' when not given)."""

    def with_signature(self, signature: str | bytes, signer: str | None = None) -> SignedOrder:
        """This order signed by ``signer`` (by default the one it waits for) with ``signature``: an account's
        (65 or 64 bytes that recover to ``signer``) goes on chain in its 64-byte form; anything else is a contract
        wallet's, carried as ``abi.encode(signer, signature)``: a Safe's owners' ERC-1271 signature, or none (empty)
        when the Safe approved the order's digest on chain (SignMessageLib). Whether the wallet accepts it is the
        chain's to say: ``MerchantDesk.attach`` asks it before the order is handed out."""
        if isinstance(signature, str):
            try:
                signature = bytes.fromhex(signature.strip().removeprefix("0x"))
            except ValueError as error:
                raise InvalidInput("the signature is not hex digits: give it as the wallet gave it, 0x and hex "
                                   "(or nothing for an order the wallet approved on chain)") from error
        signer = validate.address(signer if signer is not None else self.signer, "signer")
        digest = self.order.digest(domain_separator(self.chain_id, self.ledger))
        if len(signature) in (64, 65) and signatures.recover(digest, signature) == signer:
            signature = signature if len(signature) == 64 else compact_signature(signatures.normalised(signature))
        else:
            signature = signatures.wallet_signature(signer, signature)
        return replace(self, signature="0x" + signature.hex(), signer=signer,
                       purchase_id=self.purchase_id or self.order.purchase_id(self.chain_id, self.ledger))

    def sign(self, account: LocalAccount) -> SignedOrder:
        """This order signed with an account's key (the shop's owner or an agent that is an account)."""
        signed = account.sign_typed_data(domain(self.chain_id, self.ledger), ORDER_TYPES, self.order.message())
        return self.with_signature(bytes(signed.signature), account.address)

    def to_json(self) -> str:
        """The signed order as JSON (amounts as strings, so no JSON reader rounds them); an unsigned one carries
        its typed data for the signer's wallet too (``typedData``, never read back: the order is the source)."""
        order = self.order
        return json.dumps({
            "kind": "ledger-order", "version": 3, "chainId": self.chain_id, "ledger": self.ledger,
            "purchaseId": self.purchase_id, "signer": self.signer, "signature": self.signature,
            **({"orderNumber": self.order_number} if self.order_number else {}),
            **({} if self.signature else {"typedData": order.typed_data(self.chain_id, self.ledger)}),
            "order": {
                "merchantId": order.merchant_id, "termsId": order.terms_id, "customer": order.customer,
                "token": order.token, "orderRef": order.order_ref, "expiry": order.expiry,
                "referrer": order.referrer, "referralBps": order.referral_bps,
                "returnWindow": order.return_window, "restockingFeeBps": order.restocking_fee_bps,
                "deliveryWait": order.delivery_wait, "itemMustBeReturned": order.item_must_be_returned,
                "signerGeneration": order.signer_generation,
                "lines": [{"sku": line.sku, "quantity": line.quantity, "unitPrice": str(line.unit_price)}
                          for line in order.lines],
            },
        }, indent=1)

    def link(self, page: str = "") -> str:
        """The address that opens this order on the page ``ledger serve`` runs at ``page`` (its base URL; none
        gives the path alone), where the customer pays it with their own wallet: ``/pay?order=`` followed by
        the signed order (``encoded``). It carries the whole order, so any server of this ledger opens it (about
        1,400 characters: ``links.short_link`` is the one for a QR code or a text message)."""
        return page.rstrip("/") + "/pay?order=" + self.encoded()

    def encoded(self) -> str:
        """The signed order (``to_json``) in base64url without padding: what an order link carries (``from_link``)."""
        return base64.urlsafe_b64encode(self.to_json().encode()).decode().rstrip("=")

    @classmethod
    def from_link(cls, encoded: str) -> SignedOrder:
        """The signed order an order link carries (its ``order`` parameter); ``InvalidInput`` if damaged."""
        try:
            text = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise InvalidInput("the order link is damaged (it is not base64url): ask the shop for a new link") from error
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str) -> SignedOrder:
        """Read a signed order written by ``to_json``; a malformed one raises ``InvalidInput``."""
        try:
            raw = json.loads(text)
            if raw.get("kind") != "ledger-order" or raw.get("version") != 3:
                raise InvalidInput("this file is not a ledger order (version 3): ask the shop for a new one")
            body = raw["order"]
            lines = tuple(LineItem(str(line["sku"]), _whole(line["quantity"]), _whole(line["unitPrice"]))
                          for line in body["lines"])
            order = Order(
                merchant_id=_whole(body["merchantId"], 64), terms_id=_whole(body["termsId"], 64), lines=lines,
                order_ref="0x" + validate.bytes32(body["orderRef"], "order reference").hex(),
                expiry=_whole(body["expiry"], 40), return_window=_whole(body["returnWindow"], 32),
                restocking_fee_bps=_whole(body["restockingFeeBps"], 16),
                delivery_wait=_whole(body["deliveryWait"], 32),
                item_must_be_returned=_flag(body["itemMustBeReturned"]),
                customer=validate.address(body["customer"], "customer"),
                token=validate.address(body["token"], "token"),
                referrer=validate.address(body["referrer"], "referrer"),
                referral_bps=_whole(body["referralBps"], 16),
                signer_generation=_whole(body["signerGeneration"], 8),
            )
            number = raw.get("orderNumber", "")
            if not isinstance(number, str) or (number and "0x" + keccak(text=number).hex() != order.order_ref):
                raise InvalidInput("the order's number does not match its reference (the number's hash): ask the "
                                   "shop for a new link")
            return cls(order, str(raw["signature"]), validate.address(raw["signer"], "signer"),
                       _whole(raw["chainId"], 64), validate.address(raw["ledger"], "ledger"),
                       str(raw.get("purchaseId", "")), number)
        except InvalidInput:
            raise
        except json.JSONDecodeError as error:
            raise InvalidInput(f"the order file is malformed (it is not JSON: it breaks at line {error.lineno}, "
                               f"column {error.colno}): ask the shop for a new one") from error
        except (ValueError, KeyError) as error:
            raise InvalidInput(f"the order file is malformed ({_what(error)}): ask the shop for a new one") from error
        except (TypeError, AttributeError) as error:
            raise InvalidInput("the order file is malformed (a part of it is not the kind of value an order holds): "
                               "ask the shop for a new one") from error


def _whole(value: object, bits: int = 256) -> int:
    """A whole number that fits the ``bits`` the order packs it in (a wider one would spill into the next field)."""
    if isinstance(value, bool):
        raise ValueError("a number is needed")
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        value = int(value)
    if isinstance(value, int) and 0 <= value < 2**bits:
        return value
    raise ValueError(f"{value!r} is not a whole number below 2^{bits}")


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _what(error: Exception) -> str:
    return f"missing field {error}" if isinstance(error, KeyError) else str(error)


def compact_signature(signature: bytes) -> bytes:
    """A 65-byte (r, s, v) signature as its 64-byte EIP-2098 form (r, vs), which costs less calldata."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (s | (v - 27) << 255).to_bytes(32, "big")
