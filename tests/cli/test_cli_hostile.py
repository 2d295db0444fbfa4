"""The command line under hostile input: every option of every command (listed from the click app itself, so
a new one cannot be missed) is fed empty, huge, negative, malformed and random values, and so is every
environment variable the command reads; then the files it reads (stored keys, deployment files) damaged. Each
is refused with one line, never a traceback, with no transaction sent and no file or folder made. Then one test
per kind of harm, traceback or unclear message seen when a person tried it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain import Chain, connect
from ledger.cli import main
from ledger.cli.context import PASSWORD_VARIABLE
from ledger.history import DATABASE_VARIABLE

ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development account 4
AGENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # development account 2
UNKNOWN_PURCHASE = "0x" + "12" * 32
DATA = "hostile-data"
"""The folder (in the project folder the commands run in) that holds the files the commands read."""

HOSTILE = [
    "", " ", "\t", "\r\n", "-1", "-0.5", str(2**256), str(-(2**256)), "1" * 90, "1e308", "nan", "inf", "-inf",
    "0x", "0x123", "0xZZ" + "0" * 38, "0x" + "g" * 64, "0x" + "1" * 39, "0X" + "A" * 40, "../", "../../etc/passwd",
    "/", ".", "~", "..\\..\\x", "a/b/c/d", "{", "}", "[]", '{"a": 1}', "null", "[/x]", "[bold]x", "é", "日本",
    "\U0001f600", "²", "١٢", "\x01\x02", "\x1b[31m", "\u202e", "%", "%s", "'", '"', ";", "$(id)", "*",
]
"""Values that no option takes: empty, blank, negative, out of range, not a number, malformed hex and
addresses, paths out of the folder, JSON fragments, markup, odd letters and control characters (no NUL)."""

RANDOM_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x000123456789"),
                      max_size=12)
"""Random text without ASCII digits: it can never be a valid id, amount, duration, date or address, so every
command given it must refuse."""


# ---------------------------------------------------------------- the world the commands run in


@dataclass
class World:
    chain: Chain
    home: Path
    open_purchase: str
    awaiting_delivery: str
    returned: str
    returned_from_delivery: str

    def run(self, *args: object) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args])


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def world(cli_project) -> Iterator[World]:
    """Merchant #1 (owner account 1, agent account 2) with 30-day terms #1 and from-delivery terms #2; account 4
    bought an open purchase, one awaiting delivery, and two it returned in full. The chain goes back to how it
    was after the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cli_project.home)
        for variable in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_TZ", "LEDGER_KEY_PASSWORD",
                         "LEDGER_DATABASE_URL"):
            patch.delenv(variable, raising=False)
        patch.setenv("COLUMNS", "160")
        chain = connect(cli_project.url)
        start = chain.snapshot()
        world = World(chain, cli_project.home, "", "", "", "")
        data = cli_project.home / DATA
        data.mkdir(exist_ok=True)
        _ok(world.run("--account", "1", "merchant", "register"))
        _ok(world.run("--account", "1", "merchant", "add-agent", "1", AGENT))
        _ok(world.run("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "5%"))
        _ok(world.run("--account", "1", "terms", "publish", "1", "--window", "30d", "--from-delivery"))

        def bought(terms: int, order: str) -> str:
            path = f"{DATA}/{order}.json"
            _ok(world.run("--account", "2", "quote", terms, "MUG:1:0.01", "TEA:1:0.02", "--for", ALICE,
                          "--order", order, "-o", path))
            return json.loads(_ok(world.run("--json", "--account", "4", "buy", "--yes", path)))["id"]

        world.open_purchase = bought(1, "open")
        world.awaiting_delivery = bought(2, "waiting")
        world.returned = bought(1, "returned")
        world.returned_from_delivery = bought(2, "returned-waiting")
        _ok(world.run("--account", "4", "return", world.returned))
        _ok(world.run("--account", "4", "return", world.returned_from_delivery))
        (data / "request.json").write_text(json.dumps({
            "purchase_id": UNKNOWN_PURCHASE, "line_mask": 1, "shipment_ref": "0x" + "00" * 32, "nonce": 7,
            "deadline": 2_000_000_000, "signature": "0x" + "11" * 65, "chain_id": chain.chain_id,
            "contract": json.loads((cli_project.home / ".ledger/deployment.json").read_text())["address"],
        }))
        (data / "contacts.csv").write_text(f"channel,kind,customer,purchase,time,text\nchat,question,{ALICE},,,hi\n")
        _ok(world.run("index"))  # the index exists before any listing is compared
        yield world
        chain.revert(start)


@pytest.fixture
def hostile(world: World) -> Iterator[World]:
    """The world, put back after the test."""
    snapshot = world.chain.snapshot()
    yield world
    world.chain.revert(snapshot)


def _listing(home: Path) -> set[str]:
    """Every file and folder under the project folder but the node's own (.ledger: chain state and index)."""
    return {str(path.relative_to(home)) for path in home.rglob("*") if ".ledger" not in path.relative_to(home).parts}


def refused(world: World, args: list[str]) -> Result:
    """Runs ``ledger ARGS`` and checks it was refused as a person should see it: one line, a non-zero exit of
    our own (no uncaught exception), no transaction, no file or folder made."""
    before, block = _listing(world.home), world.chain.w3.eth.block_number
    snapshot = world.chain.snapshot()
    try:
        result = world.run(*args)
        sent = world.chain.w3.eth.block_number - block
    finally:
        world.chain.revert(snapshot)
    shown = f"ledger {' '.join(map(repr, args))}\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown + repr(result.exception)
    assert "Traceback" not in result.output, shown
    assert result.exit_code in (1, 2), shown
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("error: "), shown
    assert sent == 0, f"{shown}: {sent} block(s) mined"
    assert _listing(world.home) == before, f"{shown}: made {_listing(world.home) - before}"
    return result


# ---------------------------------------------------------------- every option of every command


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


PLACEHOLDERS = {
    "merchant_id": "999", "terms_id": "999", "purchase_id": UNKNOWN_PURCHASE, "purchase_ids": UNKNOWN_PURCHASE,
    "order_file": f"{DATA}/open.json", "request_file": f"{DATA}/request.json", "csv_file": f"{DATA}/contacts.csv",
    "content_hash": "0x" + "ab" * 32, "score": "1", "rating": "1", "address": ALICE, "agent": AGENT,
    "referrer": ALICE, "commission": "1%", "token": "0x" + "00" * 20, "days": "1d", "delay": "1d", "bonus": "1%",
    "amount": "0.01",
    "window": "1d", "lines": "MUG:1:0.01", "order_ref": "X", "channel": "chat", "kind": "question", "name": "shop",
    "variable": "HOME", "by": None, "tx_hash": None,
}
"""What each required parameter is given while another is fuzzed: values that make the command refuse
anyway (merchant, terms and purchase that do not exist; an order already bought), so no example can send
anything. ``None``: the parameter is the command's only one. A new parameter needs an entry here."""

BASES = {
    ("merchant", "register"): ["--account", "9"],
    ("withdraw",): ["--account", "9"],
    ("my", "purchases"): ["--account", "9"],
    ("serve",): ["--deployment", f"{DATA}/no-deployment.json"],
}
"""Commands whose refusal comes from elsewhere: an account with nothing there (no merchant, nothing to
withdraw), or no deployment (a server must never start here, whatever its options)."""

GLOBAL_BASE = ("terms", "list")
"""The command the top-level options are fuzzed on (it reads only, and merchant #999 does not exist)."""


def _fuzzable() -> list[tuple[tuple[str, ...], str]]:
    """(command path, parameter name) for every parameter of every command that takes a value, and for the
    top-level options; flags take none."""
    found = [(("--",), param.name) for param in main.params if not getattr(param, "is_flag", False)]
    for path, command in _commands(main):
        found += [(path, param.name) for param in command.params
                  if not getattr(param, "is_flag", False) and param.name != "help"]
    return found


FUZZABLE = _fuzzable()


def _invocation(path: tuple[str, ...], fuzzed: str, value: str) -> list[str]:
    """``ledger [--account 4] PATH OPTIONS -- ARGUMENTS`` with ``fuzzed`` set to ``value``, the rest placeholders."""
    if path == ("--",):
        option = next(p for p in main.params if p.name == fuzzed)
        return [option.opts[0], value, *_invocation(GLOBAL_BASE, "", "")[2:]]
    command = dict(_commands(main))[path]
    options, arguments = [], []
    for param in command.params:
        given = value if param.name == fuzzed else PLACEHOLDERS.get(param.name, "")
        if param.name != fuzzed and not param.required and param.name != "merchant_id":
            continue  # an optional merchant is still given: listings of merchant #999 are refused
        assert given is not None or param.name == fuzzed, f"{path} {param.name}: give it a placeholder"
        if isinstance(param, click.Argument):
            arguments.append(given)
        else:
            options += [param.opts[0], given]
    return [*BASES.get(path, ["--account", "4"]), *path, *options, "--", *arguments]


def test_every_parameter_has_a_placeholder() -> None:
    """A new command or parameter is fuzzed too: its required parameters need a refusing placeholder here."""
    missing = [(path, param.name) for path, command in _commands(main) for param in command.params
               if param.required and param.name not in PLACEHOLDERS]
    assert not missing, f"add placeholders for {missing}"
    assert len(FUZZABLE) > 80


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(FUZZABLE), value=st.one_of(st.sampled_from(HOSTILE), RANDOM_TEXT))
def test_hostile_values_are_refused_in_one_line(world: World, target, value: str) -> None:
    path, fuzzed = target
    refused(world, _invocation(path, fuzzed, value))


def test_each_parameter_refuses_the_worst_values(world: World) -> None:
    """Beyond the random draw, every parameter gets one of the values that broke commands before, in turn
    (each of them reaches every kind of parameter: ids, amounts, addresses, durations, files, text)."""
    worst = [str(2**256), "", "-1", "../x", "0x123"]
    for number, (path, fuzzed) in enumerate(FUZZABLE):
        refused(world, _invocation(path, fuzzed, worst[number % len(worst)]))


# ---------------------------------------------------------------- the surroundings: environment variables and files


def _variables(command: click.Command) -> Iterator[str]:
    for param in command.params:
        if isinstance(param.envvar, str):
            yield param.envvar
    for sub in getattr(command, "commands", {}).values():
        yield from _variables(sub)


VARIABLES = sorted({*_variables(main), DATABASE_VARIABLE, PASSWORD_VARIABLE})
"""Every environment variable the command reads: its options' (listed from the click app) and the database's and
the stored keys' password."""

KEY = "hostile-key"
"""A stored key the password is tried on (its password is ``right``); removed after each test that makes it."""

ENV_BASES = {
    "LEDGER_ACCOUNT": ["my", "purchases"],
    PASSWORD_VARIABLE: ["--account", KEY, "my", "purchases"],
    "LEDGER_WEBHOOK_SECRET": ["index", "--follow", "--webhook", "ftp://shop.example/events"],
}
"""The command each variable is tried on, chosen so that it refuses whatever the variable holds (no hostile value is
a usable account, password or webhook address); the others are tried on ``GLOBAL_BASE`` (merchant #999 does not
exist)."""

ENV_WORST = ["", " ", "-1", str(2**256), "../x", "/", "0x123", "{", "[bold]x", "\x1b[31m", "é", "$(id)"]


@pytest.fixture
def stored_key(hostile: World) -> Iterator[Path]:
    """The stored key ``KEY`` (password ``right``), removed after the test; yields its file."""
    path = hostile.home / ".ledger" / "keys" / f"{KEY}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(Account.encrypt(Account.create().key, "right", iterations=2)))
    yield path
    path.unlink(missing_ok=True)


def test_every_environment_variable_refuses_the_worst_values(stored_key: Path, hostile: World, monkeypatch) -> None:
    assert {"LEDGER_RPC", "LEDGER_DEPLOYMENT", "LEDGER_ACCOUNT", DATABASE_VARIABLE, PASSWORD_VARIABLE} <= set(VARIABLES)
    for variable in VARIABLES:
        for value in ENV_WORST:
            monkeypatch.setenv(variable, value)
            refused(hostile, ENV_BASES.get(variable, ["--account", "4", *GLOBAL_BASE, "999"]))
        monkeypatch.delenv(variable)


@pytest.mark.parametrize("url, words", [
    ("nonsense", "the database URL is not one SQLAlchemy can read: set LEDGER_DATABASE_URL to"),
    ("postgresql://shop@[::1/ledger", "the database URL is not one SQLAlchemy can read"),
    ("oracle2://shop@db/ledger", "names a kind of database this library does not know (oracle2)"),
    ("mysql://shop:s3cret@127.0.0.1/ledger", "needs a driver that is not installed (MySQLdb)"),
    ("postgresql://shop:s3cret@127.0.0.1:1/ledger", "cannot use the database postgresql://shop:***@127.0.0.1:1/ledger: "
                                                   "connection failed"),
    (f"sqlite:///{DATA}/open.json/history.sqlite", "cannot use the database sqlite:///hostile-data/open.json/"),
])
@pytest.mark.parametrize("command", [["terms", "list", "1"], ["--no-index", "terms", "list", "1"],
                                     ["--account", "1", "merchant", "register"]])
def test_a_database_that_cannot_be_used_is_named_before_anything_is_sent(hostile: World, monkeypatch, url, words,
                                                                           command) -> None:
    """Unparsable, of an unknown kind, without its driver, unreachable: found where the engine is made, before the
    chain is read or anything sent; a password in the URL is never shown."""
    monkeypatch.setenv(DATABASE_VARIABLE, url)
    result = refused(hostile, command)
    assert words in result.output and "s3cret" not in result.output


@pytest.mark.parametrize("text, words, listed", [
    ("{", "(it is not JSON)", True), ("[]", "(it holds no encrypted key)", True),
    ('{"crypto": {}}', "(it names no address)", True),
    (json.dumps({"address": "11" * 20, "crypto": {}}), "(its field 'version' is missing or malformed)", False),
])
def test_a_damaged_key_file_is_named(stored_key: Path, hostile: World, monkeypatch, text, words, listed) -> None:
    """``key list`` and ``accounts`` (which read every key's address) and a command signed by the damaged key say
    which file and what to do; a command signed by another key is no concern of it."""
    monkeypatch.setenv(PASSWORD_VARIABLE, "right")
    damaged = stored_key.with_name("damaged.json")
    damaged.write_text(text)
    try:
        for command in ([["key", "list"], ["accounts"]] if listed else []) + [["--account", "damaged", "my", "purchases"]]:
            result = refused(hostile, command)
            assert f"the stored key .ledger/keys/damaged.json is damaged {words}: restore it" in result.output
        assert "My purchases" in _ok(hostile.run("--account", KEY, "my", "purchases"))
    finally:
        damaged.unlink()


def _deployment_file(hostile: World, name: str, change: dict[str, object] | None = None, text: str = "") -> str:
    """A copy of the world's deployment file in the data folder, changed (or replaced by ``text``); its path."""
    recorded = json.loads((hostile.home / ".ledger" / "deployment.json").read_text())
    (hostile.home / DATA / name).write_text(text or json.dumps({**recorded, **(change or {})}))
    return f"{DATA}/{name}"


@pytest.mark.parametrize("make, words", [
    (lambda w: DATA, "hostile-data is a folder, not a deployment file"),
    (lambda w: _deployment_file(w, "broken.json", text="{"), "is not a valid deployment file"),
    (lambda w: _deployment_file(w, "chain-1.json", {"chain_id": 1}), "the deployment is for chain id 1 but the node is"),
    (lambda w: _deployment_file(w, "reset.json", {"genesis_hash": "0x" + "11" * 32}),
     "the node was reset or restarted without its state"),
    (lambda w: _deployment_file(w, "elsewhere.json", {"address": ALICE}), "the file is from elsewhere"),
    (lambda w: _deployment_file(w, "gone-back.json", {"block_number": 10**9}), "the chain went back"),
])
def test_a_deployment_file_that_does_not_fit_names_the_cause(hostile: World, monkeypatch, make, words) -> None:
    path = make(hostile)
    try:
        assert words in refused(hostile, ["--deployment", path, "--account", "4", "my", "purchases"]).output
        monkeypatch.setenv("LEDGER_DEPLOYMENT", path)
        assert words in refused(hostile, ["--account", "1", "merchant", "register"]).output
    finally:
        if path != DATA:
            (hostile.home / path).unlink()


@pytest.mark.parametrize("command, words", [
    (["--deployment", DATA, "deploy"], "hostile-data is a folder: give a file name for the deployment record; nothing "
                                       "was deployed"),
    (["--deployment", "/proc/ledger.json", "deploy"], "cannot write the deployment record /proc/ledger.json"),
    (["--deployment", f"{DATA}/open.json/ledger.json", "deploy"], "the folder hostile-data/open.json of --deployment"),
    (["--deployment", ".ledger/deployment.json", "deploy"], "records a deployment already (the ledger at"),
    (["deploy"], ".ledger/deployment.json records a deployment already"),
])
def test_deploy_refuses_a_record_it_cannot_write_before_sending(hostile: World, command, words) -> None:
    """A deployment whose record fails has spent its gas on contracts nobody can find; one that replaces a record
    loses the ledger it named: both are refused before anything is sent."""
    kept = (hostile.home / ".ledger" / "deployment.json").read_text()
    assert words in refused(hostile, command).output
    assert (hostile.home / ".ledger" / "deployment.json").read_text() == kept


@pytest.mark.parametrize("command", [
    ["--account", "4", "credit", "cash-out", str(2**64 - 1)], ["figures", str(2**63)],
    ["merchant", "show", str(2**64 - 1)], ["terms", "list", str(2**63)], ["purchases", f"--merchant={2**64 - 1}"],
])
def test_an_id_beyond_what_the_index_holds_is_refused(hostile: World, command) -> None:
    """The index keeps ids in signed 64-bit columns: 2^63 and up is no shop's id (the contract counts from 1)."""
    assert f"is not a merchant id: merchant ids are whole numbers from 1 to {2**63 - 1}" in refused(hostile, command).output


# ---------------------------------------------------------------- tracebacks, one kind each


@pytest.mark.parametrize("command", [
    ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "T", "--token", "0x123"],
    ["--account", "1", "merchant", "budget", "1", AGENT, "1", "--token", "nothex"],
])
def test_a_malformed_token_address_is_named(hostile: World, command) -> None:
    assert "is not an address: give 0x followed by 40 hex digits" in refused(hostile, command).output


@pytest.mark.parametrize("command", [
    ["--account", "1", "merchant", "budget", "1", AGENT, "--", str(2**256)],
    ["--account", "1", "merchant", "budget", "1", AGENT, f"{2**256}wei"],
])
def test_an_amount_of_two_to_the_256_is_refused_in_the_users_unit(hostile: World, command) -> None:
    assert "is more than the ledger can hold: amounts are below 3.40e+" in refused(hostile, command).output


def test_a_refund_of_two_to_the_256_is_refused(hostile: World) -> None:
    result = refused(hostile, ["--account", "1", "refund", hostile.open_purchase, "--", str(2**256)])
    assert "more than the ledger can hold" in result.output and "ETH" in result.output


@pytest.mark.parametrize("command", [
    ["purchases", "--merchant=-1"], ["--no-index", "purchases", "--merchant=-1"], ["export", "--", "-1"],
    ["--no-index", "export", "--", "-1"], ["terms", "list", "--", "-1"], ["settle", "--merchant=-1"],
    ["--no-index", "reviews", "--merchant=-1"], ["figures", "--", str(2**64)],
])
def test_a_negative_or_huge_merchant_id_is_named(hostile: World, command) -> None:
    assert "is not a merchant id" in refused(hostile, command).output


def test_a_negative_number_where_an_option_is_read_says_so(hostile: World) -> None:
    result = refused(hostile, ["terms", "list", "-1"])
    assert "-1 is not an option, and ids, amounts and durations are never negative" in result.output


@pytest.mark.parametrize("change, words", [
    ({"deadline": "soon"}, "its deadline 'soon' is not a whole number"),
    ({"nonce": -1}, "its nonce -1 is not a whole number"),
    ({"signature": "xyz"}, "its signature 'xyz' is not 0x followed by hex digits"),
    ({"purchase_id": 5}, "is not a 32-byte id"),
])
def test_a_damaged_signed_request_is_refused_in_words(hostile: World, change, words) -> None:
    path = hostile.home / DATA / "damaged.json"
    path.write_text(json.dumps({**json.loads((hostile.home / DATA / "request.json").read_text()), **change}))
    try:
        for command in ("relay", "cancel-request"):
            result = refused(hostile, ["--account", "4", command, path.relative_to(hostile.home)])
            assert "is damaged" in result.output and words in result.output, result.output
    finally:
        path.unlink()


@pytest.mark.parametrize("text, words", [
    ("{", "it is not JSON"), ("[1, 2]", "is not a signed return request"),
    ('{"purchase_id": "0x"}', "it has no field line_mask"),
])
def test_a_request_file_that_is_not_a_request_shows_no_parser_internals(hostile: World, text, words) -> None:
    result = _refused_file(hostile, "broken.json", text, ["--account", "4", "relay"])
    assert words in result.output
    assert "Expecting" not in result.output and "__init__" not in result.output and "char " not in result.output


@pytest.mark.parametrize("text, words", [
    ("{", "it is not JSON: it breaks at line 1, column 2"), ("[1]", "is not the kind of value an order holds"),
])
def test_an_order_file_that_is_not_an_order_shows_no_parser_internals(hostile: World, text, words) -> None:
    result = _refused_file(hostile, "broken-order.json", text, ["--account", "4", "buy", "--yes"])
    assert words in result.output and "Expecting" not in result.output and "object has no" not in result.output


@pytest.mark.parametrize("field, value", [("merchantId", 2**256), ("expiry", 2**300), ("returnWindow", 2**40)])
def test_an_order_field_too_wide_for_the_chain_is_refused(hostile: World, field, value) -> None:
    """A number wider than its field would spill into the next one when packed (or fail to encode at all)."""
    order = json.loads((hostile.home / DATA / "open.json").read_text())
    order["order"][field] = value
    path = hostile.home / DATA / "wide-order.json"
    path.write_text(json.dumps(order))
    try:
        result = refused(hostile, ["--account", "4", "buy", "--yes", path.relative_to(hostile.home)])
    finally:
        path.unlink()
    assert "the order file is malformed" in result.output and "is not a whole number below 2^" in result.output


@pytest.mark.parametrize("command", [
    ["--account", "4", "return", "{purchase}", "--sign-only", "no-such-folder/request.json"],
    ["--account", "2", "export", "1", "--output", "no-such-folder/purchases.csv"],
    ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "F", "-o", "no-such-folder/order.json"],
    ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "Q", "--link", "http://shop.example", "--qr",
     "no-such-folder/code.png"],
])
def test_an_output_file_in_a_missing_folder_makes_no_folder(hostile: World, command) -> None:
    args = [part.format(purchase=hostile.open_purchase) for part in command]
    assert "the folder no-such-folder does not exist" in refused(hostile, args).output


# ---------------------------------------------------------------- harms, one kind each


def test_time_advance_is_capped_and_says_so(hostile: World) -> None:
    assert "at most 3650 days (10 years) at a time" in refused(hostile, ["time", "advance", "3651d"]).output
    assert "at most 49710 days" in refused(hostile, ["time", "advance", "99999999999d"]).output
    now = hostile.chain.now()
    assert "chain time is now" in _ok(hostile.run("time", "advance", "3650d"))
    assert hostile.chain.now() >= now + 3650 * 86_400
    assert "1× MUG" in _ok(hostile.run("--account", "4", "my", "purchases"))  # the chain still works after it


def test_buying_again_after_a_crash_says_already_bought_and_charges_nothing(hostile: World) -> None:
    """The first buy went through (its output may have been lost); the retry must not invite a second payment:
    the same command finds its own purchase, and one told to buy anew (--again) is refused."""
    balance = hostile.chain.w3.eth.get_balance(ALICE)
    retry = hostile.run("--account", "4", "buy", "--yes", f"{DATA}/open.json")
    assert retry.exit_code == 0 and "already on chain" in retry.stderr and "nothing was sent" in retry.stderr
    result = refused(hostile, ["--again", "--account", "4", "buy", "--yes", f"{DATA}/open.json"])
    assert "was already bought, and an order is bought once: nothing was paid now" in result.output
    assert f"ledger purchase {hostile.open_purchase}" in result.output
    assert "ask the shop for a new order" not in result.output
    assert hostile.chain.w3.eth.get_balance(ALICE) == balance


def test_a_contact_for_an_empty_customer_is_refused(hostile: World) -> None:
    for account in ("2", "4"):
        result = refused(hostile, ["--account", account, "contact", "log", "1", "--channel", "chat", "--kind",
                                   "question", "--customer", ""])
        assert "Invalid value for '--customer': it is empty" in result.output


@pytest.mark.parametrize("option, command", [
    ("--payout", ["--account", "1", "merchant", "register", "--payout", ""]),
    ("--referrer", ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "E", "--referrer", ""]),
    ("--order", ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", " "]),
    ("--qr", ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "E", "--link", "http://shop.example", "--qr", ""]),
    ("--rpc", ["--rpc", "", "terms", "list", "1"]),
])
def test_an_empty_value_is_never_the_default(hostile: World, option, command) -> None:
    assert f"Invalid value for '{option}': it is empty" in refused(hostile, command).output


def test_deploying_to_a_missing_folder_deploys_nothing(hostile: World) -> None:
    result = refused(hostile, ["--deployment", "no-such-folder/deployment.json", "deploy"])
    assert "the folder no-such-folder of --deployment" in result.output and "nothing was deployed" in result.output


@pytest.mark.parametrize("command", [
    ["--account", "1", "extend", "{returned}", "7d"],
    ["--account", "1", "set-extension", "{returned}", "7d"],
    ["--account", "2", "deliver", "{returned_from_delivery}"],
])
def test_a_fully_returned_purchase_is_not_extended_or_delivered(hostile: World, command) -> None:
    args = [part.format(returned=hostile.returned, returned_from_delivery=hostile.returned_from_delivery)
            for part in command]
    assert "already returned and refunded" in refused(hostile, args).output


def test_a_signed_return_valid_for_too_long_is_neither_signed_nor_relayed(hostile: World) -> None:
    result = refused(hostile, ["--account", "4", "return", hostile.open_purchase, "--sign-only",
                               f"{DATA}/long.json", "--valid-for", "31d"])
    assert "a signed return request may be valid for at most 30 days" in result.output
    path = hostile.home / DATA / "far.json"
    _ok(hostile.run("--account", "4", "return", hostile.open_purchase, "--sign-only", path.relative_to(hostile.home)))
    try:
        request = json.loads(path.read_text())
        request["deadline"] = 99_999_999_999 * 86_400  # signed by hand, or by an older version
        path.write_text(json.dumps(request))
        result = refused(hostile, ["--account", "2", "relay", path.relative_to(hostile.home)])
    finally:
        path.unlink()
    assert "longer than the 30 days a signed return may run: nothing was sent" in result.output


# ---------------------------------------------------------------- unclear words, one kind each


def test_an_invalid_port_is_named_not_waited_for(hostile: World) -> None:
    result = refused(hostile, ["node", "start", "--port", "70000"])
    assert "Invalid value for '--port'" in result.output and "65535" in result.output
    assert "did not start" not in result.output


def test_an_id_is_never_called_an_amount(hostile: World) -> None:
    for command in (["terms", "retire", "0"], ["merchant", "show", "0"]):
        result = refused(hostile, ["--account", "1", *command])
        assert "smallest unit" not in result.output and "is not a" in result.output and " id" in result.output


def test_amounts_come_back_in_the_unit_typed(hostile: World) -> None:
    result = refused(hostile, ["--account", "1", "refund", hostile.open_purchase, "1"])
    assert "holds 0.03 ETH in escrow, less than the 1 ETH asked for: refund at most 0.03 ETH" in result.output


def test_a_commission_or_bonus_is_not_a_restocking_fee(hostile: World) -> None:
    bonus = refused(hostile, ["--account", "1", "merchant", "credit-bonus", "1", "150%"]).output
    commission = refused(hostile, ["--account", "2", "quote", "1", "MUG:1:0.01", "--order", "C", "--referrer",
                                   ALICE, "--commission", "lots"]).output
    assert "a credit bonus of 150 % is more than 100 %" in bonus
    assert "'lots' is not a referral commission" in commission
    assert "restocking" not in bonus + commission


def test_setting_a_budget_for_a_non_agent_does_not_speak_of_removing(hostile: World) -> None:
    result = refused(hostile, ["--account", "1", "merchant", "budget", "1", ALICE, "1"])
    assert "is not an agent of merchant #1: only agents have budgets and mandates" in result.output
    assert "nothing to remove" not in result.output


def test_markup_in_a_value_is_shown_as_written(hostile: World) -> None:
    result = refused(hostile, ["--account", "4", "buy", "--yes", f"{DATA}/open.json", "--use-credit", "[/x]"])
    assert "'[/x]' is not an amount" in result.output


@pytest.mark.parametrize("command", [["purchases", "--since", "2026\n-01\x1b[2J"],
                                     ["--rpc", "x:\n\x1b[2J", "figures", "1"]])
def test_control_characters_cannot_break_the_line(hostile: World, command) -> None:
    result = refused(hostile, command)
    assert "\\n" in result.output and "\x1b" not in result.output


def _refused_file(hostile: World, name: str, text: str, command: list[str]):
    """``command`` run on a file holding ``text`` (removed afterwards), refused."""
    path = hostile.home / DATA / name
    path.write_text(text)
    try:
        return refused(hostile, [*command, path.relative_to(hostile.home)])
    finally:
        path.unlink()
