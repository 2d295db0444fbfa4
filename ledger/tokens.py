"""The part of ERC-20 the library uses: balances and allowances (to pay), and a token's decimals and symbol (to
show amounts)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from web3 import Web3

from . import validate
from .errors import InvalidInput

ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": name, "stateMutability": mutability, "inputs": inputs, "outputs": outputs}
    for name, mutability, inputs, outputs in (
        ("balanceOf", "view", [{"name": "a", "type": "address"}], [{"name": "", "type": "uint256"}]),
        ("allowance", "view", [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
         [{"name": "", "type": "uint256"}]),
        ("approve", "nonpayable", [{"name": "s", "type": "address"}, {"name": "v", "type": "uint256"}], []),
        ("decimals", "view", [], [{"name": "", "type": "uint8"}]),
        ("symbol", "view", [], [{"name": "", "type": "string"}]),
    )
]
"""``approve`` is declared without a return value so tokens that return nothing (old USDT style) work too."""


def token_info(w3: Web3, token: str) -> tuple[int, str | None]:
    """A token's decimals (18 when it does not say: ``decimals()`` is optional in ERC-20) and its symbol (None
    when it has none, or names itself with markup, spaces or control characters)."""
    contract = w3.eth.contract(address=w3.to_checksum_address(token), abi=ERC20_ABI)
    try:
        decimals = int(contract.functions.decimals().call())
    except Exception:  # decimals() is optional in ERC-20
        decimals = 18
    try:
        symbol: str | None = str(contract.functions.symbol().call())
    except Exception:  # so is symbol()
        symbol = None
    if symbol is not None and not re.fullmatch(r"[A-Za-z0-9.$_-]{1,12}", symbol):
        symbol = None  # a token names itself; markup, spaces or control characters are not a name
    return decimals, symbol


def check_token(w3: Web3, token: str, own: Collection[str]) -> str:
    """``token`` if it is an ERC-20 token's contract: code at the address that answers ``balanceOf``, and none
    of the ledger's own contracts (``own``); ``InvalidInput`` saying which it is not, before a shop lists it and
    its customers pay in it. ``decimals`` is optional in ERC-20 (early tokens lack it; amounts are then read
    with 18), so it is not asked for."""
    token = validate.address(token, "token")
    if token in own:
        raise InvalidInput(f"{token} is one of the ledger's own contracts, not a token: give the token's contract address")
    if not w3.eth.get_code(token):
        raise InvalidInput(f"there is no contract at {token} on this chain: give the token's contract address "
                           "(an account or a mistyped address holds no token)")
    contract = w3.eth.contract(address=token, abi=ERC20_ABI)
    try:
        contract.functions.balanceOf(token).call()
    except Exception:  # whatever the contract does instead of answering, it is no ERC-20 token
        raise InvalidInput(f"the contract at {token} does not answer balanceOf(), so it is no ERC-20 token: give the "
                           "token's contract address") from None
    return token
