"""``ledger serve``: a web page for customers (my purchases, gasless returns) and merchants (history,
figures), signed in with the visitor's own wallet. ``app.create_app`` builds it; routes live by side in
``customer.py``, ``merchant.py`` and ``texts.py``, the sign-in in ``session.py`` and ``siwe.py``."""

from .app import create_app

__all__ = ["create_app"]
