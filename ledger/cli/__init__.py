"""The ``ledger`` command. Thin: it parses, calls the library, renders, and turns our errors into one
red line and a non-zero exit code in one place (``LedgerGroup.invoke``)."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from ..errors import InvalidRows, LedgerError
from .context import Env


class LedgerGroup(click.Group):
    """Runs commands with every refusal shown as one clear line on stderr instead of a traceback or a
    usage screen: library errors (exit code 1) and malformed command lines (exit code 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:  # `ledger purchases --json` as `ledger --json purchases`
            args = _globals_first(self, args)
        return super().parse_args(ctx, args)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            _usage_refused(error)

    def invoke(self, ctx: click.Context) -> object:
        try:
            result = super().invoke(ctx)
            _say_found(ctx.find_object(Env))
            return result
        except click.UsageError as error:
            _usage_refused(error)
        except LedgerError as error:
            env = ctx.find_object(Env)
            _say_found(env)
            if env is not None and env.connected:
                error.format_amount = env.units.amount  # amounts in the token's own units and symbol
            if isinstance(error, InvalidRows):
                _refused(error.headline + ":", 1, error.problems)
            _refused(str(error), 1)
        finally:
            env = ctx.find_object(Env)
            if env is not None:
                env.close()


def _globals_first(root: click.Group, args: list[str]) -> list[str]:
    """The command line with the ``ledger`` options given after the subcommand (``--json``, ``--account 3``…)
    moved in front of it, where click reads them; an option the subcommand has itself (``index
    --confirmations``) stays its own, and nothing after ``--`` moves."""
    by_name = {name: param for param in root.params if isinstance(param, click.Option) for name in param.opts}
    before: list[str] = []
    i = 0
    while i < len(args) and args[i].split("=", 1)[0] in by_name:  # the options already in front
        takes = not by_name[args[i].split("=", 1)[0]].is_flag and "=" not in args[i]
        before += args[i:i + 1 + takes]
        i += 1 + takes
    command: click.Command = root
    path: list[str] = []
    while isinstance(command, click.Group) and i < len(args) and args[i] in command.commands:
        path.append(args[i])
        command = command.commands[args[i]]
        i += 1
    own = {name: param for param in command.params if isinstance(param, click.Option) for name in param.opts}
    rest: list[str] = []
    while i < len(args):
        name = args[i].split("=", 1)[0]
        if args[i] == "--":
            rest += args[i:]
            break
        found = own.get(name) or by_name.get(name)
        takes = found is not None and not found.is_flag and "=" not in args[i]  # its value moves (or stays) with it
        (rest if name in own or name not in by_name else before).extend(args[i:i + 1 + takes])
        i += 1 + takes
    return before + path + rest


def _say_found(env: Env | None) -> None:
    """One line on stderr when an earlier run of the same command had done (some of) the work: what it sent
    was found on chain, and nothing was sent for it."""
    found = env.found_earlier() if env is not None else []
    if found:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        Console(stderr=True, emoji=False).print(
            f"already on chain: an earlier run of this command sent {shown}, which went through; nothing was sent "
            "for it now (--again does the work once more)", markup=False, highlight=False, soft_wrap=True)


def _usage_refused(error: click.UsageError) -> NoReturn:
    message = error.format_message()
    option = re.match(r"No such option:? '?(-[0-9][0-9_.]*)'?", message)
    if option:
        message = (f"{option.group(1)} is not an option, and ids, amounts and durations are never negative: "
                   "give a value from 0 up")
    where = f" (see `{error.ctx.command_path} --help`)" if error.ctx is not None else ""
    _refused(message + where, error.exit_code)


def _refused(message: str, code: int, details: Sequence[str] = ()) -> NoReturn:
    """The message in red on one line of stderr (then one line per detail, such as a file's bad rows): control
    characters are shown escaped, so a value someone typed cannot break or forge a line, and brackets are
    never read as markup."""
    console = Console(stderr=True, emoji=False)
    console.print(f"[red]error:[/red] {escape(_one_line(message))}", highlight=False, soft_wrap=True)
    for detail in details:
        console.print(_one_line(detail), highlight=False, soft_wrap=True, markup=False)
    sys.exit(code)


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text.strip())


class Given(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 on; 8.1 to 8.3 cannot subscript it
    """A text or path parameter given as an empty string is refused: empty is never "use the default" (an
    empty --payout would pay the signer, an empty --rpc would pick the background node)."""

    def __init__(self, inner: click.ParamType[Any]) -> None:
        self.inner = inner
        self.name = inner.name

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return self.inner.split_envvar_value(rv)  # a list of paths in one variable splits as the inner type's

    def get_metavar(self, *args: Any, **kwargs: Any) -> str | None:
        return self.inner.get_metavar(*args, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("it is empty: give a value, or leave the option out to use its default", param, ctx)
        return self.inner.convert(value, param, ctx)


def _refuse_empty(command: click.Command) -> None:
    """Give every text and path parameter of ``command`` and its subcommands the ``Given`` check; free text
    whose default is empty (a note, a review) may stay empty."""
    for param in command.params:
        if (param.type is click.STRING or isinstance(param.type, click.Path)) and param.default != "":
            param.type = Given(param.type)
    for sub in getattr(command, "commands", {}).values():
        _refuse_empty(sub)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rpc", envvar="LEDGER_RPC", help="JSON-RPC URL of the node (default: the node `ledger node start` runs).")
@click.option("--deployment", "deployment_file", envvar="LEDGER_DEPLOYMENT", type=click.Path(path_type=Path),
              help="Deployment file (default: the node's chain's, .ledger/chains/CHAIN-ID/deployment.json).")
@click.option("--account", "account_spec", envvar="LEDGER_ACCOUNT",
              help="Who signs: a development account number (3), a stored key's name, or env:VARIABLE.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
@click.option("--wide", is_flag=True, help="Tables at their full width, whatever the terminal's (they wrap to fit it).")
@click.option("--tz", "zone_name", envvar="LEDGER_TZ", help="Time zone for times shown (default: this machine's).")
@click.option("--no-index", "no_index", is_flag=True,
              help="Read straight from the chain's logs instead of the history index (`ledger index`).")
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True, envvar="LEDGER_CONFIRMATIONS",
              help="Blocks a transaction waits for, its own included, before the command reports it done "
                   "(more than 1 on real networks, where the newest blocks can still be replaced).")
@click.option("--again", is_flag=True,
              help="Do the command's work once more although the same command went through before (a command "
                   "run again otherwise finds what it sent and sends nothing for what went through).")
@click.pass_context
def main(ctx: click.Context, rpc: str | None, deployment_file: Path | None, account_spec: str | None,
         as_json: bool, wide: bool, zone_name: str | None, no_index: bool, confirmations: int, again: bool) -> None:
    """Purchase history, return terms, contact moments and automatic refunds on an EVM chain.

    \b
    Example:
      ledger node start && ledger deploy
      ledger --account 1 merchant register && ledger --account 1 terms publish 1 --window 30d
      ledger --account 1 quote 1 MUG:2:0.01 --for 0x90F7… --order ORDER-1 -o order.json
      ledger --account 3 buy order.json
    """
    ctx.obj = Env(rpc=rpc, deployment_file=deployment_file, account_spec=account_spec, as_json=as_json, wide=wide,
                  zone_name=zone_name, use_index=not no_index, confirmations=confirmations, again=again)
    _ = ctx.obj.zone  # a wrong --tz fails here, before any command runs


from . import customer, dev, history, merchant, names, tx, web  # noqa: E402  (the commands register themselves on `main`)

_refuse_empty(main)

__all__ = ["main", "customer", "dev", "history", "merchant", "names", "tx", "web"]
