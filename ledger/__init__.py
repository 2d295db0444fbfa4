"""ledger: a purchase-history ledger on smart contracts."""
