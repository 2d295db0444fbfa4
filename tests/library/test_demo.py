"""The demo story runs end to end through the command line and tells what happened."""

from __future__ import annotations

from click.testing import CliRunner

from ledger.cli import main


def test_demo_tells_the_whole_story() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Return terms" in out and "365 days" in out and "7 days" in out and "delivery, or day 14" in out
    # The shop signs an order (with a referral it grants), the customer it names buys it, nobody else can.
    assert "DreamRest's checkout signs Alice's order" in out and "Order DR-1001" in out
    assert "referrer Carol earns 5 % of what the shop keeps" in out
    assert "refused: order 0x" in out and "is made out to" in out
    # Bob's floor mats: 0.2 ETH less the 1 % restocking fee, refunded automatically.
    assert "refunds 0.198 ETH at once" in out
    # An extension within the agent's mandate of days; beyond it, refused.
    assert "refused: an extension of 5 days in all is more than the 3 days allowed" in out
    # The late return of the car is refused with the deadline in words.
    assert "refused: the return window of purchase" in out and "ago" in out
    # Carol's full mattress price comes back (no fee, no shipping), through a signed request she paid no gas for.
    assert "signs a return request" in out and "pays her 1 ETH" in out
    assert "DreamRest reviews" in out and "average 5.0/5 over 1 review(s)" in out
    assert "1 review(s) not counted: the purchase was fully refunded" in out
    assert "+100" in out and "5.0/5" in out  # NPS and CSAT in the figures
    # A goodwill refund within a budget, store credit with a bonus, a referral commission.
    assert "goodwill budget" in out and "more bonus comes when the purchase settles" in out
    assert "who referred Alice, earns" in out and "0.0385 ETH" in out
    # Settlement (skipping what was settled before) and the closing figures.
    assert "Northgate settles: 12.002 ETH" in out
    assert "settles 3 purchase(s) in one transaction and passes over the 1 settled before" in out
    assert "How the shops are doing" in out and "51.4%" in out and "1.13 ETH of 2.2 ETH" in out
    # Northgate's 12.2 ETH car of which 0.198 ETH came back: 1.6 % by value, 1 of its 2 units, never "100 %"
    assert "1.6%" in out and "0.198 ETH of 12.2 ETH" in out and "1 of 2 units" in out and "100%" not in out


def _leaf_commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    leaves = list(_leaf_commands(main))
    assert len(leaves) > 20
    for path in leaves:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example:" in result.output, path


def test_the_commands_of_contract_v2_are_there_and_v1_ones_gone() -> None:
    leaves = set(_leaf_commands(main))
    for path in [("quote",), ("buy",), ("cancel-request",), ("set-extension",), ("credit", "cash-out"),
                 ("merchant", "accept-token"), ("merchant", "mandate"), ("merchant", "credit-delay"),
                 ("merchant", "withdraw")]:
        assert path in leaves, path
    assert ("merchant", "referral") not in leaves
