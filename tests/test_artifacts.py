"""The artifacts the package ships are what the sources compile to today, and each contract has room to grow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.build import (
    ARTIFACTS_DIR,
    SETTINGS,
    SHIPPED_CONTRACTS,
    SOLC_VERSION,
    compile_sources,
    project_root,
    read_sources,
    sources_hash,
)

SIZE_LIMIT = 24_576
"""EIP-170: the most bytes of code a contract may have."""

HEADROOM = 0.20
"""Each contract stays at least this far under the limit, so the next feature fits."""


def _shipped(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return read_sources(project_root(Path(__file__).parent), "contracts")


@pytest.fixture(scope="module")
def fresh(sources) -> dict[str, dict[str, Any]]:
    return compile_sources(project_root(Path(__file__).parent), sources)


def test_every_contract_of_a_deployment_is_shipped() -> None:
    assert set(SHIPPED_CONTRACTS) == {"Ledger", "LedgerShops", "LedgerService", "LedgerFeedback"}
    assert {path.stem for path in ARTIFACTS_DIR.glob("*.json")} == set(SHIPPED_CONTRACTS)


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_shipped_artifact_matches_the_sources(sources, fresh, name) -> None:
    shipped = _shipped(name)
    assert shipped["sourcesHash"] == sources_hash(sources), "contracts/ changed: run `./dev.sh build`"
    for key in ("abi", "bytecode", "deployedBytecode"):
        assert shipped[key] == fresh[name][key], f"{name} {key} differs from a fresh compile: run `./dev.sh build`"


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_shipped_artifact_records_compiler_and_settings(name) -> None:
    assert _shipped(name)["compiler"] == {"version": SOLC_VERSION, "settings": SETTINGS}


def test_pinned_compiler_is_the_one_installed_for_builds() -> None:
    package = json.loads((project_root(Path(__file__).parent) / "package.json").read_text())
    assert package["devDependencies"]["solc"] == SOLC_VERSION


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_deployed_code_is_at_least_20_percent_under_the_size_limit(name) -> None:
    size = len(bytes.fromhex(_shipped(name)["deployedBytecode"].removeprefix("0x")))
    assert size <= SIZE_LIMIT * (1 - HEADROOM), (
        f"{name} is {size} bytes, {size / SIZE_LIMIT:.0%} of the {SIZE_LIMIT}-byte limit: keep it under 80 %")
