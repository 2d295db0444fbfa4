"""Foundry's `cast`, an Ethereum client independent of ours (npm ``@foundry-rs/cast``), run by the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cast_binary() -> Path:
    found = sorted((ROOT / "node_modules" / "@foundry-rs").glob("cast-*/bin/cast"))
    assert found, "cast is not installed: run `npm ci`"
    return found[0]


def run_cast(*args: str) -> str:
    done = subprocess.run([str(cast_binary()), *map(str, args)], capture_output=True, text=True, check=True)
    return done.stdout.strip()
