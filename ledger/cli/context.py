"""What every command needs, resolved once and lazily: the node, the deployment, the signing account,
and how to print (tables for people, JSON for scripts, times in the user's zone)."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import re
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from eth_account.signers.local import LocalAccount
from rich.console import Console, Group
from rich.table import Table

from .. import deployment, keys, node, render, validate
from ..chain import Chain, connect
from ..client import Ledger
from ..deployment import Deployment
from ..errors import DeploymentError, InvalidInput, NodeError
from ..models import Purchase
from ..names import Labels
from ..sending.journal import Journal
from .parse import LAST_MOMENT

PASSWORD_VARIABLE = "LEDGER_KEY_PASSWORD"

SERVICES = ("serve",)
"""Commands that keep running and send for many requests (the web page's relayer): not one piece of work, so
not run as an operation (two equal relays there are two requests, each checked by the contract)."""

MAX_ADVANCE = 3_650 * 86_400
"""The most ``ledger time advance`` moves a local chain's clock in one step: ten years."""



@dataclass
class Env:
    """Options shared by all commands (``ledger --rpc … --account … COMMAND``)."""

    rpc: str | None = None
    deployment_file: Path | None = None
    account_spec: str | None = None
    as_json: bool = False
    zone_name: str | None = None
    use_index: bool = True
    confirmations: int = 1
    again: bool = False
    """--again: the command's work is done anew, whatever earlier runs of the same command sent."""
    home: Path = node.HOME
    wide: bool = False
    """Tables at their full width, whatever the terminal's (``--wide``)."""
    console: Console = field(default_factory=lambda: Console(emoji=False, markup=False))
    """Never reads markup: SKUs, references and token names come from other people and are shown as written."""
    _operation: ExitStack = field(default_factory=ExitStack)

    def __post_init__(self) -> None:
        if self.wide:
            self.console = Console(emoji=False, markup=False, width=WIDE)

    @cached_property
    def zone(self) -> tzinfo | None:
        """The zone times are shown in: --tz, else the machine's own."""
        if not self.zone_name:
            return None
        try:
            return ZoneInfo(self.zone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise InvalidInput(f"unknown time zone {self.zone_name!r}: use a name like Europe/Amsterdam or UTC") from error

    @cached_property
    def chain(self) -> Chain:
        """The node: --rpc, else the background node of this project; transactions wait for --confirmations."""
        if self.rpc:
            chain = connect(self.rpc)
        else:
            running = node.running(self.home)
            if running is None:
                raise NodeError("no node is running: start one with `ledger node start`, or give --rpc URL")
            chain = connect(running.url)
        chain.confirmations = self.confirmations
        return chain

    @property
    def connected(self) -> bool:
        """Whether this command reached the node (so token details can be read)."""
        return "chain" in self.__dict__

    @property
    def deployment_path(self) -> Path:
        """--deployment, else the connected chain's file in the project folder (``deployment.recorded``)."""
        return self.deployment_file or deployment.recorded(self.home, self.chain.chain_id)

    def new_deployment_path(self, replace: bool) -> Path:
        """Where ``deploy`` records a new deployment, checked before anything is sent (``deployment.make_room``):
        a --deployment file in a folder that exists (a mistyped folder must not get a fresh contract nobody asked
        for), or the connected chain's own file in the project folder; a file that records a deployment already
        (the chain's own, or the one file of older versions) is replaced only when told to (``replace``)."""
        chain_id = self.chain.chain_id
        if self.deployment_file is None:
            path, existing = deployment.chain_file(self.home, chain_id), deployment.recorded(self.home, chain_id)
            remedy = f"`ledger deploy --force` records the new one at {path}, or `ledger --deployment FILE deploy` elsewhere"
        else:
            path = existing = self.deployment_file
            if not path.parent.is_dir():
                raise InvalidInput(f"the folder {path.parent} of --deployment {path} does not exist: nothing was "
                                   "deployed; create the folder first, or correct the path")
            remedy = "`ledger deploy --force` replaces it, or give --deployment another file"
        deployment.make_room(path, self.chain, replace, remedy, existing, create_folder=self.deployment_file is None)
        return path

    def _recorded(self) -> Deployment:
        """The deployment the commands use; a chain with no file of its own here is told from the chains that
        have one (a command pointed at the wrong node)."""
        path = self.deployment_path
        if self.deployment_file is None and not path.exists():
            chain_id = self.chain.chain_id
            elsewhere = ", ".join(map(str, deployment.others(self.home, chain_id)))
            raise DeploymentError(
                f"no deployment recorded for chain {chain_id} (at {path}): deploy on it first (`ledger deploy`), or "
                "give --deployment FILE" + (f"; {self.home} records deployments of chain {elsewhere}: is this the "
                                            "right node?" if elsewhere else ""))
        return Deployment.load(path)

    @cached_property
    def ledger(self) -> Ledger:
        """The deployed contract named by the deployment file, checked against the node; read through the
        history index next to that file (or at LEDGER_DATABASE_URL) unless --no-index. The database is opened
        here, before the command does anything: a URL that fails is said before anything is sent."""
        from ..history import database_url  # SQLAlchemy only where the CLI runs

        index = database_url(self.deployment_path) if self.use_index else False
        ledger = Ledger.attach(self.chain, self._recorded(), index)
        if self.use_index:
            _ = ledger.history
        else:  # the off-chain texts stay in that database all the same
            from ..history.store import engine_for
            from ..texts import TextStore

            ledger.texts = TextStore(engine_for(database_url(self.deployment_path)))
        self._run_as_operation(ledger)
        return ledger

    def _run_as_operation(self, ledger: Ledger) -> None:
        """Run the command as an operation (``Ledger.operation``) journaled in ``operations/`` next to the
        deployment file, named by the command, its arguments (a file's content, not only its name), the
        signing account and the deployment: the same command run again finds what it sent, and sends nothing
        new for what went through (``--again`` forgets that and does the work anew)."""
        context = click.get_current_context(silent=True)
        if context is None or context.info_name in SERVICES:
            return
        files = {name: hashlib.sha256(value.read_bytes()).hexdigest() for name, value in context.params.items()
                 if isinstance(value, Path) and value.is_file()}
        key = json.dumps([str(self.deployment_path.resolve()), self.account_spec, context.command_path,
                          plain(context.params), files], sort_keys=True, default=str)
        ledger.journal = Journal(self.deployment_path.parent / "operations")
        if self.again:
            ledger.journal.discard(key)
        self._operation.enter_context(ledger.operation(key))

    def found_earlier(self) -> list[str]:
        """Transactions an earlier run of this command sent that did this run's work: nothing was sent for them."""
        operation = self.ledger.current_operation if "ledger" in self.__dict__ else None
        return list(operation.found) if operation is not None else []

    def close(self) -> None:
        """End the command's operation."""
        self._operation.close()

    def purchase_of(self, given: str) -> str:
        """The purchase ``given`` names: its id, a unique start of it, or the order file it was bought from."""
        if given.endswith(".json") and Path(given).is_file():
            from ..orders import SignedOrder

            signed = SignedOrder.from_json(read_file(Path(given), "order file"))
            return self.ledger.purchase_id(signed.order.purchase_id(self.chain.chain_id, self.ledger.address))
        return self.ledger.purchase_id(given)

    def address_of(self, spec: str, what: str) -> str:
        """An address as the user gave it: itself, a development account's number (``4``) or a stored key's
        name (no password asked: a key file names its address)."""
        if re.fullmatch(r"[0-9]+", spec):
            return self._development_account(spec).address
        if spec[:2].lower() == "0x":
            return validate.address(spec, what)
        named = dict(keys.stored(self.home))
        if spec in named:
            return named[spec]
        raise InvalidInput(f"{what} {spec!r} is not an address (0x and 40 hex digits), a development account's number "
                           "or the name of a key from `ledger key list`")

    def _development_account(self, number: str) -> LocalAccount:
        accounts = self.chain.accounts()
        if int(number) >= len(accounts):
            raise InvalidInput(f"there are development accounts 0 to {len(accounts) - 1}, not {number}")
        return accounts[int(number)]

    @cached_property
    def account(self) -> LocalAccount:
        """The signing account: a development account's number, a stored key's name, or env:VARIABLE."""
        spec = self.account_spec
        if not spec:
            raise InvalidInput(
                "say which account signs: --account 3 (development account 3), --account NAME "
                "(a key imported with `ledger key import`) or --account env:VARIABLE (a private key in the environment)"
            )
        if re.fullmatch(r"[0-9]+", spec):
            return self._development_account(spec)
        if spec.startswith("env:"):
            variable = spec[4:]
            if not variable:
                raise InvalidInput("--account env: needs the name of a variable, e.g. --account env:SHOP_KEY")
            secret = os.environ.get(variable)
            if not secret:
                raise InvalidInput(f"environment variable {variable!r} is not set")
            return keys.account_from_secret(secret, f"environment variable {variable}")
        if not keys.exists(self.home, spec):
            raise InvalidInput(f"no key named {spec!r} is stored: give a development account's number, a name from "
                               "`ledger key list`, or env:VARIABLE")
        return keys.load(self.home, spec, self.password(f"password for key {spec!r}"))

    def advance_time(self, seconds: int) -> int:
        """Move a local chain's clock forward, at most ``MAX_ADVANCE`` at a time and never past the year 9999:
        a clock moved millions of years ahead leaves the chain unusable for every later command."""
        if seconds > MAX_ADVANCE:
            raise InvalidInput(f"the clock moves at most {MAX_ADVANCE // 86_400} days (10 years) at a time, not "
                               f"{seconds // 86_400} days: a clock moved further leaves the local chain unusable")
        if self.chain.now() + seconds > LAST_MOMENT:
            raise InvalidInput("the clock cannot pass the year 9999: nothing was moved")
        return self.chain.advance_time(seconds)

    def password(self, prompt: str, confirm: bool = False) -> str:
        """From LEDGER_KEY_PASSWORD, else asked at the terminal (never echoed)."""
        if PASSWORD_VARIABLE in os.environ:
            return os.environ[PASSWORD_VARIABLE]
        if not sys.stdin.isatty():
            raise InvalidInput(f"a password is needed: set {PASSWORD_VARIABLE} or run in a terminal")
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)

    @cached_property
    def units(self) -> render.Units:
        """Amounts in their token's units: ``env.units(value, token)`` → ``("1.25", "ETH")``, ``.amount``,
        ``.symbol``."""
        return render.Units(self.chain.w3)

    def emit(self, data: Any, show: Any = None) -> None:
        """Print ``data`` as JSON with --json, else what ``show`` makes of it (a rich renderable or text)."""
        if self.as_json:
            click.echo(json.dumps(plain(data), indent=2))
        elif show is not None:
            shown = show() if callable(show) else show
            for table in _tables(shown):  # what does not fit the terminal wraps; nothing is cut to "…"
                for column in table.columns:
                    column.overflow = "fold"
            self.console.print(shown)


WIDE = 1_000
"""Columns a ``--wide`` table may take: enough for every column at its full width."""


def _tables(shown: Any) -> list[Table]:
    if isinstance(shown, Table):
        return [shown]
    if isinstance(shown, Group):
        return [table for part in shown.renderables for table in _tables(part)]
    return []


def plain(value: Any) -> Any:
    """Dataclasses, enums, sets and bytes as JSON-ready values; a dataclass's properties (a purchase's
    status, deadline, merchant id…) are added to its fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, attribute in vars(type(value)).items():
            if isinstance(attribute, property) and not name.startswith("_"):
                data.setdefault(name, plain(getattr(value, name)))
        return data
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str) else value.name.lower()
    if isinstance(value, (set, frozenset)):
        return sorted(plain(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def someone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback for a parameter that names an account: an address, a development account's number or
    a stored key's name, as ``--account`` takes them; the address it names."""
    if value is None:
        return None
    return ctx.find_object(Env).address_of(value, (param.name or "address").replace("_", " "))  # type: ignore[union-attr]


def a_purchase(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback for a parameter that names purchases: each the whole id a unique start of it names
    (``0x26d8…`` as the tables show it), or the order file it was bought from (``order.json``)."""
    if value is None:
        return None
    env = ctx.find_object(Env)
    assert env is not None
    return tuple(env.purchase_of(v) for v in value) if isinstance(value, tuple) else env.purchase_of(value)


def named(purchase: Purchase, labels: Labels) -> dict[str, Any]:
    """A purchase as JSON with the names the tables show it by: the shop's order number (None when it is not
    kept here), the shop's name and its products' names, line by line."""
    return {**plain(purchase), "order_number": labels.order(purchase.id) or None,
            "shop": labels.shop(purchase.merchant_id),
            "products": [labels.product(purchase.merchant_id, line.sku) for line in purchase.lines]}


def read_file(path: Path, what: str) -> str:
    """The text of a file the user named (``-`` for stdin); a missing or unreadable one is ``InvalidInput``."""
    try:
        with click.open_file(str(path), encoding="utf-8") as stream:
            text: str = stream.read()  # opened as text (an encoding given)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {what} {path}: {getattr(error, 'strerror', None) or error}") from error
    return text


def write_file(path: Path, text: str | bytes) -> Path:
    """Write a file the user named; a missing folder or a read-only place is ``InvalidInput``. Folders are
    never created: a mistyped folder should be corrected, not made."""
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {path.parent} does not exist; create it first "
                           "or give another path")
    if path.is_dir():
        raise InvalidInput(f"cannot write {path}: it is a folder; give a file name")
    try:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from error
    return path


pass_env = click.make_pass_decorator(Env)
