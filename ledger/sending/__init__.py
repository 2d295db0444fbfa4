"""Sending transactions: one at a time (sign, send, wait, decode) or many at once (the bulk path)."""

from .bulk import BulkReport, Call, Encoded, Outcome, encoder, send_many, sign_orders
from .single import sign_and_send

__all__ = ["BulkReport", "Call", "Encoded", "Outcome", "encoder", "send_many", "sign_and_send", "sign_orders"]
