"""What every command needs, resolved once and lazily: the node, the deployment, the signing account,
and how to print (tables for people, JSON for scripts, times in the user's zone)."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from eth_account.signers.local import LocalAccount
from rich.console import Console

from .. import keys, node, render
from ..chain import Chain, connect
from ..client import Ledger
from ..deployment import Deployment
from ..errors import InvalidInput, NodeError
from ..models import NATIVE

PASSWORD_VARIABLE = "LEDGER_KEY_PASSWORD"

TOKEN_INFO_ABI = [
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
    {"type": "function", "name": "symbol", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "string"}]},
]


@dataclass
class Env:
    """Options shared by all commands (``ledger --rpc … --account … COMMAND``)."""

    rpc: str | None = None
    deployment_file: Path | None = None
    account_spec: str | None = None
    as_json: bool = False
    zone_name: str | None = None
    use_index: bool = True
    home: Path = node.HOME
    console: Console = field(default_factory=lambda: Console(emoji=False))
    _tokens: dict[str, tuple[int, str | None]] = field(default_factory=dict)

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
        """The node: --rpc, else the background node of this project."""
        if self.rpc:
            return connect(self.rpc)
        running = node.running(self.home)
        if running is None:
            raise NodeError("no node is running: start one with `ledger node start`, or give --rpc URL")
        return connect(running.url)

    @property
    def deployment_path(self) -> Path:
        return self.deployment_file or self.home / "deployment.json"

    @cached_property
    def ledger(self) -> Ledger:
        """The deployed contract named by the deployment file, checked against the node; read through the
        history index next to that file (or at LEDGER_DATABASE_URL) unless --no-index."""
        from ..history import database_url  # SQLAlchemy only where the CLI runs

        index = database_url(self.deployment_path) if self.use_index else False
        return Ledger.attach(self.chain, Deployment.load(self.deployment_path), index)

    @cached_property
    def account(self) -> LocalAccount:
        """The signing account: a development account's number, a stored key's name, or env:VARIABLE."""
        spec = self.account_spec
        if not spec:
            raise InvalidInput(
                "say which account signs: --account 3 (development account 3), --account NAME "
                "(a key imported with `ledger key import`) or --account env:VARIABLE (a private key in the environment)"
            )
        if spec.isdigit():
            accounts = self.chain.accounts()
            if int(spec) >= len(accounts):
                raise InvalidInput(f"there are development accounts 0 to {len(accounts) - 1}, not {spec}")
            return accounts[int(spec)]
        if spec.startswith("env:"):
            variable = spec[4:]
            secret = os.environ.get(variable)
            if not secret:
                raise InvalidInput(f"environment variable {variable} is not set")
            return keys.account_from_secret(secret, f"environment variable {variable}")
        return keys.load(self.home, spec, self.password(f"password for key {spec!r}"))

    def password(self, prompt: str, confirm: bool = False) -> str:
        """From LEDGER_KEY_PASSWORD, else asked at the terminal (never echoed)."""
        if PASSWORD_VARIABLE in os.environ:
            return os.environ[PASSWORD_VARIABLE]
        if not click.get_text_stream("stdin").isatty():
            raise InvalidInput(f"a password is needed: set {PASSWORD_VARIABLE} or run in a terminal")
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)

    def decimals(self, token: str) -> int:
        """Decimals of a token (18 for the native currency, or when the token does not say)."""
        if token == NATIVE:
            return 18
        return self._token_info(token)[0]

    def amount(self, value: int, token: str = NATIVE) -> str:
        """``1.5 ETH`` or ``12.3 USDC``."""
        if token == NATIVE:
            return render.amount(value)
        decimals, symbol = self._token_info(token)
        return render.amount(value, token, decimals, symbol)

    def _token_info(self, token: str) -> tuple[int, str | None]:
        if token not in self._tokens:
            contract = self.chain.w3.eth.contract(address=token, abi=TOKEN_INFO_ABI)
            try:
                decimals = int(contract.functions.decimals().call())
            except Exception:  # decimals() is optional in ERC-20
                decimals = 18
            try:
                symbol = str(contract.functions.symbol().call())
            except Exception:  # so is symbol()
                symbol = None
            self._tokens[token] = (decimals, symbol)
        return self._tokens[token]

    def emit(self, data: Any, show: Any = None) -> None:
        """Print ``data`` as JSON with --json, else what ``show`` makes of it (a rich renderable or text)."""
        if self.as_json:
            click.echo(json.dumps(plain(data), indent=2))
        elif show is not None:
            self.console.print(show() if callable(show) else show)


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


def read_file(path: Path, what: str) -> str:
    """The text of a file the user named (``-`` for stdin); a missing or unreadable one is ``InvalidInput``."""
    try:
        with click.open_file(str(path), encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {what} {path}: {getattr(error, 'strerror', None) or error}") from error


def write_file(path: Path, text: str) -> Path:
    """Write a file the user named; a missing folder or a read-only place is ``InvalidInput``."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from error
    return path


pass_env = click.make_pass_decorator(Env)
