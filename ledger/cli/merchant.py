"""Merchant commands: registering, agents, return terms, deliveries, contacts, refunds, settlement,
history, figures and exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.progress import Progress

from .. import render
from ..models import NATIVE, Purchase, Reason, Status
from ..timefmt import local
from . import main, parse
from .context import Env, pass_env, plain

SETTLE_BATCH = 40
"""Purchases settled per transaction (about 21,000 gas each, well inside a block)."""


@main.group(name="merchant")
def merchant_group() -> None:
    """Register a merchant and manage its agents and payout address."""


@merchant_group.command()
@click.option("--payout", help="Where settled money goes (default: the signing account).")
@pass_env
def register(env: Env, payout: str | None) -> None:
    """Register a merchant owned by the signing account.

    \b
    Example:
      ledger --account 1 merchant register --payout 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
    """
    desk = env.ledger.register_merchant(env.account, payout)
    info = desk.info()
    env.emit(info, lambda: f"merchant #{info.id} registered, owned by {info.owner}, paid to {info.payout}")


@merchant_group.command()
@click.argument("merchant_id", type=int)
@pass_env
def show(env: Env, merchant_id: int) -> None:
    """Show a merchant's owner and payout address.

    \b
    Example:
      ledger merchant show 1
    """
    info = env.ledger.merchant(merchant_id)
    env.emit(info, lambda: f"merchant #{info.id}: owner {info.owner}, payout {info.payout}")


@merchant_group.command()
@click.argument("merchant_id", type=int)
@click.argument("address")
@pass_env
def payout(env: Env, merchant_id: int, address: str) -> None:
    """Change where settled money goes (owner only).

    \b
    Example:
      ledger --account 1 merchant payout 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_payout(address)
    env.emit(env.ledger.merchant(merchant_id), lambda: f"merchant #{merchant_id} is now paid to {address}")


@merchant_group.command()
@click.argument("merchant_id", type=int)
@click.argument("commission")
@pass_env
def referral(env: Env, merchant_id: int, commission: str) -> None:
    """Set the commission referrers earn on new purchases: 5%, 2.5% or 250bps of what you keep (owner only).

    \b
    Example:
      ledger --account 1 merchant referral 1 5%
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_referral_commission(parse.basis_points(commission))
    info = env.ledger.merchant(merchant_id)
    env.emit(info, lambda: f"referrers now earn {info.referral_bps / 100:g} % on new purchases at merchant #{merchant_id}")


@merchant_group.command(name="credit-bonus")
@click.argument("merchant_id", type=int)
@click.argument("bonus")
@pass_env
def credit_bonus(env: Env, merchant_id: int, bonus: str) -> None:
    """Set the bonus customers get when they take store credit instead of money: 10%, 250bps (owner only).

    \b
    Example:
      ledger --account 1 merchant credit-bonus 1 10%
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_credit_bonus(parse.basis_points(bonus))
    info = env.ledger.merchant(merchant_id)
    env.emit(info, lambda: f"store credit now earns a {info.credit_bonus_bps / 100:g} % bonus at merchant #{merchant_id}")


@main.command()
@click.argument("referrer")
@pass_env
def referrals(env: Env, referrer: str) -> None:
    """What a referrer earned, and from which purchases.

    \b
    Example:
      ledger referrals 0x90F79bf6EB2c4f870365E785982E1f101E93b906
    """
    earned = env.ledger.referral_earnings(referrer)
    env.emit(earned, lambda: "\n".join(
        f"{e.purchase_id[:10]} at merchant #{e.merchant_id}: {env.amount(e.commission)}" for e in earned
    ) + f"\ntotal {env.amount(sum(e.commission for e in earned))}" if earned else "no commission earned yet")


@merchant_group.command(name="add-agent")
@click.argument("merchant_id", type=int)
@click.argument("agent")
@pass_env
def add_agent(env: Env, merchant_id: int, agent: str) -> None:
    """Let an account act as staff: log contacts, confirm deliveries, goodwill refunds (owner only).

    \b
    Example:
      ledger --account 1 merchant add-agent 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
    """
    result = env.ledger.merchant_desk(env.account, merchant_id).add_agent(agent)
    env.emit(result, lambda: f"{agent} is now an agent of merchant #{merchant_id}")


@merchant_group.command(name="remove-agent")
@click.argument("merchant_id", type=int)
@click.argument("agent")
@pass_env
def remove_agent(env: Env, merchant_id: int, agent: str) -> None:
    """Take an agent's rights away (owner only).

    \b
    Example:
      ledger --account 1 merchant remove-agent 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
    """
    result = env.ledger.merchant_desk(env.account, merchant_id).remove_agent(agent)
    env.emit(result, lambda: f"{agent} is no longer an agent of merchant #{merchant_id}")


@main.group(name="terms")
def terms_group() -> None:
    """Publish, list and retire return terms."""


@terms_group.command()
@click.argument("merchant_id", type=int)
@click.option("--window", required=True, help="Return window: 30d, 365d, 7d…; 0s for no returns.")
@click.option("--fee", default="0%", show_default=True, help="Restocking fee: 5%, 2.5% or 250bps.")
@click.option("--from-delivery", is_flag=True, help="The window starts when delivery is confirmed.")
@click.option("--item-back", is_flag=True, help="Returns must name a shipment (the item goes back).")
@pass_env
def publish(env: Env, merchant_id: int, window: str, fee: str, from_delivery: bool, item_back: bool) -> None:
    """Publish return terms for new purchases (owner only). Published terms never change.

    \b
    Example:
      ledger --account 1 terms publish 1 --window 7d --fee 1% --from-delivery --item-back
    """
    desk = env.ledger.merchant_desk(env.account, merchant_id)
    terms = desk.publish_terms(parse.duration(window), parse.basis_points(fee), from_delivery, item_back)
    env.emit(terms, lambda: render.terms_table([terms], title=f"Terms #{terms.id} published"))


@terms_group.command(name="list")
@click.argument("merchant_id", type=int)
@pass_env
def list_terms(env: Env, merchant_id: int) -> None:
    """List a merchant's terms, current and retired.

    \b
    Example:
      ledger terms list 1
    """
    terms = env.ledger.terms_of(merchant_id)
    env.emit(terms, lambda: render.terms_table(terms, title=f"Return terms of merchant #{merchant_id}"))


@terms_group.command()
@click.argument("terms_id", type=int)
@pass_env
def retire(env: Env, terms_id: int) -> None:
    """Stop terms from being used for new purchases (owner only); purchases made keep them.

    \b
    Example:
      ledger --account 1 terms retire 2
    """
    terms = env.ledger.terms(terms_id)
    env.ledger.merchant_desk(env.account, terms.merchant_id).retire_terms(terms_id)
    retired = env.ledger.terms(terms_id)
    env.emit(retired, lambda: f"terms #{terms_id} retired; purchases made under them keep them")


@main.command()
@click.argument("purchase_id")
@pass_env
def deliver(env: Env, purchase_id: str) -> None:
    """Confirm a purchase was delivered (starts windows that run from delivery). Owner or agent.

    \b
    Example:
      ledger --account 2 deliver 0x5d2f…
    """
    purchase = env.ledger.purchase(purchase_id)
    delivered = env.ledger.merchant_desk(env.account, purchase.merchant_id).confirm_delivery(purchase.id)
    env.emit(delivered, lambda: f"delivery confirmed; {render.window_state(delivered, delivered.delivered_at)}")


REASONS = click.Choice([reason.name.lower() for reason in Reason])


@main.command()
@click.argument("purchase_id")
@click.argument("amount")
@click.option("--reason", type=REASONS, default="other", show_default=True, help="Why.")
@click.option("--note", default="", help="A note, kept off chain (its hash is recorded).")
@pass_env
def refund(env: Env, purchase_id: str, amount: str, reason: str, note: str) -> None:
    """Refund a customer out of what a purchase still holds, at any time before settlement (goodwill).
    The owner refunds freely; an agent within its goodwill budget.

    AMOUNT is in whole tokens (ether for ETH), or with a unit: 0.05, 0.05eth, 20gwei.

    \b
    Example:
      ledger --account 2 refund 0x5d2f… 0.05 --reason late_delivery --note "parcel lost a week"
    """
    purchase = env.ledger.purchase(purchase_id)
    desk = env.ledger.merchant_desk(env.account, purchase.merchant_id)
    paid = desk.goodwill_refund(purchase.id, parse.amount(amount, env.decimals(purchase.token)), reason, note)
    env.emit(paid, lambda: f"refunded {env.amount(paid.amount, purchase.token)} to {paid.customer}")


@main.command(name="keep-it")
@click.argument("purchase_id")
@click.option("--line", "line_indexes", type=int, multiple=True, help="Line to refund (repeat; default: all open).")
@click.option("--reason", type=REASONS, default="other", show_default=True, help="Why.")
@pass_env
def keep_it(env: Env, purchase_id: str, line_indexes: Sequence[int], reason: str) -> None:
    """Refund lines the customer keeps: no return, no restocking fee (owner, or an agent within budget).

    \b
    Example:
      ledger --account 2 keep-it 0x5d2f… --line 1 --reason damaged
    """
    purchase = env.ledger.purchase(purchase_id)
    desk = env.ledger.merchant_desk(env.account, purchase.merchant_id)
    paid = desk.refund_without_return(purchase.id, list(line_indexes) or None, reason)
    env.emit(paid, lambda: f"refunded {env.amount(paid.amount, purchase.token)} for line(s) "
                           f"{', '.join(map(str, paid.lines))}; the customer keeps them")


@main.command()
@click.argument("purchase_id")
@click.argument("by")
@click.option("--reason", type=REASONS, default="other", show_default=True, help="Why.")
@pass_env
def extend(env: Env, purchase_id: str, by: str, reason: str) -> None:
    """Give one purchase more time to be returned: 7d, 36h… (owner, or an agent holding a budget).

    \b
    Example:
      ledger --account 2 extend 0x5d2f… 7d --reason service_recovery
    """
    purchase = env.ledger.purchase(purchase_id)
    desk = env.ledger.merchant_desk(env.account, purchase.merchant_id)
    extended = desk.extend_window(purchase.id, parse.duration(by), reason)
    env.emit(extended, lambda: f"return window now {render.window_state(extended, env.chain.now())}")


@merchant_group.command()
@click.argument("merchant_id", type=int)
@click.argument("agent")
@click.argument("amount")
@click.option("--token", default=NATIVE, help="Token of the budget (default: ETH).")
@pass_env
def budget(env: Env, merchant_id: int, agent: str, amount: str, token: str) -> None:
    """Set what an agent may refund without asking (0 revokes): a goodwill mandate (owner only).

    \b
    Example:
      ledger --account 1 merchant budget 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 0.5
    """
    desk = env.ledger.merchant_desk(env.account, merchant_id)
    desk.set_budget(agent, parse.amount(amount, env.decimals(token)), token)
    left = desk.budget(agent, token)
    env.emit({"agent": agent, "token": token, "budget": left},
             lambda: f"{agent} may refund up to {env.amount(left, token)} without asking")


@main.command()
@click.argument("purchase_ids", nargs=-1)
@click.option("--merchant", "merchant_id", type=int, help="Settle every closed purchase of this merchant.")
@pass_env
def settle(env: Env, purchase_ids: Sequence[str], merchant_id: int | None) -> None:
    """Pay what was kept of closed purchases to their merchants. Anyone may do it.

    With no ids, settles every purchase whose window has closed (of --merchant, if given),
    in transactions of up to 40 purchases.

    \b
    Example:
      ledger --account 5 settle --merchant 1
    """
    ids = list(purchase_ids) or [p.id for p in env.ledger.settleable(merchant_id)]
    settled = []
    with Progress(console=env.console, transient=True, disable=env.as_json or len(ids) <= SETTLE_BATCH) as progress:
        task = progress.add_task("settling", total=len(ids))
        for start in range(0, len(ids), SETTLE_BATCH):
            batch = ids[start:start + SETTLE_BATCH]
            settled += env.ledger.settle(env.account, batch)
            progress.advance(task, len(batch))
    env.emit(settled, lambda: f"settled {len(settled)} purchase(s): "
                              + ", ".join(f"{s.purchase_id[:10]} {env.amount(s.amount)}" for s in settled)
             if settled else "nothing to settle: no closed purchase is waiting")


def _purchase_filters(env: Env, customer: str | None, sku: str | None, since: str | None, until: str | None,
                      status: str | None) -> dict[str, object]:
    return {
        "customer": customer,
        "sku": sku,
        "since": parse.moment(since, env.zone) if since else None,
        "until": parse.moment(until, env.zone) if until else None,
        "status": status,
    }


FILTERS = [
    click.option("--customer", help="Only this customer's purchases."),
    click.option("--sku", help="Only purchases with a line of this SKU."),
    click.option("--since", help="Bought at or after (2026-12-01, 2026-12-01T09:00 or a Unix time)."),
    click.option("--until", help="Bought at or before."),
    click.option("--status", type=click.Choice([s.value for s in Status]), help="Only purchases in this status."),
]


def with_filters(command):
    for option in reversed(FILTERS):
        command = option(command)
    return command


@main.command()
@click.option("--merchant", "merchant_id", type=int, help="Only this merchant's purchases.")
@with_filters
@pass_env
def purchases(env: Env, merchant_id: int | None, customer: str | None, sku: str | None, since: str | None,
              until: str | None, status: str | None) -> None:
    """Purchase history with filters.

    \b
    Example:
      ledger purchases --merchant 1 --status open --since 2026-12-01
    """
    found = env.ledger.purchases(merchant_id=merchant_id, **_purchase_filters(env, customer, sku, since, until, status))
    env.emit(found, lambda: render.purchases_table(found, env.chain.now(), title=f"{len(found)} purchase(s)"))


@main.command()
@click.argument("merchant_id", type=int)
@pass_env
def figures(env: Env, merchant_id: int) -> None:
    """Sales, refunds, return rate and contacts per purchase of a merchant.

    \b
    Example:
      ledger figures 1
    """
    found = env.ledger.figures(merchant_id)
    env.emit(found, lambda: render.figures_table(found, title=f"Merchant #{merchant_id}"))


@main.command()
@click.argument("merchant_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default: stdout).")
@with_filters
@pass_env
def export(env: Env, merchant_id: int, fmt: str, output: Path | None, customer: str | None, sku: str | None,
           since: str | None, until: str | None, status: str | None) -> None:
    """Export a merchant's purchase history as CSV (one row a purchase) or JSON.

    \b
    Example:
      ledger export 1 --format csv --output purchases.csv
    """
    found = env.ledger.purchases(merchant_id=merchant_id, **_purchase_filters(env, customer, sku, since, until, status))
    text = json.dumps(plain(found), indent=2) + "\n" if fmt == "json" else _csv(found, env)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"wrote {len(found)} purchase(s) to {output}", err=True)


def _csv(found: list[Purchase], env: Env) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["purchase_id", "customer", "merchant_id", "terms_id", "token", "price", "paid", "refunded",
                     "purchased_at", "return_deadline", "status", "lines", "returned_lines"])
    for p in found:
        writer.writerow([
            p.id, p.customer, p.merchant_id, p.terms_id, p.token, p.price, p.paid, p.refunded,
            local(p.purchased_at, env.zone), local(p.deadline, env.zone) if p.deadline else "",
            " ".join(sorted(s.value for s in p.statuses)),
            "; ".join(f"{line.sku} x{line.quantity} @ {line.unit_price}" for line in p.lines),
            " ".join(str(i) for i in sorted(p.returned_lines)),
        ])
    return buffer.getvalue()
