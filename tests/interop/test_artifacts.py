"""The artifacts the package ships are what the sources compile to today, and each contract has room to grow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.artifacts import ARTIFACTS_DIR, SHIPPED_CONTRACTS
from ledger.build import (
    SETTINGS,
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
    assert set(SHIPPED_CONTRACTS) == {"Ledger", "LedgerModule", "LedgerFeedback"}
    assert {path.stem for path in ARTIFACTS_DIR.glob("*.json")} == set(SHIPPED_CONTRACTS)


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_shipped_artifact_matches_the_sources(sources, fresh, name) -> None:
    shipped = _shipped(name)
    assert shipped["sourcesHash"] == sources_hash(sources), "contracts/ changed: run `./dev.sh build`"
    for key in ("abi", "bytecode", "deployedBytecode"):
        assert shipped[key] == fresh[name][key], f"{name} {key} differs from a fresh compile: run `./dev.sh build`"


OPENZEPPELIN_ERRORS = {"ReentrancyGuardReentrantCall()", "FailedCall()", "SafeERC20FailedOperation(address)",
                       "InsufficientBalance(uint256,uint256)"}
"""Errors of the OpenZeppelin code the ledger uses (a guard, sending, tokens), named in ``ILedgerErrors``'s notes
rather than declared again (the contracts inherit them)."""


def _selectors(abi: list[dict[str, Any]], kind: str) -> dict[str, str]:
    """Selector (function, error) or topic (event) → signature, of one kind of ABI entry."""
    from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector

    found = {}
    for entry in abi:
        if entry["type"] != kind:
            continue
        signature = f"{entry['name']}({','.join(_type(i) for i in entry['inputs'])})"
        key = event_abi_to_log_topic(entry) if kind == "event" else function_abi_to_4byte_selector(entry)
        found[key.hex()] = signature
    return found


def _type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(_type(c) for c in item["components"]) + ")" + item["type"][len("tuple"):]
    return item["type"]


def test_the_ledger_address_answers_exactly_what_ILedger_declares(fresh) -> None:
    """The entry point's functions and the module's add up to ``ILedger``'s, and no selector is in both (a
    selector in both would never reach the module); every error and event either can raise is declared."""
    entry, module, interface = (fresh[name]["abi"] for name in ("Ledger", "LedgerModule", "ILedger"))
    own, delegated = _selectors(entry, "function"), _selectors(module, "function")
    assert own.keys() & delegated.keys() == set()
    assert {**own, **delegated} == _selectors(interface, "function")
    for kind in ("error", "event"):
        raised = {**_selectors(entry, kind), **_selectors(module, kind)}
        undeclared = {raised[key] for key in raised.keys() - _selectors(interface, kind).keys()}
        assert undeclared <= (OPENZEPPELIN_ERRORS if kind == "error" else set())
    assert len(own) > 10 and len(delegated) > 20


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
