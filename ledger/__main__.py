"""The ``ledger`` console script (and ``python -m ledger``): the command line when the cli extra is installed,
else one line saying how to install it."""

from __future__ import annotations

import sys

from .errors import MissingExtra
from .extras import require


def main() -> None:
    try:
        require("cli", "the ledger command", "click", "rich")
    except MissingExtra as error:
        sys.exit(f"error: {error}")
    from .cli import main as cli

    cli()


if __name__ == "__main__":
    main()
