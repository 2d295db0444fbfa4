"""Customer commands (and contact logging for both sides): buy, history, one purchase in detail,
returns, contacts, withdrawing refunds an address rejected."""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.console import Group
from rich.table import Table

from .. import render
from ..models import NATIVE, Channel, ContactKind, Purchase
from ..timefmt import local, relative
from . import main, parse
from .context import Env, pass_env


@main.command()
@click.argument("terms_id", type=int)
@click.argument("lines", nargs=-1, required=True)
@click.option("--order", "order_ref", required=True, help="The shop's order reference (only its hash goes on chain).")
@click.option("--token", default=NATIVE, help="ERC-20 token to pay with (default: ETH).")
@pass_env
def buy(env: Env, terms_id: int, lines: Sequence[str], order_ref: str, token: str) -> None:
    """Buy under return terms TERMS_ID; each line is SKU:QUANTITY:UNIT_PRICE (price in whole tokens).

    \b
    Example:
      ledger --account 3 buy 1 MATTRESS:1:0.8 PILLOW:2:0.05 --order DR-1001
    """
    decimals = env.decimals(token)
    purchase = env.ledger.customer_desk(env.account).buy(
        terms_id, [parse.line(text, decimals) for text in lines], order_ref, token
    )
    env.emit(purchase, lambda: _detail(env, purchase, [], title="Bought"))


@main.group(name="my")
def my_group() -> None:
    """The signing account's own purchases, contacts and refunds, at every merchant."""


@my_group.command(name="purchases")
@click.option("--status", help="Only purchases in this status (open, closed, returned…).")
@pass_env
def my_purchases(env: Env, status: str | None) -> None:
    """My purchases, with status and time left to return.

    \b
    Example:
      ledger --account 3 my purchases --status open
    """
    mine = env.ledger.customer_desk(env.account).purchases(status=status)
    env.emit(mine, lambda: render.purchases_table(mine, env.chain.now(), title="My purchases"))


@my_group.command(name="contacts")
@pass_env
def my_contacts(env: Env) -> None:
    """My contact moments with every merchant.

    \b
    Example:
      ledger --account 3 my contacts
    """
    mine = env.ledger.customer_desk(env.account).contacts()
    env.emit(mine, lambda: render.contacts_table(mine, env.chain.now(), title="My contacts"))


@my_group.command(name="refunds")
@pass_env
def my_refunds(env: Env) -> None:
    """Refunds I received (returns and goodwill).

    \b
    Example:
      ledger --account 3 my refunds
    """
    mine = env.ledger.customer_desk(env.account).refunds()
    env.emit(mine, lambda: "\n".join(
        f"{r.kind:8} {env.amount(r.amount)} for purchase {r.purchase_id[:10]}" for r in mine) or "no refunds yet")


@main.command()
@click.argument("purchase_id")
@pass_env
def purchase(env: Env, purchase_id: str) -> None:
    """One purchase in detail: lines, terms, refund if returned today, contacts.

    \b
    Example:
      ledger purchase 0x5d2f…
    """
    found = env.ledger.purchase(purchase_id)
    contacts = env.ledger.contacts(purchase_id=found.id)
    data = {"purchase": found, "refund_if_returned_now": _refund_now(found), "contacts": contacts}
    env.emit(data, lambda: _detail(env, found, contacts))


def _refund_now(p: Purchase) -> int:
    return p.refund_for(p.open_lines) if p.window_open and p.open_lines else 0


def _detail(env: Env, p: Purchase, contacts: list, title: str = "Purchase") -> Group:
    lines = Table(title=title)
    for column in ("line", "sku", "quantity", "unit price", "total", "returned"):
        lines.add_column(column)
    for i, line in enumerate(p.lines):
        lines.add_row(str(i), line.sku, str(line.quantity), env.amount(line.unit_price, p.token),
                      env.amount(line.total, p.token), "yes" if i in p.returned_lines else "")
    now = p.as_of
    deadline = p.deadline
    facts = [
        f"purchase {p.id}",
        f"customer {p.customer} at merchant #{p.merchant_id}, bought {local(p.purchased_at, env.zone)}",
        f"paid {env.amount(p.paid, p.token)}, refunded {env.amount(p.refunded, p.token)}, "
        f"in escrow {env.amount(p.in_escrow, p.token)}; status: {', '.join(sorted(s.value for s in p.statuses))}",
        f"terms #{p.terms_id}: {render.window(p.return_window)} from "
        f"{'delivery' if p.window_from_delivery else 'purchase'}, restocking fee {p.restocking_fee_bps / 100:g} %, "
        f"{'item goes back' if p.item_must_be_returned else 'keep the item'}",
        "return window: " + (f"closes {local(deadline, env.zone)} ({relative(deadline, now)})" if deadline
                             else "starts when delivery is confirmed"),
        f"refund if everything still open is returned now: {env.amount(_refund_now(p), p.token)}",
    ]
    parts: list = [lines, *facts]
    if contacts:
        parts.append(render.contacts_table(contacts, now, title="Contacts about this purchase"))
    return Group(*parts)


@main.command(name="return")
@click.argument("purchase_id")
@click.option("--line", "line_indexes", type=int, multiple=True, help="Line to return (repeat; default: all open).")
@click.option("--shipment", help="Return shipment reference, when the terms say the item goes back.")
@pass_env
def return_items(env: Env, purchase_id: str, line_indexes: Sequence[int], shipment: str | None) -> None:
    """Return some or all lines inside the window; the contract refunds you at once.

    \b
    Example:
      ledger --account 3 return 0x5d2f… --line 1 --shipment PARCEL-123
    """
    desk = env.ledger.customer_desk(env.account)
    refund = desk.return_items(purchase_id, list(line_indexes) or None, shipment)
    token = env.ledger.purchase(refund.purchase_id).token
    env.emit(refund, lambda: f"returned line(s) {', '.join(map(str, refund.lines))}: "
                             f"{env.amount(refund.amount, token)} refunded to {refund.customer}")


@main.command()
@click.option("--token", default=NATIVE, help="Token of the payments (default: ETH).")
@click.option("--to", "to", help="Where to send them (default: the signing account).")
@pass_env
def withdraw(env: Env, token: str, to: str | None) -> None:
    """Collect payments kept for you because your address rejected them.

    \b
    Example:
      ledger --account 3 withdraw --to 0x90F79bf6EB2c4f870365E785982E1f101E93b906
    """
    paid = env.ledger.withdraw(env.account, token, to)
    env.emit(paid, lambda: f"sent {env.amount(paid.amount, token)} to {paid.recipient}")


@main.group(name="contact")
def contact_group() -> None:
    """Log and list contact moments (calls, mails, chats, video, chatbot…)."""


@contact_group.command(name="log")
@click.argument("merchant_id", type=int)
@click.option("--channel", required=True, type=click.Choice([c.name.lower() for c in Channel]))
@click.option("--kind", required=True, type=click.Choice([k.name.lower() for k in ContactKind]))
@click.option("--customer", help="Log as the merchant's staff about this customer (default: log as the customer).")
@click.option("--purchase", "purchase_id", help="The purchase it was about.")
@click.option("--note", default="", help="What was said; kept off chain, only its hash is recorded.")
@click.option("--at", "occurred_at", help="When it happened (default: now).")
@pass_env
def log_contact(env: Env, merchant_id: int, channel: str, kind: str, customer: str | None, purchase_id: str | None,
                note: str, occurred_at: str | None) -> None:
    """Log a contact moment, as the merchant's staff (--customer) or as the customer.

    \b
    Example:
      ledger --account 2 contact log 1 --customer 0x90F7… --channel chat --kind question --note "which size?"
    """
    at = parse.moment(occurred_at, env.zone) if occurred_at else None
    if customer:
        desk = env.ledger.merchant_desk(env.account, merchant_id)
        moment = desk.log_contact(customer, channel, kind, note, purchase_id, at)
    else:
        moment = env.ledger.customer_desk(env.account).log_contact(merchant_id, channel, kind, note, purchase_id, at)
    env.emit(moment, lambda: f"{moment.channel.name.lower()} {moment.kind.name.lower().replace('_', ' ')} logged "
                             f"for {moment.customer} at merchant #{moment.merchant_id}")


@contact_group.command(name="list")
@click.option("--merchant", "merchant_id", type=int, help="Only this merchant's contacts.")
@click.option("--customer", help="Only this customer's contacts.")
@click.option("--purchase", "purchase_id", help="Only contacts about this purchase.")
@pass_env
def list_contacts(env: Env, merchant_id: int | None, customer: str | None, purchase_id: str | None) -> None:
    """List contact moments.

    \b
    Example:
      ledger contact list --merchant 1
    """
    found = env.ledger.contacts(merchant_id, customer, purchase_id)
    env.emit(found, lambda: render.contacts_table(found, env.chain.now()))
