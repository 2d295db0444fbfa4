"""Sending one transaction: simulated against the block it will land in, signed locally, sent raw.

A call the contract would refuse raises its decoded error during the simulation, before anything is
signed; the caller maps errors (``revert.mapped_errors``).
"""

from __future__ import annotations

import re
from typing import Any

from eth_account.signers.local import LocalAccount

from ..chain import Chain
from ..errors import ContractReverted, InsufficientFunds

GAS_MARGIN = 1.25
"""Gas limit sent, as a multiple of the simulated gas use."""


def sign_and_send(chain: Chain, account: LocalAccount, function: Any, value: int = 0) -> Any:
    """Simulate one contract call against the block it will land in, then sign it locally, send it and
    wait for its receipt. A refused simulation raises before anything is signed."""
    w3 = chain.w3
    params: dict[str, Any] = {"from": account.address, "value": value, "chainId": chain.chain_id}
    balance = w3.eth.get_balance(account.address)
    if balance < value:
        raise InsufficientFunds(account.address, value, balance, "the price")
    try:
        gas = function.estimate_gas(params, block_identifier=chain.simulation_block)
    except Exception as error:  # nodes word "cannot pay for gas" differently; everything else passes through
        if re.search(r"insufficient funds|cannot afford|not have enough balance", str(error), re.IGNORECASE):
            raise InsufficientFunds(account.address, value, balance, "the price plus gas") from error
        raise
    tip = priority_fee(chain)
    max_fee = 2 * int(w3.eth.get_block("latest").get("baseFeePerGas", 0)) + tip
    gas_limit = int(gas * GAS_MARGIN)
    needed = value + gas_limit * max_fee
    if balance < needed:
        raise InsufficientFunds(account.address, needed, balance, "the price plus the most gas could cost")
    tx = function.build_transaction(
        {
            **params,
            "gas": gas_limit,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        }
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        # It passed simulation but failed when mined (state changed in between): replay it to learn why.
        function.call(params, block_identifier=receipt["blockNumber"] - 1)
        raise ContractReverted(b"", f"transaction 0x{bytes(receipt['transactionHash']).hex()} failed when mined")
    return receipt


def priority_fee(chain: Chain) -> int:
    """The tip to offer: what the node suggests, or 1 gwei where it suggests nothing."""
    try:
        return int(chain.w3.eth.max_priority_fee)
    except Exception:  # nodes without eth_maxPriorityFeePerGas: 1 gwei is the usual default
        return 10**9
