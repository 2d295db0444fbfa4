"""The deploy and seed scripts, run as plain Python against a node, anvil or Hardhat's (brownie runs them in its own
check)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.chain import AnvilChain, HardhatChain, RpcChain
from ledger.client import Ledger
from ledger.deployment import Deployment
from ledger.models import Status

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[2]


def run_script(name: str, chain: RpcChain, deployment: Path, **settings: str) -> str:
    env = {**os.environ, "LEDGER_RPC": chain.url, "LEDGER_DEPLOYMENT": str(deployment), **settings}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / name)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("node", [AnvilChain, HardhatChain], ids=["anvil", "hardhat"])
def test_deploy_then_seed_builds_a_settled_history(node, tmp_path) -> None:
    """Seeding goes through the bulk path, which Hardhat's node takes from each sender in nonce order only."""
    deployment = tmp_path / "deployment.json"
    with node() as chain:
        out = run_script("deploy.py", chain, deployment)
        recorded = Deployment.load(deployment)
        assert f"ledger deployed at {recorded.address}" in out and recorded.chain_id == chain.chain_id
        out = run_script("seed.py", chain, deployment, SEED_PURCHASES="24", SEED_CUSTOMERS="6", SEED_DAYS="60")
        assert "seeded 24 purchases at 4 shops by 6 customers" in out and "24 settled" in out
        ledger = Ledger.attach(chain, recorded)
        purchases = ledger.purchases()
        assert len(purchases) == 24 and len({p.customer for p in purchases}) <= 6
        assert all(Status.SETTLED in p.statuses for p in purchases)
        assert purchases[-1].purchased_at - purchases[0].purchased_at >= 50 * 86_400  # spread over the period
        assert len(ledger.merchants()) == 4 and ledger.contacts() and ledger.reviews()
        assert any(p.returned_lines for p in purchases) and any(p.referral_bps for p in purchases)
        # Every order was made out to the customer who bought it.
        assert all(p.order.customer == p.customer for p in purchases)
        assert chain.w3.eth.get_balance(ledger.address) == 0  # everything paid out or refunded


def test_scripts_without_a_node_say_how_to_start_one(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_RPC"}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "deploy.py")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "start one with `ledger node start`" in result.stderr
    assert "Traceback" not in result.stderr
