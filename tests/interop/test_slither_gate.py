"""The Slither gate (tools/slither_gate.py) passes our contracts and fails on a real High finding.

Slither lives in its own virtualenv (`.venv-slither`, made by `./dev.sh slither` and by `./dev.sh test` before
pytest runs); without it these tests fail
with one line saying so, never skip: a gate that silently does not run is no gate. Each test is one Slither
run (about 15 s of CPU on contracts/, 3 s on the throwaway folder).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "tools" / "slither_gate.py"
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"

# `Drain.take` sends the contract's ether to whatever address the caller names: Slither's arbitrary-send-eth
# (High). `Marked.take` does the same under a marker, which the gate must respect.
HOSTILE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract Drain {
    function take(address payable to) external {
        to.transfer(address(this).balance);
    }
}

contract Marked {
    function take(address payable to) external {
        // slither-disable-next-line arbitrary-send-eth (a throwaway contract for the gate's test)
        to.transfer(address(this).balance);
    }
}
"""


def _gate(folder: Path) -> subprocess.CompletedProcess[str]:
    if not SLITHER.exists():
        pytest.fail(f"Slither is not installed ({SLITHER.relative_to(ROOT)} is missing): run ./dev.sh slither",
                    pytrace=False)
    return subprocess.run([sys.executable, str(GATE), str(folder)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False)


def test_slither_gate_fails_on_an_unmarked_high_finding(tmp_path: Path) -> None:
    (tmp_path / "Drain.sol").write_text(HOSTILE)
    run = _gate(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout.splitlines()
    verdict = next(i for i, line in enumerate(out) if line.startswith("FAIL:"))
    failing = [line for line in out[verdict + 1:] if line.startswith("  ")]
    assert len(failing) == 1, run.stdout
    assert failing[0].split()[0] == "High"
    assert "arbitrary-send-eth" in failing[0]
    assert "Drain.sol#5-7" in failing[0]
    assert "Drain.take(address) sends eth to arbitrary user" in failing[0]
    assert "Marked" not in run.stdout


def test_slither_gate_passes_our_contracts() -> None:
    run = _gate(ROOT / "contracts")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {line.split()[0]: int(line.split()[1]) for line in run.stdout.splitlines()[2:7]}
    assert rows["High"] == 0 and rows["Medium"] == 0, run.stdout
