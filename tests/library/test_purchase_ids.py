"""A purchase named by the start of its id (`Ledger.purchase_id`), as the tables show it (``0x26d8…``): a unique
start names its purchase, an ambiguous one is refused with the candidates, one that starts no id is an unknown
purchase; the index and the log scan resolve alike."""

from __future__ import annotations

from collections import defaultdict

import pytest

from ledger.errors import InvalidInput, UnknownPurchase
from tests.support.world import ETHER, buy, twin


@pytest.fixture
def bought(shop, customer, week_terms):
    """17 purchases: two of them start with the same hex digit, whatever the ids are."""
    return [buy(shop, customer, week_terms.id, [("MUG", 1, ETHER // 1000)], f"IDS-{i}").id for i in range(17)]


def test_a_unique_start_names_its_purchase_and_an_ambiguous_one_lists_candidates(ledger, bought) -> None:
    by_first: dict[str, list[str]] = defaultdict(list)
    for purchase_id in bought:
        by_first[purchase_id[2]].append(purchase_id)
    shared = next(ids for ids in by_first.values() if len(ids) > 1)
    for reading in (ledger, twin(ledger, False)):  # the index, then the log scan
        for purchase_id in bought:
            assert reading.purchase_id(purchase_id) == purchase_id  # a whole id is itself
            shortest = next(purchase_id[:n] for n in range(3, 66) if
                            sum(other.startswith(purchase_id[:n]) for other in bought) == 1)
            assert reading.purchase_id(shortest + "…") == purchase_id  # as a table shows it
            assert reading.purchase_id(shortest[2:].upper()) == purchase_id  # without 0x, in capitals
        with pytest.raises(InvalidInput, match="purchase ids start with") as refused:
            reading.purchase_id(shared[0][:3])
        assert all(f"{candidate[:14]}…" in str(refused.value) for candidate in sorted(shared)[:5])
    unused = next(d for d in "0123456789abcdef" if d not in by_first) if len(by_first) < 16 else None
    if unused is not None:
        with pytest.raises(UnknownPurchase):
            ledger.purchase_id("0x" + unused)
    with pytest.raises(UnknownPurchase):
        ledger.purchase_id(bought[0][:20] + ("0" if bought[0][20] != "0" else "1"))


@pytest.mark.parametrize("given", ["0x", "", "0xzz12", "12g4", "0x" + "1" * 65])
def test_what_is_no_purchase_id_is_one_line(ledger, given) -> None:
    with pytest.raises(InvalidInput, match="is not a purchase id"):
        ledger.purchase_id(given)
