"""Shared fixtures: every test that takes ``ledger`` runs on the embedded chain and on anvil (and on Hardhat's node
where a module asks for it: ``CHAIN_KINDS``).

Fixtures only: the helpers tests import are in ``tests/support`` (``from tests.support.world import buy``), the
web page's HTTP fixtures in ``tests/web/conftest.py``.

One chain per kind per session, with the ledger deployed once; each test starts from a snapshot
taken after that deployment and the chain is reverted after it, so tests stay fast and independent.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.build import compile_sources, project_root, read_sources
from ledger.chain import AnvilChain, Chain, EmbeddedChain, HardhatChain
from ledger.client import CustomerDesk, Ledger, MerchantDesk
from ledger.models import ReturnTerms
from tests.support.world import DAY, ETHER, Deployed
from tools import postgres_server

CHAIN_KINDS = ["embedded", "anvil"]
"""The chains every test that takes ``ledger`` runs on. Hardhat's node is one more kind, ``hardhat``, for the tests
that ask for it with ``pytest.mark.parametrize("deployed", ["hardhat"], indirect=True)`` (tests/interop/test_hardhat.py):
on every test it would run the chain tests a third time, mostly for what anvil already checks."""

_CHAINS: dict[str, type[Chain]] = {"embedded": EmbeddedChain, "anvil": AnvilChain, "hardhat": HardhatChain}


@pytest.fixture(scope="session")
def test_artifacts() -> dict[str, dict[str, Any]]:
    """The test-only contracts (tokens, hostile customers, wallets) compiled with the project's compiler,
    with the ledger's interfaces and libraries they may import; the ledger itself ships as artifacts (and
    compiling it again here would only cost time)."""
    root = project_root(Path(__file__).parent)
    sources = {**read_sources(root, "contracts/interfaces"), **read_sources(root, "contracts/libraries"),
               **read_sources(root, "tests/contracts")}
    return compile_sources(root, sources)


@pytest.fixture(scope="session", params=CHAIN_KINDS)
def deployed(request: pytest.FixtureRequest) -> Deployed:
    chain = _CHAINS[request.param]()
    request.addfinalizer(chain.close)
    accounts = chain.accounts()
    ledger = Ledger.deploy(chain, accounts[0])
    return Deployed(chain, ledger, chain.snapshot(), accounts)


@pytest.fixture
def ledger(deployed: Deployed) -> Ledger:
    """A freshly deployed ledger (reverted to that state after the test), with no shop names kept yet (the
    names outlive a revert of the chain; a version dated by an earlier test's clock would stand in the way)."""
    from ledger.history import MEMORY
    from ledger.history.store import engine_for
    from ledger.names import NameStore

    deployed.ledger.names_store = NameStore(engine_for(MEMORY))
    yield deployed.ledger
    deployed.chain.revert(deployed.snapshot)
    deployed.snapshot = deployed.chain.snapshot()


@pytest.fixture
def chain(ledger: Ledger) -> Chain:
    return ledger.chain


@pytest.fixture
def accounts(deployed: Deployed, ledger: Ledger) -> list[LocalAccount]:
    return list(deployed.accounts)


@pytest.fixture
def owner(accounts: list[LocalAccount]) -> LocalAccount:
    """The shop's owner."""
    return accounts[1]


@pytest.fixture
def agent(accounts: list[LocalAccount]) -> LocalAccount:
    """Staff of the shop."""
    return accounts[2]


@pytest.fixture
def alice(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[3]


@pytest.fixture
def bob(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[4]


@pytest.fixture
def stranger(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[5]


@pytest.fixture
def shop(ledger: Ledger, accounts: list[LocalAccount], owner: LocalAccount, agent: LocalAccount) -> MerchantDesk:
    """A registered merchant with one agent, paid out to account 6."""
    desk = ledger.register_merchant(owner, payout=accounts[6].address)
    desk.add_agent(agent.address)
    return desk


@pytest.fixture
def staff(ledger: Ledger, shop: MerchantDesk, agent: LocalAccount) -> MerchantDesk:
    """The shop, as its agent, with a goodwill budget of 100 ETH."""
    shop.set_budget(agent.address, 100 * ETHER)
    return ledger.merchant_desk(agent, shop.merchant_id)


@pytest.fixture
def week_terms(shop: MerchantDesk) -> ReturnTerms:
    """7-day returns from purchase, 10 % restocking fee, no return shipping."""
    return shop.publish_terms(7 * DAY, restocking_fee_bps=1_000)


@pytest.fixture
def customer(ledger: Ledger, alice: LocalAccount) -> CustomerDesk:
    return ledger.customer_desk(alice)


# ---------------------------------------------------------------- the command line


@dataclass
class CliProject:
    """A project folder with a background node running and the ledger deployed, for CLI tests."""

    home: Path
    url: str
    snapshot: object = None


@pytest.fixture(scope="session")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> CliProject:
    from click.testing import CliRunner

    from ledger import node
    from ledger.cli import main

    folder = tmp_path_factory.mktemp("project")
    info = node.start(folder / ".ledger", port=0)
    project = CliProject(folder, info.url)
    try:
        # The one file of every chain of older versions, which the commands still read for the chain it records
        # (the file per chain: tests/cli/test_cli_dev.py, tests/interop/test_node_restart.py).
        result = CliRunner().invoke(main, ["--rpc", info.url, "--deployment", str(folder / ".ledger/deployment.json"),
                                           "deploy"])
        assert result.exit_code == 0, result.output
    except BaseException:
        node.stop(folder / ".ledger")
        raise
    yield project
    node.stop(folder / ".ledger")


@pytest.fixture
def cli(cli_project: CliProject, monkeypatch: pytest.MonkeyPatch):
    """Runs ``ledger ARGS…`` in the project folder (chain reverted after the test); returns the result."""
    from click.testing import CliRunner

    from ledger.chain import connect
    from ledger.cli import main

    monkeypatch.chdir(cli_project.home)
    monkeypatch.setenv("COLUMNS", "160")
    for variable in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_TZ", "LEDGER_KEY_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    chain = connect(cli_project.url)
    snapshot = chain.snapshot()
    shutil.rmtree(cli_project.home / ".ledger" / "operations", ignore_errors=True)  # what earlier tests' commands sent

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, [str(a) for a in args], input=input)

    yield run
    chain.revert(snapshot)


@pytest.fixture(scope="session")
def postgres() -> str:
    """A PostgreSQL server of our own in a temporary folder; its URL without a database name."""
    try:
        postgres_server.binaries()
    except RuntimeError as missing:
        pytest.fail(str(missing), pytrace=False)
    with postgres_server.temporary_server() as url:
        yield url


_databases = itertools.count()


@pytest.fixture
def postgres_url(postgres: str) -> str:
    """A new, empty database on the test server."""
    return postgres_server.create_database(postgres, f"ledger_{next(_databases)}")
