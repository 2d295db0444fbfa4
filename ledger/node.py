"""A local anvil node that runs in the background between commands, its chain saved in the project.

``ledger node start`` launches anvil with ``--state``, so the chain (purchases, time moved) is written
to ``.ledger/anvil-state.json`` every few seconds and when the node stops, and loaded when it starts
again. What the node is (URL, process id) is kept in ``.ledger/node.json`` for the other commands.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from web3 import HTTPProvider, Web3

from .chain import launch_anvil
from .errors import NodeError

HOME = Path(".ledger")
"""The project's folder for local state: node, chain state, deployment, keys."""


@dataclass(frozen=True)
class NodeInfo:
    """A background node started by ``start``."""

    url: str
    pid: int
    state_file: str
    log_file: str


def _info_file(home: Path) -> Path:
    return home / "node.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill(0); it does not count.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return True


def running(home: Path = HOME) -> NodeInfo | None:
    """The background node, if one is recorded and still alive."""
    path = _info_file(home)
    if not path.is_file():
        return None
    try:
        info = NodeInfo(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None
    return info if _alive(info.pid) else None


def start(home: Path = HOME, port: int = 8545, timeout: float = 30) -> NodeInfo:
    """Start the background node (loading the saved chain, if any) and record it."""
    current = running(home)
    if current is not None:
        raise NodeError(f"a node is already running at {current.url} (pid {current.pid}): use it, or stop it first")
    home.mkdir(parents=True, exist_ok=True)
    state = home / "anvil-state.json"
    log = home / "anvil.log"
    args = ["--port", str(port), "--state", str(state), "--state-interval", "2", "--block-base-fee-per-gas", "0"]
    process, url = launch_anvil(args, log, timeout)
    _keep_time_moving_forward(url)
    info = NodeInfo(url=url, pid=process.pid, state_file=str(state), log_file=str(log))
    _info_file(home).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info


def _keep_time_moving_forward(url: str) -> None:
    """A reloaded chain whose clock was moved ahead must not restart from the wall clock, which would
    put new blocks before old ones (and reopen closed return windows)."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 10}))
    latest = int(w3.eth.get_block("latest")["timestamp"])
    if latest >= int(time.time()):
        w3.provider.make_request("evm_setTime", [latest + 1])


def stop(home: Path = HOME, timeout: float = 15) -> NodeInfo:
    """Stop the background node; it saves its chain on the way out."""
    info = running(home)
    if info is None:
        _info_file(home).unlink(missing_ok=True)
        raise NodeError("no node is running here: start one with `ledger node start`")
    os.kill(info.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    _info_file(home).unlink(missing_ok=True)
    return info


def answers(url: str) -> bool:
    """Whether a JSON-RPC node answers at ``url``."""
    try:
        Web3(HTTPProvider(url, request_kwargs={"timeout": 3})).eth.chain_id
    except Exception:  # any failure to reach it means the same here
        return False
    return True
