"""Purchase history from an index that follows the chain: events are read in windows (``logs.py``),
decoded into records (``ledger.abi``) and made into rows ahead of the writes (``workers.py``, in a process of
its own on a long catch-up), folded into purchase state (``state.py``) and kept in a database (``store.py``,
``schema.py``) by the indexer (``indexer.py``); ``queries.py`` answers from it. ``counting.py`` decides what
counts in a shop's figures, for the index and for the chain's logs alike (it needs no database).

SQLite by default; PostgreSQL given ``LEDGER_DATABASE_URL=postgresql://…`` (psycopg 3).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..contracts import LedgerContracts
    from .indexer import Progress, SyncReport

MEMORY = "sqlite://"
"""An index that lives as long as the process (a ledger without a deployment file)."""

DATABASE_VARIABLE = "LEDGER_DATABASE_URL"


def database_url(deployment_path: Path) -> str:
    """``LEDGER_DATABASE_URL``, else ``history.sqlite`` next to the deployment file."""
    return os.environ.get(DATABASE_VARIABLE) or f"sqlite:///{Path(deployment_path).resolve().parent / 'history.sqlite'}"


class History:
    """A ledger's index: ``sync()`` catches it up, the rest are the queries (``queries.Queries``)."""

    def __init__(self, contracts: LedgerContracts, url: str = MEMORY, confirmations: int = 0) -> None:
        # SQLAlchemy only once an index is used: ``counting`` serves the chain's logs without it.
        from .indexer import Indexer
        from .queries import Queries
        from .store import Store

        self.store = Store(url)
        self.indexer = Indexer(contracts, self.store, confirmations)
        self.queries = Queries(self.store)

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Index what the chain has that the database has not."""
        return self.indexer.sync(progress)

    def close(self) -> None:
        """Release the database."""
        self.store.close()


def __getattr__(name: str) -> Any:
    if name == "SyncReport":
        from .indexer import SyncReport

        return SyncReport
    raise AttributeError(name)


__all__ = ["DATABASE_VARIABLE", "MEMORY", "History", "SyncReport", "database_url"]
