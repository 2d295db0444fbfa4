"""The deployment file: write, read back, attach; and every way it can be wrong."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ledger import errors
from ledger.client import Ledger
from ledger.codec import hex_of
from ledger.deployment import Deployment, chain_file, make_room, others, recorded


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


def test_a_new_chain_with_the_same_id_is_not_called_a_chain_gone_back(ledger, chain) -> None:
    """anvil and hardhat always have id 31337: a node reset (or restarted without its state) is told by the chain's
    first block, and said so, instead of blaming a chain that went back."""
    recorded = ledger.deployment()
    assert recorded.genesis_hash == hex_of(chain.w3.eth.get_block(0)["hash"])
    with pytest.raises(errors.DeploymentError, match="the node was reset or restarted without its state, or this is "
                                                     "another node") as refused:
        replace(recorded, genesis_hash="0x" + "11" * 32, block_number=chain.w3.eth.block_number + 5).check(chain)
    assert "went back" not in str(refused.value)


def test_a_file_from_elsewhere_is_named(ledger, chain, accounts) -> None:
    """The deployment's block is this chain's, yet no contract at the file's address, or a feedback module of
    another ledger: the file was edited or put together from two deployments; the chain neither went back nor was
    reset."""
    with pytest.raises(errors.DeploymentError, match="the file is from elsewhere") as refused:
        replace(ledger.deployment(), address=accounts[9].address).check(chain)
    assert "went back" not in str(refused.value) and "reset" not in str(refused.value)
    other = Ledger.deploy(chain, accounts[0], index=False)  # a second deployment, its feedback module mixed in
    with pytest.raises(errors.DeploymentError, match=f"the feedback module at {other.feedback.address} is not the one "
                                                     f"of the ledger at {ledger.address}: the file is from elsewhere"):
        replace(ledger.deployment(), feedback=other.feedback.address).check(chain)
    with pytest.raises(errors.DeploymentError, match="is not the one of the ledger"):  # a contract without LEDGER()
        replace(ledger.deployment(), feedback=other.address).check(chain)


def test_a_file_written_before_the_hashes_were_recorded_still_works(ledger, chain, tmp_path, shop) -> None:
    path = ledger.deployment().save(tmp_path / "deployment.json")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in data.items() if k not in ("block_hash", "genesis_hash")}))
    older = Deployment.load(path)
    assert older.genesis_hash == older.block_hash == ""
    assert Ledger.attach(chain, older).merchant(shop.merchant_id) == ledger.merchant(shop.merchant_id)


def test_a_deployment_file_per_chain_and_the_one_file_of_older_versions(tmp_path) -> None:
    """Each chain has its own file; the one file of older versions keeps serving the chain it records (and a file
    it cannot tell the chain of, which loading then says is broken), never another chain."""
    shared, own = tmp_path / "deployment.json", chain_file(tmp_path, 31337)
    assert own == tmp_path / "chains" / "31337" / "deployment.json"
    assert recorded(tmp_path, 31337) == own and others(tmp_path, 31337) == []
    shared.write_text(json.dumps({"chain_id": 31337}))
    assert recorded(tmp_path, 31337) == shared and recorded(tmp_path, 1) == chain_file(tmp_path, 1)
    assert others(tmp_path, 1) == [31337]
    own.parent.mkdir(parents=True)
    own.write_text("{}")
    chain_file(tmp_path, 5).parent.mkdir(parents=True)
    chain_file(tmp_path, 5).write_text("{}")
    assert recorded(tmp_path, 31337) == own and others(tmp_path, 1) == [5, 31337]
    shared.write_text("{")
    assert recorded(tmp_path, 7) == shared


def test_a_deployment_record_is_never_replaced_without_a_word(ledger, chain, tmp_path) -> None:
    """Before anything is sent: a folder, a place that cannot be written and a file that records a deployment
    already are refused (the last one said to be in use, or why it is not), and nothing is left behind."""
    remedy = "deploy with --force"
    with pytest.raises(errors.DeploymentError, match="is a folder: give a file name.*nothing was deployed"):
        make_room(tmp_path, chain, True, remedy)
    with pytest.raises(errors.DeploymentError, match="cannot write the deployment record /proc/ledger.json"):
        make_room(Path("/proc/ledger.json"), chain, True, remedy)
    path = ledger.deployment().save(tmp_path / "deployment.json")
    with pytest.raises(errors.DeploymentError, match=f"records a deployment already \\(the ledger at {ledger.address}, "
                                                     "on this chain since block .*nothing was deployed; deploy with"):
        make_room(path, chain, False, remedy)
    path.write_text(json.dumps({**json.loads(path.read_text()), "chain_id": 1}))
    with pytest.raises(errors.DeploymentError, match="already \\(not usable on this node: the deployment is for chain "
                                                     "id 1"):
        make_room(tmp_path / "new.json", chain, False, remedy, recorded_at=path)
    make_room(path, chain, True, remedy)
    make_room(tmp_path / "a" / "b.json", chain, False, remedy, create_folder=True)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "deployment.json"]
