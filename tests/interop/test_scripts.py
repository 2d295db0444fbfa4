"""The deploy and seed scripts, run as plain Python against a node, anvil or Hardhat's (brownie runs them in its own
check)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ledger.chain import AnvilChain, HardhatChain, RpcChain
from ledger.client import Ledger
from ledger.deployment import Deployment, chain_file
from ledger.models import Status
from ledger.scripting import ScriptDeployment, script_deployment

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[2]


def run_script(name: str, chain: RpcChain, deployment: Path, expect: int = 0, **settings: str) -> str:
    """The script's output; a refusal (``expect`` 1) is its one line on stderr, without a traceback."""
    env = {**os.environ, "LEDGER_RPC": chain.url, "LEDGER_DEPLOYMENT": str(deployment), **settings}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / name)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == expect, result.stderr
    if expect:
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr
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
        said = " ".join(out.split())  # the console wraps the line where the terminal ends
        assert "seeded 24 purchases at 4 shops (#1 to #4, owned by development accounts 1 to 4) by 6 customers" in said
        assert "24 settled" in said
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


def _brownie(network: str, launched: bool) -> SimpleNamespace:
    """What ``script_deployment`` reads of brownie, connected to ``network`` (its node ``launched`` by brownie)."""
    return SimpleNamespace(network=SimpleNamespace(is_connected=lambda: True, show_active=lambda: network,
                                                   rpc=SimpleNamespace(is_child=lambda: launched)))


def test_under_brownie_the_scripts_record_in_a_file_of_their_own(tmp_path, monkeypatch) -> None:
    """brownie's development network ends with the run that launched it: its record goes to a file of the network's
    own, which a later run may replace, never to the command line's file of the chain (same id, 31337)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_DEPLOYMENT", raising=False)
    chain = SimpleNamespace(chain_id=31337)
    monkeypatch.setitem(sys.modules, "brownie", _brownie("anvil-ledger", launched=True))
    own = Path(".ledger/brownie/anvil-ledger/deployment.json")
    assert script_deployment(chain) == ScriptDeployment(own, own, replaceable=True)
    monkeypatch.setitem(sys.modules, "brownie", _brownie("local", launched=False))  # a node that outlives the run
    assert script_deployment(chain).replaceable is False
    monkeypatch.setenv("LEDGER_DEPLOYMENT", "mine.json")
    assert script_deployment(chain) == ScriptDeployment(Path("mine.json"), Path("mine.json"), replaceable=False)
    monkeypatch.delenv("LEDGER_DEPLOYMENT")
    monkeypatch.delitem(sys.modules, "brownie")
    Path(".ledger").mkdir()
    Path(".ledger").joinpath("deployment.json").write_text('{"chain_id": 31337}')  # the one file of older versions
    place = script_deployment(chain)
    assert place.path == chain_file(Path(".ledger"), 31337) and place.recorded_at == Path(".ledger/deployment.json")


def test_the_scripts_never_replace_a_recorded_deployment(tmp_path) -> None:
    """deploy.py on a file that records a deployment, and seed.py on one the chain does not have, are refused in
    one line before anything is sent, naming the cause; the file stays as it was."""
    deployment = tmp_path / "deployment.json"
    with AnvilChain() as chain:
        run_script("deploy.py", chain, deployment)
        kept = deployment.read_text()
        block = chain.w3.eth.block_number
        again = run_script("deploy.py", chain, deployment, expect=1)
        assert "records a deployment already (the ledger at" in again and "set LEDGER_DEPLOYMENT to another" in again
        deployment.write_text(kept.replace('"block_number": ', '"block_number": 1000'))
        seeded = run_script("seed.py", chain, deployment, expect=1)
        assert "before block 1000" in seeded and "went back" in seeded
        assert chain.w3.eth.block_number == block
    assert deployment.read_text() == kept.replace('"block_number": ', '"block_number": 1000')
