"""An action checked and encoded once, for whoever sends it: signed here (the library and the CLI,
``Ledger.send``), handed to the visitor's wallet (the page, ``web.wallet``), or batched (the bulk path). Every
library-side check of an action is made where its ``Prepared`` is made (a desk's ``prepare_<action>``), so no
edge repeats one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..models import TxResult
from ..sending.single import Landed

if TYPE_CHECKING:  # the text store needs SQLAlchemy, which brownie's scripts may not have
    from ..texts import Sealed

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared(Generic[T]):
    """A checked contract call, what it sends, and how to read what it did."""

    function: Any
    """The bound contract function (web3's ``ContractFunction``), arguments checked and encoded."""
    read: Callable[[TxResult], T]
    """What the action returns, from the landed transaction's receipt."""
    value: int = 0
    """Native currency sent with the call (wei)."""
    texts: tuple[Sealed, ...] = field(default=())
    """Off-chain texts whose salted hashes the call carries: kept once it lands, never before."""
    token: str | None = None
    """The token the call's amounts are in (a refusal names amounts in it)."""
    landed: Landed | None = None
    """Finds the call's work on chain should its own transaction not be found (a purchase id is recorded once)."""
    journaled: bool = True
    """Whether an operation journals it; not for calls that pay what is due when they run (settling)."""
