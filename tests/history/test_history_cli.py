"""``ledger index`` and the query commands reading through the index (or not, with --no-index)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.support.cli import ok

OWNER_ACCOUNT, AGENT_ACCOUNT, BUYER_ACCOUNT = "1", "2", "4"
AGENT, ALICE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def _timeless(data: dict) -> dict:
    """A purchase without the two fields that move with the clock between two commands."""
    return {key: value for key, value in data.items() if key not in ("as_of", "time_left")}


def test_index_then_queries_agree_with_no_index(cli, cli_project, monkeypatch, tmp_path) -> None:
    ok(cli("--account", OWNER_ACCOUNT, "merchant", "register"))
    ok(cli("--account", OWNER_ACCOUNT, "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", OWNER_ACCOUNT, "terms", "publish", "1", "--window", "7d", "--fee", "5%"))
    for number in range(3):
        order = cli_project.home / f"order-{number}.json"
        ok(cli("--account", AGENT_ACCOUNT, "quote", "1", "MUG:1:0.01", "TEA:2:0.02", "--order", f"I-{number}",
               "--for", ALICE, "-o", order))
        bought = json.loads(ok(cli("--json", "--account", BUYER_ACCOUNT, "buy", "--yes", order)))
    ok(cli("--account", BUYER_ACCOUNT, "return", bought["id"], "--line", "2"))

    assert (cli_project.home / ".ledger" / "history.sqlite").is_file()  # the queries above caught it up
    assert "index up to date" in ok(cli("index"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    out = ok(cli("index"))
    assert "indexed blocks" in out and "elsewhere.sqlite" in out
    report = json.loads(ok(cli("--json", "index")))
    assert report["windows"] == 0 and report["end"] == report["head"]

    for query in (["purchases", "--merchant", "1"], ["purchases", "--merchant", "1", "--status", "partly_returned"],
                  ["figures", "1"], ["contact", "list"], ["reviews", "--merchant", "1"]):
        indexed = json.loads(ok(cli("--json", *query)), object_hook=_timeless)
        straight = json.loads(ok(cli("--json", "--no-index", *query)), object_hook=_timeless)
        assert indexed == straight, query
    assert len(json.loads(ok(cli("--json", "purchases", "--merchant", "1")))) == 3


def test_index_follow_keeps_up_until_interrupted(cli, cli_project, tmp_path) -> None:
    database = tmp_path / "followed.sqlite"
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{database}", "LEDGER_RPC": cli_project.url,
           "LEDGER_DEPLOYMENT": str(cli_project.home / ".ledger" / "deployment.json")}
    follower = subprocess.Popen([sys.executable, "-c", "from ledger.cli import main; main()", "index", "--follow",
                                 "--poll", "0.2"], env=env, cwd=cli_project.home, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        ok(cli("--account", OWNER_ACCOUNT, "merchant", "register"))
        ok(cli("--account", OWNER_ACCOUNT, "terms", "publish", "1", "--window", "7d"))
        order = cli_project.home / "order-follow.json"
        ok(cli("--account", OWNER_ACCOUNT, "quote", "1", "MUG:1:0.01", "--order", "F-1", "--for", ALICE, "-o", order))
        bought = json.loads(ok(cli("--json", "--account", BUYER_ACCOUNT, "buy", "--yes", order)))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _indexed(database, bought["id"]):
            time.sleep(0.1)
        assert _indexed(database, bought["id"]), "the follower did not pick the purchase up"
    finally:
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0 and "Traceback" not in err, err
    assert "indexed blocks" in out  # it said what it did as it went


def _indexed(database, purchase_id: str) -> bool:
    if not database.exists():
        return False
    with sqlite3.connect(database) as db:
        try:
            return db.execute("SELECT 1 FROM purchases WHERE id = ?", (purchase_id,)).fetchone() is not None
        except sqlite3.OperationalError:  # tables not made yet
            return False
