"""The local node after a kill (SIGKILL, a power cut): ``ledger node start`` brings back the last save and
says what may be lost; a deployment file or a history index that no longer matches the chain (the chain
went back) is found out and explained, never mixed with the chain as it is now."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from click.testing import CliRunner

from ledger import node
from ledger.chain import connect
from ledger.cli import main
from tests.support.cli import ok

ALICE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
SAVE_EVERY = 3_600
"""The node's own saves never come during a test: only a clean stop saves, so a kill loses a known part."""


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def kill(home: Path) -> None:
    """Kill the node as a power cut would: no chance to save. Returns once it is gone (a signal is delivered
    in its own time: a start right after could still see the node alive and refuse)."""
    pid = json.loads((home / "node.json").read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while node._alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def refs(output: str) -> list[str]:
    return sorted(p["order"]["order_ref"] for p in json.loads(output))


def test_a_killed_node_comes_back_as_last_saved_and_the_index_follows(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / ".ledger"
    node.start(home, port=0, save_every=SAVE_EVERY)
    try:
        ok(run("deploy"))
        ok(run("--account", "1", "merchant", "register"))
        ok(run("--account", "1", "terms", "publish", "1", "--window", "7d"))
        for ref in ("KEPT", "LOST", "AFTER"):
            ok(run("--account", "1", "quote", "1", "MUG:1:0.01", "--order", ref, "--for", ALICE, "-o", f"{ref}.json"))
        ok(run("--account", "3", "buy", "--yes", "KEPT.json"))
    finally:
        node.stop(home)  # a clean stop: everything so far is saved
    node.start(home, port=0, save_every=SAVE_EVERY)
    ok(run("--account", "3", "buy", "--yes", "LOST.json"))
    kept = refs(ok(run("--json", "purchases")))  # the index now holds the purchase about to be lost
    assert len(kept) == 2
    kill(home)

    assert "not stopped cleanly" in run("node", "stop").output  # the record is kept for the next start
    started = run("node", "start", "--port", "0")
    try:
        assert started.exit_code == 0, started.output
        (note,) = started.stderr.strip().splitlines()
        assert "not stopped cleanly" in note and "is back as last saved" in note and "1 hour" in note
        # The chain went back: the index says so, and forgets the lost purchase instead of mixing it in.
        assert "it went back" in ok(run("index"))
        assert len(refs(ok(run("--json", "purchases")))) == 1
        # New blocks grow where the lost ones were: still nothing of them in the index.
        ok(run("--account", "3", "buy", "--yes", "AFTER.json"))
        assert len(refs(ok(run("--json", "purchases")))) == 2
        ok(run("--account", "3", "buy", "--yes", "LOST.json"))  # lost, so it can be bought again: once
        assert len(refs(ok(run("--json", "purchases")))) == 3
    finally:
        ok(run("node", "stop"))
    assert ok(run("node", "start", "--port", "0")).count("not stopped cleanly") == 0  # a clean stop says nothing
    ok(run("node", "stop"))


def test_a_deployment_the_chain_no_longer_has_is_explained(tmp_path, monkeypatch) -> None:
    """The saved chain is lost (the node starts empty, a new chain with the same id): the deployment file is
    refused as of another chain, by the chain's first block, and not replaced by a new deployment unless told to.
    Deployed again, the new contracts land at the same addresses: the old file is still refused, instead of
    reading another deployment's purchases as its own."""
    monkeypatch.chdir(tmp_path)
    home = tmp_path / ".ledger"
    ok(run("node", "start", "--port", "0"))
    try:
        ok(run("deploy"))
        recorded = home / "chains" / "31337" / "deployment.json"
        old = json.loads(recorded.read_text())
        ok(run("--account", "1", "merchant", "register"))
        old_time = connect(node.running(home).url).now()
    finally:
        ok(run("node", "stop"))
    (home / "anvil-state.json").unlink()
    time.sleep(1)  # anvil dates its first block by the second it starts in: a start within that second makes the same
    ok(run("node", "start", "--port", "0"))
    try:
        gone = run("purchases")
        assert gone.exit_code == 1 and "the node was reset or restarted without its state" in gone.stderr
        refused = run("deploy")
        assert refused.exit_code == 1 and "records a deployment already (not usable on this node" in refused.stderr
        assert "nothing was deployed" in refused.stderr and json.loads(recorded.read_text()) == old
        chain = connect(node.running(home).url)  # a later clock: the new blocks differ from the lost ones even
        chain.set_next_block_time(old_time + 3_600)  # when both deployments fall in the same second
        ok(run("--deployment", "new.json", "deploy"))
        new = json.loads(Path("new.json").read_text())
        assert new["address"] == old["address"] and new["block_number"] == old["block_number"]
        replaced = run("purchases")
        assert replaced.exit_code == 1 and "the node was reset" in replaced.stderr
        assert json.loads(ok(run("--deployment", "new.json", "--json", "purchases"))) == []
        ok(run("deploy", "--force"))
        assert json.loads(recorded.read_text())["genesis_hash"] == new["genesis_hash"]
        assert json.loads(ok(run("--json", "purchases"))) == []
    finally:
        ok(run("node", "stop"))


def test_a_save_cut_short_by_the_kill_falls_back_to_the_copy_from_the_last_start(tmp_path) -> None:
    home = tmp_path / ".ledger"
    info = node.start(home, port=0, save_every=SAVE_EVERY)
    connect(info.url).w3.provider.make_request("evm_mine", [])
    node.stop(home)
    saved = json.loads((home / "anvil-state.json").read_text())
    node.start(home, port=0, save_every=SAVE_EVERY)  # keeps a copy of that save
    kill(home)
    state = home / "anvil-state.json"
    state.write_text(state.read_text()[:100])  # as if the kill came in the middle of a save
    info = node.start(home, port=0)
    try:
        assert info.restored is not None and info.restored.damaged is not None
        assert Path(info.restored.damaged).is_file()
        assert "the damaged save is kept in" in info.restored.describe()
        assert connect(info.url).w3.eth.block_number == saved["best_block_number"] == 1
    finally:
        node.stop(home)
