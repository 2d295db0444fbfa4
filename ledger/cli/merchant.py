"""Merchant commands: registering, agents and their mandates, accepted tokens, return terms, signed
orders (quotes), deliveries, refunds, window extensions, settlement, history, figures and exports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import click
from rich.console import Group, RenderableType
from rich.progress import Progress

from .. import render
from ..errors import InvalidInput
from ..links import qr_file, qr_kind, qr_terminal
from ..models import NATIVE, PERIODS, Purchase, PurchaseRow, Reason, Settlement, Status
from ..names import Labels
from ..orders import SignedOrder, ethers_form
from ..timefmt import local, relative
from ..validate import parse_amount
from . import main, parse
from .context import Env, a_purchase, named, pass_env, plain, read_file, someone, write_file


@main.group(name="merchant")
def merchant_group() -> None:
    """Register a merchant; manage its agents and their mandates, accepted tokens, payout and store credit."""


@merchant_group.command()
@click.option("--payout", callback=someone, help="Where settled money goes (default: the signing account).")
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
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@pass_env
def show(env: Env, merchant_id: int) -> None:
    """Show a merchant's owner, payout address, terms in force and store credit settings.

    \b
    Example:
      ledger merchant show 1
    """
    info = env.ledger.merchant(merchant_id)
    cash_out = (f"{render.window(info.credit_cash_out_delay)} after it was issued" if info.credit_cash_out_delay
                else "once the shop retires all its terms")
    env.emit(info, lambda: f"merchant #{info.id}: owner {info.owner}, payout {info.payout}, "
                           f"{info.active_terms} terms in force; store credit earns a "
                           f"{info.credit_bonus_bps / 100:g} % bonus and is cashed out {cash_out}")


@merchant_group.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("address", callback=someone)
@pass_env
def payout(env: Env, merchant_id: int, address: str) -> None:
    """Change where settled money goes (owner only).

    \b
    Example:
      ledger --account 1 merchant payout 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_payout(address)
    env.emit(env.ledger.merchant(merchant_id), lambda: f"merchant #{merchant_id} is now paid to {address}")


@merchant_group.command(name="accept-token")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("token")
@click.option("--stop", is_flag=True, help="Stop accepting the token for new orders.")
@pass_env
def accept_token(env: Env, merchant_id: int, token: str, stop: bool) -> None:
    """Accept an ERC-20 token for new orders, or stop (owner only); ETH is always accepted.

    Only list tokens that pay out what they say: rebasing tokens and tokens that charge a fee on the
    sender's side break the books, and the list is what keeps them out.

    \b
    Example:
      ledger --account 1 merchant accept-token 1 "$TOKEN"         # TOKEN: the token contract's address
      ledger --account 1 merchant accept-token 1 "$TOKEN" --stop
    """
    env.ledger.merchant_desk(env.account, merchant_id).accept_token(token, not stop)
    accepted = env.ledger.accepts(merchant_id, token)
    env.emit({"merchant_id": merchant_id, "token": token, "accepted": accepted},
             lambda: f"merchant #{merchant_id} {'now accepts' if accepted else 'no longer accepts'} token {token} "
                     "for new orders")


@merchant_group.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("agent", callback=someone)
@click.argument("days")
@pass_env
def mandate(env: Env, merchant_id: int, agent: str, days: str) -> None:
    """Set how many days, in all, an agent may add to one purchase's return window (owner only; 0d: none).

    An agent starts with no extension mandate; its goodwill budget is set with `merchant budget`.

    \b
    Example:
      ledger --account 1 merchant mandate 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 7d
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_mandate(agent, parse.days(days))
    staff = env.ledger.staff(merchant_id, agent)
    env.emit({"merchant_id": merchant_id, "agent": agent, "max_extension_days": staff.max_extension_days},
             lambda: f"{agent} may add up to {staff.max_extension_days} day(s) to a purchase's return window")


@merchant_group.command(name="referral-mandate")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("agent", callback=someone)
@click.argument("commission")
@pass_env
def referral_mandate(env: Env, merchant_id: int, agent: str, commission: str) -> None:
    """Set the most referral commission an order the agent signs may carry: 5%, 250bps, 0% for none (owner
    only). Its orders may name only referrers you approved (`merchant approve-referrer`); yours, anyone.

    \b
    Example:
      ledger --account 1 merchant referral-mandate 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 5%
    """
    bps = parse.basis_points(commission, "referral commission")
    env.ledger.merchant_desk(env.account, merchant_id).set_referral_mandate(agent, bps)
    staff = env.ledger.staff(merchant_id, agent)
    env.emit({"merchant_id": merchant_id, "agent": agent, "max_referral_bps": staff.max_referral_bps},
             lambda: f"orders {agent} signs may carry up to {staff.max_referral_bps / 100:g} % referral "
                     "commission, to referrers you approved")


@merchant_group.command(name="approve-referrer")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("referrer", callback=someone)
@click.option("--revoke", is_flag=True, help="No longer let agents name this referrer.")
@pass_env
def approve_referrer(env: Env, merchant_id: int, referrer: str, revoke: bool) -> None:
    """Let your agents name a referrer (a partner, an affiliate) in the orders they sign, or with --revoke no
    longer (owner only). Orders you sign yourself may name anyone.

    \b
    Example:
      ledger --account 1 merchant approve-referrer 1 0x976EA74026E726554dB657fA54763abd0C3a0aa9
    """
    env.ledger.merchant_desk(env.account, merchant_id).approve_referrer(referrer, not revoke)
    approved = env.ledger.referrer_approved(merchant_id, referrer)
    env.emit({"merchant_id": merchant_id, "referrer": referrer, "approved": approved},
             lambda: f"agents of merchant #{merchant_id} {'may' if approved else 'may no longer'} name {referrer} "
                     "as referrer")


@merchant_group.command(name="credit-delay")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("delay")
@pass_env
def credit_delay(env: Env, merchant_id: int, delay: str) -> None:
    """Let customers cash out store credit this long after it is issued, even while the shop trades (owner
    only), for credit issued from now on: credit held keeps its date. 0s: only once the shop has retired all
    its terms.

    \b
    Example:
      ledger --account 1 merchant credit-delay 1 30d
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_credit_cash_out_delay(parse.duration(delay))
    info = env.ledger.merchant(merchant_id)
    env.emit(info, lambda: f"store credit at merchant #{merchant_id} can be cashed out "
                           + (f"{render.window(info.credit_cash_out_delay)} after it is issued"
                              if info.credit_cash_out_delay else "once the shop retires all its terms")
                           + " (credit issued from now on; credit already held keeps its date)")


@merchant_group.command(name="withdraw")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--token", default=NATIVE, help="Token of the payments (default: ETH).")
@pass_env
def withdraw_merchant(env: Env, merchant_id: int, token: str) -> None:
    """Send settlement money the payout address rejected to the merchant's current payout. Anyone may.

    \b
    Example:
      ledger --account 1 merchant withdraw 1
    """
    paid = env.ledger.withdraw_merchant(env.account, merchant_id, token)
    env.emit(paid, lambda: f"sent {env.units.amount(paid.amount, token)} to {paid.recipient}, the payout of merchant "
                           f"#{merchant_id}")


@merchant_group.command(name="credit-bonus")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("bonus")
@pass_env
def credit_bonus(env: Env, merchant_id: int, bonus: str) -> None:
    """Set the bonus customers get when they take store credit instead of money: 10%, 250bps (owner only).

    \b
    Example:
      ledger --account 1 merchant credit-bonus 1 10%
    """
    env.ledger.merchant_desk(env.account, merchant_id).set_credit_bonus(parse.basis_points(bonus, "credit bonus"))
    info = env.ledger.merchant(merchant_id)
    env.emit(info, lambda: f"store credit now earns a {info.credit_bonus_bps / 100:g} % bonus at merchant #{merchant_id}")


@main.command()
@click.argument("referrer", callback=someone)
@pass_env
def referrals(env: Env, referrer: str) -> None:
    """What a referrer earned, and from which purchases.

    \b
    Example:
      ledger referrals 0x90F79bf6EB2c4f870365E785982E1f101E93b906
    """
    earned = env.ledger.referral_earnings(referrer)
    env.emit(earned, lambda: "\n".join(
        f"{e.purchase_id[:10]} at merchant #{e.merchant_id}: {env.units.amount(e.commission)}" for e in earned
    ) + f"\ntotal {env.units.amount(sum(e.commission for e in earned))}" if earned else "no commission earned yet")


@merchant_group.command(name="add-agent")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("agent", callback=someone)
@pass_env
def add_agent(env: Env, merchant_id: int, agent: str) -> None:
    """Let an account act as staff: sign orders, log contacts, confirm deliveries (owner only). It starts
    with no goodwill budget and no extension mandate (`merchant budget`, `merchant mandate`).

    \b
    Example:
      ledger --account 1 merchant add-agent 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
    """
    result = env.ledger.merchant_desk(env.account, merchant_id).add_agent(agent)
    env.emit(result, lambda: f"{agent} is now an agent of merchant #{merchant_id}")


@merchant_group.command(name="remove-agent")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("agent", callback=someone)
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
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--window", required=True, help="Return window: 30d, 365d, 7d…; 0s for no returns.")
@click.option("--fee", default="0%", show_default=True, help="Restocking fee: 5%, 2.5% or 250bps.")
@click.option("--from-delivery", is_flag=True,
              help="The window starts when you confirm delivery (or after --max-wait if you never do).")
@click.option("--max-wait", "max_wait", help="With --from-delivery: the longest wait for delivery, after which "
                                             "the window starts anyway.  [default: 30d]")
@click.option("--item-back", is_flag=True, help="Returns must name a shipment (the item goes back).")
@pass_env
def publish(env: Env, merchant_id: int, window: str, fee: str, from_delivery: bool, max_wait: str | None,
            item_back: bool) -> None:
    """Publish return terms for new orders (owner only). Published terms never change.

    A window from delivery starts when staff confirm the delivery (`ledger deliver`); if they never do,
    it starts --max-wait after the purchase, so no window waits forever.

    \b
    Example:
      ledger --account 1 terms publish 1 --window 30d --fee 5%
      ledger --account 1 terms publish 1 --window 7d --fee 1% --from-delivery --max-wait 14d --item-back
    """
    if max_wait is not None and not from_delivery:
        raise InvalidInput("--max-wait is the longest wait for delivery: give it with --from-delivery")
    wait = parse.duration(max_wait or "30d") if from_delivery else 0
    if from_delivery and wait == 0:
        raise InvalidInput("--max-wait must be longer than 0s: it is how long the window may wait for delivery")
    desk = env.ledger.merchant_desk(env.account, merchant_id)
    terms = desk.publish_terms(parse.duration(window), parse.basis_points(fee, "restocking fee"), wait, item_back)
    env.emit(terms, lambda: render.terms_table([terms], title=f"Terms #{terms.id} published"))


@terms_group.command(name="list")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@pass_env
def list_terms(env: Env, merchant_id: int) -> None:
    """List a merchant's terms, current and retired.

    \b
    Example:
      ledger terms list 1
    """
    env.ledger.merchant(merchant_id)
    terms = env.ledger.terms_of(merchant_id)
    env.emit(terms, lambda: render.terms_table(terms, title=f"Return terms of merchant #{merchant_id}"))


@terms_group.command()
@click.argument("terms_id", type=parse.TERMS_ID)
@pass_env
def retire(env: Env, terms_id: int) -> None:
    """Stop terms from being used for new orders (owner only); purchases made keep them.

    \b
    Example:
      ledger --account 1 terms retire 2
    """
    terms = env.ledger.terms(terms_id)
    env.ledger.merchant_desk(env.account, terms.merchant_id).retire_terms(terms_id)
    retired = env.ledger.terms(terms_id)
    env.emit(retired, lambda: f"terms #{terms_id} retired; purchases made under them keep them")


@main.command()
@click.argument("terms_id", type=parse.TERMS_ID)
@click.argument("lines", nargs=-1, required=True)
@click.option("--order", "order_ref", required=True, help="Your order reference (only its hash goes on chain).")
@click.option("--for", "customer", callback=someone,
              help="The customer: an address, a development account's number or a key's name; without it anyone "
                   "may buy the order, once.")
@click.option("--valid", default="1h", show_default=True, help="How long the order may be bought: 1h, 2d…")
@click.option("--token", default=NATIVE, help="ERC-20 token to be paid in (default: ETH); the shop must accept it.")
@click.option("--referrer", callback=someone,
              help="Who referred the customer: earns --commission of what you keep, at settlement.")
@click.option("--commission", default="0%", show_default=True, help="The referrer's commission: 5%, 250bps.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the signed order to this file, for the customer to buy with `ledger buy FILE`.")
@click.option("--link", "page", metavar="URL",
              help="Print the short link that opens the order on the page `ledger serve` runs at URL (on this "
                   "database), to pay by wallet.")
@click.option("--self-contained", is_flag=True,
              help="With --link: print the link that carries the whole order (about 1,400 characters), which any "
                   "server of this ledger opens, instead of the short one.")
@click.option("--qr", metavar="[FILE]", is_flag=False, flag_value="-", type=click.Path(dir_okay=False),
              help="With --link: draw a QR code of the link here, or write it to FILE (.png or .svg).")
@click.option("--unsigned", is_flag=True,
              help="Write the order unsigned, for the --signer's wallet (a Safe) to sign: see `ledger order --help`.")
@click.option("--signer", callback=someone,
              help="With --unsigned: the owner or agent whose wallet signs (default: the --account).")
@pass_env
def quote(env: Env, terms_id: int, lines: Sequence[str], order_ref: str, customer: str | None, valid: str,
          token: str, referrer: str | None, commission: str, output: Path | None, page: str | None,
          self_contained: bool, qr: str | None, unsigned: bool, signer: str | None) -> None:
    """Sign an order under return terms TERMS_ID (as the shop's owner or an agent); nothing is sent.

    Each line is SKU:QUANTITY:UNIT_PRICE (price in whole tokens). The merchant is the one whose terms
    these are. The customer buys the order with `ledger buy FILE`, or on the page with --link; it can be
    bought once, and only until it expires. --json prints the order as the file holds it.

    --link URL keeps the signed order in the database this command reads (history.sqlite next to the
    deployment file, or LEDGER_DATABASE_URL) and prints its short link, URL/o/CODE (about 40 characters): it opens on a
    `ledger serve` at URL on the same database. --self-contained prints the long link that carries the order
    instead, for a server on another database. --qr draws a QR code of the link (put it after the lines).

    --unsigned --signer ADDRESS -o FILE writes the order for that owner's or agent's wallet to sign (a Safe, a
    hardware wallet): the file holds its EIP-712 typed data; `ledger order attach` takes the signature back.

    \b
    Example:
      ledger --account 1 quote 1 MUG:2:0.01 TEA:1:0.5 --for 0x15d3… --valid 1h --order ORDER-1001 -o order.json
      ledger --account 2 quote 1 BOOK:1:0.02 --order WEB-77 --referrer 0x9965… --commission 5% -o book.json
      ledger --account 2 quote 1 LAMP:1:0.05 --order WEB-78 --link http://shop.example:8000 --qr
      ledger --account 2 quote 1 LAMP:1:0.05 --order WEB-79 --link http://shop.example:8000 --qr lamp.png
      ledger quote 1 LAMP:1:0.05 --order WEB-80 --unsigned --signer 0x5FbD… -o lamp.json
    """
    if unsigned and (page is not None or output is None):
        raise InvalidInput("--unsigned writes the order for a wallet to sign: give the file with -o FILE (a link "
                           "follows once it is signed, `ledger order attach`)")
    if signer is not None and not unsigned:
        raise InvalidInput("--signer names whose wallet signs an --unsigned order: add --unsigned, or sign with "
                           "--account alone")
    if page is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", page):
        raise InvalidInput(f"--link takes the page's address, such as http://127.0.0.1:8000, not {page!r}")
    if page is None and (self_contained or qr is not None):
        raise InvalidInput(f"{'--qr' if qr is not None else '--self-contained'} is about the order's link: give the "
                           "page's address with --link URL too")
    qr_path = None if qr in (None, "-") else Path(qr)
    if qr == "-" and env.as_json:
        raise InvalidInput("--json prints JSON only, so the QR code cannot be drawn with it: write it to a file "
                           "with --qr FILE.png")
    if qr_path is not None:
        qr_kind(qr_path.name)  # a file of another kind is refused before anything is signed or kept
    terms = env.ledger.terms(terms_id)
    items = [parse.line(text, env.units.decimals(token), env.units.symbol(token)) for text in lines]
    desk = env.ledger.merchant_desk((signer or env.account.address) if unsigned else env.account, terms.merchant_id)
    quoting = desk.prepare_quote if unsigned else desk.quote
    signed = quoting(terms.id, items, order_ref, customer, parse.duration(valid), token, referrer,
                     parse.basis_points(commission, "referral commission"))
    if output is not None:
        existed = output.exists()
        write_file(output, signed.to_json() + "\n")
    link: str | None = None
    if page is not None:
        link = signed.link(page) if self_contained else env.ledger.order_links.link(signed, page)
    if link is not None and qr_path is not None:
        write_file(qr_path, qr_file(link, qr_path.name))
    if env.as_json:
        click.echo(signed.to_json() if link is None else json.dumps({"link": link, **json.loads(signed.to_json())},
                                                                    indent=1))
        return

    def show() -> RenderableType:
        view = render.order_view(signed.order, signed.purchase_id, env.chain.now(), env.zone, env.units.amount,
                                 title=f"Order {order_ref}", shop=env.ledger.names(terms.merchant_id))
        parts: list[RenderableType] = [view]
        if output is not None:
            where = f"{output} (in place of the file that was there)" if existed else output
            parts.append(_unsigned_written(signed, where, output) if unsigned else
                         f"signed order written to {where}; the customer buys it with `ledger buy {output}`")
        if qr_path is not None:
            parts.append(f"QR code of the link written to {qr_path}")
        if link is not None:
            parts.append("the customer pays it with their wallet at the link below (one line):")
        if output is None and link is None:
            parts.append("note: this signed order was only shown, not kept: sign it again with -o FILE (the customer "
                         "buys it with `ledger buy FILE`) or --link URL (a link to pay it at), or with --json to "
                         "print it")
        return parts[0] if len(parts) == 1 else Group(*parts)

    env.emit(signed, show)
    if link is not None:
        if qr == "-":
            click.echo(qr_terminal(link), nl=False)
        click.echo(link)  # plain: a console would wrap it


def _unsigned_written(unsigned: SignedOrder, where: Path | str, output: Path) -> str:
    return (f"unsigned order written to {where} for {unsigned.signer} to sign: its wallet signs the typed data in it "
            f"(eth_signTypedData_v4), then `ledger order attach {output} --signature 0x…`; or a Safe approves "
            f"{unsigned.purchase_id} on chain (SignMessageLib.signMessage), then `ledger order attach {output}`")


@main.group(name="order")
def order_group() -> None:
    """Sign an order written with `ledger quote --unsigned`: with a key, or with a wallet's signature.

    \b
    A Safe (or another ERC-1271 wallet) that is the shop's owner or an agent signs in one of two ways:
    - its owners sign the file's typed data (the Safe app, or eth_signTypedData_v4 through WalletConnect),
      and `ledger order attach FILE --signature 0x…` takes their signatures;
    - or the Safe approves the order's purchase id on chain (a transaction delegate-calling
      SignMessageLib.signMessage with it), and `ledger order attach FILE` takes the order without one.
    The signature is checked as the contract checks it (the wallet is asked) before the file is written:
    a signature of fewer owners than the Safe's threshold is refused, and nothing is written.
    """


@order_group.command(name="sign")
@click.argument("order_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the signed order here (default: in place of ORDER_FILE).")
@pass_env
def sign_order(env: Env, order_file: Path, output: Path | None) -> None:
    """Sign an unsigned order with the --account's key (the shop's owner or an agent).

    \b
    Example:
      ledger --account 2 order sign lamp.json
    """
    unsigned = SignedOrder.from_json(read_file(order_file, "order file"))
    signed = env.ledger.merchant_desk(env.account, unsigned.order.merchant_id).sign(unsigned)
    _write_signed(env, signed, output or order_file)


@order_group.command(name="attach")
@click.argument("order_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--signature", default="", help="The wallet's signature as 0x and hex; none when the wallet "
              "(a Safe) approved the order on chain.")
@click.option("--signer", callback=someone,
              help="The owner or agent that signed (default: the one the order was written for).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the signed order here (default: in place of ORDER_FILE).")
@pass_env
def attach(env: Env, order_file: Path, signature: str, signer: str | None, output: Path | None) -> None:
    """Attach a wallet's signature to an unsigned order, checked as the contract will check it.

    \b
    Example:
      ledger order attach lamp.json --signature 0x8f3c…41b
      ledger order attach lamp.json --signer 0x5FbD…   (approved on chain by that Safe)
    """
    unsigned = SignedOrder.from_json(read_file(order_file, "order file"))
    desk = env.ledger.merchant_desk(signer or unsigned.signer, unsigned.order.merchant_id)
    _write_signed(env, desk.attach(unsigned, signature), output or order_file)


@order_group.command(name="typed-data")
@click.argument("order_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--ethers", "for_ethers", is_flag=True,
              help="As ethers' signTypedData(domain, types, value) takes it (no EIP712Domain in types).")
def typed_data(order_file: Path, for_ethers: bool) -> None:
    """Print an order's EIP-712 typed data as JSON, for a wallet or a script to sign (eth_signTypedData_v4).

    \b
    Example:
      ledger order typed-data lamp.json --ethers
    """
    unsigned = SignedOrder.from_json(read_file(order_file, "order file"))
    typed = unsigned.order.typed_data(unsigned.chain_id, unsigned.ledger)
    click.echo(json.dumps(ethers_form(typed) if for_ethers else typed, indent=1))


def _write_signed(env: Env, signed: SignedOrder, output: Path) -> None:
    write_file(output, signed.to_json() + "\n")
    env.emit(signed, lambda: f"order {signed.purchase_id} signed by {signed.signer} and written to {output}; the "
                             f"customer buys it with `ledger buy {output}`")


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@pass_env
def deliver(env: Env, purchase_id: str) -> None:
    """Confirm a purchase was delivered, now: its return window runs its full length from now (a delivery
    cannot be dated back). Owner or agent, once, for terms whose window starts at delivery, before the
    longest wait for delivery is over.

    \b
    Example:
      ledger --account 2 deliver 0x5d2f…
    """
    purchase = env.ledger.purchase(purchase_id)
    delivered = env.ledger.merchant_desk(env.account, purchase.merchant_id).confirm_delivery(purchase.id)
    env.emit(delivered, lambda: f"delivery confirmed for {local(delivered.delivered_at, env.zone)}; return window "
                                f"{render.window_state(delivered, delivered.as_of)}")


REASONS = click.Choice([reason.name.lower() for reason in Reason])


@main.command()
@click.argument("purchase_id", callback=a_purchase)
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
    refund_amount = parse_amount(amount, env.units.decimals(purchase.token), env.units.symbol(purchase.token))
    paid = desk.goodwill_refund(purchase.id, refund_amount, reason, note)
    env.emit(paid, lambda: f"refunded {env.units.amount(paid.amount, purchase.token)} to {paid.customer}")


@main.command(name="keep-it")
@click.argument("purchase_id", callback=a_purchase)
@click.option("--line", "line_indexes", type=parse.LINE, multiple=True,
              help="Line to refund, counted from 1 (repeat; default: all open).")
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
    env.emit(paid, lambda: f"refunded {env.units.amount(paid.amount, purchase.token)} for line(s) "
                           f"{parse.line_numbers(paid.lines)}; the customer keeps them")


@main.command()
@click.argument("purchase_id", callback=a_purchase)
@click.argument("days")
@click.option("--reason", type=REASONS, default="other", show_default=True, help="Why.")
@pass_env
def extend(env: Env, purchase_id: str, days: str, reason: str) -> None:
    """Give one purchase's open return window more whole days: 7d, 2w or 7. The owner up to 365 days in
    all; an agent up to its mandate (`merchant mandate`). Not once the window has closed.

    \b
    Example:
      ledger --account 2 extend 0x5d2f… 7d --reason service_recovery
    """
    purchase = env.ledger.purchase(purchase_id)
    desk = env.ledger.merchant_desk(env.account, purchase.merchant_id)
    extended = desk.extend_window(purchase.id, parse.days(days), reason)
    env.emit(extended, lambda: _extension_words(extended))


@main.command(name="set-extension")
@click.argument("purchase_id", callback=a_purchase)
@click.argument("days")
@click.option("--reason", type=REASONS, default="other", show_default=True, help="Why.")
@pass_env
def set_extension(env: Env, purchase_id: str, days: str, reason: str) -> None:
    """Set the total days added to a purchase's return window to more than they are (owner only): it
    reopens a window that has closed, or extends an open one without a mandate. An extension given is never
    taken back.

    \b
    Example:
      ledger --account 1 set-extension 0x5d2f… 10d --reason service_recovery
    """
    purchase = env.ledger.purchase(purchase_id)
    desk = env.ledger.merchant_desk(env.account, purchase.merchant_id)
    changed = desk.set_window_extension(purchase.id, parse.days(days), reason)
    env.emit(changed, lambda: _extension_words(changed))


@merchant_group.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("agent", callback=someone)
@click.argument("amount")
@click.option("--token", default=NATIVE, help="Token of the budget (default: ETH).")
@pass_env
def budget(env: Env, merchant_id: int, agent: str, amount: str, token: str) -> None:
    """Set what an agent may refund without asking (0 revokes): its goodwill budget (owner only).

    Removing an agent voids its budgets and mandate; adding it again starts from none.

    \b
    Example:
      ledger --account 1 merchant budget 1 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 0.5
    """
    desk = env.ledger.merchant_desk(env.account, merchant_id)
    desk.set_budget(agent, parse_amount(amount, env.units.decimals(token), env.units.symbol(token)), token)
    left = desk.budget(agent, token)
    env.emit({"agent": agent, "token": token, "budget": left},
             lambda: f"{agent} may refund up to {env.units.amount(left, token)} without asking")


@main.command()
@click.argument("purchase_ids", nargs=-1, callback=a_purchase)
@click.option("--merchant", "merchant_id", type=parse.MERCHANT_ID, help="Settle every closed purchase of this merchant.")
@click.option("--include-unanswered", is_flag=True,
              help="Settle also the purchases whose customer's request (`ledger inbox`) is still unanswered.")
@pass_env
def settle(env: Env, purchase_ids: Sequence[str], merchant_id: int | None, include_unanswered: bool) -> None:
    """Pay what was kept of closed purchases to their merchants (and referrers). Anyone may do it.

    With no ids, settles every purchase whose window has closed (of --merchant, if given), in
    transactions that fit well inside a block (250 purchases in a 30-million-gas block). A purchase that
    cannot be settled (window still open, awaiting delivery, already settled) is skipped and said why; the
    others are settled all the same. A purchase whose customer asked the shop something that no reply has
    answered yet is left out and named, unless given by id or with --include-unanswered: once settled, a
    purchase can no longer be refunded.

    \b
    Example:
      ledger --account 5 settle --merchant 1
      ledger --account 5 settle 0x5d2f… 0x9e1c…
    """
    if merchant_id is not None:
        env.ledger.merchant(merchant_id)  # an unknown merchant is named, not taken as one with nothing to settle
    ledger = env.ledger
    purchases = ([ledger.purchase(p) for p in purchase_ids] if purchase_ids
                 else ledger.settleable(merchant_id, unanswered_too=include_unanswered))
    held = [] if purchase_ids or include_unanswered else [p.id for p in ledger.held_back(merchant_id)]
    settled: list[Settlement] = []
    skipped: list[dict[str, str]] = []
    if purchases:
        with Progress(console=env.console, transient=True,
                      disable=env.as_json or len(purchases) <= ledger.settle_batch_size()) as progress:
            task = progress.add_task("settling", total=len(purchases))
            batch = ledger.settle_purchases(env.account, purchases, lambda done: progress.advance(task, done))
        settled = list(batch.settled)
        skipped = [{"purchase_id": purchase_id, "reason": reason} for purchase_id, reason in batch.skipped]
    env.emit({"settled": settled, "skipped": skipped, "left_out_unanswered": held},
             lambda: _settle_report(env, settled, skipped, held))


def _extension_words(p: Purchase) -> str:
    added = f"{p.extension_days} day(s) added" if p.extension_days else "no days added"
    return f"return window of purchase {p.id[:10]}…: {added}; it {render.window_state(p, p.as_of)}"


def _settle_report(env: Env, settled: list[Settlement], skipped: list[dict[str, str]], held: list[str]) -> str:
    left = ([f"left out {len(held)} purchase(s) whose customer's request is unanswered: "
             + ", ".join(p[:10] for p in held) + " (answer them, see `ledger inbox`, or settle them by id or with "
             "--include-unanswered)"] if held else [])
    if not settled and not skipped:
        return "\n".join(["nothing to settle: no closed purchase is waiting" + (" but those" if held else ""), *left])
    report = [f"settled {len(settled)} purchase(s)" + (": " if settled else "")
              + ", ".join(f"{s.purchase_id[:10]} {env.units.amount(s.amount)}" for s in settled)]
    report += [f"skipped {s['purchase_id'][:10]}: {_skip_reason(env, s['purchase_id'], s['reason'])}" for s in skipped]
    return "\n".join(report + left)


def _skip_reason(env: Env, purchase_id: str, reason: str) -> str:
    if reason in ("window_open", "awaiting_delivery"):
        purchase = env.ledger.purchase(purchase_id)
        wait = "awaiting delivery" if reason == "awaiting_delivery" else "return window still open"
        return f"{wait}, closes {local(purchase.deadline, env.zone)} ({relative(purchase.deadline, purchase.as_of)})"
    return {"already_settled": "already settled", "unknown": "no such purchase"}[reason]


class _Filters(TypedDict):
    """The filters of ``Ledger.purchases`` the commands take as options."""

    customer: str | None
    sku: str | None
    since: int | None
    until: int | None
    status: str | None


def _purchase_filters(env: Env, customer: str | None, sku: str | None, since: str | None, until: str | None,
                      status: str | None) -> _Filters:
    return {
        "customer": customer,
        "sku": sku,
        "since": parse.moment(since, env.zone) if since is not None else None,
        "until": parse.moment(until, env.zone) if until is not None else None,
        "status": status,
    }


FILTERS = [
    click.option("--customer", callback=someone, help="Only this customer's purchases."),
    click.option("--sku", help="Only purchases with a line of this SKU."),
    click.option("--since", help="Bought at or after (2026-12-01, 2026-12-01T09:00 or a Unix time)."),
    click.option("--until", help="Bought at or before."),
    click.option("--status", type=click.Choice([s.value for s in Status]), help="Only purchases in this status."),
]


_Command = TypeVar("_Command", bound=Callable[..., Any])


def with_filters(command: _Command) -> _Command:
    for option in reversed(FILTERS):
        command = option(command)
    return command


@main.command()
@click.option("--merchant", "merchant_id", type=parse.MERCHANT_ID, help="Only this merchant's purchases.")
@with_filters
@pass_env
def purchases(env: Env, merchant_id: int | None, customer: str | None, sku: str | None, since: str | None,
              until: str | None, status: str | None) -> None:
    """Purchase history with filters.

    \b
    Example:
      ledger purchases --merchant 1 --status open --since 2026-12-01
    """
    filters = _purchase_filters(env, customer, sku, since, until, status)
    if merchant_id is not None:
        env.ledger.merchant(merchant_id)
    found = env.ledger.purchases(merchant_id=merchant_id, **filters)
    labels = env.ledger.labels(found)
    env.emit([named(p, labels) for p in found],
             lambda: render.purchases_table(found, env.chain.now(), title=f"{len(found)} purchase(s)", labels=labels))


@main.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--period", type=click.Choice(list(PERIODS)), default="all", show_default=True,
              help="The purchases made in the last 7, 30 or 90 days (each figure with its change from the same "
                   "stretch before), or all of them.")
@pass_env
def figures(env: Env, merchant_id: int, period: str) -> None:
    """How a merchant is doing: sales, refunds, return rate by value and by units, average order, escrow,
    CSAT, NPS, and the return rate of each SKU; the same numbers as the dashboard's.

    \b
    Example:
      ledger figures 1 --period 30d
    """
    found = env.ledger.figures(merchant_id, period)
    title = f"Merchant #{merchant_id}, {render.period_words(period)}"
    env.emit(found, lambda: Group(render.figures_table(found, title=title), render.skus_table(found[0])))


@main.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default: stdout).")
@with_filters
@pass_env
def export(env: Env, merchant_id: int, fmt: str, output: Path | None, customer: str | None, sku: str | None,
           since: str | None, until: str | None, status: str | None) -> None:
    """Export a shop's purchase history (as its owner or an agent) as CSV, one row a purchase: ISO 8601 times,
    amounts in whole tokens with the token's symbol and in its smallest unit, shop and product names, order
    numbers, refunds and the tracking numbers customers gave (the page's export has the same columns); or as
    JSON.

    \b
    Example:
      ledger --account 2 export 1 --output purchases.csv
    """
    filters = _purchase_filters(env, customer, sku, since, until, status)
    rows = env.ledger.merchant_desk(env.account, merchant_id).export(**filters)
    labels = env.ledger.labels(row.purchase for row in rows)
    text = (json.dumps([_named(row, labels) for row in rows], indent=2) + "\n" if fmt == "json"
            else render.purchases_csv(rows, labels, env.units))
    if output is None:
        click.echo(text, nl=False)
    else:
        write_file(output, text)
        click.echo(f"wrote {len(rows)} purchase(s) to {output}", err=True)


def _named(row: PurchaseRow, labels: Labels) -> dict[str, Any]:
    """A purchase as JSON with its names, refunds and tracking numbers beside what the chain holds."""
    return {**named(row.purchase, labels), "refunds": plain(row.refunds), "tracking_numbers": list(row.tracking)}


@main.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest this many.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write them as CSV to this file (ISO 8601 times, decimal amounts with the token's symbol).")
@pass_env
def returns(env: Env, merchant_id: int, limit: int | None, output: Path | None) -> None:
    """The shop's returns, newest first (as its owner or an agent): when, the purchase and its order number, the
    customer, the lines that came back, the refund and the tracking number the customer gave.

    \b
    Example:
      ledger --account 2 returns 1
      ledger --account 2 returns 1 --output returns.csv
    """
    rows = env.ledger.merchant_desk(env.account, merchant_id).returns(limit)
    labels = env.ledger.labels(row.purchase for row in rows)
    if output is not None:
        write_file(output, render.returns_csv(rows, labels, env.units))
        env.emit({"written": str(output), "returns": len(rows)}, lambda: f"{len(rows)} return(s) written to {output}")
        return
    env.emit(rows, lambda: render.returns_table(rows, labels, env.chain.now(), title=f"{labels.shop(merchant_id)}: "
                                                 f"{len(rows)} return(s), newest first")
             if rows else f"no returns at {labels.shop(merchant_id)} yet")


@main.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@pass_env
def inbox(env: Env, merchant_id: int) -> None:
    """What customers sent the shop (as its owner or an agent): questions, complaints, return help, with their
    texts; the unanswered first. Answer one by logging a contact for its customer about the same purchase
    (`ledger contact log`).

    \b
    Example:
      ledger --account 2 inbox 1
      ledger --account 2 contact log 1 --customer 0x15d3… --purchase 0x5d2f… --channel email --kind return_help --note "…"
    """
    items = env.ledger.merchant_desk(env.account, merchant_id).inbox()
    now = env.chain.now()
    shop = env.ledger.names(merchant_id).shop

    def show() -> RenderableType:
        from rich.table import Table

        if not items:
            return f"nothing in {shop}'s inbox"
        waiting = sum(not item.answered for item in items)
        table = Table(title=f"{shop}: {waiting} unanswered of {len(items)}")
        for column in ("when", "customer", "purchase", "about", "message", "answered"):
            table.add_column(column)
        for item in items:
            request = item.request
            table.add_row(relative(request.occurred_at, now), request.customer, (request.purchase_id or "")[:10],
                          request.kind.name.lower().replace("_", " "), item.text or "(no text kept here)",
                          relative(item.reply.occurred_at, now) if item.reply else "no")
        return table

    env.emit(items, show)
