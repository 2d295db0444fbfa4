"""The tests' chain helpers: a purchase the usual way, what the ledger owes, raw calls and test contracts."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain import Chain
from ledger.client import CustomerDesk, Ledger, MerchantDesk
from ledger.desks.outbox import Outbox
from ledger.models import NATIVE, LineItem, Purchase, ReturnTerms
from ledger.orders import Order, SignedOrder
from ledger.revert import mapped_errors
from ledger.sending import Call

DAY = 86_400
ETHER = 10**18


@dataclass
class Deployed:
    chain: Chain
    ledger: Ledger
    snapshot: object
    accounts: list[LocalAccount]
    """The development accounts, derived once (deriving them from the mnemonic is slow)."""


def buy(shop: MerchantDesk, buyer: CustomerDesk, terms_id: int, lines, order_ref: str = "ORDER-1", *,
        token: str = NATIVE, referrer: str | None = None, referral_bps: int = 0, use_credit: int = 0,
        valid_for: int = 3_600) -> Purchase:
    """The usual way to a purchase in tests: the shop quotes an order for ``buyer`` and ``buyer`` buys it."""
    order = shop.quote(terms_id, lines, order_ref, customer=buyer.address, token=token, referrer=referrer,
                       referral_bps=referral_bps, valid_for=valid_for)
    return buyer.buy(order, use_credit=use_credit)


def orders_for(ledger: Ledger, terms: ReturnTerms, customers: list[LocalAccount], count: int,
               price: int = 10**15) -> list[Order]:
    """``count`` orders under ``terms``, made out to ``customers`` in turn (order refs 0, 1, …), for bulk sends."""
    expiry = ledger.chain.now() + DAY
    return [Order(merchant_id=terms.merchant_id, terms_id=terms.id, lines=(LineItem("MUG", 1 + n % 3, price),),
                  order_ref="0x" + n.to_bytes(32, "big").hex(), expiry=expiry, return_window=terms.return_window,
                  restocking_fee_bps=terms.restocking_fee_bps, delivery_wait=terms.delivery_wait,
                  item_must_be_returned=terms.item_must_be_returned, customer=customers[n % len(customers)].address)
            for n in range(count)]


def buy_call(ledger: Ledger, buyer: LocalAccount, signed: SignedOrder) -> Call:
    """The bulk send's item that buys a signed order as ``buyer``."""
    order = signed.order
    return Call(buyer, ledger.contract.functions.buy(
        order.packed(), order.line_tuples(), 0, bytes.fromhex(signed.signature[2:])), order.total)


def buy_calls(ledger: Ledger, signed: list[SignedOrder], buyers: list[LocalAccount]) -> list[Call]:
    """Each order bought by the customer it is made out to."""
    by_address = {buyer.address: buyer for buyer in buyers}
    return [buy_call(ledger, by_address[s.order.customer], s) for s in signed]


def owed(ledger: Ledger, token: str, accounts: list[str], merchants: list[int]) -> int:
    """What the ledger owes in ``token``: escrow, store credit, and payments kept for accounts and merchants."""
    escrow = sum(p.in_escrow for p in ledger.purchases() if p.token == token)
    credit = sum(ledger.credit(m, a, token).amount for m in merchants for a in accounts)
    deferred = sum(ledger.deferred_balance(a, token) for a in accounts)
    return escrow + credit + deferred + sum(ledger.merchant_deferred_balance(m, token) for m in merchants)


def simulate(ledger: Ledger, function: Any, sender: LocalAccount, value: int = 0) -> Any:
    """Run a ledger call as ``sender`` without sending it (skipping the library's own checks); reverts come
    back as our exceptions."""
    with mapped_errors(ledger.errors):
        return function.call({"from": sender.address, "value": value})


def twin(ledger: Ledger, index: bool | str) -> Ledger:
    """The same deployment read another way."""
    return Ledger(ledger.chain, ledger.address, ledger.feedback.address, ledger.from_block, index)


def deploy_contract(chain: Chain, account: LocalAccount, artifact: dict[str, Any], *args: Any) -> Any:
    """Deploy a test contract, signed locally, and return it as a web3 contract."""
    w3 = chain.w3
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(*args).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address), "chainId": chain.chain_id}
    )
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def send(chain: Chain, account: LocalAccount, function: Any, value: int = 0) -> Any:
    """Sign and send a raw contract call (for test contracts, outside the library); return the receipt."""
    w3 = chain.w3
    tx = function.build_transaction(
        {"from": account.address, "value": value, "nonce": w3.eth.get_transaction_count(account.address),
         "chainId": chain.chain_id}
    )
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))


def assert_kept(ledger: Ledger | Outbox, content_hash: str, text: str, kind: str) -> None:
    """The text behind a hash on chain is kept off chain and salted: the hash is not the text's plain keccak
    (nobody can test a guess against it), and the kept text with its salt gives the hash again."""
    from ledger.validate import hash_of

    kept = ledger.texts.get(content_hash)
    assert (kept.body, kept.kind.value) == (text, kind) and kept.matches
    assert content_hash != "0x" + hash_of(text).hex()


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
