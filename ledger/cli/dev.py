"""Developer commands: the background node, deploying, accounts, keys, time, compiling, the demo."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import click
from rich.console import Console
from rich.table import Table

from .. import keys, node
from ..client import Ledger
from ..errors import BuildError, InvalidInput, NodeError
from ..render import amount
from ..timefmt import local
from . import main, parse
from .context import Env, pass_env


@main.group(name="node")
def node_group() -> None:
    """Run a local anvil node in the background; its chain is saved in .ledger/ between runs."""


@node_group.command()
@click.option("--port", type=click.IntRange(0, 65_535), default=8545, show_default=True, envvar="LEDGER_NODE_PORT",
              help="Port to listen on, 1 to 65535 (0 picks a free one).")
@pass_env
def start(env: Env, port: int) -> None:
    """Start the node, loading the chain saved by the last run. After a node that was killed (or a power
    cut), it says what may have been lost: at most the last few seconds before it stopped.

    \b
    Example:
      ledger node start --port 8545
    """
    info = node.start(env.home, port)
    if info.restored is not None:
        Console(stderr=True, emoji=False).print(f"[yellow]note:[/yellow] {info.restored.describe()}",
                                                highlight=False, soft_wrap=True)
    env.emit(info, lambda: f"node running at {info.url} (pid {info.pid}); chain saved in {info.state_file}")


@node_group.command()
@pass_env
def stop(env: Env) -> None:
    """Stop the node; it saves its chain first.

    \b
    Example:
      ledger node stop
    """
    info = node.stop(env.home)
    env.emit(info, lambda: f"node at {info.url} stopped; chain saved in {info.state_file}")


@node_group.command()
@pass_env
def status(env: Env) -> None:
    """Say whether the node runs, where, and at which block and time.

    \b
    Example:
      ledger node status
    """
    info = node.running(env.home)
    if info is None:
        raise NodeError("no node is running here: start one with `ledger node start`")
    chain = env.chain
    latest = chain.w3.eth.get_block("latest")
    data = {"url": info.url, "pid": info.pid, "chain_id": chain.chain_id, "block": latest["number"],
            "time": latest["timestamp"], "state_file": info.state_file}
    env.emit(data, lambda: f"node at {info.url} (pid {info.pid}), chain id {chain.chain_id}, "
                           f"block {latest['number']}, time {local(latest['timestamp'], env.zone)}")


@main.command()
@click.option("--force", is_flag=True, help="Record the new deployment although a file records one already.")
@pass_env
def deploy(env: Env, force: bool) -> None:
    """Deploy the ledger (its entry point, two modules and the feedback contract) and record it in the
    chain's deployment file (.ledger/chains/CHAIN-ID/deployment.json, or --deployment). A file that records
    a deployment already is replaced only with --force.

    \b
    Example:
      ledger --account 0 deploy
    """
    target = env.new_deployment_path(force)  # before anything is sent: a record that cannot be written deploys nothing
    if env.account_spec is None and env.chain.chain_id == 31337:
        env.account_spec = "0"  # on a development chain the first development account deploys
    ledger = Ledger.deploy(env.chain, env.account)
    path = ledger.deployment().save(target)
    env.emit(ledger.deployment(), lambda: f"ledger deployed at {ledger.address} (feedback at {ledger.feedback.address}, "
                                          f"chain {env.chain.chain_id}); recorded in {path}")


class _AccountRow(TypedDict):
    account: str
    address: str
    balance: int


@main.command()
@pass_env
def accounts(env: Env) -> None:
    """List the development accounts of a local chain, and the stored keys (never their secrets).

    \b
    Example:
      ledger accounts
    """
    w3 = env.chain.w3
    rows: list[_AccountRow] = [{"account": str(i), "address": a.address, "balance": w3.eth.get_balance(a.address)}
                               for i, a in enumerate(env.chain.accounts())]
    rows += [{"account": name, "address": address, "balance": w3.eth.get_balance(address)}
             for name, address in keys.stored(env.home)]

    def table() -> Table:
        out = Table(title="Accounts (use with --account)")
        for column in ("account", "address", "balance"):
            out.add_column(column)
        for row in rows:
            out.add_row(row["account"], row["address"], amount(row["balance"]))
        return out

    env.emit(rows, table)


@main.group(name="key")
def key_group() -> None:
    """Store signing keys, encrypted, in .ledger/keys (use them with --account NAME)."""


@key_group.command(name="import")
@click.argument("name")
@click.option("--keystore", type=click.Path(path_type=Path, dir_okay=False), help="An encrypted keystore (JSON) file.")
@click.option("--from-env", "variable", help="Name of an environment variable that holds a private key.")
@pass_env
def import_key(env: Env, name: str, keystore: Path | None, variable: str | None) -> None:
    """Import a key from a keystore file or an environment variable; the key itself is never printed.

    The password comes from LEDGER_KEY_PASSWORD, or is asked for.

    \b
    Example:
      export SHOP_KEY=0x…   # the private key
      ledger key import shop --from-env SHOP_KEY
    """
    if (keystore is None) == (variable is None):
        raise InvalidInput("give exactly one of --keystore FILE or --from-env VARIABLE")
    if keystore is not None:
        address = keys.import_keystore(env.home, name, keystore, env.password(f"password of {keystore}"))
    else:
        address = keys.import_from_env(env.home, name, variable or "", env.password("password to encrypt it with", True))
    env.emit({"name": name, "address": address}, lambda: f"key {name!r} stored for {address}")


@key_group.command(name="list")
@pass_env
def list_keys(env: Env) -> None:
    """List stored keys and their addresses.

    \b
    Example:
      ledger key list
    """
    stored = [{"name": name, "address": address} for name, address in keys.stored(env.home)]
    env.emit(stored, lambda: "\n".join(f"{s['name']}  {s['address']}" for s in stored) or "no keys stored yet")


@main.group(name="time")
def time_group() -> None:
    """Move a local chain's clock (to see return windows close)."""


@time_group.command()
@click.argument("by")
@pass_env
def advance(env: Env, by: str) -> None:
    """Move the clock forward by a duration such as 8d, 36h or 1d12h, and mine a block. At most 10 years
    (3650d) at a time, and never past the year 9999: a clock moved further leaves the chain unusable.

    \b
    Example:
      ledger time advance 8d
    """
    seconds = parse.duration(by)
    now = env.advance_time(seconds)
    env.emit({"advanced": seconds, "time": now}, lambda: f"chain time is now {local(now, env.zone)}")


@main.command()
@click.option("--check", is_flag=True, help="Write nothing; fail if the shipped artifacts differ from the sources.")
def build(check: bool) -> None:
    """Compile contracts/ into the artifacts the package ships (needs the repository and `npm ci`).

    \b
    Example:
      ledger build
      ledger build --check
    """
    from ..build import build as compile_contracts

    paths = compile_contracts(check=check)
    if check and paths:
        raise BuildError(f"{', '.join(map(str, paths))} no longer match contracts/: run `ledger build`")
    for path in paths:
        click.echo(f"wrote {path}")
    if check:
        click.echo("the shipped artifacts match contracts/")


@main.command()
@pass_env
def demo(env: Env) -> None:
    """Play the demo story on the embedded chain: two shops sign orders, three customers buy them, a year
    of returns, mandates, store credit, referrals and settlement.

    \b
    Example:
      ledger demo
    """
    from rich.console import Console

    from ..demo import run

    # Piped output has no width to follow; give the tables room instead of rich's default of 80.
    run(Console(emoji=False) if env.console.is_terminal else Console(width=130, emoji=False))
