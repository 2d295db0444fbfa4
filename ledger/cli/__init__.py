"""The ``ledger`` command. Thin: it parses, calls the library, renders, and turns our errors into one
red line and a non-zero exit code in one place (``LedgerGroup.invoke``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from ..errors import LedgerError
from .context import Env


class LedgerGroup(click.Group):
    """Runs commands with library errors shown as one clear line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LedgerError as error:
            Console(stderr=True, emoji=False).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            sys.exit(1)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rpc", envvar="LEDGER_RPC", help="JSON-RPC URL of the node (default: the node `ledger node start` runs).")
@click.option("--deployment", "deployment_file", envvar="LEDGER_DEPLOYMENT", type=click.Path(path_type=Path),
              help="Deployment file (default: .ledger/deployment.json).")
@click.option("--account", "account_spec", envvar="LEDGER_ACCOUNT",
              help="Who signs: a development account number (3), a stored key's name, or env:VARIABLE.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
@click.option("--tz", "zone_name", envvar="LEDGER_TZ", help="Time zone for times shown (default: this machine's).")
@click.option("--no-index", "no_index", is_flag=True,
              help="Read straight from the chain's logs instead of the history index (`ledger index`).")
@click.pass_context
def main(ctx: click.Context, rpc: str | None, deployment_file: Path | None, account_spec: str | None,
         as_json: bool, zone_name: str | None, no_index: bool) -> None:
    """Purchase history, return terms, contact moments and automatic refunds on an EVM chain.

    \b
    Example:
      ledger node start && ledger deploy
      ledger --account 1 merchant register && ledger --account 1 terms publish 1 --window 30d
      ledger --account 1 quote 1 MUG:2:0.01 --for 0x90F7… --order ORDER-1 -o order.json
      ledger --account 3 buy order.json
    """
    ctx.obj = Env(rpc=rpc, deployment_file=deployment_file, account_spec=account_spec, as_json=as_json,
                  zone_name=zone_name, use_index=not no_index)
    ctx.obj.zone  # a wrong --tz fails here, before any command runs


from . import customer, dev, history, merchant  # noqa: E402  (the commands register themselves on `main`)

__all__ = ["main", "customer", "dev", "history", "merchant"]
