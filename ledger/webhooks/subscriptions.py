"""Where events go: each webhook's URL, the shops it is for, its secret when the page keeps it, and how far its
receiver has taken the events (the ``webhooks`` table of the index's database, ``ledger.history.schema``).

A webhook is known by its shops (one, or 0 for every shop) and its URL. The command line's (``ledger index
--follow --webhook URL``) keeps its secret in the environment of the process that delivers it, so the table has
its place alone; one a shop's staff set on the page keeps its secret here, for ``ledger index --follow`` to sign
with. A new webhook starts at the deployment's first event: its receiver gets the whole history once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, select, update

from .. import validate
from ..errors import InvalidInput
from ..history import schema
from .events import Place
from .signing import MIN_SECRET

ALL_SHOPS = 0
"""``webhooks.merchant_id`` of a webhook for every shop the index covers."""

MAX_URL = 2000
"""Characters a webhook's URL may have (what the table holds)."""

MAX_ERROR = 500
"""Characters of a failure's description kept for the page."""


@dataclass(frozen=True)
class Webhook:
    """A receiver of the index's events: its URL, the secret the requests are signed with, and the shop whose
    events it gets (None: every shop the index covers)."""

    url: str
    secret: str
    merchant_id: int | None = None

    def __post_init__(self) -> None:
        checked_url(self.url)
        checked_secret(self.secret)

    @property
    def key(self) -> tuple[int, str]:
        return (ALL_SHOPS if self.merchant_id is None else self.merchant_id), self.url

    @property
    def shown(self) -> str:
        """The URL as messages and logs show it: a password in it (``https://user:password@host/``) left out."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}").geturl()

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"Webhook({self.shown!r}, merchant_id={self.merchant_id})"


@dataclass(frozen=True)
class PageSetting:
    """A shop's webhook as its page shows it: never its secret, only the secret's last characters."""

    url: str
    secret_ends: str
    set_by: str
    set_at: int
    delivered: Place
    failures: int
    last_error: str | None


def checked_url(url: str) -> str:
    """``url`` if it is an http or https address with a host; ``InvalidInput`` saying what to give otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"the webhook URL {url!r} is not an http:// or https:// address: give the receiver's full "
                           "address, such as https://shop.example/ledger-events")
    if len(url) > MAX_URL:
        raise InvalidInput(f"the webhook URL has {len(url)} characters: at most {MAX_URL} are kept")
    return url


def checked_secret(secret: str) -> str:
    """``secret`` if it is long enough to be guessed by no one; ``InvalidInput`` otherwise."""
    if len(secret) < MIN_SECRET:
        raise InvalidInput(f"the webhook secret has {len(secret)} characters: give at least {MIN_SECRET} (random, "
                           "such as `python -c 'import secrets; print(secrets.token_hex(32))'`), shared with the receiver")
    return secret


class Subscriptions:
    """The ``webhooks`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        schema.kept.create_all(engine)

    def add(self, webhook: Webhook, now: int) -> None:
        """Know ``webhook`` (the command line's), at the start if it is new; one known already keeps its place."""
        with self.engine.begin() as db:
            if db.scalar(select(schema.webhooks.c.url).where(_where(webhook))) is None:
                db.execute(insert(schema.webhooks).values(_new(webhook.key, now)))

    def set_on_page(self, merchant_id: int, url: str, secret: str, set_by: str, now: int) -> None:
        """Make ``url`` the shop's webhook from its page, signed with ``secret``: another URL the page had set
        for the shop goes; the same URL set again keeps its place (only the secret changes)."""
        webhook = Webhook(url, secret, validate.identifier(merchant_id, "shop id"))
        table = schema.webhooks
        with self.engine.begin() as db:
            db.execute(delete(table).where(table.c.merchant_id == merchant_id, table.c.set_by.is_not(None),
                                           table.c.url != url))
            if db.scalar(select(table.c.url).where(_where(webhook))) is None:
                db.execute(insert(table).values(_new(webhook.key, now)))
            db.execute(update(table).where(_where(webhook)).values(
                secret=secret, set_by=validate.address(set_by, "staff address"), set_at=now))

    def remove_from_page(self, merchant_id: int) -> None:
        """Forget the shop's webhook set on the page, and how far it was delivered (set again, it starts anew)."""
        table = schema.webhooks
        with self.engine.begin() as db:
            db.execute(delete(table).where(table.c.merchant_id == merchant_id, table.c.set_by.is_not(None)))

    def on_page(self, merchant_id: int) -> PageSetting | None:
        """The shop's webhook set on the page, if it has one."""
        table = schema.webhooks
        with self.engine.connect() as db:
            row = db.execute(select(table).where(table.c.merchant_id == merchant_id,
                                                 table.c.set_by.is_not(None))).first()
        if row is None:
            return None
        return PageSetting(row.url, row.secret[-4:], row.set_by, row.set_at, (row.delivered_block, row.delivered_log),
                           row.failures, row.last_error)

    def page_webhooks(self) -> list[Webhook]:
        """Every shop's webhook set on the page, as the follower delivers them."""
        table = schema.webhooks
        with self.engine.connect() as db:
            rows = db.execute(select(table).where(table.c.set_by.is_not(None)).order_by(table.c.merchant_id)).all()
        return [Webhook(row.url, row.secret, row.merchant_id) for row in rows]

    def delivered(self, webhook: Webhook) -> Place | None:
        """Up to where ``webhook``'s receiver took the events; None when the webhook is not known (any more)."""
        table = schema.webhooks
        with self.engine.connect() as db:
            row = db.execute(select(table.c.delivered_block, table.c.delivered_log).where(_where(webhook))).first()
        return None if row is None else (int(row[0]), int(row[1]))

    def taken(self, webhook: Webhook, previous: Place, place: Place) -> bool:
        """The receiver took the event at ``place``, the next after ``previous``: move the webhook's place there
        and clear its failures; False (nothing moved) when its place is no longer ``previous``: a rewind of
        the index moved it back meanwhile, and what comes after it is read again."""
        table = schema.webhooks
        (block, log), (was_block, was_log) = place, previous
        with self.engine.begin() as db:
            moved = db.execute(update(table).where(_where(webhook), table.c.delivered_block == was_block,
                                                   table.c.delivered_log == was_log)
                               .values(delivered_block=block, delivered_log=log, failures=0, last_error=None))
            return bool(moved.rowcount)

    def failed(self, webhook: Webhook, error: str) -> int:
        """Count a failed try and keep how it failed; the tries failed in a row."""
        table = schema.webhooks
        with self.engine.begin() as db:
            db.execute(update(table).where(_where(webhook)).values(failures=table.c.failures + 1,
                                                                         last_error=error[:MAX_ERROR]))
            return int(db.scalar(select(table.c.failures).where(_where(webhook))) or 0)


def _where(webhook: Webhook) -> ColumnElement[bool]:
    merchant_id, url = webhook.key
    return and_(schema.webhooks.c.merchant_id == merchant_id, schema.webhooks.c.url == url)


def _new(key: tuple[int, str], now: int) -> dict[str, object]:
    merchant_id, url = key
    return {"merchant_id": merchant_id, "url": url, "set_at": now, "delivered_block": -1, "delivered_log": -1,
            "failures": 0}
