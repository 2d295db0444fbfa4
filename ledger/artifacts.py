"""The compiled contracts the package ships (``ledger/artifacts``, made by ``ledger build``) and the ABI at the
ledger's address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import BuildError

ARTIFACTS_DIR = Path(__file__).parent / "artifacts"
SHIPPED_CONTRACTS = ("Ledger", "LedgerModule", "LedgerFeedback")
"""The contracts a deployment is made of (see ``client.Ledger.deploy``)."""

LEDGER_MODULES = ("Ledger", "LedgerModule")
"""The contracts behind the ledger's one address, entry point first."""


def load_artifact(name: str) -> dict[str, Any]:
    """Read a shipped artifact."""
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        artifact: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise BuildError(f"artifact {path} is missing: run `ledger build` in the repository") from error
    return artifact


def ledger_abi() -> list[dict[str, Any]]:
    """The ABI at the ledger's address: the entry point's and its module's, each entry once."""
    merged, seen = [], set()
    for name in LEDGER_MODULES:
        for entry in load_artifact(name)["abi"]:
            key = json.dumps({k: entry.get(k) for k in ("type", "name", "inputs")}, sort_keys=True)
            if entry["type"] in ("constructor", "fallback", "receive") and name != "Ledger":
                continue
            if key not in seen:
                seen.add(key)
                merged.append(entry)
    return merged
