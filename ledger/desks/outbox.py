"""Where a ledger's actions go out: signed and sent (``send``: a prepared action, ``transact``: a bare call,
``send_many``: many at once), journaled in the operation the caller runs in (``operation``), and the texts whose
salted hashes they carry sealed before and kept once they landed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount

from ..contracts import LedgerContracts
from ..errors import InvalidInput, TextNotFound, amounts_in
from ..models import TxResult
from ..sending import BulkReport, Call, send_many
from ..sending.journal import Journal, Operation
from ..sending.single import Landed
from .prepared import Prepared, T

if TYPE_CHECKING:
    from ..names import NameStore
    from ..texts import Sealed, TextKind, TextStore

_operations: ContextVar[Mapping[int, Operation]] = ContextVar("ledger_operations", default=MappingProxyType({}))
"""The operation each ledger (by ``id``) runs in, in this thread or task (``Outbox.operation``)."""


class Outbox:
    """Sends to ``contracts``, keeping texts in the store ``texts()`` gives and shops' names and order numbers in
    the one ``names()`` gives (each made on first use)."""

    def __init__(self, contracts: LedgerContracts, texts: Callable[[], TextStore],
                 names: Callable[[], NameStore]) -> None:
        self.contracts = contracts
        self.chain = contracts.chain
        self._texts = texts
        self._names = names
        self.journal = Journal()
        """Where operations (``operation``) write what they send: in memory unless set to a ``Journal(folder)``."""

    @property
    def texts(self) -> TextStore:
        """The store the texts are kept in."""
        return self._texts()

    @property
    def names(self) -> NameStore:
        """The store shops' profiles, catalogues and order numbers are kept in."""
        return self._names()

    def seal_text(self, kind: TextKind | str, text: str | bytes | None, customer: str, merchant_id: int,
                  now: int | None = None) -> Sealed:
        """The hash to put on chain for an off-chain text, salted so nobody can test a guess against it
        (``TextStore.seal``); ``keep_texts`` once the transaction carrying the hash went through. Within an
        operation, a text it sealed before is sealed the same way again (the journal keeps the salt, not the
        text), so the call that carries it is the one the operation sent before."""
        from ..texts import TextStore

        operation = self.current_operation
        earlier = self._sealed_before(operation, kind, text, customer, merchant_id)
        if earlier is not None:
            return earlier
        if now is None and isinstance(text, str) and text:  # the time is asked of the chain only for a text kept
            now = self.chain.now()
        sealed = TextStore.seal(kind, text, customer, merchant_id, now or 0)
        if operation is not None and sealed.text is not None:
            kept = sealed.text
            operation.keep_text({"hash": kept.hash, "kind": kept.kind.value, "customer": kept.customer,
                                 "merchant_id": kept.merchant_id, "salt": kept.salt, "kept_at": kept.kept_at})
        return sealed

    @contextmanager
    def sealing(self, kind: TextKind | str, text: str | bytes | None, customer: str,
                merchant_id: int) -> Iterator[Sealed]:
        """A text sealed (``seal_text``) for what the block sends, and kept once the block is through without
        an error: a text is kept only when the transaction carrying its hash went through."""
        sealed = self.seal_text(kind, text, customer, merchant_id)
        yield sealed
        self.keep_texts(sealed)

    def keep_texts(self, *sealed: Sealed) -> None:
        """Keep sealed texts whose hashes went out (``TextStore.save``); one an earlier run of the operation
        kept already is passed over."""
        new = []
        for one in sealed:
            try:
                if one.text is not None:
                    self.texts.get(one.text.hash)
            except TextNotFound:
                new.append(one)
        self.texts.save(*new)

    @staticmethod
    def _sealed_before(operation: Operation | None, kind: TextKind | str, text: str | bytes | None, customer: str,
                       merchant_id: int) -> Sealed | None:
        """The text as the operation sealed it before (from the salt the journal keeps), if it did."""
        if operation is None or not isinstance(text, str) or not text:
            return None
        from ..texts import KeptText, Sealed, TextKind, salted_hash

        for kept in operation.sealed:
            if ((kept["kind"], kept["customer"], kept["merchant_id"]) == (TextKind(kind).value, customer, merchant_id)
                    and "0x" + salted_hash(bytes.fromhex(kept["salt"][2:]), text).hex() == kept["hash"]
                    and operation.claim(kept)):
                return Sealed(bytes.fromhex(kept["hash"][2:]), KeptText(
                    kept["hash"], TextKind(kind), customer, merchant_id, kept["salt"], text, kept["kept_at"]))
        return None

    @contextmanager
    def operation(self, key: str) -> Iterator[Operation]:
        """Run the block as the operation ``key``: every transaction it sends is journaled (``journal``) before
        it is sent, and a call an earlier run of the same operation sent is not signed anew: its transaction is
        followed, and when it went through, its result is returned with nothing sent (its hash is then in the
        operation's ``found``). Choose a key that names the piece of work (a ticket, a row of a file, a command
        and its arguments): the same key, the same work, done once; a new key does it again."""
        if not key:
            raise InvalidInput("an operation needs a key that names it")
        operation = self.journal.operation(key)
        token = _operations.set({**_operations.get(), id(self): operation})
        try:
            yield operation
        finally:
            _operations.reset(token)

    @property
    def current_operation(self) -> Operation | None:
        """The operation the calling code runs in on this ledger (``operation``), if any."""
        return _operations.get().get(id(self))

    def send_many(self, calls: Sequence[Call], **options: Any) -> BulkReport:
        """Simulate, sign, send and confirm many calls (``sending.send_many``: ``batch_size``, ``workers``,
        ``timeout``, ``wave_size``), journaled in the operation the caller runs in (``operation``)."""
        return send_many(self.contracts, calls, operation=self.current_operation, **options)

    def send(self, account: LocalAccount, prepared: Prepared[T]) -> T:
        """Sign and send a prepared action (a desk's ``prepare_<action>``) as ``account``: what it returns, read
        from the receipt. The texts whose hashes it carries are kept once it landed, never before; a refusal
        names amounts in the action's token."""
        with amounts_in(prepared.token) if prepared.token is not None else nullcontext():
            result = self.transact(account, prepared.function, prepared.value, prepared.landed, prepared.journaled)
        self.keep_texts(*prepared.texts)
        return prepared.read(result)

    def transact(self, account: LocalAccount, function: Any, value: int = 0, landed: Landed | None = None,
                 journaled: bool = True) -> TxResult:
        """Simulate, sign and send a contract call; return the receipt with the decoded events. ``landed``
        finds the call's work on chain should its own transactions not be found (``sending.single``). Inside an
        ``operation`` the call is journaled, and found if an earlier run sent it; ``journaled=False`` is for a
        call that pays what is due when it runs (settlement, withdrawals): the contract never pays the same
        thing twice, and running it again later must pay what has come due since."""
        return self.contracts.send(account, function, value, landed, self.current_operation if journaled else None)
