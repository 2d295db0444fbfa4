"""An indexer process killed with SIGKILL (no cleanup, no exception handler) at a random moment of its
catch-up resumes to exactly the database an uninterrupted run writes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select
from test_history_indexer import dump, narrow

from ledger.chain import AnvilChain
from ledger.client import Ledger
from ledger.history import History, schema
from tests.support.world import DAY, ETHER, buy

CHILD = """
import sys, time
from ledger.chain import connect
from ledger.client import Ledger
from ledger.history import History
url, address, feedback, start, database = sys.argv[1:]
chain = connect(url)
ledger = Ledger(chain, address, feedback, int(start), False)
history = History(ledger.contracts, database)
history.indexer.reader.size = history.indexer.reader.largest = 2  # many small windows
history.sync(lambda report: time.sleep(0.02))
"""


@pytest.fixture(scope="module")
def anvil():
    chain = AnvilChain()
    yield chain
    chain.close()


def _progress(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as db:
            return db.scalar(select(schema.progress.c.last_block)) or 0
    except Exception:  # no table yet: the child has not written its first window
        return 0
    finally:
        engine.dispose()


def test_sigkilled_indexer_resumes_to_the_same_database(anvil, tmp_path) -> None:
    accounts = anvil.accounts()
    ledger = Ledger.deploy(anvil, accounts[0], index=False)
    shop = ledger.register_merchant(accounts[1])
    terms = shop.publish_terms(7 * DAY)
    customer = ledger.customer_desk(accounts[3])
    bought = [buy(shop, customer, terms.id, [("MUG", 1 + n % 2, ETHER)], f"K-{n}") for n in range(24)]
    customer.return_items(bought[3].id)
    whole = History(ledger.contracts, f"sqlite:///{tmp_path / 'whole.sqlite'}")
    whole.sync()

    database = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    rng = random.Random(7)
    args = [anvil.url, ledger.address, ledger.feedback.address, str(ledger.from_block), database]
    for _ in range(2):  # killed twice, each time once it has written some windows
        child = subprocess.Popen([sys.executable, "-c", CHILD, *args])
        target = ledger.from_block + rng.randrange(4, 20)
        deadline = time.monotonic() + 60
        while _progress(database) < target and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert child.poll() is None, "the child finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    assert 0 < _progress(database) < anvil.w3.eth.block_number  # it stopped part way

    resumed = narrow(History(ledger.contracts, database), 5)
    resumed.sync()
    assert dump(resumed) == dump(whole)
