"""Compile the Solidity sources into the artifacts the package ships.

Compiling needs the project checkout (``contracts/``, ``node_modules/`` from ``npm ci`` and the solc-js
shim in ``tools/``); using the library does not: it reads the JSON artifacts in ``ledger/artifacts``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .artifacts import ARTIFACTS_DIR, SHIPPED_CONTRACTS
from .errors import BuildError
from .extras import require

SOLC_VERSION = "0.8.30"
"""The solc-js release pinned in package.json."""

SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}
"""Compiler settings, recorded in every artifact."""



def project_root(start: Path | None = None) -> Path:
    """Find the checkout that holds ``contracts/`` and ``tools/solc-shim.js``, from ``start`` upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "contracts").is_dir() and (folder / "tools" / "solc-shim.js").is_file():
            return folder
    package_checkout = Path(__file__).resolve().parent.parent
    if (package_checkout / "tools" / "solc-shim.js").is_file():
        return package_checkout
    raise BuildError(
        "cannot find the ledger checkout (contracts/ and tools/solc-shim.js): run this from the repository"
    )


def sources_hash(sources: dict[str, str]) -> str:
    """A sha256 over the source names and contents, to tell which sources an artifact came from."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return digest.hexdigest()


def read_sources(root: Path, folder: str) -> dict[str, str]:
    """All ``.sol`` files under ``root/folder``, keyed by their path relative to ``root``."""
    files = sorted((root / folder).rglob("*.sol"))
    if not files:
        raise BuildError(f"no Solidity sources under {root / folder}")
    return {path.relative_to(root).as_posix(): path.read_text() for path in files}


def compile_sources(root: Path, sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Compile ``sources`` with the pinned solc-js and return one artifact per contract name."""
    require("dev", "compiling the contracts", "solcx")
    import solcx
    import solcx.wrapper
    from solcx.exceptions import SolcError

    shim = root / "tools" / "solc-shim.js"
    if not (root / "node_modules" / "solc").is_dir():
        raise BuildError("node_modules/solc is missing: run `npm ci` in the repository first")
    version = str(solcx.wrapper.get_solc_version(shim))
    if version != SOLC_VERSION:
        raise BuildError(f"solc-js {version} is installed but {SOLC_VERSION} is pinned: run `npm ci`")
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": SETTINGS,
    }
    try:
        output = solcx.compile_standard(
            standard_input, solc_binary=shim, base_path=str(root), allow_paths=[str(root / "node_modules")]
        )
    except SolcError as error:
        raise BuildError(f"compilation failed:\n{_compiler_messages(error)}") from error
    warnings = [
        item["formattedMessage"]
        for item in output.get("errors", [])
        if item.get("sourceLocation", {}).get("file") in sources
    ]
    if warnings:
        raise BuildError("the compiler warns about our sources; fix them:\n" + "\n".join(warnings))
    digest = sources_hash(sources)
    artifacts: dict[str, dict[str, Any]] = {}
    for source_name in sources:
        for name, contract in output.get("contracts", {}).get(source_name, {}).items():
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": contract["abi"],
                "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
                "compiler": {"version": SOLC_VERSION, "settings": SETTINGS},
                "sourcesHash": digest,
            }
    return artifacts


def _compiler_messages(error: Any) -> str:
    """The compiler's own messages out of a failed run, without the echo of its whole output."""
    try:
        reported = json.loads(error.stdout_data).get("errors", [])
    except (TypeError, ValueError):
        return str(error.stderr_data or error.message)
    return "\n".join(item.get("formattedMessage", item.get("message", "")) for item in reported)


def build(root: Path | None = None, check: bool = False) -> list[Path]:
    """Compile ``contracts/`` and write the shipped artifacts; return the files written.

    With ``check``, write nothing and return the artifacts that differ from a fresh compile.
    """
    root = root or project_root()
    artifacts = compile_sources(root, read_sources(root, "contracts"))
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    touched = []
    for name in SHIPPED_CONTRACTS:
        path = ARTIFACTS_DIR / f"{name}.json"
        text = json.dumps(artifacts[name], indent=1, sort_keys=True) + "\n"
        if check:
            if not path.is_file() or path.read_text() != text:
                touched.append(path)
        else:
            path.write_text(text)
            touched.append(path)
    return touched
