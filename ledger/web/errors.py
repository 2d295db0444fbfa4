"""The web page's own errors (the library's are in ``ledger.errors``); ``app.py`` maps each to a status."""

from __future__ import annotations

from ..errors import LedgerError


class NotYourTransaction(LedgerError, PermissionError):
    """Raised when a transaction the page reports was sent by another wallet than the signed-in one."""

    def __init__(self, sender: str, visitor: str) -> None:
        super().__init__(f"that transaction was sent by {sender}, not by you ({visitor}): send it from the wallet "
                         "you signed in with")


class SignInRefused(LedgerError, PermissionError):
    """Raised when a sign-in signature is missing, malformed, expired, replayed or not the address's."""


class NotSignedIn(LedgerError, PermissionError):
    """Raised when a page needs a signed-in wallet and the session has none (or it expired)."""

    def __init__(self) -> None:
        super().__init__("sign in with your wallet first (your session may have expired)")


class BadCsrf(LedgerError, PermissionError):
    """Raised when a form or request lacks this session's CSRF token (it came from another site, or an old page)."""

    def __init__(self) -> None:
        super().__init__("this form is out of date or came from another site: reload the page and try again")


class TooManyPending(LedgerError, ValueError):
    """Raised when a visitor has as many texts waiting for their transactions as one may."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"you have {waiting} notes waiting for their transactions: send those from your wallet "
                         "(or wait an hour for them to lapse), then try again")
