"""The optional parts of the package and what each needs (the extras in ``pyproject.toml``).

The core (``pip install ledger``: reading history, the index on SQLite, sending transactions) never imports
an extra's modules at import time; the code that needs one calls ``require`` first, so a missing extra is
one line naming the ``pip install`` to run, not a traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

from .errors import MissingExtra


def require(extra: str, what: str, *modules: str) -> None:
    """Raise ``MissingExtra`` when one of ``modules`` (top-level import names) is not installed: ``what``
    needs ``extra``. Nothing is imported."""
    missing = [module for module in modules if find_spec(module) is None]
    if missing:
        raise MissingExtra(f"{what} needs the {extra} extra (not installed: {', '.join(missing)}): "
                           f"pip install 'ledger[{extra}]'")
