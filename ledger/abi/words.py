"""Event data read word by word, for the shapes our events use.

eth-abi's decoder is general and checks as it goes, at about 100 µs an event, which alone would hold the
indexer under the 20,000 events/s it must decode. Our events' data are static values (integers, addresses,
booleans, fixed bytes, tuples of those) and arrays of such tuples: for those a reader is compiled once per
event from the ABI and reads the 32-byte words straight off the data, with the same checks eth-abi makes
(padding, ranges, offsets and lengths inside the data) and the values in the form ``decoding.Record`` gives
(checksummed addresses, 0x-hex bytes, dicts for tuples). Any other shape returns no reader, and the
decoder uses eth-abi for it. ``tests/history/test_history_words.py`` holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..codec import checksum, hex_of
from ..errors import MalformedData

Read = Callable[[bytes, int], Any]
"""Reads a value whose head starts at a byte position of the data."""



def reader(inputs: list[dict[str, Any]]) -> Callable[[bytes], list[Any]] | None:
    """A function from an event's data to its non-indexed values, or None for a shape not handled here."""
    parts = []
    for item in inputs:
        compiled = _compile(item)
        if compiled is None:
            return None
        parts.append(compiled)

    def read(data: bytes) -> list[Any]:
        values, head = [], 0
        for words, dynamic, read_value in parts:
            if dynamic:
                values.append(read_value(data, _offset(data, head, 0)))
                head += 32
            else:
                values.append(read_value(data, head))
                head += 32 * words
        return values

    return read


def _compile(item: dict[str, Any]) -> tuple[int, bool, Read] | None:
    """(head words, dynamic?, reader) of one input."""
    kind = item["type"]
    if kind.endswith("[]"):
        element = _compile({**item, "type": kind[:-2]})
        if element is None or element[1]:
            return None
        size, _, read_element = element
        return 1, True, lambda data, at: [read_element(data, start)
                                          for start in _elements(data, at, size)]
    if kind == "tuple":
        components = [(c["name"], _compile(c)) for c in item["components"]]
        if any(compiled is None or compiled[1] for _, compiled in components):
            return None
        layout, position = [], 0
        for name, (size, _, read_component) in components:  # type: ignore[misc]
            layout.append((name, position, read_component))
            position += 32 * size
        return position // 32, False, lambda data, at: {name: read(data, at + offset)
                                                        for name, offset, read in layout}
    elementary = _elementary(kind)
    return None if elementary is None else (1, False, elementary)


def _elementary(kind: str) -> Read | None:
    if kind == "address":
        return _address
    if kind == "bool":
        return _bool
    sized = re.fullmatch(r"(u?int)(\d*)|bytes(\d+)", kind)
    if sized is None:
        return None
    if sized.group(3):
        return _fixed_bytes(int(sized.group(3)))
    bits = int(sized.group(2) or 256)
    return _unsigned(bits) if sized.group(1) == "uint" else _signed(bits)


def _word(data: bytes, at: int) -> bytes:
    word = data[at:at + 32]
    if len(word) != 32:
        raise MalformedData(f"the data end at byte {len(data)}, before the word at byte {at}")
    return word


def _unsigned(bits: int) -> Read:
    limit = 1 << bits

    def read(data: bytes, at: int) -> int:
        value = int.from_bytes(_word(data, at), "big")
        if value >= limit:
            raise MalformedData(f"a uint{bits} at byte {at} is out of range")
        return value

    return read


def _signed(bits: int) -> Read:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)

    def read(data: bytes, at: int) -> int:
        value = int.from_bytes(_word(data, at), "big", signed=True)
        if not low <= value < high:
            raise MalformedData(f"an int{bits} at byte {at} is out of range")
        return value

    return read


def _fixed_bytes(size: int) -> Read:
    def read(data: bytes, at: int) -> str:
        word = _word(data, at)
        if any(word[size:]):
            raise MalformedData(f"bytes{size} at byte {at} has non-zero padding")
        return hex_of(word[:size])

    return read


def _address(data: bytes, at: int) -> str:
    word = _word(data, at)
    if any(word[:12]):
        raise MalformedData(f"the address at byte {at} has non-zero padding")
    return checksum(word[12:])


def _bool(data: bytes, at: int) -> bool:
    value = int.from_bytes(_word(data, at), "big")
    if value > 1:
        raise MalformedData(f"the boolean at byte {at} is {value}")
    return value == 1


def _offset(data: bytes, at: int, base: int) -> int:
    """Where a dynamic value starts: the offset in the word at ``at``, from ``base``, inside the data."""
    offset = base + int.from_bytes(_word(data, at), "big")
    if offset + 32 > len(data):
        raise MalformedData(f"the offset at byte {at} points past the data")
    return offset


def _elements(data: bytes, at: int, size: int) -> range:
    """The byte positions of an array's elements (``size`` words each) whose length word is at ``at``."""
    count = int.from_bytes(_word(data, at), "big")
    first = at + 32
    if first + count * 32 * size > len(data):
        raise MalformedData(f"the array at byte {at} claims {count} elements, more than the data hold")
    return range(first, first + count * 32 * size, 32 * size)
