"""What deploy and seed scripts share: the chain and signer they use, under `brownie run` or plain Python.

Under ``brownie run … --network NAME`` the scripts use the node brownie connected to; otherwise the
node in ``LEDGER_RPC`` or the project's background node (``ledger node start``). They sign with the key
in ``LEDGER_KEY`` or, on a development chain, with the development accounts. They record their deployment in a
file of their own under brownie (``script_deployment``), never in the command line's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from . import deployment, keys, node
from .chain import Chain, connect
from .errors import LedgerError, NodeError

DEPLOYMENT_VARIABLE = "LEDGER_DEPLOYMENT"


def script_chain() -> Chain:
    """The chain a script runs on."""
    brownie = sys.modules.get("brownie")
    if brownie is not None and brownie.network.is_connected():
        return connect(brownie.web3.provider.endpoint_uri)
    url = os.environ.get("LEDGER_RPC")
    if not url:
        running = node.running()
        if running is None:
            raise NodeError("no node to run on: start one with `ledger node start`, or set LEDGER_RPC")
        url = running.url
    return connect(url)


def run(main: Callable[[], object]) -> None:
    """Run a script's ``main`` from the command line: a ledger error ends it with one line, not a traceback."""
    try:
        main()
    except LedgerError as error:
        sys.exit(f"error: {error}")


def script_signer(chain: Chain, dev_index: int = 0) -> LocalAccount:
    """``LEDGER_KEY`` if set, else development account ``dev_index`` (development chains only)."""
    secret = os.environ.get("LEDGER_KEY")
    if secret:
        return keys.account_from_secret(secret, "LEDGER_KEY")
    return chain.accounts()[dev_index]


@dataclass(frozen=True)
class ScriptDeployment:
    """Where a script finds and records its deployment (``script_deployment``)."""

    path: Path
    recorded_at: Path
    """The file that records this chain's deployment already, if any: ``path``, or the one file of older versions."""
    replaceable: bool
    """Whether a deployment recorded there may be replaced without a word: only in brownie's own file, when brownie
    launched the node (the chain it records ended with the run that wrote it)."""

    def make_room(self, chain: Chain) -> None:
        """Check, before a deployment is sent, that it can be recorded here (``deployment.make_room``)."""
        deployment.make_room(self.path, chain, self.replaceable,
                             f"set {DEPLOYMENT_VARIABLE} to another file to record the new one there",
                             self.recorded_at, create_folder=True)


def script_deployment(chain: Chain) -> ScriptDeployment:
    """``LEDGER_DEPLOYMENT`` if set; under brownie, ``.ledger/brownie/NETWORK/deployment.json``, a file of the
    network's own: the chain of a development network ends with the brownie run that launched it, and a record of
    it in the command line's file would stand for a ledger that no longer exists; otherwise the chain's file in the
    project folder, as ``ledger deploy`` writes it."""
    named = os.environ.get(DEPLOYMENT_VARIABLE)
    if named:
        return ScriptDeployment(Path(named), Path(named), False)
    brownie = sys.modules.get("brownie")
    if brownie is not None and brownie.network.is_connected():
        path = node.HOME / "brownie" / str(brownie.network.show_active()) / deployment.FILE_NAME
        return ScriptDeployment(path, path, bool(brownie.network.rpc.is_child()))
    return ScriptDeployment(deployment.chain_file(node.HOME, chain.chain_id),
                            deployment.recorded(node.HOME, chain.chain_id), False)
