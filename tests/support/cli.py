"""The command line tests' helper."""

from __future__ import annotations


def ok(result) -> str:
    """The output of a CLI run that must succeed (its output shown if it did not)."""
    assert result.exit_code == 0, result.output
    return result.output
