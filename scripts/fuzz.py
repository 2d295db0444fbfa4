"""Long random use: run the ledger's state machine (``tests/fuzz/fuzz_machine.py``: every feature, the gaming moves,
the invariants after every step) on anvil for ``--steps`` steps in all, then print how many sequences, steps
and invariant checks passed and how long it took. A failure prints the shortest sequence hypothesis found
and exits with 1.

    python scripts/fuzz.py --steps 10000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fuzz"))

from fuzz_machine import STATS, LedgerMachine, world  # noqa: E402 (found through the path above)


def _summary(started: float) -> str:
    elapsed = time.monotonic() - started
    return (f"{STATS['sequences']} sequences, {STATS['steps']} steps, {STATS['checks']} invariant checks passed "
            f"({STATS['refusals']} refusals as expected) in {elapsed:.0f} s "
            f"({STATS['steps'] / max(elapsed, 1e-9):.1f} steps/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="steps to run in all (default 10000)")
    parser.add_argument("--sequence", type=int, default=20, help="most steps in one sequence (default 20)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.sequence < 2:
        parser.error("--steps must be at least 1 and --sequence at least 2")
    started = time.monotonic()
    world()  # the chain and the set-up, outside the timing of the first sequence
    print(f"set up in {time.monotonic() - started:.0f} s; running {args.steps} steps", flush=True)
    started = time.monotonic()
    while STATS["steps"] < args.steps:
        sequences = min(50, (args.steps - STATS["steps"]) // args.sequence + 1)
        run = settings(max_examples=sequences, stateful_step_count=args.sequence, deadline=None,
                       database=None, suppress_health_check=list(HealthCheck),
                       phases=[Phase.generate, Phase.shrink])
        try:
            run_state_machine_as_test(LedgerMachine, settings=run)
        except BaseException:
            print(f"FAILED after {_summary(started)}", flush=True)
            raise
        print(_summary(started), flush=True)
    print(f"passed: {_summary(started)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
