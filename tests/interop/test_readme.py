"""README.md runs as written: every shell block of its "First steps" (developers, merchants, customers, data to
look at), in order, in a fresh folder whose path has dots, spaces and an accent, on a fresh node, each command
as a newcomer types it. Any command that fails fails the test; the outcomes the text promises are checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.world import free_port

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).parents[2]


def first_steps() -> list[str]:
    """The shell blocks of README.md from "## First steps" to the next part, in order."""
    text = (ROOT / "README.md").read_text()
    part = text[text.index("## First steps"):]
    part = part[:part.index("\n## ", 1)]
    return re.findall(r"```bash\n(.*?)```", part, flags=re.S)


def test_the_first_steps_have_nothing_a_newcomer_cannot_fill() -> None:
    blocks = first_steps()
    assert len(blocks) >= 4  # developers, merchants, customers, data to look at
    for block in blocks:
        assert not re.search(r"0x[0-9A-Fa-f]{0,8}…|0xPURCHASE|0xTOKEN|<[a-z]+>", block), block


def test_the_first_steps_run_as_written(tmp_path) -> None:
    home = tmp_path / "jane.doe" / "my shop" / "lédger"
    home.mkdir(parents=True)
    (home / "scripts").symlink_to(ROOT / "scripts")  # `python scripts/seed.py`, as from the clone
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    environment.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}",
                       LEDGER_NODE_PORT=str(port), COLUMNS="100")  # a free port for `ledger node start`

    def run(block: str) -> str:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=home, env=environment,
                              input="y\n", capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"README block failed:\n{block}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def ledger(*args: str) -> object:
        return json.loads(run(" ".join(["ledger", "--json", *args])))

    try:
        said = [run(block) for block in first_steps()]
        mine = ledger("--account", "4", "my", "purchases")
        assert isinstance(mine, list)
        bought = next(p for p in mine if p["order_number"] == "ORDER-1001")
        assert bought["returned_lines"] == [1] and bought["refunded"] == 475 * 10**15  # the tea, less 5 %
        assert bought["shop"] == "shop #1" and bought["settled"]  # the seed's 18 months closed its window
        assert any("seeded 200 purchases at 4 shops (#2 to #5" in " ".join(out.split()) for out in said), said[-1]
        assert any("merchant #1 registered" in out for out in said)
        assert not (home / ".ledger" / "deployment.json").exists()  # the chain's own file, none shared
    finally:
        subprocess.run(["ledger", "node", "stop"], cwd=home, env=environment, capture_output=True, timeout=60)
