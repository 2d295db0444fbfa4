"""The word-by-word reader of event data (``ledger.history.words``) gives what eth-abi gives, for every
event of our contracts it handles, and refuses what eth-abi refuses."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_utils.abi import collapse_if_tuple
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.abi import words
from ledger.abi.decoder import _value
from ledger.artifacts import load_artifact


def _events() -> list[dict]:
    return [entry for name in ("Ledger", "LedgerModule", "LedgerFeedback")
            for entry in load_artifact(name)["abi"] if entry["type"] == "event"]


def _values(item: dict) -> st.SearchStrategy:
    """Values eth-abi can encode for an ABI input."""
    kind = item["type"]
    if kind.endswith("[]"):
        return st.lists(_values({**item, "type": kind[:-2]}), max_size=4)
    if kind == "tuple":
        return st.tuples(*(_values(c) for c in item["components"]))
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
    if kind == "bool":
        return st.booleans()
    if kind.startswith("bytes") and kind != "bytes":
        return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))
    if kind.startswith("uint"):
        return st.integers(0, 2 ** int(kind[4:] or 256) - 1)
    if kind.startswith("int"):
        bits = int(kind[3:] or 256)
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return st.binary(max_size=70) if kind == "bytes" else st.text(max_size=20)


HANDLED = [(event, words.reader([i for i in event["inputs"] if not i["indexed"]])) for event in _events()]


def test_every_event_of_ours_is_read_word_by_word() -> None:
    assert [event["name"] for event, read in HANDLED if read is None] == []


@pytest.mark.parametrize("event,read", HANDLED, ids=[event["name"] for event, _ in HANDLED])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_words_read_what_eth_abi_decodes(event, read, data) -> None:
    plain = [i for i in event["inputs"] if not i["indexed"]]
    types = [collapse_if_tuple(i) for i in plain]
    encoded = encode(types, [data.draw(_values(i)) for i in plain])
    expected = [_value(item, value) for item, value in zip(plain, decode(types, encoded))]
    assert read(encoded) == expected
    if encoded:
        with pytest.raises(words.MalformedData):
            read(encoded[:-1])  # cut short


def test_padding_and_ranges_are_checked() -> None:
    read = words.reader([{"name": "a", "type": "address"}, {"name": "n", "type": "uint8"},
                         {"name": "b", "type": "bool"}, {"name": "r", "type": "bytes4"}])
    good = encode(["address", "uint8", "bool", "bytes4"], ["0x" + "11" * 20, 7, True, b"abcd"])
    assert read(good)[1:] == [7, True, "0x61626364"]
    for position, what in ((0, "address"), (62, "uint8"), (95, "boolean"), (127, "bytes4")):
        bad = bytearray(good)
        bad[position] = 2
        with pytest.raises(words.MalformedData, match=what):
            read(bytes(bad))


def test_shapes_not_handled_fall_back_to_eth_abi() -> None:
    assert words.reader([{"name": "s", "type": "string"}]) is None
    assert words.reader([{"name": "t", "type": "tuple", "components": [{"name": "x", "type": "bytes"}]}]) is None
