"""Customer commands (and contact logging for both sides): buying a shop's signed order, history, one
purchase in detail, returns (signed ones too), store credit, contacts, feedback, withdrawing refunds an
address rejected."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table

from .. import render, validate
from ..desks import MerchantDesk
from ..desks.contacts import ContactRow
from ..desks.customer import cashable_now, check_order
from ..desks.prepared import Prepared
from ..errors import InvalidInput, InvalidRows
from ..models import (
    CASHABLE_WHEN_CLOSED,
    NATIVE,
    Channel,
    ContactKind,
    ContactMoment,
    Credit,
    Purchase,
    SignedReturn,
)
from ..orders import MAX_REQUEST_VALIDITY, SignedOrder
from ..sending import Call
from ..timefmt import local
from ..validate import parse_amount
from . import main, parse
from .context import Env, a_purchase, named, pass_env, read_file, someone, write_file


@main.command()
@click.argument("order_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--use-credit", "use_credit", help="Pay this much with your store credit at the shop, or 'all'.")
@click.option("--yes", is_flag=True, help="Pay without being asked (for scripts).")
@pass_env
def buy(env: Env, order_file: Path, use_credit: str | None, yes: bool) -> None:
    """Buy an order the shop signed (`ledger quote … -o FILE`), paying its total into escrow.

    ORDER_FILE is the order as JSON, or - to read it from stdin. The order names the lines, the price,
    the return terms and who may buy it; nothing of it can be changed here. What it pays, to which shop and
    under which terms is shown first and asked (answer y; a script may pipe it in); --yes pays without asking
    (needed when the order itself comes on standard input).

    \b
    Example:
      ledger --account 4 buy order.json
      ledger --account 4 buy order.json --use-credit all
    """
    signed = SignedOrder.from_json(read_file(order_file, "order file"))
    order = signed.order
    desk = env.ledger.customer_desk(env.account)
    credit = 0
    if use_credit == "all":
        credit = min(desk.credit(order.merchant_id, order.token), order.total)
    elif use_credit is not None:
        credit = parse_amount(use_credit, env.units.decimals(order.token), env.units.symbol(order.token))
    if not yes and not _agreed(env, signed, credit, str(order_file) == "-"):
        click.echo("nothing was paid", err=True)
        return
    purchase = desk.buy(signed, credit)
    env.emit(purchase, lambda: _detail(env, purchase, [], title="Bought"))


def _agreed(env: Env, signed: SignedOrder, credit: int, from_stdin: bool) -> bool:
    """Whether the buyer, shown the order (lines, shop, terms, what leaves their wallet), says to pay it. An order
    the shop could not sell them is refused first, in words; where nobody can answer, ``--yes`` is asked for."""
    order = signed.order
    check_order(env.ledger.reads, signed, env.account.address)
    due, shop = env.units.amount(order.total - credit, order.token), env.ledger.names(order.merchant_id)
    if from_stdin:
        raise InvalidInput(f"buying pays {due} to {shop.shop}: add --yes to pay without being asked (the order came "
                           "on standard input, so no answer can)")
    console = Console(stderr=True, emoji=False, markup=False)
    console.print(render.order_view(order, signed.purchase_id, env.chain.now(), env.zone, env.units.amount,
                                    title="You are about to buy", shop=shop))
    paid_with = f" and {env.units.amount(credit, order.token)} of your store credit" if credit else ""
    console.print(f"{env.account.address} pays {due}{paid_with} into the ledger's escrow for {shop.shop}")
    try:
        return click.confirm("Pay?", default=False, err=True)  # a terminal, or a "y" piped in by whoever runs it
    except click.Abort:
        raise InvalidInput(f"no answer came, so nothing was paid: answer y to pay {due} to {shop.shop}, or add "
                           "--yes to pay without being asked") from None


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
    labels = env.ledger.labels(mine)
    env.emit([named(p, labels) for p in mine],
             lambda: render.purchases_table(mine, env.chain.now(), title="My purchases", labels=labels))


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


@my_group.command(name="credit")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--token", default=NATIVE, help="Token of the credit (default: ETH).")
@pass_env
def my_credit(env: Env, merchant_id: int, token: str) -> None:
    """My store credit at a merchant.

    \b
    Example:
      ledger --account 3 my credit 1
    """
    env.ledger.merchant(merchant_id)  # an unknown merchant is named, not shown as one where you hold nothing
    held = env.ledger.customer_desk(env.account).credit_held(merchant_id, token)
    env.emit({"merchant_id": merchant_id, "token": token, "credit": held},
             lambda: _credit_words(env, merchant_id, token, held))


def _credit_words(env: Env, merchant_id: int, token: str, held: Credit) -> str:
    if held.amount == 0:
        return f"no store credit at {env.ledger.names(merchant_id).shop}"
    if cashable_now(env.ledger.reads, merchant_id, token, held):
        when = "now (`ledger credit cash-out`)"
    elif held.cashable_at != CASHABLE_WHEN_CLOSED:
        when = f"from {local(held.cashable_at, env.zone)}"
    else:
        when = "once the shop retires all its terms"
    return (f"{env.units.amount(held.amount, token)} store credit at {env.ledger.names(merchant_id).shop}, "
            f"{env.units.amount(held.cash, token)} of it money you paid, which can be cashed out {when}")


@main.group(name="credit")
def credit_group() -> None:
    """Store credit: see it with `ledger my credit`, take its money part out with `credit cash-out`."""


@credit_group.command(name="cash-out")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--token", default=NATIVE, help="Token of the credit (default: ETH).")
@pass_env
def cash_out(env: Env, merchant_id: int, token: str) -> None:
    """Take the money part of your store credit at a merchant out; the bonus part goes back to the shop.

    Allowed from the date fixed when your credit was issued (`ledger my credit` says when), or at once when
    the shop has no active terms or no longer accepts the credit's token.

    \b
    Example:
      ledger --account 4 credit cash-out 1
    """
    desk = env.ledger.customer_desk(env.account)
    held = desk.credit_held(merchant_id, token)
    paid = desk.cash_out_credit(merchant_id, token)
    bonus = held.amount - held.cash
    env.emit({"merchant_id": merchant_id, "token": token, "cash": paid, "bonus_returned": bonus},
             lambda: f"cashed out {env.units.amount(paid, token)} of store credit at {env.ledger.names(merchant_id).shop}"
                     + (f"; the {env.units.amount(bonus, token)} bonus went back to the shop" if bonus else ""))


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
        f"{r.kind:8} {env.units.amount(r.amount)} for purchase {r.purchase_id[:10]}" for r in mine) or "no refunds yet")


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@pass_env
def purchase(env: Env, purchase_id: str) -> None:
    """One purchase in detail: lines, terms, refund if returned today, contacts.

    \b
    Example:
      ledger purchase 0x5d2f…
    """
    found = env.ledger.purchase(purchase_id)
    contacts = env.ledger.contacts(purchase_id=found.id)
    data = {"purchase": named(found, env.ledger.labels([found])), "refund_if_returned_now": _refund_now(found),
            "contacts": contacts}
    env.emit(data, lambda: _detail(env, found, contacts))


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the receipt as a PDF to this file.")
@pass_env
def receipt(env: Env, purchase_id: str, output: Path | None) -> None:
    """A purchase's receipt: shop and product names, order number, lines, terms, refunds (money and store credit
    apart) and the proof on chain; printed, or written as a PDF with -o.

    \b
    Example:
      ledger receipt 0x5d2f… -o receipt.pdf
    """
    from ..receipts import pdf, refund_words

    found = env.ledger.receipt(purchase_id)
    p = found.purchase
    if output is not None:
        existed = output.exists()
        write_file(output, pdf(found, env.units.amount))
        env.emit({"written": str(output)}, lambda: f"receipt written to {output}"
                 + (" (in place of the file that was there)" if existed else ""))
        return

    def show() -> Group:
        table = Table(title=f"{found.shop}: receipt" + (f" for order {found.order_number}" if found.order_number else ""))
        for column in ("product", "sku", "quantity", "unit price", "total"):
            table.add_column(column)
        for line in found.lines:
            table.add_row(line.product + (" (returned)" if line.returned else ""), line.sku, str(line.quantity),
                          env.units.amount(line.unit_price, p.token), env.units.amount(line.total, p.token))
        facts = [f"bought {local(p.purchased_at, env.zone)} by {p.customer}; paid {env.units.amount(p.paid, p.token)}"
                 + (f", of it {env.units.amount(p.credit_used, p.token)} in store credit" if p.credit_used else ""),
                 f"return terms: {found.terms}"]
        facts += [f"{local(r.refunded_at, env.zone)}: {refund_words(r, p.lines)}: {env.units.amount(r.amount, p.token)}"
                  for r in found.refunds]
        if found.refunds:
            facts.append(f"refunded as money {env.units.amount(found.refunded_money, p.token)}, as store credit "
                         f"{env.units.amount(found.refunded_credit, p.token)}")
        facts.append(f"on chain: purchase {p.id}, block {p.block_number}, transaction {p.tx_hash}")
        return Group(table, *facts)

    env.emit(found, show)


def _refund_now(p: Purchase) -> int:
    return p.refund_for(p.open_lines) if p.window_open and p.open_lines else 0


def _detail(env: Env, p: Purchase, contacts: list[ContactMoment], title: str = "Purchase") -> Group:
    lines = Table(title=title)
    for column in ("line", "sku", "quantity", "unit price", "total", "returned"):
        lines.add_column(column)
    for i, line in enumerate(p.lines):
        lines.add_row(str(i + 1), line.sku, str(line.quantity), env.units.amount(line.unit_price, p.token),
                      env.units.amount(line.total, p.token), "yes" if i in p.returned_lines else "")
    facts = [
        f"purchase {p.id}",
        f"customer {p.customer} at {env.ledger.names(p.merchant_id).shop}, bought {local(p.purchased_at, env.zone)}",
        f"paid {env.units.amount(p.paid, p.token)}"
        + (f" ({env.units.amount(p.credit_used, p.token)} of it in store credit)" if p.credit_used else "")
        + f", refunded {env.units.amount(p.refunded, p.token)}, in escrow {env.units.amount(p.in_escrow, p.token)}; "
          f"status: {', '.join(sorted(s.value for s in p.statuses))}",
        f"terms #{p.terms_id}: {render.terms_words(p)}",
        f"return window: {render.deadline_words(p, env.zone)}",
        f"refund if everything still open is returned now: {env.units.amount(_refund_now(p), p.token)}",
    ]
    if p.referrer != NATIVE:
        facts.append(f"referrer {p.referrer} earns {p.referral_bps / 100:g} % of what the shop keeps")
    parts: list[RenderableType] = [lines, *facts]
    if contacts:
        parts.append(render.contacts_table(contacts, p.as_of, title="Contacts about this purchase"))
    return Group(*parts)


@main.command(name="return")
@click.argument("purchase_id", callback=a_purchase)
@click.option("--line", "line_indexes", type=parse.LINE, multiple=True,
              help="Line to return, counted from 1 as the tables number them (repeat; default: all open).")
@click.option("--shipment", help="Return shipment reference, when the terms say the item goes back.")
@click.option("--sign-only", "sign_only", type=click.Path(path_type=Path, dir_okay=False),
              help="Send nothing: write a signed request to this file for anyone to submit (`ledger relay`).")
@click.option("--valid-for", default="1d", show_default=True, help="How long a signed request may be submitted.")
@click.option("--credit", is_flag=True, help="Take store credit at the shop (plus its bonus) instead of money.")
@pass_env
def return_items(env: Env, purchase_id: str, line_indexes: Sequence[int], shipment: str | None,
                 sign_only: Path | None, valid_for: str, credit: bool) -> None:
    """Return some or all lines inside the window; the contract refunds you at once.

    With --sign-only you need no ether: the signed request is written to a file, and the shop or
    any relayer submits it with `ledger relay FILE`; the refund still comes to you. Each request has
    a random nonce, so an unused one blocks no other; `ledger cancel-request FILE` voids it.

    \b
    Example:
      ledger --account 3 return 0x5d2f… --line 1 --shipment PARCEL-123
      ledger --account 3 return 0x5d2f… --sign-only return-request.json
      ledger --account 3 return 0x5d2f… --credit
    """
    desk = env.ledger.customer_desk(env.account)
    lines = list(line_indexes) or None
    if sign_only is not None:
        signed = desk.sign_return(purchase_id, lines, shipment, parse.duration(valid_for))
        write_file(sign_only, json.dumps(asdict(signed), indent=2) + "\n")
        env.emit(signed, lambda: f"signed return request written to {sign_only}; anyone may submit it with "
                                 f"`ledger relay {sign_only}`, or you void it with `ledger cancel-request {sign_only}`")
        return
    if credit:
        credited = desk.return_for_credit(purchase_id, lines, shipment)
        purchase = env.ledger.purchase(credited.purchase_id)
        env.emit(credited, lambda: f"returned line(s) {parse.line_numbers(credited.lines)}: "
                                   f"{env.units.amount(credited.amount, purchase.token)} store credit at "
                                   f"{env.ledger.names(purchase.merchant_id).shop}")
        return
    refund = desk.return_items(purchase_id, lines, shipment)
    token = env.ledger.purchase(refund.purchase_id).token
    env.emit(refund, lambda: f"returned line(s) {parse.line_numbers(refund.lines)}: "
                             f"{env.units.amount(refund.amount, token)} refunded to {refund.customer}")


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@click.argument("order_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--line", "line_indexes", type=parse.LINE, multiple=True,
              help="Line to send back, counted from 1 (repeat; default: all open).")
@click.option("--shipment", help="Return shipment reference, when the terms say the item goes back.")
@pass_env
def exchange(env: Env, purchase_id: str, order_file: Path, line_indexes: Sequence[int], shipment: str | None) -> None:
    """Exchange lines of a purchase for the shop's new order (`ledger quote … -o FILE`), in one transaction.

    The lines are returned as by `ledger return` (inside the window, restocking fee and all) and what they
    refund pays the new order without leaving escrow: you pay only the difference, or get what is left over
    back. The new purchase has its own return window. ORDER_FILE is the order as JSON, or - for stdin.

    \b
    Example:
      ledger --account 3 exchange 0x5d2f… order-size-l.json --line 1
    """
    signed = SignedOrder.from_json(read_file(order_file, "order file"))
    done = env.ledger.customer_desk(env.account).exchange(purchase_id, signed, list(line_indexes) or None, shipment)
    token = done.purchase.token

    def words() -> Group:
        money = (f"you paid {env.units.amount(done.paid, token)} on top" if done.paid else
                 f"{env.units.amount(done.back, token)} came back to you" if done.back else "nothing more to pay")
        return Group(f"exchanged line(s) {parse.line_numbers(done.returned.lines)} of purchase "
                     f"{done.returned.purchase_id[:10]}…: their refund of {env.units.amount(done.returned.amount, token)} "
                     f"paid the new order; {money}", _detail(env, done.purchase, [], title="New purchase"))

    env.emit(done, words)


@main.command()
@click.option("--token", default=NATIVE, help="Token of the payments (default: ETH).")
@click.option("--to", "to", callback=someone, help="Where to send them (default: the signing account).")
@pass_env
def withdraw(env: Env, token: str, to: str | None) -> None:
    """Collect payments kept for you because your address rejected them.

    \b
    Example:
      ledger --account 3 withdraw --to 0x90F79bf6EB2c4f870365E785982E1f101E93b906
    """
    paid = env.ledger.withdraw(env.account, token, to)
    env.emit(paid, lambda: f"sent {env.units.amount(paid.amount, token)} to {paid.recipient}")


@main.group(name="contact")
def contact_group() -> None:
    """Log and list contact moments (calls, mails, chats, video, chatbot…)."""


@contact_group.command(name="log")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--channel", required=True, type=click.Choice([c.name.lower() for c in Channel]))
@click.option("--kind", required=True, type=click.Choice([k.name.lower() for k in ContactKind]))
@click.option("--customer", callback=someone,
              help="Log as the merchant's staff about this customer (default: log as the customer).")
@click.option("--purchase", "purchase_id", callback=a_purchase, help="The purchase it was about.")
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
    at = parse.moment(occurred_at, env.zone) if occurred_at is not None else None
    if customer is not None:
        desk = env.ledger.merchant_desk(env.account, merchant_id)
        moment = desk.log_contact(customer, channel, kind, note, purchase_id, at)
    else:
        moment = env.ledger.customer_desk(env.account).log_contact(merchant_id, channel, kind, note, purchase_id, at)
    env.emit(moment, lambda: f"{moment.channel.name.lower()} {moment.kind.name.lower().replace('_', ' ')} logged "
                             f"for {moment.customer} at merchant #{moment.merchant_id}")


CONTACT_COLUMNS = ("channel", "kind", "customer", "purchase", "time", "text")
"""The columns of a contacts file for ``contact import``; ``purchase`` and ``time`` may be left empty."""


@contact_group.command(name="import")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_env
def import_contacts(env: Env, merchant_id: int, csv_file: Path) -> None:
    """Log many contact moments from a CSV file (from a CRM), as the merchant's staff, in bulk.

    The file has a header row and the columns channel, kind, customer, purchase (may be empty), time (may
    be empty for now; 2026-12-24T14:00 or a Unix time) and text. Only the hash of the text goes on chain.
    Every row is checked first: if one is malformed, each bad row is named and nothing is sent.

    \b
    Example:
      ledger --account 2 contact import 1 contacts.csv
    """
    desk = env.ledger.merchant_desk(env.account, merchant_id)
    numbers, prepared = _contact_rows(env, desk, read_file(csv_file, "contacts file"), csv_file)
    report = env.ledger.send_many([Call(env.account, one.function) for one in prepared])
    env.ledger.keep_texts(*(text for o in report.outcomes if o.result is not None for text in prepared[o.index].texts))
    failed = [{"row": numbers[o.index], "error": str(o.error)} for o in report.failed]
    env.emit({"sent": len(report.sent), "failed": failed, "tx_hashes": [r.tx_hash for r in report.sent]},
             lambda: "\n".join([f"sent {len(report.sent)} contact moments, failed {len(failed)}"]
                               + [f"row {f['row']}: {f['error']}" for f in failed]))
    if failed:
        raise click.exceptions.Exit(1)


def _contact_rows(env: Env, desk: MerchantDesk, text: str, path: Path) -> tuple[list[int], list[Prepared[Any]]]:
    """The row numbers and prepared calls (``MerchantDesk.prepare_log_contacts``) of every row of a contacts
    file, all checked first; ``InvalidRows`` naming each bad row when any is."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CONTACT_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{path} has no column {', '.join(missing)}: the header row must name "
                           f"{', '.join(CONTACT_COLUMNS)}; nothing was sent")
    numbers: list[int] = []
    rows: list[ContactRow] = []
    problems: dict[int, str] = {}
    for row in reader:
        number = reader.line_num
        try:
            if None in row or None in row.values():
                raise InvalidInput(f"it does not have the header's {len(reader.fieldnames or [])} columns")
            at = parse.moment(row["time"].strip(), env.zone) if row["time"].strip() else None
            rows.append(ContactRow(row["customer"].strip(), row["channel"].strip(), row["kind"].strip(), row["text"],
                                   row["purchase"].strip() or None, at))
            numbers.append(number)
        except InvalidInput as error:
            problems[number] = str(error)
    prepared = []
    for number, one in zip(numbers, desk.prepare_log_contacts(rows)):
        if isinstance(one, InvalidInput):
            problems[number] = str(one)
        else:
            prepared.append(one)
    if problems:
        raise InvalidRows(f"{path} has {len(problems)} bad row(s), nothing was sent",
                          [f"row {number}: {problems[number]}" for number in sorted(problems)])
    if not prepared:
        raise InvalidInput(f"{path} has no contact rows under its header: nothing to send")
    return numbers, prepared


@contact_group.command(name="list")
@click.option("--merchant", "merchant_id", type=parse.MERCHANT_ID, help="Only this merchant's contacts.")
@click.option("--customer", callback=someone, help="Only this customer's contacts.")
@click.option("--purchase", "purchase_id", callback=a_purchase, help="Only contacts about this purchase.")
@pass_env
def list_contacts(env: Env, merchant_id: int | None, customer: str | None, purchase_id: str | None) -> None:
    """List contact moments.

    \b
    Example:
      ledger contact list --merchant 1
    """
    if merchant_id is not None:
        env.ledger.merchant(merchant_id)  # an unknown merchant is named, not shown as an empty list
    found = env.ledger.contacts(merchant_id, customer, purchase_id)
    env.emit(found, lambda: render.contacts_table(found, env.chain.now()))


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@click.argument("rating", type=click.IntRange(1, 5))
@click.option("--text", default="", help="The review; kept off chain, only its hash is recorded.")
@pass_env
def review(env: Env, purchase_id: str, rating: int, text: str) -> None:
    """Review one of your purchases (1-5 stars); a new review replaces your earlier one.

    \b
    Example:
      ledger --account 4 review 0x5d2f… 5 --text "slept like a baby"
    """
    posted = env.ledger.customer_desk(env.account).review(purchase_id, rating, text)
    env.emit(posted, lambda: f"{'review replaced' if posted.replaced else 'review posted'}: {posted.rating}/5 "
                             f"for purchase {posted.purchase_id[:10]}")


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@click.argument("score", type=click.IntRange(0, 10))
@pass_env
def nps(env: Env, purchase_id: str, score: int) -> None:
    """How likely are you to recommend the shop, after this purchase (0-10)? Once per purchase.

    \b
    Example:
      ledger --account 4 nps 0x5d2f… 9
    """
    given = env.ledger.customer_desk(env.account).give_nps(purchase_id, score)
    env.emit(given, lambda: f"net promoter score {given.score} recorded for purchase {given.subject[:10]}")


@main.command()
@click.option("--merchant", "merchant_id", type=parse.MERCHANT_ID, help="Only this merchant's reviews (with its averages).")
@click.option("--sku", help="Only reviews of purchases with this SKU.")
@pass_env
def reviews(env: Env, merchant_id: int | None, sku: str | None) -> None:
    """Verified-purchase reviews (the latest per purchase), with what each purchase paid and whether it was kept:
    a review of a purchase fully refunded is listed, not counted in the averages.

    \b
    Example:
      ledger reviews --merchant 1 --sku MATTRESS-QUEEN
    """
    if merchant_id is not None:
        env.ledger.merchant(merchant_id)
    found = env.ledger.reviews(merchant_id, sku)
    summary = env.ledger.ratings(merchant_id) if merchant_id else None
    env.emit({"reviews": found, "summary": summary}, lambda: render.reviews_table(found, summary))


@contact_group.command(name="rate")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("content_hash")
@click.argument("score", type=click.IntRange(1, 5))
@pass_env
def rate_contact(env: Env, merchant_id: int, content_hash: str, score: int) -> None:
    """Rate one of your contact moments (1-5), once; CONTENT_HASH (or a start of it no other has) identifies it
    (see `my contacts --json`).

    \b
    Example:
      ledger --account 4 contact rate 1 0x1c8a… 5
    """
    desk = env.ledger.customer_desk(env.account)
    wanted = content_hash.strip().removesuffix("…").lower()
    wanted = wanted if wanted.startswith("0x") else "0x" + wanted
    found = [c for c in desk.contacts() if c.merchant_id == merchant_id and c.content_hash.startswith(wanted)]
    if not found or len(wanted) < 3:
        raise InvalidInput(f"you have no contact {content_hash} with merchant #{merchant_id}: see `ledger my contacts --json`")
    if len({c.content_hash for c in found}) > 1:
        raise InvalidInput(f"{len(found)} of your contacts with merchant #{merchant_id} start with {content_hash!r} ("
                           + ", ".join(f"{c.content_hash[:14]}…" for c in found[:5]) + "): give more of its digits")
    contact = found[0]
    rated = desk.rate_contact(contact, score)
    env.emit(rated, lambda: f"contact rated {rated.score}/5" + (
        "" if rated.counted else f"; it does not count in the shop's CSAT: {rated.not_counted_because}"))


@main.command()
@click.argument("request_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_env
def relay(env: Env, request_file: Path) -> None:
    """Submit a customer's signed return request (from `ledger return --sign-only`), paying its gas.

    \b
    Example:
      ledger --account 2 relay return-request.json
    """
    request = signed_return_from_file(request_file)
    longest = env.chain.now() + MAX_REQUEST_VALIDITY
    if request.deadline > longest:
        raise InvalidInput(f"{request_file} stays valid until {_deadline_words(request.deadline)}, longer than the "
                           f"{MAX_REQUEST_VALIDITY // 86_400} days a signed return may run: nothing was sent; ask the "
                           "customer to sign a new one")
    refund = env.ledger.submit_return(env.account, request)
    token = env.ledger.purchase(refund.purchase_id).token
    env.emit(refund, lambda: f"submitted: {env.units.amount(refund.amount, token)} refunded to {refund.customer}")


@main.command(name="cancel-request")
@click.argument("request_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_env
def cancel_request(env: Env, request_file: Path) -> None:
    """Void a return request you signed and did not use, so nobody can submit it.

    \b
    Example:
      ledger --account 4 cancel-request return-request.json
    """
    request = signed_return_from_file(request_file)
    env.ledger.customer_desk(env.account).cancel_return(request)
    env.emit(request, lambda: f"return request for purchase {request.purchase_id[:10]}… cancelled: "
                              "nobody can submit it any more")


def signed_return_from_file(path: Path) -> SignedReturn:
    """A signed return request written by `ledger return --sign-only`, every field checked, so a file that
    was damaged or made by hand is refused in words before anything is sent."""
    text = read_file(path, "return request")
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise InvalidInput(f"{path} is not a signed return request (it is not JSON): sign one with "
                           "`ledger return --sign-only`") from error
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path} is not a signed return request: sign one with `ledger return --sign-only`")
    missing = [name for name in SIGNED_RETURN_FIELDS if name not in raw]
    unknown = sorted(set(raw) - set(SIGNED_RETURN_FIELDS))
    if missing or unknown:
        problem = (f"it has no field {', '.join(missing)}" if missing
                   else f"it has unknown field(s) {', '.join(unknown)}")
        raise InvalidInput(f"{path} is not a signed return request ({problem}): sign one with "
                           "`ledger return --sign-only`")
    try:
        return SignedReturn(
            purchase_id="0x" + validate.bytes32(raw["purchase_id"], "purchase id").hex(),
            line_mask=_field_number(raw, "line_mask", 2**32), shipment_ref="0x" + validate.bytes32(
                raw["shipment_ref"], "shipment reference").hex(),
            nonce=_field_number(raw, "nonce", 2**256), deadline=_field_number(raw, "deadline", 2**256),
            signature=_field_hex(raw, "signature"), chain_id=_field_number(raw, "chain_id", 2**64),
            contract=validate.address(raw["contract"], "contract"),
        )
    except InvalidInput as error:
        raise InvalidInput(f"{path} is damaged: {error}; ask the customer to sign a new request") from error


SIGNED_RETURN_FIELDS = tuple(field.name for field in dataclasses.fields(SignedReturn))

def _field_number(raw: dict[str, Any], name: str, below: int) -> int:
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < below:
        raise InvalidInput(f"its {name.replace('_', ' ')} {value!r} is not a whole number from 0 to {below - 1}")
    return value


def _field_hex(raw: dict[str, Any], name: str) -> str:
    value = raw[name]
    if not isinstance(value, str) or not re.fullmatch(r"0x(?:[0-9a-fA-F]{2}){1,200}", value):
        raise InvalidInput(f"its {name} {value!r} is not 0x followed by hex digits")
    return value


def _deadline_words(deadline: int) -> str:
    return local(deadline) if deadline <= parse.LAST_MOMENT else "after the year 9999"
