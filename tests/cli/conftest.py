"""Every test of this folder drives the ``ledger`` command line against its background node: marked ``cli``
(pyproject.toml), which the old-web3 run of ``./dev.sh test`` leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.cli)
