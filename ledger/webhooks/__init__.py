"""Webhooks for a shop's back end: the index's purchases, returns, refunds, exchanges, contacts and settlements
posted as signed JSON, one event per request, in chain order, each at least once, from final blocks only.

``events.py`` reads the events out of the index (``ledger.history``) as JSON; ``signing.py`` signs them and is
what a receiver checks them with (``verify``); ``subscriptions.py`` keeps the webhooks and how far each was
delivered in the index's database; ``delivery.py`` posts them, with back-off. ``ledger index --follow
--webhook URL`` and the page's setting (``/shop/N/webhooks``) use them; docs/webhooks.md tells a receiver what
to expect.
"""

from __future__ import annotations

from .delivery import Backoff, Deliverer, Failure, Round
from .events import TYPES, Event
from .signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TOLERANCE, sign, verify
from .subscriptions import PageSetting, Subscriptions, Webhook, checked_secret, checked_url

__all__ = ["EVENT_ID_HEADER", "SIGNATURE_HEADER", "TOLERANCE", "TYPES", "Backoff", "Deliverer", "Event", "Failure",
           "PageSetting", "Round", "Subscriptions", "Webhook", "checked_secret", "checked_url", "sign", "verify"]
