"""Packaging (issue #21): the core (reading history, the index on SQLite, sending) installs and imports without
any extra; each part imports only the extras it is declared to need, and one used without its extra says in
one line which to install; ``pyproject.toml`` declares every third-party import; the wheel holds every
subpackage and the package data, and building it warns about nothing."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the copy pip carries
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ledger"

BLOCKED = {
    "cli": ["click", "rich"],
    "web": ["fastapi", "starlette", "uvicorn", "jinja2", "python_multipart", "multipart"],
    "postgres": ["psycopg", "psycopg_binary"],
    "dev": ["eth_tester", "eth", "solcx"],  # eth is py-evm's
    "receipts": ["fpdf"],
    "qr": ["segno"],
}
"""The top-level modules only an extra brings (not also needed by the core's own dependencies): blocked in a
subprocess (``sys.modules[name] = None``), they look not installed."""

AREAS = {"ledger.cli": "cli", "ledger.demo": "cli", "ledger.web": "web"}
"""Which extra a module of the package is part of (a module and its submodules); every other module is core."""


def area(module: str) -> str:
    for prefix, extra in AREAS.items():
        if module == prefix or module.startswith(prefix + "."):
            return extra
    return "core"


def modules() -> list[str]:
    """Every module of the package, found in its folder (so a new one is never left out)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def run_blocked(blocked: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter from this checkout, the ``blocked`` modules looking not installed."""
    prelude = f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})


def blocked_except(*kept: str) -> list[str]:
    return [name for extra, names in BLOCKED.items() if extra not in kept for name in names]


@pytest.mark.parametrize("part", ["core", "cli", "web"])
def test_each_part_imports_with_its_own_extra_only(part: str) -> None:
    wanted = [m for m in modules() if area(m) == part]
    assert wanted
    result = run_blocked(blocked_except(part), f"""
import importlib, json
for name in {wanted!r}:
    importlib.import_module(name)
print(json.dumps([name for name in {blocked_except(part)!r} if sys.modules.get(name) is not None]))
""")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_importing_the_library_brings_in_no_extra() -> None:
    result = run_blocked([], """
import json
import ledger
from ledger.client import Ledger
from ledger.deployment import Deployment
import ledger.chain, ledger.history, ledger.reading, ledger.sending
from ledger.models import LineItem
from ledger.orders import SignedOrder
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
""" % [name for names in BLOCKED.values() for name in names])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_part_used_without_its_extra_names_the_pip_install() -> None:
    result = run_blocked(blocked_except(), """
import json
from pathlib import Path
from ledger.build import compile_sources
from ledger.chain import EmbeddedChain
from ledger.errors import MissingExtra
from ledger.history.store import MEMORY, engine_for
from ledger.links import qr_svg
from ledger.receipts import pdf

said = []
for attempt in (EmbeddedChain, lambda: compile_sources(Path("."), {}), lambda: engine_for("postgresql://u@h/db"),
                lambda: pdf(None, str), lambda: qr_svg("https://shop.example/o/x")):
    try:
        attempt()
    except MissingExtra as error:
        said.append(str(error))
engine_for(MEMORY)  # the index on SQLite needs no extra
print(json.dumps(said))
""")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "the embedded chain needs the dev extra (not installed: eth_tester, eth): pip install 'ledger[dev]'",
        "compiling the contracts needs the dev extra (not installed: solcx): pip install 'ledger[dev]'",
        "an index in PostgreSQL needs the postgres extra (not installed: psycopg): pip install 'ledger[postgres]'",
        "a PDF receipt needs the receipts extra (not installed: fpdf): pip install 'ledger[receipts]'",
        "a QR code needs the qr extra (not installed: segno): pip install 'ledger[qr]'",
    ]


def test_the_command_without_the_cli_extra_says_so_in_one_line() -> None:
    result = run_blocked(BLOCKED["cli"], "from ledger.__main__ import main; main()")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("error: the ledger command needs the cli extra (not installed: click, rich): "
                             "pip install 'ledger[cli]'\n")


@pytest.mark.parametrize(("command", "extra", "what"), [(["serve"], "web", "the web page"),
                                                        (["demo"], "dev", "the embedded chain")])
def test_a_command_without_its_extra_says_so_in_one_line(command: list[str], extra: str, what: str) -> None:
    result = run_blocked(blocked_except("cli"), f"from ledger.__main__ import main; sys.argv[1:] = {command!r}; main()")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {what} needs the {extra} extra (not installed: ")
    assert lines[0].endswith(f"pip install 'ledger[{extra}]'")


# ---------------------------------------------------------------- pyproject.toml declares every import


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> dict[str, set[str]]:
    """The distributions the core and each extra bring (an extra that names ``ledger[...]`` brings those)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {"core": project["dependencies"], **project["optional-dependencies"]}

    def names(part: str) -> set[str]:
        found = set()
        for requirement in wanted[part]:
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
            assert match, requirement
            if normalized(match.group(1)) == normalized(project["name"]):
                for extra in match.group(2).split(","):
                    found |= names(extra.strip())
            else:
                found.add(normalized(match.group(1)))
        return found

    return {part: names(part) for part in wanted}


def third_party_imports(path: Path) -> list[tuple[str, bool]]:
    """Each third-party top-level module ``path`` imports, and whether it is imported when the module is (at
    module level, not in a function or under ``if TYPE_CHECKING``)."""
    found: list[tuple[str, bool]] = []

    def walk(node: ast.AST, at_import: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "ledger":
                    found.append((top, at_import))
            lazy = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            walk(child, at_import and not lazy)

    walk(ast.parse(path.read_text()), True)
    return found


def test_pyproject_declares_every_third_party_import() -> None:
    parts = declared()
    anywhere = set().union(*parts.values())
    providers = packages_distributions()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        allowed = parts["core"] | parts.get(area(module), set())
        for top, at_import in third_party_imports(path):
            dists = {normalized(d) for d in providers.get(top, [])}
            assert dists, f"{module} imports {top}, which no installed distribution provides"
            if not dists & (allowed if at_import else anywhere):
                where = f"core or the {area(module)} extra" if area(module) != "core" else "the core"
                missing.append(f"{module} imports {top} ({'/'.join(sorted(dists))})"
                               f"{'' if at_import else ' lazily'}: declare it in {where if at_import else 'an extra'}")
    assert missing == []


def test_the_extras_and_the_areas_agree() -> None:
    parts = declared()
    assert set(BLOCKED) | {"all", "test"} == set(parts) - {"core"}
    assert parts["all"] == set().union(*(parts[extra] for extra in BLOCKED))
    assert parts["all"] <= parts["test"]
    assert set(AREAS.values()) <= set(BLOCKED)


# ---------------------------------------------------------------- building and installing


def source_copy(tmp_path: Path) -> Path:
    """What a build reads, copied: a build leaves build/ and *.egg-info/ where it runs."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "ledger", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return source


def outside() -> dict[str, str]:
    """The environment without a PYTHONPATH, which would put a checkout before what is installed."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def pip(*args: str) -> str:
    """Run pip (the build in an isolated environment with setuptools>=77, as a user's would); its output."""
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300,
                            check=False, env=outside())
    output = result.stdout + result.stderr
    if result.returncode != 0 and "No matching distribution found for setuptools" in output:
        pytest.skip("cannot build: no setuptools>=77 to install into the build environment (offline?)")
    assert result.returncode == 0, output
    return output


def warnings_in(output: str) -> list[str]:
    # pip's note that this machine's pip.conf names a local index without the package is not about us
    return [line for line in output.splitlines()
            if "warning" in line.lower() and not re.search(r"WARNING: Location '.*' is ignored", line)]


def test_the_wheel_holds_every_subpackage_and_the_package_data_and_building_it_warns_of_nothing(
        tmp_path: Path) -> None:
    output = pip("wheel", "--no-deps", "-w", str(tmp_path / "wheel"), str(source_copy(tmp_path)))
    assert warnings_in(output) == []
    [wheel] = (tmp_path / "wheel").glob("ledger-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    shipped = {path.relative_to(ROOT).as_posix() for path in PACKAGE.rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert shipped - names == set()
    assert [name for name in names if "__pycache__" in name or name.endswith(".pyc")] == []
    assert {name.rpartition("/")[0] for name in shipped} == {
        name.rpartition("/")[0] for name in names if name.startswith("ledger/")}
    assert "ledger = ledger.__main__:main" in entry_points


def test_an_editable_install_warns_of_nothing(tmp_path: Path) -> None:
    venv = tmp_path / "venv"  # without pip: this interpreter's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    source = source_copy(tmp_path)
    output = pip("--python", str(venv / "bin" / "python"), "install", "--no-deps", "-e", str(source))
    assert warnings_in(output) == []
    found = subprocess.run([str(venv / "bin" / "python"), "-c",  # (found, not imported: no dependencies here)
                            "from importlib.util import find_spec; print(find_spec('ledger.reading').origin)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False, env=outside())
    assert found.stdout.strip() == str(source / "ledger" / "reading" / "__init__.py"), found.stderr
