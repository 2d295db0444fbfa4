"""The static-analysis gate: Slither on our contracts, failing on any High or Medium finding not marked in the source.

    ./dev.sh slither                                    # makes .venv-slither if needed, then the gate on contracts/
    .venv/bin/python tools/slither_gate.py             # the gate on contracts/ (--all lists every finding)
    .venv/bin/python tools/slither_gate.py some/folder  # any folder of .sol files (the tests use a throwaway one)

Slither runs from its own virtualenv (`.venv-slither`, made by `./dev.sh slither` and `./dev.sh test`) through
the solc-js shim, with the `@openzeppelin` remapping to node_modules. The gate prints a table of our findings
by impact and exits 0 when none is High or Medium, 1 when some are (each named), and 2 when Slither could not
run. A false positive is marked on the line before it with `// slither-disable-next-line <detector>` and a
reason; SECURITY.md holds the triage.

Slither's own `--filter-paths node_modules` is not used: it drops a whole finding as soon as one of its elements
lies in OpenZeppelin's files, even when the finding is in our code (a call into SafeERC20, say). The gate
keeps every finding that touches the analysed folder and leaves out only those wholly in dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
BLOCKING = ("High", "Medium")
TIMEOUT = 900
"""Seconds; a run on contracts/ takes about 15 s here."""

IR_FAILURE = re.compile(r"Impossible to generate IR for (\w+)\.(\w+) \(([^)#]+)#")
"""Slither's log line for a function it could not translate (and so analyses only in part)."""


LOCATION = re.compile(r" \([^()]*#\d+(-\d+)?\)")
"""A location Slither writes into a description: ` (contracts/Ledger.sol#436-448)`."""


class GateError(Exception):
    """Raised when Slither cannot be run or gives no usable report: the gate can neither pass nor fail."""


@dataclass(frozen=True)
class Finding:
    """One Slither result: its impact, detector, the lines of its first element in the analysed folder, and
    the first line of its description."""

    impact: str
    check: str
    file: str
    first: int
    last: int
    summary: str

    @property
    def blocking(self) -> bool:
        return self.impact in BLOCKING

    @property
    def location(self) -> str:
        return f"{self.file}#{self.first}" + (f"-{self.last}" if self.last != self.first else "")


@dataclass(frozen=True)
class IrFailure:
    """A function Slither could not translate to its IR; the contract is then analysed without SSA."""

    contract: str
    function: str
    file: Path


def run_slither(contracts: Path, slither: Path = SLITHER) -> dict:
    """Slither's JSON report on `contracts` (detector results and its console log).

    It runs from the project root, where the shim and the `@openzeppelin` remapping resolve, with the project's
    `node_modules/.bin` on the PATH: crytic-compile finds foundry.toml there and asks `forge config` for the
    project's settings; `--fail-none` because the gate, not Slither, decides what fails."""
    if not slither.exists():
        raise GateError(f"Slither is not installed ({_shown(slither)} is missing): run ./dev.sh slither")
    command = [
        str(slither), str(contracts),
        "--solc", "tools/solc-shim.js", "--solc-standard-json",
        "--solc-remaps", "@openzeppelin=node_modules/@openzeppelin",
        "--json", "-", "--json-types", "detectors,console", "--fail-none",
    ]
    try:
        path = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")])
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env={**os.environ, "PATH": path})
    except subprocess.TimeoutExpired as exc:
        raise GateError(f"Slither did not finish within {TIMEOUT} s") from exc
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise GateError(f"Slither gave no report (exit {done.returncode}): {_last_line(done.stderr)}") from exc
    if not report.get("success"):
        raise GateError(f"Slither failed: {_last_line(str(report.get('error')))}")
    return report


def findings(report: dict, contracts: Path) -> tuple[list[Finding], int]:
    """The findings that touch `contracts`, by impact (High first), and how many lay wholly elsewhere."""
    ours, elsewhere = [], 0
    for result in report["results"].get("detectors", []):
        inside = [(file, element["source_mapping"]["lines"]) for element in result["elements"]
                  if (file := _file(element)) and _inside(file, contracts) and element["source_mapping"]["lines"]]
        if not inside:
            elsewhere += 1
            continue
        file, lines = inside[0]
        ours.append(Finding(result["impact"], result["check"], _shown(file), lines[0], lines[-1],
                            _summary(result["description"])))
    ours.sort(key=lambda f: (IMPACTS.index(f.impact), f.check, f.file, f.first))
    return ours, elsewhere


def ir_failures(report: dict) -> list[IrFailure]:
    """The functions Slither could not translate, from its console log."""
    log = report["results"].get("console", {}).get("stderr", "")
    return [IrFailure(contract, function, Path(file)) for contract, function, file in IR_FAILURE.findall(log)]


def render(found: list[Finding], elsewhere: int, failures: list[IrFailure], contracts: Path, seconds: float,
           every: bool = False) -> str:
    """The table by impact, then the blocking findings one a line (every finding with `every`, to keep
    SECURITY.md's triage up to date), then a note on what Slither analysed only in part."""
    by_impact = {impact: Counter(f.check for f in found if f.impact == impact) for impact in IMPACTS}
    lines = [f"Slither on {_shown(contracts)} ({seconds:.0f} s): {len(found)} findings in these contracts, "
             f"{elsewhere} wholly in dependencies left out",
             f"  {'impact':<14}{'count':>5}  detectors"]
    for impact, checks in by_impact.items():
        names = ", ".join(f"{check} {count}" for check, count in checks.most_common())
        lines.append(f"  {impact:<14}{sum(checks.values()):>5}  {names}".rstrip())
    blocking = [f for f in found if f.blocking]
    ours = [f for f in failures if _inside(ROOT / f.file, contracts)]
    if every:
        lines += [_row(f) for f in found]
    if blocking:
        lines.append(f"FAIL: {len(blocking)} High or Medium finding(s) not marked in the source; fix each, or mark a "
                     "false positive with `// slither-disable-next-line <detector>` and a reason (SECURITY.md):")
        lines += [_row(f) for f in blocking]
    if ours:
        lines.append("FAIL: Slither could not analyse " + ", ".join(f"{f.contract}.{f.function}" for f in ours))
    others = [f for f in failures if f not in ours]
    for file in sorted({f.file for f in others}):
        functions = ", ".join(sorted({f.function for f in others if f.file == file}))
        contracts_hit = ", ".join(sorted({f.contract for f in others if f.file == file}))
        lines.append(f"note: Slither could not translate {file.name} ({functions}), so {contracts_hit} are "
                     "analysed without SSA (see SECURITY.md, \"Static analysis\")")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contracts", nargs="?", type=Path, default=ROOT / "contracts",
                        help="folder of Solidity files (default: contracts/)")
    parser.add_argument("--all", action="store_true", help="list every finding, not only the failing ones")
    args = parser.parse_args(argv)
    contracts = args.contracts.resolve()
    started = time.monotonic()
    try:
        report = run_slither(contracts)
    except GateError as exc:
        print(f"slither gate: {exc}", file=sys.stderr)
        return 2
    found, elsewhere = findings(report, contracts)
    failures = ir_failures(report)
    print(render(found, elsewhere, failures, contracts, time.monotonic() - started, args.all))
    failed = any(f.blocking for f in found) or any(_inside(ROOT / f.file, contracts) for f in failures)
    return 1 if failed else 0


def _file(element: dict) -> Path | None:
    absolute = element.get("source_mapping", {}).get("filename_absolute")
    return Path(absolute).resolve() if absolute else None


def _inside(file: Path, folder: Path) -> bool:
    return file.resolve().is_relative_to(folder)


def _row(finding: Finding) -> str:
    return f"  {finding.impact:<13} {finding.check:<24} {finding.location}  {finding.summary}"


def _summary(description: str) -> str:
    """The description's first line without the locations Slither writes into it (the table has its own)."""
    first = description.strip().splitlines()[0]
    return LOCATION.sub("", first).rstrip(" :")


def _shown(path: Path) -> str:
    """A path relative to the project when it is inside it (shorter in the table), else as is."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
