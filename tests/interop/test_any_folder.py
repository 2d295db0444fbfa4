"""The commands of the README and docs/brownie.md work from a folder whose path holds dots, spaces and non-ASCII
letters.

brownie 1.22 imports the script of ``brownie run`` under a module name made of its folder's path, which a
dot in any folder name breaks; ``./dev.sh`` works around it. The repository is cloned into
``…/jane.doe/my shop/lédger`` and set-up, brownie and the demo are run from there.

A fresh set-up would reinstall every virtualenv (minutes), so the clone borrows this checkout's
(gitignored) virtualenvs and npm packages through links. The test is named for anvil so that the
embedded-chain-only run of ``./dev.sh test`` does not run it a second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[2]
BORROWED = (".venv", ".venv-brownie", "node_modules")


def _stamp(pyproject: bytes, what: str) -> str:
    # What dev.sh's stamp() records in a virtualenv's .installed: when it differs, dev.sh reinstalls.
    return hashlib.sha256(pyproject + f"{what}\n".encode()).hexdigest()


def _check_borrowable() -> None:
    """Fail unless the clone's dev.sh will find everything installed and so write into none of it."""
    advice = f"run `./dev.sh setup` and `./dev.sh brownie compile` (or `./dev.sh test`) in {ROOT} first"
    for name in BORROWED:
        if not (ROOT / name).exists():
            pytest.fail(f"{ROOT / name} is missing: {advice}; this test borrows it", pytrace=False)
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    brownie = re.search(r"^BROWNIE=(\S+)$", (ROOT / "dev.sh").read_text(), re.MULTILINE)
    assert brownie, "dev.sh no longer pins brownie as BROWNIE=…"
    extras = re.search(r"^EXTRAS=(\S+)$", (ROOT / "dev.sh").read_text(), re.MULTILINE)
    assert extras, "dev.sh no longer names the extras it installs as EXTRAS=…"
    for venv, what in ((".venv", f"ledger[{extras[1]}]"), (".venv-brownie", f"eth-brownie {brownie[1]}")):
        installed = ROOT / venv / ".installed"
        if not installed.exists() or installed.read_text().strip() != _stamp(pyproject, what):
            pytest.fail(f"{ROOT / venv} is not installed for the current pyproject.toml: {advice}", pytrace=False)
    lock = ROOT / "node_modules" / ".ledger-lock"
    if not lock.exists() or lock.read_bytes() != (ROOT / "package-lock.json").read_bytes():
        pytest.fail(f"{ROOT / 'node_modules'} is not installed for the current package-lock.json: {advice}", pytrace=False)


def _take_working_tree(clone: Path) -> None:
    """Give the clone this checkout's files as they are now, committed or not.

    Like the rest of the suite, this tests the working tree; and the borrowed virtualenvs were installed
    from its pyproject.toml and package-lock.json, which, if they differed from HEAD's, would make the
    clone's dev.sh reinstall into them.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, stdout=subprocess.PIPE, check=True,
    ).stdout
    for name in filter(None, listed.split(b"\0")):
        path = os.fsdecode(name)
        if path.split("/")[0] in BORROWED:  # links to them are not ignored as the folders are
            continue
        source, target = ROOT / path, clone / path
        if source.is_file() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
        else:
            target.unlink(missing_ok=True)


def test_setup_brownie_on_anvil_and_demo_from_a_folder_with_dots_spaces_and_accents(tmp_path: Path) -> None:
    _check_borrowable()
    clone = tmp_path / "jane.doe" / "my shop" / "lédger"
    clone.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    _take_working_tree(clone)
    for name in BORROWED:
        (clone / name).symlink_to(ROOT / name)

    home = tmp_path / "home"  # dev.sh links ~/.solcx/solc-v… and writes ~/.brownie: not the user's
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    # The borrowed editable installs import `ledger` from this checkout; the clone's own must be used.
    env.update(HOME=str(home), PYTHONPATH=str(clone))

    def dev(*args: str, **extra: str) -> str:
        done = subprocess.run(
            ["./dev.sh", *args], cwd=clone, env={**env, **extra}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace", timeout=300,
        )
        assert done.returncode == 0, f"./dev.sh {' '.join(args)} failed in {clone}:\n{done.stdout[-6000:]}"
        assert "==> installing" not in done.stdout, "the clone reinstalled into the borrowed virtualenvs"
        return done.stdout

    dev("setup")

    out = dev("brownie", "compile")
    assert "Project has been compiled" in out
    assert json.loads((clone / "build" / "contracts" / "Ledger.json").read_text())["bytecode"]

    # brownie's throwaway chain is recorded in a file of its own, never in the command line's (chain id 31337 too);
    # the chain ends with the run, so the next run (seed.py) replaces that record with its own deployment.
    out = dev("brownie", "run", "scripts/deploy.py", "--network", "anvil-ledger")
    assert "No module named" not in out
    assert "ledger deployed at 0x" in out, out[-3000:]
    deployment = clone / ".ledger" / "brownie" / "anvil-ledger" / "deployment.json"
    recorded = json.loads(deployment.read_text())
    assert recorded["chain_id"] == 31337 and recorded["address"].startswith("0x")
    out = dev("brownie", "run", "scripts/seed.py", "--network", "anvil-ledger", SEED_PURCHASES="8", SEED_CUSTOMERS="3",
              SEED_DAYS="14")
    assert "seeded 8 purchases" in out, out[-3000:]
    assert json.loads(deployment.read_text())["genesis_hash"] != recorded["genesis_hash"]
    assert sorted(path.relative_to(clone / ".ledger").as_posix() for path in (clone / ".ledger").rglob("*.json")) == [
        "brownie/anvil-ledger/deployment.json"]

    out = dev("brownie", "test", "tests_brownie", "--network", "anvil-ledger")
    assert re.search(r"\b\d+ passed\b", out), out[-3000:]

    out = dev("demo")
    assert "The ledger contract is deployed on the embedded chain" in out
    assert "refunds 0.198 ETH at once" in out and "Northgate settles: 12.002 ETH" in out

    # Everything brownie set up went to the private home, linked to the clone's shim.
    assert (home / ".brownie").is_dir()
    [solc] = (home / ".solcx").glob("solc-v*")
    assert solc.resolve() == (clone / "tools" / "solc-shim.js").resolve()
