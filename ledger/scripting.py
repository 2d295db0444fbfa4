"""What deploy and seed scripts share: the chain and signer they use, under `brownie run` or plain Python.

Under ``brownie run … --network NAME`` the scripts use the node brownie connected to; otherwise the
node in ``LEDGER_RPC`` or the project's background node (``ledger node start``). They sign with the key
in ``LEDGER_KEY`` or, on a development chain, with the development accounts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from . import keys, node
from .chain import Chain, connect
from .errors import LedgerError, NodeError


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
