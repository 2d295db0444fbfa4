"""`ledger contact import`: a merchant's contact moments from a CSV file, checked row by row, sent in bulk."""

from __future__ import annotations

import json

import pytest

from ledger.chain import connect
from ledger.client import Ledger
from ledger.deployment import Deployment
from ledger.history import database_url
from ledger.history.store import engine_for
from ledger.models import Channel, ContactKind, LineItem
from ledger.texts import TextStore
from ledger.validate import hash_of
from tests.support.cli import ok

AGENT, BOB, ALICE = (
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",  # development account 2
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",  # development account 3
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",  # development account 4
)
HEADER = "channel,kind,customer,purchase,time,text\n"


@pytest.fixture
def library(cli, cli_project) -> Ledger:
    return Ledger.attach(connect(cli_project.url), Deployment.load(cli_project.home / ".ledger" / "deployment.json"))


@pytest.fixture
def purchase(cli, library) -> str:
    """Merchant #1 (owner account 1, agent account 2) and one purchase of Alice's there."""
    accounts = library.chain.accounts()
    shop = library.register_merchant(accounts[1])
    shop.add_agent(AGENT)
    terms = shop.publish_terms(30 * 86_400)
    order = shop.quote(terms.id, [LineItem("MUG", 1, 10**16)], "ORDER-1", customer=ALICE)
    return library.customer_desk(accounts[4]).buy(order).id


def _import(cli, tmp_path, text: str, *options: str):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return cli(*options, "--account", "2", "contact", "import", "1", path)


def test_import_logs_every_row_in_bulk(cli, cli_project, library, purchase, tmp_path) -> None:
    library.chain.advance_time(2 * 3_600)
    earlier = library.chain.now() - 3_600  # after the shop was registered: no contact is dated before it
    rows = (f"chat,question,{ALICE},{purchase},{earlier},which size?\n"
            f"email,complaint,{ALICE},,,\"late, and the box was wet\"\n"
            f"phone,return_help,{BOB},,,call me on 555-0100\n")
    out = ok(_import(cli, tmp_path, HEADER + rows))
    assert "sent 3 contact moments, failed 0" in out
    contacts = library.contacts(merchant_id=1)
    assert [(c.channel, c.kind, c.customer) for c in contacts] == [
        (Channel.CHAT, ContactKind.QUESTION, ALICE), (Channel.EMAIL, ContactKind.COMPLAINT, ALICE),
        (Channel.PHONE, ContactKind.RETURN_HELP, BOB)]
    assert contacts[0].purchase_id == purchase and contacts[0].occurred_at == earlier
    texts = TextStore(engine_for(database_url(cli_project.home / ".ledger" / "deployment.json")))
    kept = texts.get(contacts[1].content_hash)  # kept where the CLI keeps its index, salted
    assert kept.body == "late, and the box was wet" and kept.matches
    assert contacts[1].content_hash != "0x" + hash_of("late, and the box was wet").hex()
    assert all(c.logged_by == AGENT for c in contacts)
    sent = library.chain.w3.eth.get_transaction(contacts[2].tx_hash)
    assert b"555-0100" not in bytes(sent["input"])  # the text stays off chain


def test_import_names_each_malformed_row_and_sends_nothing(cli, library, purchase, tmp_path) -> None:
    rows = (f"chat,question,{ALICE},,,fine\n"
            f"pigeon,question,{ALICE},,,a channel we do not have\n"
            f"chat,question,0x123,,,not an address\n"
            f"chat,question,{ALICE},,yesterday-ish,bad time\n"
            f"chat,question,{ALICE}\n")
    result = _import(cli, tmp_path, HEADER + rows)
    assert result.exit_code == 1 and "4 bad row(s), nothing was sent" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("row ")]
    assert [line.split(":")[0] for line in lines] == ["row 3", "row 4", "row 5", "row 6"]
    assert "'pigeon' is not a channel" in lines[0] and "is not an address" in lines[1]
    assert "is not a date" in lines[2] and "header's 6 columns" in lines[3]
    assert library.contacts() == []


def test_import_refuses_a_purchase_of_another_customer(cli, library, purchase, tmp_path) -> None:
    result = _import(cli, tmp_path, HEADER + f"chat,question,{BOB},{purchase},,about alice's mug\n")
    assert result.exit_code == 1
    assert f"row 2: purchase {purchase[:10]}… was made by {ALICE}, not by {BOB}" in result.output
    assert library.contacts() == []


def test_import_without_the_columns_says_which_are_missing(cli, purchase, tmp_path) -> None:
    result = _import(cli, tmp_path, f"channel,kind,customer\nchat,question,{ALICE}\n")
    assert result.exit_code == 1 and "has no column purchase, time, text" in result.output


def test_import_reports_rows_the_contract_refuses_and_sends_the_rest(cli, library, purchase, tmp_path) -> None:
    later = library.chain.now() + 86_400
    rows = f"chat,question,{ALICE},,,now\nchat,question,{ALICE},,{later},tomorrow\nvideo,feedback,{BOB},,,ok\n"
    result = _import(cli, tmp_path, HEADER + rows, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["sent"] == 2 and [f["row"] for f in report["failed"]] == [3]
    assert "in the future" in report["failed"][0]["error"]
    assert len(library.contacts()) == 2
    # The agent's next single transaction goes through: no nonce was left unused.
    ok(cli("--account", "2", "contact", "log", "1", "--customer", BOB, "--channel", "chat", "--kind", "other"))
    assert len(library.contacts()) == 3


def test_import_by_someone_not_staff_is_refused(cli, purchase, tmp_path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + f"chat,question,{ALICE},,,hi\n", encoding="utf-8")
    result = cli("--account", "5", "contact", "import", "1", path)
    assert result.exit_code == 1 and "is neither owner nor agent of merchant #1" in result.output
