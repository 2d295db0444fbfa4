"""A throwaway PostgreSQL server in a temporary folder, for the tests and the history benchmark.

Debian's server binaries (``initdb``, ``pg_ctl``) are started on a free loopback port; as root they run as
the ``postgres`` user, which PostgreSQL requires. ``./dev.sh setup`` installs them where they are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) are missing: install them "
           "(Debian/Ubuntu: apt-get install -y postgresql, which ./dev.sh setup does)")


def binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (the newest Debian cluster version first); RuntimeError if none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(MISSING)
    return Path(initdb).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def temporary_server(settings: dict[str, str] | None = None) -> Iterator[str]:
    """Start a server, yield its URL (user ``ledger``, no database name), stop it and delete its files."""
    folder = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port, bin_dir = folder / "data", _free_port(), binaries()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "ledger"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1" + "".join(
        f" -c {name}={value}" for name, value in (settings or {}).items())
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-o", options, "-l", str(folder / "log"), "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://ledger@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """A new, empty database on a server; its URL."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"
