"""The library in bad surroundings: a database URL that cannot be used, and stored keys that are damaged. Each is
one ``LedgerError`` naming what to fix, found where the database or the key is first opened."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from ledger import errors, keys
from ledger.history.store import engine_for


@pytest.mark.parametrize("url, words", [
    ("", "is not one SQLAlchemy can read"),
    ("://", "is not one SQLAlchemy can read"),
    ("postgresql://u:s3cret@[::1/db", "is not one SQLAlchemy can read"),
    ("nosuch://u:s3cret@host/db", "names a kind of database this library does not know (nosuch)"),
    ("mysql+mysqldb://u:s3cret@127.0.0.1/db", "needs a driver that is not installed (MySQLdb)"),
    ("postgresql://u:s3cret@127.0.0.1:1/db", "cannot use the database postgresql://u:***@127.0.0.1:1/db"),
    ("sqlite:////proc/ledger/history.sqlite", "cannot use the database sqlite:////proc/ledger/history.sqlite"),
])
def test_a_database_that_cannot_be_used_is_one_error(url, words) -> None:
    with pytest.raises(errors.DatabaseUnusable, match="LEDGER_DATABASE_URL") as refused:
        engine_for(url)
    assert words in str(refused.value) and "s3cret" not in str(refused.value)
    assert "\n" not in str(refused.value) and "sqlalche.me" not in str(refused.value)


def test_a_database_in_a_folder_that_is_a_file_is_named(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(errors.DatabaseUnusable, match="cannot use the database sqlite:///.*/file/history.sqlite"):
        engine_for(f"sqlite:///{tmp_path / 'file' / 'history.sqlite'}")


def test_damaged_stored_keys_are_named_and_leave_the_others_usable(tmp_path) -> None:
    secret = Account.create()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "good.json").write_text(json.dumps(Account.encrypt(secret.key, "pw", iterations=2)))
    assert keys.stored(tmp_path) == [("good", secret.address)]
    for text, words in (("{", "it is not JSON"), ('"key"', "it holds no encrypted key"),
                        ('{"crypto": {}, "address": 5}', "it names no address")):
        (tmp_path / "keys" / "bad.json").write_text(text)
        for read in (lambda: keys.stored(tmp_path), lambda: keys.load(tmp_path, "bad", "pw")):
            with pytest.raises(errors.InvalidInput, match=f"bad.json is damaged \\({words}\\): restore it"):
                read()
    assert keys.load(tmp_path, "good", "pw").address == secret.address
    assert keys.exists(tmp_path, "good") and not keys.exists(tmp_path, "../good") and not keys.exists(tmp_path, "x")
