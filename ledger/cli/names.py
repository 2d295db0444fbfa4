"""A shop's names: its profile (`ledger merchant profile`) and its catalogue (`ledger catalog import`, `list`),
signed by the staff account and kept off chain beside the history index."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..names import catalogue_file
from . import main, parse
from .context import Env, pass_env, read_file
from .merchant import merchant_group


@merchant_group.command()
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.option("--name", help="The shop's name, as customers see it.")
@click.option("--support", help="How customers reach the shop: an e-mail address, a telephone number or a web address.")
@click.option("--logo", help="An https:// address of the shop's logo.")
@pass_env
def profile(env: Env, merchant_id: int, name: str | None, support: str | None, logo: str | None) -> None:
    """Show the shop's profile, or sign a new one (owner or agent) with --name, --support and --logo.

    The profile is signed by the account and kept off chain; a field left out keeps what the profile in place
    says. Every earlier version is kept beside it.

    \b
    Example:
      ledger --account 1 merchant profile 1 --name "Kettle & Co" --support help@kettle.example
    """
    ledger = env.ledger
    ledger.merchant(merchant_id)
    current = ledger.names(merchant_id).profile
    if name is None and support is None and logo is None:
        env.emit(current, lambda: _profile_words(merchant_id, current) if current else
                 f"shop #{merchant_id} has no profile yet: sign one with `ledger --account N merchant profile "
                 f"{merchant_id} --name \"…\"`")
        return
    if name is None and current is None:
        raise click.UsageError("the shop has no profile yet: give its --name")
    signed = ledger.merchant_desk(env.account, merchant_id).set_profile(
        name if name is not None else current.name if current else "",
        support if support is not None else current.support if current else "",
        logo if logo is not None else current.logo if current else "")
    env.emit(signed, lambda: f"profile signed by {signed.signer} and kept: "
                             + _profile_words(merchant_id, ledger.names(merchant_id).profile))


def _profile_words(merchant_id: int, shown: object) -> str:
    name, support, logo = (getattr(shown, field) for field in ("name", "support", "logo"))
    parts = [f"{name} (shop #{merchant_id})", f"support: {support or 'none given'}"]
    if logo:
        parts.append(f"logo: {logo}")
    return "; ".join(parts)


@main.group(name="catalog")
def catalog_group() -> None:
    """Name a shop's products (SKU → product name), signed by its staff and kept off chain."""


@catalog_group.command(name="import")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_env
def import_catalog(env: Env, merchant_id: int, csv_file: Path) -> None:
    """Name products from a CSV file (columns sku, name and optionally picture, an https:// address).

    Every row is checked first: if one is not fit, each bad row is named and nothing is signed. SKUs the file
    does not list keep their names.

    \b
    Example:
      ledger --account 1 catalog import 1 catalog.csv
    """
    products = catalogue_file(read_file(csv_file, "catalogue file"), str(csv_file))
    signed = env.ledger.merchant_desk(env.account, merchant_id).import_catalogue(products)
    env.emit(signed, lambda: f"{len(products)} product name(s) signed in {len(signed)} batch(es) and kept for "
                             f"{env.ledger.names(merchant_id).shop}")


@catalog_group.command(name="list")
@click.argument("merchant_id", type=parse.MERCHANT_ID)
@pass_env
def list_catalog(env: Env, merchant_id: int) -> None:
    """List a shop's named products.

    \b
    Example:
      ledger catalog list 1
    """
    env.ledger.merchant(merchant_id)
    names = env.ledger.names(merchant_id)
    products = sorted(names.products.values(), key=lambda p: p.sku)

    def show() -> Table | str:
        if not products:
            return f"{names.shop} has named no products yet: `ledger --account N catalog import {merchant_id} FILE`"
        table = Table(title=f"{names.shop}: {len(products)} product(s)")
        for column in ("sku", "product", "picture"):
            table.add_column(column)
        for product in products:
            table.add_row(product.sku, product.name, product.picture)
        return table

    env.emit(products, show)
