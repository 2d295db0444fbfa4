"""forge (the Solidity test runner, tests/forge) compiles the contracts to the bytecode the package ships: the
Solidity tests test what is deployed. Only the metadata hash at the end differs, since forge names the
OpenZeppelin sources by their path in node_modules (remappings.txt) where ``ledger build`` names them by import."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from ledger.artifacts import ARTIFACTS_DIR, SHIPPED_CONTRACTS
from ledger.build import project_root

ROOT = project_root(Path(__file__).parent)


METADATA = re.compile(r"a2646970667358221220[0-9a-f]{64}64736f6c6343[0-9a-f]{6}0033")
"""The CBOR metadata solc appends to a contract's code (IPFS hash, compiler version): at the end, and inside the
code of a contract that creates another (the ledger makes its feedback contract)."""


def _without_metadata(code: str) -> str:
    """Bytecode less every metadata section solc wrote into it."""
    return METADATA.sub("", code.removeprefix("0x").lower())


@pytest.fixture(scope="module")
def forge_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("forge")
    subprocess.run([str(ROOT / "tools" / "forge"), "build", "contracts", "--out", str(out / "out"),
                    "--cache-path", str(out / "cache")], cwd=ROOT, check=True, capture_output=True, timeout=600)
    return out / "out"


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_forge_compiles_the_shipped_bytecode(forge_out, name) -> None:
    built = json.loads((forge_out / f"{name}.sol" / f"{name}.json").read_text())
    shipped = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    for key in ("bytecode", "deployedBytecode"):
        assert _without_metadata(built[key]["object"]) == _without_metadata(shipped[key]), \
            f"forge compiles {name} {key} differently from the shipped artifact: check foundry.toml's settings"


def test_a_failing_solidity_test_fails_the_command(tmp_path) -> None:
    """``./dev.sh test`` runs forge through tools/forge, whose exit status is the tests': npm's launcher
    (node_modules/.bin/forge) ends with 0 even when a test fails, so a broken invariant would pass CI."""
    project = tmp_path / "project"
    (project / "test").mkdir(parents=True)
    (project / "test" / "Fails.t.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        "contract FailsTest { function test_fails() public pure { require(false, \"broken\"); } }\n")
    (project / "foundry.toml").write_text(
        f'[profile.default]\nsrc = "test"\ntest = "test"\nout = "out"\ncache_path = "cache"\n'
        f'solc = "{ROOT / "tools" / "solc-forge"}"\noffline = true\n')

    def forge(command: Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(command), "test", "--root", str(project)], cwd=project, capture_output=True,
                              text=True, timeout=600)

    ours = forge(ROOT / "tools" / "forge")
    assert ours.returncode == 1 and "test_fails" in ours.stdout + ours.stderr
    assert forge(ROOT / "node_modules" / ".bin" / "forge").returncode == 0  # why tools/forge exists
