"""``ledger tx HASH``: what became of a transaction, for one whose outcome a command could not tell."""

from __future__ import annotations

import click

from ..models import TxState
from . import main
from .context import Env, pass_env


@main.command(name="tx")
@click.argument("tx_hash")
@pass_env
def tx(env: Env, tx_hash: str) -> None:
    """Say what became of a transaction: went through (with what it did), failed, still waiting, or unknown
    to the node. For a command that said whether its transaction was recorded is not known.

    \b
    Example:
      ledger tx 0x5d2f…
    """
    state = env.ledger.transaction(tx_hash)
    env.emit(state, lambda: _words(state))


def _words(state: TxState) -> str:
    if state.state == "mined":
        did = ", ".join(event.name for event in state.events) or "no event of the ledger's"
        return (f"transaction {state.tx_hash} went through in block {state.block_number} ({state.confirmations} "
                f"confirmation(s)): {did}")
    if state.state == "failed":
        return (f"transaction {state.tx_hash} was mined in block {state.block_number} but failed: it did nothing; "
                "running the command that sent it again tries anew (and says why, should it be refused)")
    if state.state == "pending":
        return (f"transaction {state.tx_hash} (nonce {state.nonce} of {state.sender}) is waiting to be mined: it may "
                "still go through; look again later, and send nothing new meanwhile")
    return (f"the node knows nothing of transaction {state.tx_hash}: it is neither mined nor waiting there (lost on "
            "the way, or dropped). Running the command that sent it again hands it over once more if it can still "
            "land, and sends nothing new while it can")
