"""The chain's own word on a purchase, read from the contract's views without the library, and the contract's
rules restated from the Solidity (refund shares, window states), so the state machine can tell what the
contract must do and check the library against the chain rather than against itself."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import requests
from eth_abi import decode
from eth_utils import to_checksum_address
from eth_utils.abi import get_abi_output_types

from ledger.orders import Order

BPS = 10_000
SETTLED, CREDIT_USED = 1, 8


def fields(raw: Any, names: tuple[str, ...]) -> list[Any]:
    """A struct a view returned, in ``names`` order (web3 gives tuples or dicts)."""
    return [raw[name] for name in names] if isinstance(raw, dict) else list(raw)


@dataclass(frozen=True)
class OnChain:
    """A purchase as ``purchaseState``, ``purchaseOf``, ``returnDeadline`` and ``creditUsedOf`` tell it."""

    order: Order
    refunded: int
    purchased_at: int
    delivered_after: int
    returned_mask: int
    extension_days: int
    flags: int
    customer: str = ""
    paid: int = 0
    deadline: int = 0
    credit_used: int = 0

    @property
    def bought(self) -> bool:
        return self.purchased_at != 0

    @property
    def settled(self) -> bool:
        return bool(self.flags & SETTLED)

    @property
    def all_returned(self) -> bool:
        return self.returned_mask == (1 << len(self.order.lines)) - 1

    @property
    def in_escrow(self) -> int:
        return 0 if self.settled else self.paid - self.refunded

    def window_state(self, now: int) -> str:
        """Where the purchase stands at ``now``, in the order ``Ledger._settleable`` decides it."""
        if self.settled:
            return "settled"
        if now >= self.deadline:
            return "closed"
        wait = self.order.delivery_wait
        if wait and not self.delivered_after and now < self.purchased_at + wait:
            return "awaiting_delivery"
        return "open"

    def lines_share(self, mask: int) -> int:
        """The share of what was paid that the lines in ``mask`` stand for (``_linesShare``)."""
        price = sum(line.total for i, line in enumerate(self.order.lines) if mask >> i & 1)
        return price * self.paid // self.order.total

    def return_due(self, mask: int) -> int:
        """What returning ``mask`` refunds (``_quoteReturn``)."""
        share = self.lines_share(mask)
        return min(share - share * self.order.restocking_fee_bps // BPS, self.in_escrow)

    def cash_share(self, amount: int) -> int:
        """The part of ``amount`` that stands for money paid, not credit (``_cashShare``)."""
        if not self.flags & CREDIT_USED:
            return amount
        return amount * (self.paid - self.credit_used) // self.paid


class Views:
    """Many reads in one JSON-RPC batch, sent straight to the node: the checks after every step read a few
    hundred values, and one round trip each (with web3's middleware) would be most of the run's time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.ids = itertools.count()

    def read(self, calls: Sequence[Any]) -> list[Any]:
        """The values of ``calls``: contract view calls (web3 functions, decoded by their ABI) or raw
        ``(method, params)`` requests whose result is a number (``eth_getBalance``)."""
        payload, decoders = [], []
        for call in calls:
            if isinstance(call, tuple):
                method, params = call
                decoders.append(lambda result: int(result, 16))
            else:
                method = "eth_call"
                params = [{"to": call.address, "data": call._encode_transaction_data()}, "latest"]
                decoders.append(_decoder(get_abi_output_types(call.abi)))
            payload.append({"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": params})
        return [decoder(result) for decoder, result in zip(decoders, self._send(payload))]

    def raw(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """The JSON results of raw ``(method, params)`` requests."""
        return self._send([{"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": params}
                           for method, params in requests])

    def _send(self, payload: list[dict[str, Any]]) -> list[Any]:
        if not payload:
            return []
        response = self.session.post(self.url, json=payload, timeout=60).json()
        answers = {answer["id"]: answer for answer in response}
        results = []
        for request in payload:
            answer = answers[request["id"]]
            assert "error" not in answer, f"{request['method']} failed: {answer['error']}"
            results.append(answer["result"])
        return results

    def purchases(self, functions: Any, orders: dict[str, Order]) -> dict[str, OnChain]:
        """Every order's purchase as the contract's views tell it (``bought`` False for an order not bought)."""
        keys = {pid: bytes.fromhex(pid[2:]) for pid in orders}
        states = self.read([functions.purchaseState(key) for key in keys.values()])
        found = {pid: OnChain(orders[pid], *state) for pid, state in zip(orders, states)}
        bought = [pid for pid, onchain in found.items() if onchain.bought]
        details = self.read([call for pid in bought for call in (
            functions.purchaseOf(orders[pid].packed()), functions.creditUsedOf(keys[pid]),
            functions.returnDeadline(orders[pid].packed()))])
        for i, pid in enumerate(bought):
            (_, customer, _, paid), (used, _cash), deadline = details[3 * i:3 * i + 3]
            found[pid] = replace(found[pid], customer=to_checksum_address(customer), paid=paid, deadline=deadline,
                                 credit_used=used)
        return found


def _decoder(types: list[str]) -> Any:
    def decoded(result: str) -> Any:
        values = decode(types, bytes.fromhex(result[2:]))
        return values[0] if len(values) == 1 else values
    return decoded
