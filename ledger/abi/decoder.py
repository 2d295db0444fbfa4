"""Raw logs into typed records: one ``Record`` per log, decoded with eth-abi straight from the contracts'
ABIs (web3's per-log machinery is far slower). An event no ABI knows fails loudly, never dropped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eth_abi import decode
from eth_typing import ABIEvent
from eth_utils import event_abi_to_log_topic
from eth_utils.abi import collapse_if_tuple

from ..codec import checksum, hex_of
from ..errors import UnknownEvent
from . import words


@dataclass(frozen=True)
class Record:
    """One decoded event: its name, its arguments (addresses checksummed, bytes as 0x-hex, structs as
    dicts) and where it sits on chain."""

    event: str
    args: dict[str, Any] = field(hash=False)
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    timestamp: int | None = None
    """The block's time when the node includes it in the log (anvil does), else None."""


class Decoder:
    """Decodes the logs of a set of contract ABIs by their first topic."""

    def __init__(self, abis: Sequence[Sequence[Mapping[str, Any]]]) -> None:
        self._events: dict[bytes, Mapping[str, Any]] = {}
        self._layout: dict[bytes, tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]] = {}
        self._readers: dict[bytes, Callable[[bytes], list[Any]] | None] = {}
        for abi in abis:
            for entry in abi:
                if entry["type"] == "event":
                    topic = event_abi_to_log_topic(cast(ABIEvent, entry))  # an event's entry (its "type")
                    self._events[topic] = entry
                    plain = [i for i in entry["inputs"] if not i["indexed"]]
                    self._layout[topic] = ([i for i in entry["inputs"] if i["indexed"]], plain,
                                           [collapse_if_tuple(i) for i in plain])
                    self._readers[topic] = words.reader(plain)

    def decode(self, log: Any) -> Record:
        """A ``Record`` from a log as ``eth_getLogs`` returns it (web3's or raw JSON)."""
        topics = [_bytes(t) for t in log["topics"]]
        entry = self._events.get(topics[0] if topics else b"")
        if entry is None:
            raise UnknownEvent(
                f"the ledger emitted an event this library does not know (topic {hex_of(topics[0]) if topics else 'none'}"
                f", block {_int(log['blockNumber'])}): upgrade the library to the version that matches the deployment"
            )
        indexed, plain, types = self._layout[topics[0]]  # worked out once per event
        args: dict[str, Any] = {}
        for item, word in zip(indexed, topics[1:]):
            args[item["name"]] = _topic(item, word)
        read = self._readers[topics[0]]
        if read is not None:  # the shapes our events use, word by word (``words``)
            args.update(zip((item["name"] for item in plain), read(_bytes(log["data"]))))
        else:
            for item, value in zip(plain, decode(types, _bytes(log["data"]))):
                args[item["name"]] = _value(item, value)
        stamp = log.get("blockTimestamp")
        return Record(
            entry["name"], args, _int(log["blockNumber"]), hex_of(_bytes(log["blockHash"])), _int(log["logIndex"]),
            hex_of(_bytes(log["transactionHash"])), None if stamp is None else _int(stamp),
        )


def _topic(item: dict[str, Any], word: bytes) -> Any:
    """An indexed argument from its topic word: the static types our events index read straight off the
    word (eth-abi's general decoder costs more than the rest of the event); any other through eth-abi."""
    kind = item["type"]
    if kind == "address":
        return checksum(word[12:])
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind == "bytes32":
        return hex_of(word)
    return _value(item, decode([collapse_if_tuple(item)], word)[0])


def _value(item: dict[str, Any], value: Any) -> Any:
    kind = item["type"]
    if kind.endswith("[]"):
        element = {**item, "type": kind[:-2]}
        return [_value(element, v) for v in value]
    if kind == "tuple":
        return {c["name"]: _value(c, v) for c, v in zip(item["components"], value)}
    if kind == "address":
        return checksum(bytes.fromhex(value[2:]))
    if isinstance(value, bytes):
        return hex_of(value)
    return value


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)
