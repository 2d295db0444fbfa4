"""Connections: the embedded chain, anvil and Hardhat's node share development accounts and move time the same
way."""

from __future__ import annotations

import pytest

from ledger.chain import AnvilChain, EmbeddedChain, HardhatChain, connect, dev_accounts
from ledger.errors import NodeError, NotALocalChain

every_node = pytest.mark.parametrize("deployed", ["embedded", "anvil", "hardhat"], indirect=True)
"""Hardhat's node too, for what only a node's own methods do (its time, its snapshots)."""


def test_dev_accounts_are_anvils_well_known_accounts() -> None:
    assert dev_accounts()[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@every_node
def test_advance_time_moves_the_next_block(chain) -> None:
    before = chain.now()
    chain.advance_time(8 * 86_400)
    assert chain.now() - before >= 8 * 86_400


@every_node
def test_set_next_block_time_is_exact(chain, accounts) -> None:
    target = chain.now() + 1_000
    chain.set_next_block_time(target)
    w3 = chain.w3
    sender = accounts[9]
    tx = {"to": accounts[8].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10,
          "maxPriorityFeePerGas": 1, "nonce": w3.eth.get_transaction_count(sender.address), "chainId": chain.chain_id}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
    assert w3.eth.get_block(receipt["blockNumber"])["timestamp"] == target


@every_node
def test_snapshot_and_revert_undo_time_and_state(chain, accounts) -> None:
    snapshot = chain.snapshot()
    balance = chain.w3.eth.get_balance(accounts[9].address)
    chain.advance_time(86_400)
    chain.revert(snapshot)
    assert chain.w3.eth.get_balance(accounts[9].address) == balance


def test_connect_to_a_dead_url_says_what_to_do() -> None:
    with pytest.raises(NodeError, match="no Ethereum node answers at http://127.0.0.1:9"):
        connect("http://127.0.0.1:9")


def test_connect_reaches_a_running_anvil() -> None:
    with AnvilChain() as node:
        chain = connect(node.url)
        assert chain.chain_id == 31337
        assert chain.accounts()[0].address == dev_accounts()[0].address


@pytest.mark.parametrize("started", [AnvilChain, HardhatChain], ids=["anvil", "hardhat"])
def test_a_started_node_stops_on_close(started) -> None:
    node = started()
    node.close()
    assert node.process.poll() is not None
    with pytest.raises(NodeError):
        connect(node.url)


def test_time_moves_only_on_local_chains() -> None:
    with EmbeddedChain() as embedded:
        assert embedded.is_local
    with AnvilChain() as node:
        remote = connect(node.url)
        remote_accounts = remote.accounts()
        assert remote_accounts  # chain id 31337: a development chain
    from ledger.chain import Chain

    plain = Chain(remote.w3)
    with pytest.raises(NotALocalChain):
        plain.advance_time(1)
    with pytest.raises(NotALocalChain):
        plain.accounts()


@every_node
def test_set_next_block_time_refuses_the_past(chain) -> None:
    from ledger.errors import InvalidInput

    with pytest.raises(InvalidInput, match="time only moves forward"):
        chain.set_next_block_time(chain.now() - 10)
