"""The artifact the package ships is what the sources compile to today."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.build import ARTIFACTS_DIR, SETTINGS, SOLC_VERSION, compile_sources, project_root, read_sources, sources_hash


def test_shipped_artifact_matches_the_sources() -> None:
    root = project_root(Path(__file__).parent)
    sources = read_sources(root, "contracts")
    fresh = compile_sources(root, sources)["Ledger"]
    shipped = json.loads((ARTIFACTS_DIR / "Ledger.json").read_text())
    assert shipped["sourcesHash"] == sources_hash(sources), "contracts/ changed: run `./dev.sh build`"
    for key in ("abi", "bytecode", "deployedBytecode"):
        assert shipped[key] == fresh[key], f"{key} differs from a fresh compile: run `./dev.sh build`"


def test_artifact_records_compiler_and_settings() -> None:
    shipped = json.loads((ARTIFACTS_DIR / "Ledger.json").read_text())
    assert shipped["compiler"] == {"version": SOLC_VERSION, "settings": SETTINGS}
    package = json.loads((project_root(Path(__file__).parent) / "package.json").read_text())
    assert package["devDependencies"]["solc"] == SOLC_VERSION
