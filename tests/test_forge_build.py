"""forge (the Solidity test runner, tests/forge) compiles the contracts to the bytecode the package ships: the
Solidity tests test what is deployed. Only the metadata hash at the end differs, since forge names the
OpenZeppelin sources by their path in node_modules (remappings.txt) where ``ledger build`` names them by import."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from ledger.build import ARTIFACTS_DIR, SHIPPED_CONTRACTS, project_root

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
    subprocess.run([str(ROOT / "node_modules" / ".bin" / "forge"), "build", "contracts", "--out", str(out / "out"),
                    "--cache-path", str(out / "cache")], cwd=ROOT, check=True, capture_output=True, timeout=600)
    return out / "out"


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_forge_compiles_the_shipped_bytecode(forge_out, name) -> None:
    built = json.loads((forge_out / f"{name}.sol" / f"{name}.json").read_text())
    shipped = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    for key in ("bytecode", "deployedBytecode"):
        assert _without_metadata(built[key]["object"]) == _without_metadata(shipped[key]), \
            f"forge compiles {name} {key} differently from the shipped artifact: check foundry.toml's settings"
