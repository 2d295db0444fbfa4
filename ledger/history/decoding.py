"""Raw logs into typed records: one ``Record`` per log, decoded with eth-abi straight from the contracts'
ABIs (web3's per-log machinery is far slower). An event no ABI knows fails loudly, never dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from eth_utils import event_abi_to_log_topic, to_checksum_address
from eth_utils.abi import collapse_if_tuple

from ..convert import hex_of
from ..errors import UnknownEvent


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

    def __init__(self, abis: list[list[dict[str, Any]]]) -> None:
        self._events: dict[bytes, dict[str, Any]] = {}
        for abi in abis:
            for entry in abi:
                if entry["type"] == "event":
                    self._events[event_abi_to_log_topic(entry)] = entry

    def decode(self, log: Any) -> Record:
        """A ``Record`` from a log as ``eth_getLogs`` returns it (web3's or raw JSON)."""
        topics = [_bytes(t) for t in log["topics"]]
        entry = self._events.get(topics[0] if topics else b"")
        if entry is None:
            raise UnknownEvent(
                f"the ledger emitted an event this library does not know (topic {hex_of(topics[0]) if topics else 'none'}"
                f", block {_int(log['blockNumber'])}): upgrade the library to the version that matches the deployment"
            )
        indexed = [i for i in entry["inputs"] if i["indexed"]]
        plain = [i for i in entry["inputs"] if not i["indexed"]]
        args: dict[str, Any] = {}
        for item, word in zip(indexed, topics[1:]):
            args[item["name"]] = _value(item, decode([collapse_if_tuple(item)], word)[0])
        values = decode([collapse_if_tuple(i) for i in plain], _bytes(log["data"]))
        for item, value in zip(plain, values):
            args[item["name"]] = _value(item, value)
        stamp = log.get("blockTimestamp")
        return Record(
            entry["name"], args, _int(log["blockNumber"]), hex_of(_bytes(log["blockHash"])), _int(log["logIndex"]),
            hex_of(_bytes(log["transactionHash"])), None if stamp is None else _int(stamp),
        )


def _value(item: dict[str, Any], value: Any) -> Any:
    kind = item["type"]
    if kind.endswith("[]"):
        element = {**item, "type": kind[:-2]}
        return [_value(element, v) for v in value]
    if kind == "tuple":
        return {c["name"]: _value(c, v) for c, v in zip(item["components"], value)}
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return hex_of(value)
    return value


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)
