"""What the tests share besides fixtures: the chain helpers (``world``), the command line's (``cli``), the web
page's (``web``), a webhook receiver (``receiver``), a faulty network (``faulty_proxy``) and a Safe
(``safe_wallet``). Tests import them as ``from tests.support.world import buy``; the fixtures live in the
conftest.py files.

Their asserts are rewritten as a test's are (pytest only does that by itself for test modules and conftest
files), so a failing helper still shows the values it compared.
"""

import pkgutil

import pytest

pytest.register_assert_rewrite(*(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)))
