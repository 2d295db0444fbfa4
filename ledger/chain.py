"""Connections to a chain: the embedded eth-tester chain, a local anvil or Hardhat node started on demand, or
any RPC URL.

Every connection signs locally with eth-account keys; nothing relies on accounts unlocked in a node.
Local chains (embedded, anvil and Hardhat) share anvil's well-known development mnemonic, so the same ten
development accounts exist on all, and all can move time forward and take snapshots.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.types import BlockParams, RPCEndpoint

from .codec import hex_of
from .errors import InvalidInput, NodeError, NotALocalChain
from .extras import require

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The development mnemonic anvil uses; its accounts hold test ether on every local chain here."""

DEV_HD_PATH = "m/44'/60'/0'/0"
DEV_ACCOUNT_COUNT = 10

Account.enable_unaudited_hdwallet_features()

PATIENCE = 10.0
"""Seconds a read is asked again while the node does not answer (a dropped connection, a timeout, a busy
node), before the command stops with one line saying so."""

REQUEST_TIMEOUT = 30.0
"""Seconds one JSON-RPC request may take."""

_RETRY_STATUS = {429, 502, 503, 504}
"""HTTP answers that mean "busy or in between, ask again"; any other HTTP error is final."""


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> list[LocalAccount]:
    """The development accounts of the local chains, as local signing keys."""
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"{DEV_HD_PATH}/{i}") for i in range(count)]


def _where(url: str) -> str:
    """A node's URL as it may be shown: scheme, host and port (a provider's key in the path stays out)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}" if parts.hostname else url


def _repeatable(method: str) -> bool:
    """Reads change nothing, so they can be asked again; a transaction is resent by the sending code, which
    knows what it signed, and local-chain controls (``evm_increaseTime``…) must not run twice."""
    return method.startswith(("eth_", "net_", "web3_")) and method not in ("eth_sendRawTransaction",
                                                                        "eth_sendTransaction")


def transport_reason(error: BaseException) -> str:
    """What went wrong in transit, in a few words."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if "refused" in str(error).lower():
        return "connection refused"
    return "connection lost"


class Provider(HTTPProvider):
    """JSON-RPC over HTTP that rides out a flaky network: a read that gets no answer is asked again, for up
    to ``patience`` seconds; then, and at once for a call that cannot be repeated or a node that refuses
    the connection (nothing listens), ``NodeError`` says in one line that the node stopped answering."""

    def __init__(self, url: str, patience: float = PATIENCE, timeout: float = REQUEST_TIMEOUT) -> None:
        super().__init__(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        self.patience = patience
        # web3 asks the chain id before every call it builds; it is asked once. Nothing else is cached: a block
        # number names another block after a revert or a reorg.
        self.cacheable_requests = {RPCEndpoint("eth_chainId")}
        self.cache_allowed_requests = True

    def make_request(self, method: Any, params: Any) -> Any:
        deadline = time.monotonic() + self.patience
        pause = 0.02
        while True:
            try:
                return super().make_request(method, params)
            except (requests.ConnectionError, requests.Timeout, requests.HTTPError) as error:
                reason = transport_reason(error)
                transient = reason != "connection refused" and (
                    not isinstance(error, requests.HTTPError)
                    or error.response is not None and error.response.status_code in _RETRY_STATUS)
                if not (transient and _repeatable(str(method)) and time.monotonic() + pause < deadline):
                    raise NodeError(f"the node at {_where(str(self.endpoint_uri))} stopped answering ({reason})") from error
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


class Chain:
    """A connection to an EVM chain through web3.py."""

    name = "rpc"
    is_local = False
    simulation_block: BlockParams = "pending"
    """Block that writes are simulated against before they are sent: the one they will land in."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._chain_id: int | None = None
        self.confirmations = 1
        """Blocks a sent transaction waits for, its own included: 1 (mined) by default; more on a real network,
        where the newest blocks can still be replaced."""
        self.replace_after = 60.0
        """Seconds a sent transaction may stay unmined before it is sent again with a higher fee (same nonce)."""
        self.send_timeout = 600.0
        """Seconds to wait for a sent transaction (and its confirmations) before giving up on waiting."""

    @property
    def chain_id(self) -> int:
        """The chain id the node reports (asked once: it cannot change under a connection)."""
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def now(self) -> int:
        """The timestamp the next block will have, as well as the node can tell."""
        return self.head("latest")[2]

    def block_time(self, number: int) -> int:
        """The time of a mined block."""
        return int(self.w3.eth.get_block(number)["timestamp"])

    def head(self, tag: str) -> tuple[int, str, int]:
        """Number, hash (0x-hex) and timestamp of the block ``tag`` names ("latest", "pending")."""
        block = self.w3.eth.get_block(tag)  # type: ignore[arg-type]
        return int(block["number"]), hex_of(block["hash"]), int(block["timestamp"])

    def accounts(self) -> list[LocalAccount]:
        """Development accounts with local keys; a real network has none."""
        raise NotALocalChain(f"{self.name} has no development accounts: import a key instead")

    def advance_time(self, seconds: int) -> int:
        """Move the chain's clock forward by ``seconds`` and mine a block; return the new time."""
        raise NotALocalChain(f"time can only be moved on a local chain, not on {self.name}")

    def set_next_block_time(self, timestamp: int) -> None:
        """Make the next block (and so the next transaction) carry exactly ``timestamp``."""
        raise NotALocalChain(f"time can only be moved on a local chain, not on {self.name}")

    def snapshot(self) -> object:
        """Save the chain's state; ``revert`` goes back to it."""
        raise NotALocalChain(f"snapshots exist only on a local chain, not on {self.name}")

    def revert(self, snapshot: object) -> None:
        """Go back to a state saved by ``snapshot``."""
        raise NotALocalChain(f"snapshots exist only on a local chain, not on {self.name}")

    def close(self) -> None:
        """Release the connection (and stop a node this object started)."""

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(url: str, patience: float = PATIENCE) -> Chain:
    """Connect to a JSON-RPC node at ``url``; fail with ``NodeError`` if it does not answer. Reads that get
    no answer are asked again for up to ``patience`` seconds (``Provider``)."""
    w3 = Web3(Provider(url, patience))
    try:
        _ = w3.eth.chain_id  # one request: does a node answer?
    except Exception as error:  # any transport failure means the same thing to the user
        raise NodeError(f"no Ethereum node answers at {_where(url)}: start one (e.g. `ledger node start`) or fix "
                        "the URL") from error
    return RpcChain(w3, url)


def _check_forward(earliest: int, timestamp: int) -> None:
    if timestamp < earliest:
        raise InvalidInput(f"time only moves forward: the next block cannot be before {earliest}, not {timestamp}")


class RpcChain(Chain):
    """Any JSON-RPC node; local-only actions are tried with anvil's and Hardhat's methods."""

    def __init__(self, w3: Web3, url: str) -> None:
        super().__init__(w3)
        self.url = url
        self.name = url

    def _rpc(self, method: str, params: Sequence[object]) -> object:
        response = self.w3.provider.make_request(RPCEndpoint(method), list(params))
        if "error" in response:
            raise NotALocalChain(f"{self.name} does not support {method}: {response['error']}")
        return response.get("result")

    def now(self) -> int:
        return self.head("pending")[2]

    def head(self, tag: str) -> tuple[int, str, int]:
        """Read raw: web3 would turn each of the block's transaction hashes (hundreds on a busy chain) into
        bytes for three fields, several milliseconds a query."""
        answer = self.w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), [tag, False])
        block = answer.get("result")
        if not block:
            raise NodeError(f"the node at {_where(self.url)} did not give its {tag} block: {answer.get('error')}")
        return int(block["number"] or "0x0", 16), block["hash"] or "0x", int(block["timestamp"], 16)

    def accounts(self) -> list[LocalAccount]:
        if self.chain_id != 31337:
            return super().accounts()
        return dev_accounts()

    def advance_time(self, seconds: int) -> int:
        self._rpc("evm_increaseTime", [int(seconds)])
        self._rpc("evm_mine", [])
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def set_next_block_time(self, timestamp: int) -> None:
        _check_forward(int(self.w3.eth.get_block("latest")["timestamp"]), timestamp)
        self._rpc("evm_setNextBlockTimestamp", [int(timestamp)])

    def snapshot(self) -> object:
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot: object) -> None:
        if self._rpc("evm_revert", [snapshot]) is not True:
            raise NotALocalChain(f"{self.name} could not revert to snapshot {snapshot}")


class EmbeddedChain(Chain):
    """An in-process chain (eth-tester on py-evm): nothing to install or start, about 30 tx/s."""

    name = "embedded chain"
    is_local = True
    simulation_block = "latest"  # eth-tester cannot estimate against "pending"; "latest" runs on top of it

    def __init__(self) -> None:
        require("dev", "the embedded chain", "eth_tester", "eth")  # eth-tester on py-evm
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        backend = PyEVMBackend(mnemonic=DEV_MNEMONIC, hd_path=DEV_HD_PATH)
        self.tester = EthereumTester(backend)
        super().__init__(Web3(EthereumTesterProvider(self.tester)))

    def now(self) -> int:
        return int(self.tester.get_block_by_number("pending")["timestamp"])

    def accounts(self) -> list[LocalAccount]:
        return dev_accounts()

    def advance_time(self, seconds: int) -> int:
        target = self.now() + int(seconds)
        self.tester.time_travel(target)
        return target

    def set_next_block_time(self, timestamp: int) -> None:
        # time_travel mines an empty block one second before the given time and leaves the pending block at it.
        _check_forward(self.now(), timestamp)
        self.tester.time_travel(int(timestamp))

    def snapshot(self) -> object:
        return self.tester.take_snapshot()

    def revert(self, snapshot: object) -> None:
        self.tester.revert_to_snapshot(snapshot)


def _checkouts(root: Path | None) -> list[Path]:
    """Where npm may have installed the project's Node.js tools: ``root``, the working directory, the checkout
    this package is in."""
    return [*([root] if root else []), Path.cwd(), Path(__file__).resolve().parent.parent]


def anvil_binary(root: Path | None = None) -> Path:
    """Find the anvil binary installed by npm (``@foundry-rs/anvil``), or one on the PATH."""
    for base in _checkouts(root):
        for candidate in sorted((base / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
            if os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise NodeError("anvil is not installed: run `npm ci` in the repository (it installs @foundry-rs/anvil)")


HARDHAT_CONFIG = Path("tools") / "hardhat" / "hardhat.config.js"
"""The checkout's Hardhat config: ``hardhat node`` refuses to run outside a Hardhat project."""


def hardhat_command(root: Path | None = None) -> list[str]:
    """``node <hardhat's command line> --config <the checkout's> node``, with npm's ``hardhat`` of the checkout.

    Hardhat's own script is run with ``node`` rather than through ``npx``, which would put npm's process (and a
    shell) between us and the node: the signal that stops it would then not reach the node, left running."""
    node = shutil.which("node")
    for base in _checkouts(root):
        cli = base / "node_modules" / "hardhat" / "internal" / "cli" / "bootstrap.js"
        if node and cli.is_file() and (base / HARDHAT_CONFIG).is_file():
            return [node, str(cli), "--config", str(base / HARDHAT_CONFIG), "node"]
    raise NodeError("Hardhat is not installed: run `npm ci` in the repository (it installs hardhat; it needs Node.js)")


def launch_node(what: str, command: Sequence[str], listening: str, log_file: Path,
                timeout: float = 30) -> tuple[subprocess.Popen[bytes], str]:
    """Start a node (``what`` names it in errors) in its own session, its output in ``log_file``; return it and
    its URL, whose host and port are group 1 of the first match of ``listening`` in its output.

    The node outlives the Python process unless it is stopped, so a background node can be left running.
    """
    with open(log_file, "wb") as log:
        process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(listening, log_file.read_text(errors="replace"))
        if match:
            return process, f"http://{match.group(1)}"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    exited = process.poll() is not None
    stop_process(process)
    tail = " / ".join(log_file.read_text(errors="replace").strip().splitlines()[-5:]) or "no output"
    if exited:  # it refused its arguments (a port in use or out of range…): say what it said, not "too slow"
        raise NodeError(f"{what} stopped at once: {tail}")
    raise NodeError(f"{what} did not start within {timeout} s: {tail}")


ANVIL_LISTENING = r"Listening on (\S+:\d+)"
HARDHAT_LISTENING = r"JSON-RPC server at http://(\S+:\d+)"
"""How each node says where it listens, once it does."""


def anvil_command(args: Sequence[str]) -> list[str]:
    """anvil with the development accounts and ``args``."""
    return [str(anvil_binary()), "--accounts", str(DEV_ACCOUNT_COUNT), *args]


def launch_anvil(args: Sequence[str], log_file: Path, timeout: float = 30) -> tuple[subprocess.Popen[bytes], str]:
    """Start anvil with ``args`` (``launch_node``); return it and its URL."""
    return launch_node("anvil", anvil_command(args), ANVIL_LISTENING, log_file, timeout)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a node with SIGINT (anvil then writes its --state file), killing it if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _StartedChain(RpcChain):
    """A local node this object starts (``launch_node``) and stops on ``close()``."""

    is_local = True

    def __init__(self, what: str, command: Sequence[str], listening: str, timeout: float) -> None:
        self._log = Path(tempfile.mkstemp(prefix=f"{what.lower()}-", suffix=".log")[1])
        self.process, url = launch_node(what, command, listening, self._log, timeout)
        super().__init__(Web3(Provider(url)), url)
        self.name = f"{what} at {url}"

    def close(self) -> None:
        stop_process(self.process)
        self._log.unlink(missing_ok=True)


class AnvilChain(_StartedChain):
    """A local anvil node this object starts on a free port and stops on ``close()``."""

    def __init__(self, extra_args: Sequence[str] = (), timeout: float = 30) -> None:
        super().__init__("anvil", anvil_command(["--port", "0", *extra_args]), ANVIL_LISTENING, timeout)


class HardhatChain(_StartedChain):
    """A local Hardhat node (npm ``hardhat`` 2.x, on EDR) this object starts on a free port and stops on
    ``close()``: a second implementation of a development node beside anvil, with the same chain id (31337) and
    development accounts (Hardhat's default mnemonic is anvil's). It answers a reverted call with the revert one
    level deeper than anvil (``revert.revert_data`` reads both) and, while it automines, refuses a transaction
    whose nonce is ahead of its sender's (the bulk path then sends in nonce order)."""

    def __init__(self, timeout: float = 60) -> None:
        super().__init__("Hardhat", [*hardhat_command(), "--hostname", "127.0.0.1", "--port", "0"], HARDHAT_LISTENING,
                         timeout)
