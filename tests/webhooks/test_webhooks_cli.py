"""``ledger index --follow --webhook URL``: the follower posts the events, tells a failing receiver in one line
with the next try, and refuses bad input in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.history.store import engine_for
from ledger.webhooks import Subscriptions
from tests.support.cli import ok
from tests.support.receiver import Receiver

OWNER_ACCOUNT, BUYER_ACCOUNT = "1", "4"
ALICE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SECRET = "whsec-test-0123456789abcdef"
CHECKOUT = Path(__file__).resolve().parents[2]
"""This checkout, first on the follower's path: its ``ledger`` is the one under test, whatever is installed."""


def shop_with_a_return(cli, cli_project) -> str:
    """Shop 1 with a purchase by Alice, returned: two events. The purchase's id."""
    ok(cli("--account", OWNER_ACCOUNT, "merchant", "register"))
    ok(cli("--account", OWNER_ACCOUNT, "terms", "publish", "1", "--window", "7d"))
    order = cli_project.home / "order-hook.json"
    ok(cli("--account", OWNER_ACCOUNT, "quote", "1", "MUG:1:0.01", "--order", "H-1", "--for", ALICE, "-o", order))
    bought = json.loads(ok(cli("--json", "--account", BUYER_ACCOUNT, "buy", "--yes", order)))
    ok(cli("--account", BUYER_ACCOUNT, "return", bought["id"]))
    return bought["id"]


def follow(cli_project, database: str, receiver: Receiver, events: int, *args: str,
           secret: str | None = None) -> tuple[str, str]:
    """Run ``ledger index --follow ARGS`` until ``receiver`` holds ``events`` events, then stop it as Ctrl-C does;
    its output and its error output."""
    env = {**os.environ, "LEDGER_DATABASE_URL": database, "LEDGER_RPC": cli_project.url,
           "LEDGER_DEPLOYMENT": str(cli_project.home / ".ledger" / "deployment.json"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))}
    env.pop("LEDGER_WEBHOOK_SECRET", None)
    if secret is not None:
        env["LEDGER_WEBHOOK_SECRET"] = secret
    follower = subprocess.Popen([sys.executable, "-c", "from ledger.cli import main; main()", "index", "--follow",
                                 "--poll", "0.2", *args], env=env, cwd=cli_project.home, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(receiver.taken) < events and follower.poll() is None:
            time.sleep(0.1)
    finally:
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0 and "Traceback" not in err, err
    return out, err


def test_the_follower_posts_each_event_once_and_tells_a_failure_in_one_line(cli, cli_project, tmp_path) -> None:
    bought = shop_with_a_return(cli, cli_project)
    with Receiver(SECRET) as receiver:
        receiver.fail_next = 1
        out, err = follow(cli_project, f"sqlite:///{tmp_path / 'hooks.sqlite'}", receiver, 2,
                          "--webhook", receiver.url, "--shop", "1", secret=SECRET)
    assert [(event["type"], event["data"]["purchase_id"]) for event in receiver.taken] == [
        ("purchase", bought), ("return", bought)]
    assert set(receiver.posts.values()) == {1} and receiver.failed == 1
    (told,) = err.strip().splitlines()
    assert told.startswith(f"note: webhook {receiver.url}: the receiver answered HTTP 500 for event ")
    assert "(try 1); next try in 1 s, at " in told and told.endswith(" UTC")
    assert "posted 2 events to webhooks" in out and SECRET not in out + err


def test_the_follower_posts_to_the_webhook_a_shops_staff_set_on_the_page(cli, cli_project, tmp_path) -> None:
    bought = shop_with_a_return(cli, cli_project)
    database = f"sqlite:///{tmp_path / 'hooks.sqlite'}"
    with Receiver(SECRET) as receiver:
        Subscriptions(engine_for(database)).set_on_page(1, receiver.url, SECRET, OWNER, 0)  # as the page sets it
        out, err = follow(cli_project, database, receiver, 2)
    assert [event["data"]["purchase_id"] for event in receiver.taken] == [bought, bought] and err == ""
    assert Subscriptions(engine_for(database)).on_page(1).delivered[0] == receiver.taken[-1]["block"]["number"]


@pytest.mark.parametrize(("args", "secret", "said"), [
    (["--webhook", "ftp://shop.example/events"], SECRET, "is not an http:// or https:// address"),
    (["--webhook", "shop.example/events"], SECRET, "is not an http:// or https:// address"),
    (["--webhook", "https://shop.example/events"], None, "set LEDGER_WEBHOOK_SECRET"),
    (["--webhook", "https://shop.example/events"], "short", "give at least 16"),
    (["--webhook", "https://shop.example/events", "--shop", "0"], SECRET, "--shop"),
])
def test_bad_webhook_input_is_refused_in_one_line(cli, monkeypatch, args, secret, said) -> None:
    if secret is None:
        monkeypatch.delenv("LEDGER_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("LEDGER_WEBHOOK_SECRET", secret)
    result = cli("index", "--follow", *args)
    assert result.exit_code != 0 and said in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_webhook_needs_follow_and_a_shop_needs_a_webhook(cli, monkeypatch) -> None:
    monkeypatch.setenv("LEDGER_WEBHOOK_SECRET", SECRET)
    without_follow = cli("index", "--webhook", "https://shop.example/events")
    assert without_follow.exit_code == 1 and "--webhook needs --follow" in without_follow.output
    alone = cli("index", "--follow", "--shop", "1")
    assert alone.exit_code == 1 and "give --webhook URL too" in alone.output
