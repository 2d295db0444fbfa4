"""Each user's desk: what a merchant's staff and what a customer do through the ledger."""

from .customer import CustomerDesk
from .merchant import MerchantDesk

__all__ = ["CustomerDesk", "MerchantDesk"]
