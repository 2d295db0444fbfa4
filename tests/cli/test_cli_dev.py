"""The command line, as a developer uses it: the background node, deploying, accounts, keys, time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from ledger.chain import AnvilChain
from ledger.cli import main
from ledger.deployment import Deployment
from tests.support.cli import ok

ALICE_KEY_ADDRESS = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # development account 0, on any anvil


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_node_keeps_purchases_and_time_across_a_restart(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "no node is running" in run("node", "status").output
    ok(run("node", "start", "--port", "0"))
    try:
        assert "already running" in run("node", "start", "--port", "0").output
        ok(run("deploy"))
        ok(run("--account", "1", "merchant", "register"))
        ok(run("--account", "1", "terms", "publish", "1", "--window", "7d"))
        ok(run("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "O-1", "-o", "order.json"))
        ok(run("--account", "4", "buy", "--yes", "order.json"))
        ok(run("time", "advance", "10d"))
        before = json.loads(ok(run("--json", "node", "status")))
    finally:
        ok(run("node", "stop"))
    assert "no node is running" in run("node", "stop").output
    ok(run("node", "start", "--port", "0"))
    try:
        after = json.loads(ok(run("--json", "node", "status")))
        (purchase,) = json.loads(ok(run("--json", "purchases")))
        assert purchase["status"] == "closed"  # the 10 days moved before the restart still count
        assert after["block"] >= before["block"] and after["time"] >= before["time"]
    finally:
        ok(run("node", "stop"))


def test_commands_without_a_node_say_how_to_start_one(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("purchases")
    assert result.exit_code == 1 and "start one with `ledger node start`" in result.output


def test_missing_deployment_and_wrong_chain(cli, tmp_path) -> None:
    missing = cli("--deployment", str(tmp_path / "none.json"), "purchases")
    assert missing.exit_code == 1 and "no deployment recorded" in missing.output
    other = tmp_path / "other.json"
    deployed = json.loads(open(".ledger/deployment.json").read())
    other.write_text(json.dumps({**deployed, "chain_id": 1}))
    wrong = cli("--deployment", str(other), "purchases")
    assert wrong.exit_code == 1 and "the deployment is for chain id 1 but the node is chain id 31337" in wrong.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "is not a valid deployment file" in cli("--deployment", str(broken), "purchases").output


def test_deploying_on_another_chain_leaves_the_local_deployment_alone(cli, monkeypatch) -> None:
    """Each chain has its own deployment file; the project's file from before (``.ledger/deployment.json``, of the
    local chain) keeps working and is never written; a recorded deployment is replaced only with --force."""
    monkeypatch.setenv("DEPLOYER_KEY", DEV_KEY_0)
    local = Path(".ledger/deployment.json")
    kept = local.read_text()
    try:
        with AnvilChain(["--chain-id", "1337"]) as other:
            missing = cli("--rpc", other.url, "purchases")
            assert missing.exit_code == 1 and "no deployment recorded for chain 1337" in missing.stderr
            assert ".ledger records deployments of chain 31337: is this the right node?" in missing.stderr
            deployed = ok(cli("--rpc", other.url, "--account", "env:DEPLOYER_KEY", "deploy"))
            assert "recorded in .ledger/chains/1337/deployment.json" in " ".join(deployed.split())
            assert json.loads(ok(cli("--rpc", other.url, "--json", "purchases"))) == []
            block = other.w3.eth.block_number
            again = cli("--rpc", other.url, "--account", "env:DEPLOYER_KEY", "deploy")
            assert again.exit_code == 1 and "records a deployment already (the ledger at" in again.stderr
            assert "`ledger deploy --force` records the new one" in again.stderr and other.w3.eth.block_number == block
            replaced = json.loads(ok(cli("--rpc", other.url, "--account", "env:DEPLOYER_KEY", "--json", "deploy",
                                         "--force")))
            assert Deployment.load(Path(".ledger/chains/1337/deployment.json")).address == replaced["address"]
        assert local.read_text() == kept
        assert json.loads(ok(cli("--json", "purchases"))) == []  # the local chain still reads its file
        here = cli("deploy")
        assert here.exit_code == 1 and ".ledger/deployment.json records a deployment already" in here.stderr
    finally:
        shutil.rmtree(".ledger/chains", ignore_errors=True)
    assert local.read_text() == kept


def test_accounts_lists_development_accounts(cli) -> None:
    accounts = json.loads(cli("--json", "accounts").output)
    assert [a["account"] for a in accounts[:3]] == ["0", "1", "2"]
    assert accounts[4]["address"] == ALICE_KEY_ADDRESS and accounts[4]["balance"] > 0


def test_key_import_from_env_signs_without_showing_the_key(cli, monkeypatch) -> None:
    secret = Account.create()
    monkeypatch.setenv("SHOP_KEY", secret.key.hex())
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "correct horse")
    out = cli("key", "import", "shop", "--from-env", "SHOP_KEY").output
    assert f"key 'shop' stored for {secret.address}" in out
    assert secret.key.hex().removeprefix("0x") not in out
    stored = open(".ledger/keys/shop.json").read()
    assert secret.key.hex().removeprefix("0x") not in stored
    assert json.loads(cli("--json", "key", "list").output) == [{"name": "shop", "address": secret.address}]
    # The stored key signs: it has no ether, so the merchant registration is refused for lack of funds.
    refused = cli("--account", "shop", "merchant", "register")
    assert refused.exit_code == 1 and f"{secret.address} has 0" in refused.output
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "wrong")
    assert "wrong password for key 'shop'" in cli("--account", "shop", "my", "purchases").output
    assert "exists already" in cli("key", "import", "shop", "--from-env", "SHOP_KEY").output


def test_key_import_from_a_keystore_file(cli, tmp_path, monkeypatch) -> None:
    secret = Account.create()
    keystore = tmp_path / "wallet.json"
    keystore.write_text(json.dumps(Account.encrypt(secret.key, "pw", iterations=2)))
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "pw")
    assert secret.address in cli("key", "import", "wallet", "--keystore", str(keystore)).output
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "nope")
    result = cli("key", "import", "other", "--keystore", str(keystore))
    assert result.exit_code == 1 and "cannot be opened with that password" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (("key", "import", "x"), "exactly one of --keystore FILE or --from-env VARIABLE"),
        (("key", "import", "x", "--from-env", "NOT_SET_ANYWHERE"), "is not set"),
        (("key", "import", "../evil", "--from-env", "HOME"), "may use letters"),
        (("--account", "ghost", "my", "purchases"), "key named 'ghost'"),
        (("time", "advance", "soon"), "is not a duration"),
    ],
)
def test_developer_bad_input(cli, monkeypatch, args, message) -> None:
    monkeypatch.setenv("LEDGER_KEY_PASSWORD", "pw")
    result = cli(*args)
    assert result.exit_code == 1 and message in result.output


def test_env_account_signs_with_a_key_from_the_environment(cli, monkeypatch) -> None:
    dev_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # development account 1
    monkeypatch.setenv("MERCHANT_KEY", dev_key)
    out = cli("--account", "env:MERCHANT_KEY", "merchant", "register").output
    assert "owned by 0x70997970C51812dc3A010C7d01b50e0d17dc79C8" in out and dev_key[2:] not in out


def test_time_advance_moves_the_clock(cli) -> None:
    before = json.loads(cli("--json", "node", "status").output)["time"]
    moved = json.loads(cli("--json", "time", "advance", "1d12h").output)
    assert moved["advanced"] == 36 * 3600 and moved["time"] >= before + 36 * 3600


def test_build_check_finds_the_shipped_artifacts_up_to_date() -> None:
    result = run("build", "--check")
    assert result.exit_code == 0, result.output
    assert "the shipped artifacts match contracts/" in result.output


def test_errors_go_to_stderr_only(cli) -> None:
    result = cli("--account", "4", "return", "0x1234")
    assert result.exit_code == 1
    assert "there is no purchase 0x1234" in result.stderr and result.stdout == ""
