"""The actions anyone may take on a ledger: relay a customer's signed return, settle what was kept of closed
purchases, withdraw payments kept for someone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from eth_account.signers.local import LocalAccount

from .. import signatures, validate
from ..errors import GasLimitExceeded, InvalidInput, InvalidSignature
from ..events import refund_in, settlement_of
from ..models import (
    NATIVE,
    DeferredPayment,
    Purchase,
    Refund,
    Settlement,
    SettlementBatch,
    SignedReturn,
    TxResult,
)
from ..orders import MAX_REQUEST_VALIDITY, return_digest
from ..reading.reads import Reads
from .outbox import Outbox
from .prepared import Prepared

SKIP_REASONS = ("unknown", "already_settled", "window_open", "awaiting_delivery")
"""``ILedger.SkipReason`` by number."""

SETTLE_GAS_PER_PURCHASE = 30_000
"""Gas a settlement reckons for each purchase it takes. Measured on anvil: 13,400 for a plain ETH purchase in
batches of 100 to 1,000 (49,200 for a batch of one); the rest is room for referral commissions, token
payouts and a payout per merchant."""

SETTLE_BLOCK_SHARE = 4
"""A settlement transaction is sized for this fraction of a block's gas limit: it fits beside others'
transactions (a 30 million gas block: 250 purchases a transaction, about 3.4 million gas)."""


class Anyone:
    """What any account may do, reading through ``reads`` and sending through ``outbox``."""

    def __init__(self, reads: Reads, outbox: Outbox) -> None:
        self.reads, self.outbox = reads, outbox
        self.contracts = reads.contracts

    def submit_return(self, relayer: LocalAccount, request: SignedReturn) -> Refund:
        """Submit a customer's signed return request; the relayer pays the gas, the customer gets the refund."""
        if (request.chain_id, request.contract) != (self.contracts.chain.chain_id, self.contracts.address):
            raise InvalidInput(
                f"the request was signed for contract {request.contract} on chain {request.chain_id}, "
                f"not for this ledger ({self.contracts.address} on chain {self.contracts.chain.chain_id})"
            )
        if request.deadline > self.contracts.chain.now() + MAX_REQUEST_VALIDITY:
            raise InvalidInput(f"the request stays valid for more than the {MAX_REQUEST_VALIDITY // 86_400} days a signed "
                               "return may run: nothing was sent; ask the customer to sign a new one")
        purchase = self.reads.purchase(request.purchase_id)
        try:
            signature = signatures.normalised(bytes.fromhex(request.signature.removeprefix("0x")))
        except ValueError as error:
            raise InvalidInput("the return request's signature is not hex digits: ask the customer to sign "
                               "again") from error
        if not signatures.signed_by(self.contracts.w3, purchase.customer, return_digest(request), signature):
            raise InvalidSignature(purchase.id, purchase.customer)  # found before the relayer pays any gas
        result = self.outbox.transact(relayer, self.contracts.functions.returnItemsBySig(
            purchase.order.packed(), purchase.lines_to_send(request.line_mask),
            (request.line_mask, bytes.fromhex(request.shipment_ref[2:]), request.nonce, request.deadline),
            signature,
        ))
        return refund_in(result, "ItemsReturned", purchase, self.contracts.chain)

    def settle(self, account: LocalAccount, purchase_ids: Iterable[str],
               progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases, signed by anyone (``settle_purchases``)."""
        return self.settle_purchases(account, [self.reads.purchase(purchase_id) for purchase_id in purchase_ids], progress)

    def settle_purchases(self, account: LocalAccount, purchases: list[Purchase],
                         progress: Callable[[int], None] | None = None) -> SettlementBatch:
        """Pay out what was kept of closed purchases (as read, ``purchase``), signed by anyone, in as many
        transactions as fit well inside a block (``settle_batch_size``; a batch the node still finds too big is
        halved). Each purchase is reported once, in the order given: settled, or passed over in ``skipped`` with
        why. One settled already is passed over without being sent (running a settlement again sends nothing
        for what it did). ``progress`` is told how many purchases each transaction took. Should a
        transaction's outcome be unknown (``OutcomeUnknown``), those before it are settled: a settlement run
        again passes over them."""
        _each_once(purchases)
        settled: list[Settlement] = []
        skipped = [(p.id, "already_settled") for p in purchases if p.settled]
        waiting = [p for p in purchases if not p.settled]
        hashes: list[str] = []
        size = self.settle_batch_size()
        while waiting:
            batch = waiting[:size]
            try:
                result = self.outbox.send(account, self.prepare_settle(batch))
            except GasLimitExceeded:
                if size == 1:
                    raise
                size //= 2  # nothing was sent: the same purchases in smaller transactions
                continue
            settled += [settlement_of(event) for event in result.named("Settled")]
            skipped += [(e.args["purchaseId"], SKIP_REASONS[e.args["reason"]])
                        for e in result.named("SettlementSkipped")]
            hashes.append(result.tx_hash)
            waiting = waiting[len(batch):]
            if progress is not None:
                progress(len(batch))
        order = {p.id: n for n, p in enumerate(purchases)}
        return SettlementBatch(tuple(sorted(settled, key=lambda s: order[s.purchase_id])),
                               tuple(sorted(skipped, key=lambda skip: order[skip[0]])),
                               hashes[0] if hashes else "", tuple(hashes))

    def prepare_settle(self, purchases: Sequence[Purchase]) -> Prepared[TxResult]:
        """One settlement transaction for ``purchases`` (as read), which anyone may send: the contract settles
        those whose window has closed and passes the others over (``SettlementSkipped``). Not journaled: it pays
        what is due when it runs, and the contract never pays the same thing twice."""
        _each_once(purchases)
        return Prepared(self.contracts.functions.settle([p.order.packed() for p in purchases]), read=_receipt,
                        journaled=False)

    def settle_batch_size(self) -> int:
        """Purchases one settlement transaction takes: what ``SETTLE_GAS_PER_PURCHASE`` reckons fits in
        ``1 / SETTLE_BLOCK_SHARE`` of the newest block's gas limit, as the node reports it."""
        limit = int(self.contracts.w3.eth.get_block("latest")["gasLimit"])
        return max(1, limit // SETTLE_BLOCK_SHARE // SETTLE_GAS_PER_PURCHASE)

    def withdraw(self, account: LocalAccount, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Send ``account``'s deferred payments in ``token`` to ``to`` (by default the account itself)."""
        to = validate.address(account.address if to is None else to, "recipient")
        result = self.outbox.transact(account, self.contracts.functions.withdraw(validate.address(token, "token"), to),
                               journaled=False)
        args = result.named("Withdrawn")[0].args
        return DeferredPayment(args["token"], args["to"], int(args["amount"]))

    def withdraw_merchant(self, account: LocalAccount, merchant_id: int, token: str = NATIVE) -> DeferredPayment:
        """Send a merchant's deferred payments to its current payout address; anyone may ask."""
        result = self.outbox.transact(account, self.contracts.functions.withdrawMerchant(
            validate.positive(merchant_id, "merchant id"), validate.address(token, "token")), journaled=False)
        args = result.named("Withdrawn")[0].args
        return DeferredPayment(args["token"], args["to"], int(args["amount"]))


def _each_once(purchases: Sequence[Purchase]) -> None:
    """A settlement names at least one purchase, each once."""
    if not purchases:
        raise InvalidInput("no purchases to settle: give at least one purchase id")
    if len({p.id for p in purchases}) != len(purchases):
        raise InvalidInput("a purchase id is given twice: name each purchase once")


def _receipt(result: TxResult) -> TxResult:
    return result
