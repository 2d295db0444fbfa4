"""The history benchmark runs end to end at a small scale, so it cannot rot (its figures are not checked
here: speed goals live in BENCHMARKS.md, not in timed tests)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def test_the_history_benchmark_runs_small() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_history.py"), "--purchases", "300",
                          "--customers", "6", "--shops", "3", "--one-by-one", "5", "--repeat", "3"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    for figure in ("bulk writes", "bulk / one at a time", "decoding alone", "SQLite: catch-up from block 0",
                   "PostgreSQL: catch-up from block 0", "SQLite: one customer's history",
                   "PostgreSQL: a shop's first page", "figures of a shop of", "log scan / SQLite index"):
        assert figure in out, out
    assert "300 purchases" in out and "Traceback" not in run.stderr


def test_a_kept_chain_is_measured_again_without_writing(tmp_path) -> None:
    """``--keep-chain`` writes and keeps anvil running; ``--chain`` measures the reads on it (the million
    purchases are written once, the reads measured as often as needed); SIGTERM stops the kept anvil."""
    kept = tmp_path / "kept.json"
    bench = [sys.executable, str(ROOT / "scripts" / "bench_history.py")]
    keeper = subprocess.Popen([*bench, "--purchases", "60", "--customers", "3", "--shops", "2", "--one-by-one", "3",
                               "--keep-chain", str(kept)], stdout=subprocess.PIPE, text=True)
    try:
        assert keeper.stdout is not None
        for line in keeper.stdout:  # the file is written before this line is printed
            if "anvil keeps running" in line:
                break
        url = json.loads(kept.read_text())["url"]
        again = subprocess.run([*bench, "--chain", str(kept), "--repeat", "2", "--no-postgres"],
                               capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr[-2000:]
        assert "60 purchases written earlier" in again.stdout and "SQLite: catch-up from block 0" in again.stdout
        assert "bulk / one at a time" in again.stdout  # the write figures, kept from the first run
        assert re.search(r"catch-up from block 0 +\d+ events", again.stdout), again.stdout
    finally:
        keeper.terminate()
        assert keeper.wait(timeout=60) == 0
    with pytest.raises(requests.ConnectionError):  # the kept anvil is gone with it
        requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=5)
