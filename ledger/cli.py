"""The ``ledger`` command. Thin: it parses, calls the library, renders, and turns our errors into one
red line and a non-zero exit code in one place."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from .errors import LedgerError

console = Console()
err_console = Console(stderr=True)


class LedgerGroup(click.Group):
    """Runs commands with library errors shown as one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LedgerError as error:
            err_console.print(f"[red]error:[/red] {error}", highlight=False)
            sys.exit(1)


@click.group(cls=LedgerGroup)
def main() -> None:
    """Purchase history, return terms, contact moments and automatic refunds on an EVM chain."""


@main.command()
def build() -> None:
    """Compile contracts/ into the artifacts the package ships (needs the repository and `npm ci`).

    Example: ledger build
    """
    from .build import build as compile_contracts

    for path in compile_contracts():
        console.print(f"wrote {path}")


@main.command()
def demo() -> None:
    """Play the demo story on the embedded chain: two shops, three customers, a year of returns.

    Example: ledger demo
    """
    from .demo import run

    # Piped output has no width to follow; give the tables room instead of rich's default of 80.
    run(console if console.is_terminal else Console(width=130))
