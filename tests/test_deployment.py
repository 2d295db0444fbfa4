"""The deployment file: write, read back, attach; and every way it can be wrong."""

from __future__ import annotations

import json

import pytest

from ledger import errors
from ledger.client import Ledger
from ledger.deployment import Deployment


def test_deployment_round_trip(ledger, chain, tmp_path, shop) -> None:
    path = ledger.deployment().save(tmp_path / "deploy" / "ledger.json")
    loaded = Deployment.load(path)
    assert loaded == ledger.deployment()
    assert loaded.chain_id == chain.chain_id and loaded.address == ledger.address
    attached = Ledger.attach(chain, loaded)
    assert attached.merchant(shop.merchant_id) == ledger.merchant(shop.merchant_id)


def test_attach_on_another_chain_refused(ledger, chain) -> None:
    other = Deployment(ledger.address, chain.chain_id + 1, 0)
    with pytest.raises(errors.WrongChain, match=f"chain id {chain.chain_id + 1} but the node is chain id"):
        Ledger.attach(chain, other)


def test_attach_without_code_refused(chain, accounts) -> None:
    with pytest.raises(errors.DeploymentError, match="no contract at"):
        Ledger.attach(chain, Deployment(accounts[9].address, chain.chain_id, 0))


def test_missing_deployment_file(tmp_path) -> None:
    with pytest.raises(errors.DeploymentError, match="no deployment recorded"):
        Deployment.load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}),
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
