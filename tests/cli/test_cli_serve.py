"""`ledger serve` for a first look: on a fresh folder with no node running, it serves the demo's shops on an
anvil node of its own, says where a wallet reaches it, writes nothing into the folder, and leaves no node behind
once stopped."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.world import free_port

pytestmark = pytest.mark.cli


def test_serve_with_no_node_shows_the_demo_and_leaves_nothing_behind(tmp_path) -> None:
    port = free_port()
    log = tmp_path.parent / f"{tmp_path.name}-serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "ledger", "serve", "--port", str(port)], stdout=out,
                                  stderr=subprocess.STDOUT, cwd=tmp_path,
                                  env={"PATH": str(Path(__file__).parents[2] / "node_modules/.bin") + ":/usr/bin:/bin",
                                       "PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        deadline = time.monotonic() + 120
        while "serving ledger" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        said = log.read_text()
        assert "serving a first look, the demo's shops and customers on an anvil node of its own" in said
        node = re.search(r"a wallet reaches its node at (http://127\.0\.0\.1:\d+) \(chain id 31337\)", said)
        assert node, said
        while True:  # "serving" is said just before the server listens
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert "Sign in" in page or "signin" in page
        block = json.loads(urllib.request.urlopen(urllib.request.Request(
            node.group(1), data=b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
            headers={"Content-Type": "application/json"}), timeout=10).read())["result"]
        assert int(block, 16) > 20  # the demo's story is on it
        nodes = [pid for pid, name in _children(server.pid) if name == "anvil"]
        assert nodes, _children(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    assert not [pid for pid in nodes if _alive(pid)]  # no node left behind
    assert list(tmp_path.iterdir()) == []  # nothing written here: no deployment, no index, no keys


def _children(parent: int) -> list[tuple[int, str]]:
    """The processes whose parent is ``parent`` (from /proc), with their names."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if int(fields[1].split()[1]) == parent:
            found.append((int(stat.parent.name), fields[0].split("(", 1)[1]))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
