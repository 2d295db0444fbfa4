"""What an operation sent, written down before it is sent, so that running the same operation again finds
its transactions instead of signing new ones.

An operation is one piece of work named by a key its caller chooses (``Ledger.operation``; the command line
derives it from the command and its arguments). For each call it sends, the journal keeps the call (sender,
contract, call data, value), its nonce and every version signed for that nonce, raw bytes included, before
the first byte reaches the node; and the salts of the off-chain texts it sealed, so the same text goes out
under the same hash. When the operation runs again, a call it already journaled is not signed anew: the chain
is asked what became of the versions kept (``sending.single``, ``sending.bulk``). One mined is the call's
result, found and reported with nothing sent; one still pending is waited for; one never seen is handed to
the node again (the same bytes, the same nonce: it can land once at most). Only when the chain shows that
none of them can ever land (their nonce went to another transaction, they failed when mined, or the chain
went back below their nonce) is the call signed again.

The journal is a folder with one JSON file per operation, written whole to a temporary file and renamed, or
held in memory (for as long as the process lives) when no folder is given. It knows only what this machine
sent: the same key used on two machines is two operations.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Sent:
    """One call of an operation: what it calls, from whom, and every version signed for its nonce."""

    sender: str
    to: str
    data: str
    value: int
    nonce: int
    since: int
    """The newest block when its first version was signed: what mined its nonce is after it."""
    tx: dict[str, Any]
    """The newest version's fields, from which a replacement with a higher fee is signed."""
    versions: list[list[str]] = field(default_factory=list)
    """[hash, raw transaction], oldest first (0x-hex)."""

    @property
    def hashes(self) -> list[str]:
        return [tx_hash for tx_hash, _ in self.versions]

    def matches(self, sender: str, to: str, data: str, value: int) -> bool:
        return (self.sender, self.to.lower(), self.data.lower(), self.value) == (
            sender, to.lower(), data.lower(), value)


class Operation:
    """One operation's journal: the calls it sent (``Sent``) and the texts it sealed (hash, salt, kind, customer,
    merchant: enough to seal the same text the same way again, not the text)."""

    def __init__(self, journal: Journal, key: str, sent: list[Sent], sealed: list[dict[str, Any]]) -> None:
        self.journal, self.key, self.sent, self.sealed = journal, key, sent, sealed
        self.found: list[str] = []
        """Hashes of transactions an earlier run of the operation sent, found mined: nothing was sent for them."""
        self._claimed: set[int] = set()
        """``id`` of the journaled calls and texts this run has used already (each answers one of this run)."""

    def claim(self, record: Sent | dict[str, Any]) -> bool:
        """Take a journaled call or text for this run; False when this run took it already."""
        if id(record) in self._claimed:
            return False
        self._claimed.add(id(record))
        return True

    def earlier(self, sender: str, to: str, data: str, value: int) -> Sent | None:
        """The call as an earlier run sent it, if it did and this run has not met it yet."""
        return next((sent for sent in self.sent if sent.matches(sender, to, data, value) and self.claim(sent)), None)

    def start(self, *sent: Sent) -> None:
        """Journal calls about to be sent for the first time (signed, not yet sent)."""
        for one in sent:
            self.claim(one)
        self.sent.extend(sent)
        self.save()

    def forget(self, sent: Sent) -> None:
        """Drop a call none of whose versions can ever land (it is signed anew)."""
        self.sent = [other for other in self.sent if other is not sent]
        self.save()

    def keep_text(self, kept: dict[str, Any]) -> None:
        """Journal a text sealed for a call (its hash and salt; the text itself is not written here), with the
        call it goes out in (``start``): a call refused before it is sent leaves nothing behind."""
        self.claim(kept)
        self.sealed.append(kept)

    def save(self) -> None:
        self.journal._write(self)


class Journal:
    """Operations by key: in ``folder`` (one JSON file each), or in memory when it is None."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[str, dict[str, Any]] = {}

    def operation(self, key: str) -> Operation:
        """The operation named ``key``, with what its earlier runs sent (nothing, the first time)."""
        record = self._read(key)
        return Operation(self, key, [Sent(**sent) for sent in record.get("sent", [])], record.get("sealed", []))

    def discard(self, key: str) -> None:
        """Forget what earlier runs of the operation sent: its next run does the work anew."""
        if self.folder is None:
            self._memory.pop(key, None)
        else:
            self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def _read(self, key: str) -> dict[str, Any]:
        if self.folder is None:
            copy: dict[str, Any] = json.loads(json.dumps(self._memory.get(key, {})))  # runs do not share objects
            return copy
        try:
            record: dict[str, Any] = json.loads(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return record if record.get("key") == key else {}

    def _write(self, operation: Operation) -> None:
        record = {"key": operation.key, "sent": [asdict(sent) for sent in operation.sent], "sealed": operation.sealed}
        if self.folder is None:
            self._memory[operation.key] = json.loads(json.dumps(record))
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(operation.key)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(record, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
