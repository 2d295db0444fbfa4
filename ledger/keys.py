"""Signing keys kept in the project as encrypted keystore files (``.ledger/keys/NAME.json``).

A private key is never printed or written in the clear: it comes from a keystore file or an
environment variable, and is stored encrypted with a password.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address

from .errors import InvalidInput


def _folder(home: Path) -> Path:
    return home / "keys"


def _path(home: Path, name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or name.startswith("."):
        raise InvalidInput(f"key name {name!r} may use letters, digits, '.', '_' and '-' only")
    return _folder(home) / f"{name}.json"


def _free_path(home: Path, name: str) -> Path:
    path = _path(home, name)
    if path.exists():
        raise InvalidInput(f"a key named {name!r} exists already: choose another name")
    return path


def _save(home: Path, name: str, keystore: dict[str, object]) -> str:
    path = _free_path(home, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keystore))
    path.chmod(0o600)
    return _address(keystore)


def _address(keystore: dict[str, object]) -> ChecksumAddress:
    return to_checksum_address("0x" + str(keystore.get("address", "")).removeprefix("0x"))


def _stored_keystore(path: Path) -> tuple[dict[str, object], ChecksumAddress]:
    """A stored key's keystore and address; a file that is not one (broken JSON, another shape, unreadable) is
    ``InvalidInput`` naming it, so a damaged key is one line to act on wherever it is read."""
    try:
        keystore = json.loads(path.read_text())
        if not isinstance(keystore, dict) or not isinstance(keystore.get("crypto", keystore.get("Crypto")), dict):
            raise ValueError("it holds no encrypted key")
        if not re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", str(keystore.get("address", ""))):
            raise ValueError("it names no address")
        return keystore, _address(keystore)
    except (OSError, ValueError) as error:
        why = "it is not JSON" if isinstance(error, json.JSONDecodeError) else getattr(error, "strerror", None) or error
        raise _damaged(path, str(why)) from error


def _damaged(path: Path, why: str) -> InvalidInput:
    return InvalidInput(f"the stored key {path} is damaged ({why}): restore it from a backup, or remove it and import "
                        "the key again")


def import_keystore(home: Path, name: str, keystore_file: Path, password: str) -> str:
    """Store a copy of a keystore file after checking the password opens it; return its address."""
    _free_path(home, name)
    try:
        keystore = json.loads(Path(keystore_file).read_text())
        account: LocalAccount = Account.from_key(Account.decrypt(keystore, password))
    except FileNotFoundError as error:
        raise InvalidInput(f"no keystore file at {keystore_file}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput(f"{keystore_file} cannot be opened with that password, or is not a keystore file") from error
    keystore["address"] = account.address[2:].lower()
    _save(home, name, keystore)
    return account.address


def import_from_env(home: Path, name: str, variable: str, password: str) -> str:
    """Encrypt the private key held in environment variable ``variable``; return its address."""
    _free_path(home, name)
    secret = os.environ.get(variable)
    if not secret:
        raise InvalidInput(f"environment variable {variable} is not set: export the private key in it first")
    account = account_from_secret(secret, variable)
    _save(home, name, Account.encrypt(account.key, password))
    return account.address


def account_from_secret(secret: str, where: str) -> LocalAccount:
    """A signing account from a hex private key, without ever echoing the key."""
    try:
        account: LocalAccount = Account.from_key(secret.strip())
    except (ValueError, TypeError) as error:
        raise InvalidInput(f"{where} does not hold a private key (64 hex digits)") from error
    return account


def load(home: Path, name: str, password: str) -> LocalAccount:
    """Open a stored key."""
    path = _path(home, name)
    if not path.is_file():
        known = ", ".join(sorted(other.stem for other in _folder(home).glob("*.json"))) or "none yet"
        raise InvalidInput(f"no key named {name!r} (known: {known}): import it with `ledger key import`")
    keystore, _ = _stored_keystore(path)
    try:
        account: LocalAccount = Account.from_key(Account.decrypt(keystore, password))
    except ValueError as error:
        raise InvalidInput(f"wrong password for key {name!r}") from error
    except (KeyError, TypeError) as error:  # the keystore's fields are not what its version says
        raise _damaged(path, f"its field {error} is missing or malformed") from error
    return account


def exists(home: Path, name: str) -> bool:
    """Whether a key named ``name`` is stored (its file is not opened: another stored key's damage is no
    concern of a command that signs with this one); never, for a name no key may have."""
    try:
        return _path(home, name).is_file()
    except InvalidInput:
        return False


def stored(home: Path) -> list[tuple[str, ChecksumAddress]]:
    """Names and addresses of the stored keys (no password needed)."""
    folder = _folder(home)
    if not folder.is_dir():
        return []
    return [(path.stem, _stored_keystore(path)[1]) for path in sorted(folder.glob("*.json"))]
