"""``ledger index`` and the query commands reading through the index (or not, with --no-index)."""

from __future__ import annotations

import json

from conftest import ok

OWNER_ACCOUNT, AGENT_ACCOUNT, BUYER_ACCOUNT = "1", "2", "4"
AGENT, ALICE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def _timeless(data: dict) -> dict:
    """A purchase without the two fields that move with the clock between two commands."""
    return {key: value for key, value in data.items() if key not in ("as_of", "time_left")}


def test_index_then_queries_agree_with_no_index(cli, cli_project, monkeypatch, tmp_path) -> None:
    ok(cli("--account", OWNER_ACCOUNT, "merchant", "register"))
    ok(cli("--account", OWNER_ACCOUNT, "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", OWNER_ACCOUNT, "terms", "publish", "1", "--window", "7d", "--fee", "5%"))
    for number in range(3):
        order = cli_project.home / f"order-{number}.json"
        ok(cli("--account", AGENT_ACCOUNT, "quote", "1", "MUG:1:0.01", "TEA:2:0.02", "--order", f"I-{number}",
               "--for", ALICE, "-o", order))
        bought = json.loads(ok(cli("--json", "--account", BUYER_ACCOUNT, "buy", order)))
    ok(cli("--account", BUYER_ACCOUNT, "return", bought["id"], "--line", "1"))

    assert (cli_project.home / ".ledger" / "history.sqlite").is_file()  # the queries above caught it up
    assert "index up to date" in ok(cli("index"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    out = ok(cli("index"))
    assert "indexed blocks" in out and "elsewhere.sqlite" in out
    report = json.loads(ok(cli("--json", "index")))
    assert report["windows"] == 0 and report["end"] == report["head"]

    for query in (["purchases", "--merchant", "1"], ["purchases", "--merchant", "1", "--status", "partly_returned"],
                  ["figures", "1"], ["contact", "list"], ["reviews", "--merchant", "1"]):
        indexed = json.loads(ok(cli("--json", *query)), object_hook=_timeless)
        straight = json.loads(ok(cli("--json", "--no-index", *query)), object_hook=_timeless)
        assert indexed == straight, query
    assert len(json.loads(ok(cli("--json", "purchases", "--merchant", "1")))) == 3
