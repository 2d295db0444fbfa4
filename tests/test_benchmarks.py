"""The history benchmark runs end to end at a small scale, so it cannot rot (its figures are not checked
here: speed goals live in BENCHMARKS.md, not in timed tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
