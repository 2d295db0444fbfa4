"""The deployment file: write, read back, attach; and every way it can be wrong."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ledger import errors
from ledger.client import Ledger
from ledger.codec import hex_of
from ledger.deployment import Deployment


def test_deployment_round_trip(ledger, chain, tmp_path, shop) -> None:
    path = ledger.deployment().save(tmp_path / "deploy" / "ledger.json")
    loaded = Deployment.load(path)
    assert loaded == ledger.deployment()
    assert loaded.chain_id == chain.chain_id and loaded.address == ledger.address
    assert loaded.feedback == ledger.feedback.address and loaded.sources_hash == ledger.sources_hash
    attached = Ledger.attach(chain, loaded)
    assert attached.merchant(shop.merchant_id) == ledger.merchant(shop.merchant_id)


def test_deploy_puts_the_modules_behind_one_address(ledger) -> None:
    assert ledger.feedback.functions.LEDGER().call() == ledger.address
    assert len({ledger.address, ledger.feedback.address}) == 2
    # Calls the entry point does not implement reach the shops and service modules on the ledger's storage.
    assert ledger.call(ledger.contract.functions.merchantCount()) == 0
    assert ledger.call(ledger.contract.functions.creditOf(1, ledger.address, ledger.address)) == (0, 0, 0)


def test_attach_on_another_chain_refused(ledger, chain) -> None:
    other = replace(ledger.deployment(), chain_id=chain.chain_id + 1)
    with pytest.raises(errors.WrongChain, match=f"chain id {chain.chain_id + 1} but the node is chain id"):
        Ledger.attach(chain, other)


def test_attach_without_code_refused(ledger, chain, accounts) -> None:
    for missing in ({"address": accounts[9].address}, {"feedback": accounts[9].address}):
        with pytest.raises(errors.DeploymentError, match=f"no contract at {accounts[9].address}"):
            Ledger.attach(chain, replace(ledger.deployment(), **missing))


def test_a_chain_that_went_back_is_found_out(ledger, chain) -> None:
    """The deployment's block is checked by number and hash: a chain shorter than it, or whose block there is
    another one (it went back and grew again, maybe with a new deployment at the same address), is refused."""
    head = chain.w3.eth.block_number
    recorded = replace(ledger.deployment(), block_hash=hex_of(chain.w3.eth.get_block(ledger.from_block)["hash"]))
    recorded.check(chain)
    with pytest.raises(errors.DeploymentError, match=f"the chain is at block {head}, before block {head + 5}.*went back"):
        replace(recorded, block_number=head + 5).check(chain)
    with pytest.raises(errors.DeploymentError, match="is no longer the block the ledger was deployed in"):
        replace(recorded, block_hash="0x" + "11" * 32).check(chain)
    replace(recorded, block_hash="").check(chain)  # a file from before hashes were recorded: number and code only


def test_block_hash_round_trip_and_malformed(ledger, chain, tmp_path) -> None:
    recorded = replace(ledger.deployment(), block_hash="0x" + "ab" * 32)
    assert Deployment.load(recorded.save(tmp_path / "d.json")) == recorded
    data = json.loads((tmp_path / "d.json").read_text())
    (tmp_path / "d.json").write_text(json.dumps({**data, "block_hash": "0x12"}))
    with pytest.raises(errors.DeploymentError, match="block_hash must be a 32-byte hex hash"):
        Deployment.load(tmp_path / "d.json")


def test_missing_deployment_file(tmp_path) -> None:
    with pytest.raises(errors.DeploymentError, match="no deployment recorded"):
        Deployment.load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}),
        # A version 1 file: no feedback module.
        json.dumps({"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "chain_id": 1, "block_number": 0}),
        json.dumps({"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "chain_id": 1, "block_number": 0,
                    "feedback": "0x12"}),
        json.dumps({"address": "0x12", "chain_id": 1, "block_number": 0}),
        json.dumps({"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "chain_id": "1", "block_number": 0}),
        json.dumps([1, 2, 3]),
    ],
)
def test_malformed_deployment_file(tmp_path, content) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(content)
    with pytest.raises(errors.DeploymentError, match="is not a valid deployment file"):
        Deployment.load(path)
