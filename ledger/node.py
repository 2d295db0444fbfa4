"""A local anvil node that runs in the background between commands, its chain saved in the project.

``ledger node start`` launches anvil with ``--state``, so the chain (purchases, time moved) is written
to ``.ledger/anvil-state.json`` every ``STATE_INTERVAL`` seconds and when the node stops, and loaded when
it starts again. What the node is (URL, process id) is kept in ``.ledger/node.json`` for the other
commands; ``stop`` removes it, so a ``node.json`` whose process is gone means the node was killed (or the
machine lost power): the chain comes back as last saved, and ``start`` says what may have been lost.
anvil rewrites its state file in place, so a kill in the middle of a save can leave it cut short: the
copy kept at each start is then used, and the damaged file is kept aside.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from .chain import Provider, launch_anvil
from .errors import NodeError
from .timefmt import duration

HOME = Path(".ledger")
"""The project's folder for local state: node, chain state, deployment, keys."""

STATE_INTERVAL = 2
"""Seconds between saves of the chain: at most this much is lost when the node is killed."""


@dataclass(frozen=True)
class Restored:
    """How a node that was not stopped cleanly got its chain back."""

    block: int | None
    """The newest block in the save used (None: nothing had been saved, the chain starts empty)."""
    saved_at: float | None
    """When that save was written (Unix time)."""
    damaged: str | None = None
    """Where a save cut short by the kill was put aside, when the copy from the last start was used."""
    save_every: int = STATE_INTERVAL
    """Seconds between the killed node's saves."""

    def describe(self) -> str:
        """One sentence for the person who restarts the node."""
        said = "the node was not stopped cleanly (killed, or the machine lost power)"
        if self.block is None and self.damaged:
            return (f"{said} while it was saving its chain: the damaged save is kept in {self.damaged}, and with "
                    "no earlier copy the node starts from an empty chain")
        if self.block is None:
            return f"{said}: nothing of its chain had been saved yet, so it starts from an empty chain"
        at = datetime.fromtimestamp(self.saved_at or 0).strftime("%Y-%m-%d %H:%M:%S")
        if self.damaged:
            return (f"{said} while it was saving its chain: the damaged save is kept in {self.damaged}, and the "
                    f"chain is back as it was when the node last started (block {self.block}, {at}); everything "
                    "done after that is lost")
        return (f"{said}: its chain is back as last saved (block {self.block}, {at}); anything done in the last "
                f"{duration(self.save_every)} before it stopped is lost")


@dataclass(frozen=True)
class NodeInfo:
    """A background node started by ``start``."""

    url: str
    pid: int
    state_file: str
    log_file: str
    save_every: int = STATE_INTERVAL
    """Seconds between saves of the chain."""
    restored: Restored | None = None
    """Set when this start followed a node that was killed (``Restored.describe`` says what was lost)."""


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


def start(home: Path = HOME, port: int = 8545, timeout: float = 30, save_every: int = STATE_INTERVAL) -> NodeInfo:
    """Start the background node (loading the saved chain, if any) and record it; it saves its chain every
    ``save_every`` seconds, and when it stops."""
    current = running(home)
    if current is not None:
        raise NodeError(f"a node is already running at {current.url} (pid {current.pid}): use it, or stop it first")
    home.mkdir(parents=True, exist_ok=True)
    state = home / "anvil-state.json"
    log = home / "anvil.log"
    restored = _recover(home, state) if _info_file(home).is_file() else None
    _keep_copy(state)
    args = ["--port", str(port), "--state", str(state), "--state-interval", str(save_every),
            "--block-base-fee-per-gas", "0"]
    process, url = launch_anvil(args, log, timeout)
    _keep_time_moving_forward(url)
    info = NodeInfo(url=url, pid=process.pid, state_file=str(state), log_file=str(log), save_every=save_every)
    _info_file(home).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return NodeInfo(**{**asdict(info), "restored": restored})


def _saved_block(state: Path) -> int | None:
    """The newest block of a state file; None when it cannot be read whole (cut short, damaged)."""
    try:
        block = json.loads(state.read_text())["best_block_number"]
        return int(block, 0) if isinstance(block, str) else int(block)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _copy_of(state: Path) -> Path:
    return state.with_name(state.stem + ".previous.json")


def _keep_copy(state: Path) -> None:
    """Keep the save the node starts from: the fallback should the node be killed while saving."""
    if state.is_file():
        shutil.copy2(state, _copy_of(state))


def _recover(home: Path, state: Path) -> Restored:
    """The node recorded in ``home`` is gone without ``stop``: check its last save, and put a damaged one
    aside (anvil would refuse to start on it) in favour of the copy kept at the last start."""
    try:
        save_every = int(json.loads(_info_file(home).read_text()).get("save_every", STATE_INTERVAL))
    except (OSError, ValueError, TypeError, AttributeError):
        save_every = STATE_INTERVAL
    if not state.is_file():
        return Restored(None, None, save_every=save_every)
    block = _saved_block(state)
    if block is not None:
        return Restored(block, state.stat().st_mtime, save_every=save_every)
    damaged = state.with_name(f"{state.stem}.damaged-{int(time.time())}.json")
    state.replace(damaged)
    copy = _copy_of(state)
    if copy.is_file() and _saved_block(copy) is not None:
        shutil.copy2(copy, state)
        return Restored(_saved_block(state), state.stat().st_mtime, str(damaged), save_every)
    return Restored(None, None, str(damaged), save_every)


def _keep_time_moving_forward(url: str) -> None:
    """A reloaded chain whose clock was moved ahead must not restart from the wall clock, which would
    put new blocks before old ones (and reopen closed return windows)."""
    w3 = Web3(Provider(url, timeout=10))
    latest = int(w3.eth.get_block("latest")["timestamp"])
    if latest >= int(time.time()):
        w3.provider.make_request(RPCEndpoint("evm_setTime"), [latest + 1])


def stop(home: Path = HOME, timeout: float = 15) -> NodeInfo:
    """Stop the background node; it saves its chain on the way out."""
    info = running(home)
    if info is None:
        if _info_file(home).is_file():  # kept: the next start says what the kill may have lost
            raise NodeError("no node is running here: the last one was not stopped cleanly; `ledger node start` "
                            "brings back its last save")
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
        _ = Web3(HTTPProvider(url, request_kwargs={"timeout": 3})).eth.chain_id  # one request: does it answer?
    except Exception:  # any failure to reach it means the same here
        return False
    return True
