"""``CustomerDesk``: what a customer does."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from .. import signatures, validate
from ..errors import (
    ExchangeMismatch,
    InsufficientFunds,
    InvalidInput,
    InvalidOrderSignature,
    NotCustomer,
    NotOrderCustomer,
    OrderExpired,
    OrderRefUsed,
    PurchaseExists,
    ReferralNotAllowed,
    ReturnWindowClosed,
    ShipmentRequired,
    StaleOrderSigner,
    TermsRetired,
    TokenNotAccepted,
    amounts_in,
)
from ..events import purchase_of, refund_in
from ..history.credit import cash_share
from ..models import (
    NATIVE,
    Channel,
    ContactKind,
    ContactMoment,
    Credit,
    DeferredPayment,
    Exchange,
    Purchase,
    Refund,
    Review,
    Role,
    Score,
    SignedReturn,
    TxResult,
)
from ..orders import MAX_REQUEST_VALIDITY, RETURN_REQUEST_TYPES, SignedOrder, domain
from ..reading.reads import Reads
from ..revert import mapped_errors
from ..tokens import ERC20_ABI
from ..validate import check_scale
from .anyone import Anyone
from .contacts import checked_contact_call
from .outbox import Outbox
from .prepared import Prepared, T

if TYPE_CHECKING:
    from ..orders import Order
    from ..texts import Sealed



class CustomerDesk:
    """What a customer does: buy a shop's order, look up its history, return, give feedback. Each action is
    prepared once (``prepare_<action>``: every library-side check, the call, how to read its receipt, the texts
    it carries) and ``<action>`` signs and sends it."""

    def __init__(self, reads: Reads, outbox: Outbox, actor: LocalAccount | str) -> None:
        """``actor``: the customer's account (it signs), or only its address: then the desk prepares actions for
        the customer's wallet to sign (the page) and sends none."""
        self.reads, self.outbox = reads, outbox
        self.account: LocalAccount | None = None if isinstance(actor, str) else actor
        self.address = validate.address(actor if isinstance(actor, str) else actor.address, "customer address")
        self._functions = reads.contracts.functions

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise InvalidInput(f"this desk acts for {self.address} without its key: it prepares calls for a wallet "
                               "to sign and sends none")
        return self.account

    def _send(self, prepared: Prepared[T]) -> T:
        return self.outbox.send(self._signer(), prepared)

    # ------------------------------------------------------------ buying

    def prepare_buy(self, signed: SignedOrder, use_credit: int = 0) -> Prepared[Purchase]:
        """Buy an order the shop signed, paying its total into escrow; ``use_credit`` pays that much with store
        credit held at the shop (in the order's token). A token order needs the ledger allowed to take what is
        due first (``prepare_approval``)."""
        order, reads = signed.order, self.reads
        if (signed.chain_id, signed.ledger) != (reads.contracts.chain.chain_id, reads.contracts.address):
            raise InvalidInput(
                f"the order was signed for ledger {signed.ledger} on chain {signed.chain_id}, not for this one "
                f"({reads.contracts.address} on chain {reads.contracts.chain.chain_id}): ask the shop for an order here"
            )
        if order.customer not in (NATIVE, self.address):
            raise NotOrderCustomer(order.purchase_id(reads.contracts.chain.chain_id, reads.contracts.address), order.customer,
                                   self.address)
        validate.non_negative(use_credit, "credit to use")
        if use_credit > order.total:
            raise InvalidInput("the credit to use is more than the order's total: use at most the total")
        due = order.total - use_credit
        if order.token != NATIVE and due:
            with amounts_in(order.token):
                check_order(reads, signed, self.address)  # before an allowance is asked for
        purchase_id = order.purchase_id(reads.contracts.chain.chain_id, reads.contracts.address)

        def bought(result: TxResult) -> Purchase:
            purchase = reads.contracts.with_state(purchase_of(result.named("PurchaseRecorded")[0]), 0)
            if signed.order_number:  # the shop's number for it, kept where the buyer's side reads its history
                self.outbox.names.keep_order_number(order.merchant_id, order.order_ref, signed.order_number)
            return replace(purchase, as_of=purchase.purchased_at)  # as of its own block: nothing happened yet

        return Prepared(self._functions.buy(order.packed(), order.line_tuples(), use_credit, order_signature(signed)),
                        read=bought, value=due if order.token == NATIVE else 0, token=order.token,
                        landed=lambda: reads.recorded_by(purchase_id, self.address))  # a purchase id is recorded once

    def prepare_approval(self, token: str, amount: int) -> Prepared[TxResult] | None:
        """The next ``approve`` on the way to letting the ledger take ``amount`` of ``token`` (``approval_needed``),
        or None when it may already."""
        approval = approval_needed(self.reads, self.address, token, amount)
        return None if approval is None else Prepared(approval, read=_receipt, token=token)

    def buy(self, signed: SignedOrder, use_credit: int = 0) -> Purchase:
        """Buy an order the shop signed, paying its total into escrow (approving an ERC-20 token first).

        ``use_credit`` pays that much with store credit held at the shop (in the order's token).
        """
        prepared = self.prepare_buy(signed, use_credit)
        order = signed.order
        if order.token != NATIVE and order.total - use_credit:
            self._approve(order.token, order.total - use_credit)
        return self._send(prepared)

    def _approve(self, token: str, amount: int) -> None:
        for _ in range(2):  # at most a reset of an allowance left over, then the allowance
            with amounts_in(token):
                approval = self.prepare_approval(token, amount)
            if approval is None:
                return
            self._send(approval)

    # ------------------------------------------------------------ history

    def purchases(self, **filters: Any) -> list[Purchase]:
        """My purchases at every merchant; filters as in ``Ledger.purchases``."""
        return self.reads.purchases(customer=self.address, **filters)

    def purchase(self, purchase_id: str) -> Purchase:
        """One of my purchases, with its status and time left to return."""
        purchase = self.reads.purchase(purchase_id)
        if purchase.customer != self.address:
            raise NotCustomer(purchase.id, self.address)
        return purchase

    def contacts(self) -> list[ContactMoment]:
        """My contact moments with every merchant."""
        return self.reads.contacts(customer=self.address)

    def contact(self, content_hash: str) -> ContactMoment:
        """My contact moment whose note has this hash (``InvalidInput`` when none of mine has)."""
        found = next((c for c in self.contacts() if c.content_hash == content_hash.lower()), None)
        if found is None:
            raise InvalidInput(f"no contact of yours has the note hash {content_hash}: rate a contact from My purchases")
        return found

    def refunds(self) -> list[Refund]:
        """Refunds I received."""
        return self.reads.refunds(customer=self.address)

    # ------------------------------------------------------------ returns

    def returnable(self, purchase_id: str, lines: Sequence[int] | None = None,
                   shipment_ref: str | bytes | None = None) -> tuple[Purchase, int]:
        """One of my purchases whose window is open, and the mask of ``lines`` (every open line when None),
        refused in the contract's words before anything is sent: ``NotCustomer``, ``ReturnWindowClosed``, lines
        that do not exist or went back already, ``ShipmentRequired`` when the terms want the item back and no
        shipment reference is given."""
        purchase = self.purchase(purchase_id)
        if not purchase.window_open:
            raise ReturnWindowClosed(purchase.id, purchase.deadline, purchase.as_of)
        mask = purchase.mask_of(lines)
        if purchase.item_must_be_returned and not _given(shipment_ref):
            raise ShipmentRequired(purchase.id)
        return purchase, mask

    def prepare_return_items(self, purchase_id: str, lines: Sequence[int] | None = None,
                             shipment_ref: str | bytes | None = None) -> Prepared[Refund]:
        """Return some lines (by index; all open lines by default) and receive the refund at once."""
        return self._give_back("returnItems", "ItemsReturned", purchase_id, lines, shipment_ref)

    def return_items(
        self, purchase_id: str, lines: Sequence[int] | None = None, shipment_ref: str | bytes | None = None
    ) -> Refund:
        """Return some lines (by index; all open lines by default) and receive the refund at once."""
        return self._send(self.prepare_return_items(purchase_id, lines, shipment_ref))

    def prepare_return_for_credit(self, purchase_id: str, lines: Sequence[int] | None = None,
                                  shipment_ref: str | bytes | None = None) -> Prepared[Refund]:
        """Return lines for store credit at the same merchant instead of money (plus its bonus, if any); only the
        buyer's own call gets credit (no signed request can be relayed for it)."""
        return self._give_back("returnItemsForCredit", "CreditIssued", purchase_id, lines, shipment_ref)

    def return_for_credit(
        self, purchase_id: str, lines: Sequence[int] | None = None, shipment_ref: str | bytes | None = None
    ) -> Refund:
        """Return lines for store credit at the same merchant instead of money (plus its bonus, if any)."""
        return self._send(self.prepare_return_for_credit(purchase_id, lines, shipment_ref))

    def _give_back(self, function: str, event: str, purchase_id: str, lines: Sequence[int] | None,
                   shipment_ref: str | bytes | None) -> Prepared[Refund]:
        purchase, mask = self.returnable(purchase_id, lines, shipment_ref)
        shipment = self._shipment(purchase, shipment_ref)
        return Prepared(getattr(self._functions, function)(purchase.order.packed(), purchase.lines_to_send(mask), mask,
                                                           shipment.hash),
                        read=lambda result: refund_in(result, event, purchase, self.reads.contracts.chain),
                        texts=(shipment,),
                        token=purchase.token)

    def exchange(self, purchase_id: str, signed: SignedOrder, lines: Sequence[int] | None = None,
                 shipment_ref: str | bytes | None = None) -> Exchange:
        """Exchange lines of my purchase (by index; all open lines by default) for the shop's new order, in one
        transaction: the lines are returned as by ``return_items`` (inside the window, restocking fee and all)
        and what that refunds pays the new order without leaving escrow; I pay any difference, or get what is
        left over back. The new purchase has its own return window."""
        plan, prepared = self.prepare_exchange(purchase_id, signed, lines, shipment_ref)
        if signed.order.token != NATIVE and plan.due:
            self._approve(signed.order.token, plan.due)
        return self._send(prepared)

    def prepare_exchange(self, purchase_id: str, signed: SignedOrder, lines: Sequence[int] | None = None,
                         shipment_ref: str | bytes | None = None) -> tuple[ExchangePlan, Prepared[Exchange]]:
        """The exchange checked and priced (``ExchangePlan``: what I pay on top or get back) and prepared; a token
        order needs the ledger allowed to take ``plan.due`` first (``prepare_approval``)."""
        purchase, mask = self.returnable(purchase_id, lines, shipment_ref)
        plan = prepare_exchange(self.reads, self.address, purchase, signed, mask)
        reads, order = self.reads, signed.order
        shipment = self._shipment(purchase, shipment_ref)

        def exchanged(result: TxResult) -> Exchange:
            returned = refund_in(result, "ItemsReturned", purchase, reads.contracts.chain, {(result.tx_hash, purchase.id)})
            bought = reads.contracts.with_state(purchase_of(result.named("PurchaseRecorded")[0]), 0)
            return Exchange(returned, replace(bought, as_of=bought.purchased_at), plan.due,
                            max(returned.amount - order.total, 0))

        return plan, Prepared(plan.call(shipment.hash), read=exchanged, value=plan.value, texts=(shipment,),
                              token=order.token,
                              landed=lambda: reads.recorded_by(plan.new_purchase_id, self.address))  # recorded once

    def _shipment(self, purchase: Purchase, shipment_ref: str | bytes | None) -> Sealed:
        """The shipment reference of a return sealed (``Ledger.seal_text``), or, without one, the zero hash."""
        from ..texts import (
            Sealed,  # the texts' database layer is loaded when a text is first kept
        )

        if not _given(shipment_ref):
            return Sealed(bytes(32), None)
        assert shipment_ref is not None
        reference = shipment_ref.strip() if isinstance(shipment_ref, str) else shipment_ref
        return self.outbox.seal_text("shipment", reference, self.address, purchase.merchant_id)

    # ------------------------------------------------------------ store credit

    def credit(self, merchant_id: int, token: str = NATIVE) -> int:
        """Store credit I hold at a merchant."""
        return self.reads.credit(merchant_id, self.address, token).amount

    def credit_held(self, merchant_id: int, token: str = NATIVE) -> Credit:
        """Store credit I hold at a merchant, with its money part and from when it can be cashed out."""
        return self.reads.credit(merchant_id, self.address, token)

    def prepare_cash_out_credit(self, merchant_id: int, token: str = NATIVE) -> Prepared[int]:
        """Take the money part of my credit at a merchant out (once its cash-out date has come, the shop has no
        active terms, or it no longer takes the token); the bonus part goes back to the shop. Reads what I was
        paid. Not journaled: it pays what is held when it runs."""
        return Prepared(self._functions.cashOutCredit(validate.positive(merchant_id, "merchant id"),
                                                      validate.address(token, "token")),
                        read=lambda result: int(result.named("CreditCashedOut")[0].args["cash"]), token=token,
                        journaled=False)

    def cash_out_credit(self, merchant_id: int, token: str = NATIVE) -> int:
        """``prepare_cash_out_credit``, sent: what I was paid."""
        return self._send(self.prepare_cash_out_credit(merchant_id, token))

    # ------------------------------------------------------------ contacts and feedback

    def prepare_log_contact(
        self,
        merchant_id: int,
        channel: Channel | str,
        kind: ContactKind | str,
        content: str | bytes = b"",
        purchase_id: str | None = None,
        occurred_at: int | None = None,
    ) -> Prepared[ContactMoment]:
        """Log my own contact with a merchant; only a salted hash of ``content`` goes on chain (the text is
        kept off chain, ``Ledger.texts``, once the call lands)."""
        validate.positive(merchant_id, "merchant id")
        sealed = self.outbox.seal_text("contact", content, self.address, merchant_id)
        return Prepared(checked_contact_call(self.reads, merchant_id, self.address, purchase_id, channel, kind, occurred_at,
                                                 sealed.hash),
                        read=self.reads.contact_logged, texts=(sealed,))

    def log_contact(self, merchant_id: int, channel: Channel | str, kind: ContactKind | str,
                    content: str | bytes = b"", purchase_id: str | None = None,
                    occurred_at: int | None = None) -> ContactMoment:
        """``prepare_log_contact``, sent: the contact as ``Ledger.contacts`` gives it."""
        return self._send(self.prepare_log_contact(merchant_id, channel, kind, content, purchase_id, occurred_at))

    def prepare_review(self, purchase_id: str, rating: int, text: str | bytes = b"") -> Prepared[Review]:
        """Review one of my purchases (1-5); a new review replaces the earlier one. Only a salted hash of the
        text goes on chain; the text is kept off chain for everyone to read (``Ledger.texts``)."""
        purchase = self.purchase(purchase_id)
        check_scale(rating, 1, 5, "rating")
        sealed = self.outbox.seal_text("review", text, self.address, purchase.merchant_id)
        return Prepared(self.reads.contracts.feedback.functions.review(purchase.order.packed(), rating, sealed.hash),
                        read=lambda _: self.reads.reviews(purchase_id=purchase.id)[-1], texts=(sealed,))

    def review(self, purchase_id: str, rating: int, text: str | bytes = b"") -> Review:
        """``prepare_review``, sent: the review as ``Ledger.reviews`` gives it."""
        return self._send(self.prepare_review(purchase_id, rating, text))

    def prepare_give_nps(self, purchase_id: str, score: int) -> Prepared[Score]:
        """Say how likely I am to recommend the shop after this purchase (0-10), once."""
        purchase = self.purchase(purchase_id)
        check_scale(score, 0, 10, "score")
        return Prepared(self.reads.contracts.feedback.functions.giveNps(purchase.order.packed(), score),
                        read=lambda result: self.reads.score_given("nps", purchase.merchant_id, result.tx_hash))

    def give_nps(self, purchase_id: str, score: int) -> Score:
        """``prepare_give_nps``, sent: the score as ``Ledger.scores`` gives it."""
        return self._send(self.prepare_give_nps(purchase_id, score))

    def prepare_rate_contact(self, contact: ContactMoment, score: int) -> Prepared[Score]:
        """Rate one of my contact moments that the shop's staff logged (1-5), once."""
        if contact.customer != self.address:
            raise InvalidInput(f"that contact was with {contact.customer}, not with you ({self.address})")
        if contact.by_customer:
            raise InvalidInput("that contact is one you logged yourself: rate the contacts the shop's staff logged")
        check_scale(score, 1, 5, "score")
        return Prepared(self.reads.contracts.feedback.functions.rateContact(
            contact.merchant_id, bytes.fromhex(contact.content_hash[2:]), score),
            read=lambda result: self.reads.score_given("csat", contact.merchant_id, result.tx_hash))

    def rate_contact(self, contact: ContactMoment, score: int) -> Score:
        """``prepare_rate_contact``, sent: the score as ``Ledger.scores`` gives it."""
        return self._send(self.prepare_rate_contact(contact, score))

    # ------------------------------------------------------------ signed returns

    def prepare_return_request(self, purchase_id: str, lines: Sequence[int] | None = None,
                               shipment_ref: str | bytes | None = None,
                               valid_for: int = 86_400) -> tuple[SignedReturn, Sealed]:
        """A return request for my wallet to sign (its ``signature`` empty: ``returns.typed_data`` on the page,
        ``sign_return`` here), with the sealed shipment reference it carries. Its nonce is random, so it blocks
        no other request."""
        _, request, shipment = self._return_request(purchase_id, lines, shipment_ref, valid_for)
        return request, shipment

    def _return_request(self, purchase_id: str, lines: Sequence[int] | None, shipment_ref: str | bytes | None,
                        valid_for: int) -> tuple[Purchase, SignedReturn, Sealed]:
        purchase, mask = self.returnable(purchase_id, lines, shipment_ref)
        validate.positive(valid_for, "validity (seconds)")
        if valid_for > MAX_REQUEST_VALIDITY:
            raise InvalidInput(f"a signed return request may be valid for at most {MAX_REQUEST_VALIDITY // 86_400} "
                               "days: sign a shorter one (a new one can be signed any time)")
        shipment = self._shipment(purchase, shipment_ref)
        chain = self.reads.contracts.chain
        return purchase, SignedReturn(purchase.id, mask, "0x" + shipment.hash.hex(), secrets.randbits(256),
                                      chain.now() + valid_for, "", chain.chain_id, self.reads.contracts.address), shipment

    def sign_return(self, purchase_id: str, lines: Sequence[int] | None = None,
                    shipment_ref: str | bytes | None = None, valid_for: int = 86_400) -> SignedReturn:
        """Sign a return request that anyone may submit for me (I need no ether); nothing is sent. Its nonce
        is random, so it blocks no other request; ``cancel_return`` voids it."""
        purchase, request, shipment = self._return_request(purchase_id, lines, shipment_ref, valid_for)
        message = {"purchaseId": bytes.fromhex(request.purchase_id[2:]), "lineMask": request.line_mask,
                   "shipmentRef": shipment.hash, "nonce": request.nonce, "deadline": request.deadline}
        signed = self._signer().sign_typed_data(domain(request.chain_id, request.contract), RETURN_REQUEST_TYPES,
                                                message)
        submitted = self._functions.returnItemsBySig(  # as a relayer will send it, run now: a request the contract
            purchase.order.packed(), purchase.lines_to_send(request.line_mask),  # would refuse is not handed out
            (request.line_mask, shipment.hash, request.nonce, request.deadline), bytes(signed.signature))
        with mapped_errors(self.reads.contracts.errors):
            submitted.call({"from": self.address})
        self.outbox.keep_texts(shipment)  # kept now: the request is the customer's, whoever submits it and whenever
        return replace(request, signature="0x" + bytes(signed.signature).hex())

    def prepare_cancel_return(self, request: SignedReturn) -> Prepared[TxResult]:
        """Void a return request I signed and did not use, so nobody can submit it."""
        if request.contract != self.reads.contracts.address:
            raise InvalidInput(f"the request was signed for ledger {request.contract}, not {self.reads.contracts.address}")
        self.purchase(request.purchase_id)  # another account's cancel would void its own nonce, not this request
        return Prepared(self._functions.cancelNonce(request.nonce), read=_receipt)

    def cancel_return(self, request: SignedReturn) -> None:
        """Void a return request I signed and did not use, so nobody can submit it."""
        self._send(self.prepare_cancel_return(request))

    # ------------------------------------------------------------ deferred payments

    def deferred_balance(self, token: str = NATIVE) -> int:
        """Refunds kept for me because my address rejected them."""
        return self.reads.deferred_balance(self.address, token)

    def withdraw(self, token: str = NATIVE, to: str | None = None) -> DeferredPayment:
        """Collect refunds kept for me."""
        return Anyone(self.reads, self.outbox).withdraw(self._signer(), token, to)


def _given(shipment_ref: str | bytes | None) -> bool:
    """Whether a shipment reference was given (blank text is none)."""
    return bool(shipment_ref.strip() if isinstance(shipment_ref, str) else shipment_ref)


def _receipt(result: TxResult) -> TxResult:
    return result


def check_order(reads: Reads, signed: SignedOrder, buyer: str | None = None) -> None:
    """Refuse, in the contract's words and before anything is sent or an offer shown, what buying the order
    would be refused for: an order bought already, or another with its order number; a signature not from the
    shop's current owner or agents (an account's, or a contract wallet's ERC-1271 approval, read as the contract
    reads it); an expired order; one made out to another customer than ``buyer`` (when known); an agent's
    commission beyond its mandate; retired terms; a token the shop does not take."""
    order = signed.order
    if (signed.chain_id, signed.ledger) != (reads.contracts.chain.chain_id, reads.contracts.address):
        raise InvalidInput(
            f"the order was signed for ledger {signed.ledger} on chain {signed.chain_id}, not for this one "
            f"({reads.contracts.address} on chain {reads.contracts.chain.chain_id}): ask the shop for an order here")
    purchase_id = order.purchase_id(reads.contracts.chain.chain_id, reads.contracts.address)
    if reads.contracts.is_bought(purchase_id):
        raise PurchaseExists(purchase_id)
    reference = bytes.fromhex(order.order_ref[2:])
    earlier = reads.contracts.call(reads.contracts.functions.purchaseOfOrderRef(order.merchant_id, reference))
    if any(earlier):
        raise OrderRefUsed(order.merchant_id, order.order_ref, "0x" + bytes(earlier).hex())
    signer = signatures.order_signer(reads.contracts.w3, bytes.fromhex(purchase_id[2:]), order_signature(signed))
    staff = reads.staff(order.merchant_id, signer) if signer is not None else None
    if signer is None or staff is None or staff.role is Role.NONE:
        raise InvalidOrderSignature(purchase_id, signer or "0x" + "00" * 20)
    if staff.generation != order.signer_generation:
        raise StaleOrderSigner(purchase_id, signer, order.signer_generation, staff.generation)
    if order.referral_bps:
        allowed = reads.referral_limit(order.merchant_id, signer, order.referrer, staff)
        if order.referral_bps > allowed:
            raise ReferralNotAllowed(purchase_id, signer, order.referrer, order.referral_bps, allowed)
    if reads.terms(order.terms_id).retired:
        raise TermsRetired(order.terms_id)
    now = reads.contracts.chain.now()
    if now > order.expiry:
        raise OrderExpired(order.expiry, now)
    if buyer is not None and order.customer not in (NATIVE, buyer):
        raise NotOrderCustomer(purchase_id, order.customer, buyer)
    if not reads.accepts(order.merchant_id, order.token):
        raise TokenNotAccepted(order.merchant_id, order.token)


@dataclass(frozen=True)
class ExchangePlan:
    """An exchange checked and priced before anything is sent (``prepare_exchange``): what the returned lines
    refund, what the customer pays on top or gets back, and the call to send."""

    reads: Reads
    purchase: Purchase
    signed: SignedOrder
    mask: int
    refund: int
    """What the returned lines refund (restocking fee off), money and credit: all of it pays the new order first."""
    due: int
    """What the customer pays on top: the transaction's value in ETH, or the allowance to give for a token."""
    back: int
    """What comes back to the customer when the refund is more than the new order costs."""
    new_purchase_id: str

    @property
    def value(self) -> int:
        """The ``msg.value`` the contract takes, exactly: what is due in ETH, nothing for a token."""
        return self.due if self.signed.order.token == NATIVE else 0

    def call(self, shipment_hash: bytes = bytes(32)) -> Any:
        """The ``exchange`` call, carrying the return's shipment reference hash (zero when the terms need none)."""
        old, new = self.purchase.order, self.signed.order
        return self.reads.contracts.functions.exchange(
            old.packed(), self.purchase.lines_to_send(self.mask), self.mask, shipment_hash, new.packed(),
            new.line_tuples(), order_signature(self.signed))


def exchangeable(purchase: Purchase, order: Order) -> bool:
    """Whether lines of ``purchase`` could pay ``order`` in an exchange now: the same shop, the same token, its
    window open (per ``as_of``) and a line left to return."""
    return (purchase.merchant_id, purchase.order.token) == (order.merchant_id, order.token) \
        and purchase.window_open and bool(purchase.open_lines)


def prepare_exchange(reads: Reads, customer: str, purchase: Purchase, signed: SignedOrder,
                     mask: int) -> ExchangePlan:
    """Check an exchange of the lines in ``mask`` of ``customer``'s purchase for the shop's signed order, and price
    it, before anything is sent: ``NotCustomer`` for another's purchase, the order refused as ``check_order``
    refuses it, ``ExchangeMismatch`` for another shop's order or another token, the contract's refusal of the
    return (a closed window, lines already returned) from its own quote."""
    if purchase.customer != customer:
        raise NotCustomer(purchase.id, customer)
    order = signed.order
    check_order(reads, signed, customer)
    new_id = order.purchase_id(reads.contracts.chain.chain_id, reads.contracts.address)
    if (order.merchant_id, order.token) != (purchase.merchant_id, purchase.order.token):
        raise ExchangeMismatch(purchase.id, new_id)
    refund = reads.contracts.call(reads.contracts.functions.quoteReturn(purchase.order.packed(), purchase.lines_to_send(mask),
                                                               mask))
    return ExchangePlan(reads, purchase, signed, mask, refund, max(order.total - refund, 0),
                        max(refund - order.total, 0), new_id)


def approval_needed(reads: Reads, owner: str, token: str, amount: int) -> Any:
    """The next ``approve`` call on the way to letting the ledger take ``amount`` of ``token`` from ``owner``, or
    None when it may already; ``InsufficientFunds`` when the owner does not hold that much. An allowance left
    over that is too small is first set to zero: tokens with USDT's approval race protection refuse to change
    one non-zero allowance to another (so ask again after sending it)."""
    # web3 takes the token's address as given: checksummed (order tokens are), or it refuses it
    erc20 = reads.contracts.w3.eth.contract(address=cast(ChecksumAddress, token), abi=ERC20_ABI)
    balance = erc20.functions.balanceOf(owner).call()
    if balance < amount:
        raise InsufficientFunds(owner, amount, balance, f"token {token}", token)
    allowance = erc20.functions.allowance(owner, reads.contracts.address).call()
    if allowance >= amount:
        return None
    return erc20.functions.approve(reads.contracts.address, 0 if allowance else amount)


def bonus_later(reads: Reads, purchase: Purchase, refund: int, credited: int) -> int:
    """The part of the shop's credit bonus a return for credit refunding ``refund`` (and crediting ``credited``
    now) leaves owed until the purchase settles: the bonus on the money part, less what is given now
    (``LedgerModule._issueCredit``); at settlement it is paid out of what the shop keeps then, at most that."""
    cash = cash_share(purchase.paid, purchase.credit_used, refund)
    return max(cash * reads.merchant(purchase.merchant_id).credit_bonus_bps // 10_000 - (credited - refund), 0)


def cashable_now(reads: Reads, merchant_id: int, token: str, held: Credit) -> bool:
    """Whether ``held`` credit's money part can be cashed out now, as ``LedgerModule.cashOutCredit`` decides: its
    cash-out date has come, the shop has no active terms, or the shop no longer accepts its token."""
    return (held.cashable_at <= reads.contracts.chain.now() or reads.merchant(merchant_id).active_terms == 0
            or (token != NATIVE and not reads.accepts(merchant_id, token)))


def order_signature(signed: SignedOrder) -> bytes:
    """The order's signature as the contract takes it (``v`` as 27/28, ``signatures.normalised``); an order not
    signed yet, or a file whose signature is not hex, is refused, not sent."""
    if not signed.signature:
        raise InvalidInput(f"the order is not signed yet: {signed.signer} signs it first (`ledger order sign`, or "
                           "`ledger order attach` for a wallet's signature)")
    try:
        return signatures.normalised(bytes.fromhex(signed.signature.removeprefix("0x")))
    except ValueError as error:
        raise InvalidInput("the order's signature is not hex digits: the file was damaged; ask the shop for a new "
                           "order") from error
