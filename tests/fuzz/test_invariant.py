"""Long random use in CI: the state machine of ``fuzz_machine.py`` (every feature, the gaming moves, and the
invariants after every step) on anvil, for a fixed set of sequences (the same ones on every run).
``./dev.sh fuzz --steps N`` runs it longer, with new sequences each time."""

from __future__ import annotations

from fuzz_machine import LedgerMachine
from hypothesis import HealthCheck, settings

SEQUENCES = 300
STEPS = 6
"""Per sequence, the set-up step included: five moves, each followed by the invariants."""

LedgerMachine.TestCase.settings = settings(
    max_examples=SEQUENCES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)
test_random_use_on_anvil_keeps_the_books = LedgerMachine.TestCase
"""Named for anvil so that the embedded-chain-only run of the older web3 (``-k "not anvil"``) leaves it out."""
