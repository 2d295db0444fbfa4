"""The web page's HTTP fixtures (``scene``, ``app``, ``client``): one page over HTTP on the embedded chain, shared
by the modules of this folder that do not make their own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.chain import EmbeddedChain
from ledger.client import Ledger
from ledger.web import create_app
from tests.support.web import Scene, build_scene


@pytest.fixture(scope="module")
def scene() -> Scene:
    """The page's world on a fresh embedded chain, one per test module."""
    chain = EmbeddedChain()
    accounts = chain.accounts()
    return build_scene(Ledger.deploy(chain, accounts[0]), accounts)


@pytest.fixture(scope="module")
def app(scene: Scene):
    return create_app(scene.ledger, scene.accounts[0], Path(__file__).parents[2] / "node_modules",
                      origin="http://testserver")


@pytest.fixture
def client(app):
    """A browser of its own (own cookies), app errors answered as the server would."""
    from fastapi.testclient import TestClient

    app.state.site.clock = time.time
    return TestClient(app, raise_server_exceptions=False)
