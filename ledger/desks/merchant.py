"""``MerchantDesk``: what a merchant's owner and agents do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from .. import signatures, timefmt, validate
from ..errors import (
    AlreadyReturned,
    AlreadySettled,
    FeeTooHigh,
    InvalidDelivery,
    InvalidInput,
    NotAnAgent,
    ReferralNotAllowed,
    TermsRetired,
    TextNotFound,
)
from ..events import refund_in
from ..models import (
    NATIVE,
    RETURN_KINDS,
    Channel,
    ContactKind,
    ContactMoment,
    Figures,
    InboxItem,
    LineItem,
    Merchant,
    Purchase,
    PurchaseRow,
    Reason,
    Refund,
    ReturnRow,
    ReturnTerms,
    Role,
    SettlementBatch,
    TxResult,
)
from ..names import (
    MAX_PRODUCTS,
    Catalogue,
    Product,
    Profile,
    Signed,
    catalogues,
    once_each,
    profiles,
    typed_data,
)
from ..orders import MAX_LINES, Order, SignedOrder, line_tuple
from ..reading.reads import Reads, replies
from ..tokens import check_token
from ..validate import MAX_AMOUNT
from .anyone import Anyone
from .contacts import ContactRow, checked_contact_call, contact_call, purchase_key
from .customer import check_order, order_signature
from .outbox import Outbox
from .prepared import Prepared, T

MAX_ORDER_VALIDITY = 365 * 86_400
"""The longest a signed order may be bought for: an offer at a price, not a standing promise."""

MAX_EXTENSION_DAYS = 365
"""The most days a window can be extended by, or an agent allowed to extend (``LedgerExtensionTooLong``)."""


class MerchantDesk:
    """What a merchant's owner or agents do: orders, terms, staff, deliveries, contacts, refunds, settlement."""

    def __init__(self, reads: Reads, outbox: Outbox, actor: LocalAccount | str, merchant_id: int) -> None:
        """``actor``: the account that signs (the library, the CLI), or only its address: then the desk prepares
        each action (``prepare_<action>``) for a wallet to sign (the page) and sends none."""
        self.reads, self.outbox, self.merchant_id = reads, outbox, merchant_id
        self.account: LocalAccount | None = None if isinstance(actor, str) else actor
        self.address = validate.address(actor if isinstance(actor, str) else actor.address, "staff address")
        self._functions = reads.contracts.functions

    def _send(self, prepared: Prepared[T]) -> T:
        return self.outbox.send(self._signer(), prepared)

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise InvalidInput(f"this desk acts for {self.address} without its key: it prepares calls for a wallet "
                               "to sign and sends none")
        return self.account

    def info(self) -> Merchant:
        """This merchant's owner, payout address and settings."""
        return self.reads.merchant(self.merchant_id)

    # ------------------------------------------------------------ orders

    def quote(
        self,
        terms_id: int,
        lines: Sequence[LineItem | tuple[str, int, int]],
        order_ref: str | bytes,
        customer: str | None = None,
        valid_for: int = 3_600,
        token: str = NATIVE,
        referrer: str | None = None,
        referral_bps: int = 0,
    ) -> SignedOrder:
        """Sign an order under ``terms_id`` for ``customer`` (anyone, once, when None), valid for ``valid_for``
        seconds; the customer's side buys it with ``CustomerDesk.buy``. Nothing is sent."""
        return self.prepare_quote(terms_id, lines, order_ref, customer, valid_for, token, referrer,
                                  referral_bps).sign(self._signer())

    def prepare_quote(
        self,
        terms_id: int,
        lines: Sequence[LineItem | tuple[str, int, int]],
        order_ref: str | bytes,
        customer: str | None = None,
        valid_for: int = 3_600,
        token: str = NATIVE,
        referrer: str | None = None,
        referral_bps: int = 0,
    ) -> SignedOrder:
        """The order ``quote`` signs, checked the same way but not signed: for the wallet of this desk's address (a
        Safe, a hardware wallet) to sign its typed data (``Order.typed_data``), or for a Safe to approve its
        digest, the purchase id, on chain; ``attach`` (or ``sign``, for a key) makes it one a customer can buy."""
        terms = self.reads.terms(validate.positive(terms_id, "terms id"))
        if terms.merchant_id != self.merchant_id:
            raise InvalidInput(f"terms #{terms_id} belong to merchant #{terms.merchant_id}, not #{self.merchant_id}")
        if terms.retired:
            raise TermsRetired(terms.id)
        items = tuple(LineItem.of(line) for line in lines)
        if not 1 <= len(items) <= MAX_LINES:
            raise InvalidInput(f"an order has 1 to {MAX_LINES} lines, not {len(items)}")
        for line in items:
            line_tuple(line)
        total = sum(line.total for line in items)
        validate.positive(total, "order total")
        if total >= 2**128:
            raise InvalidInput("the order total must be below 2^128 of the token's smallest unit")
        validate.positive(valid_for, "validity (seconds)")
        if valid_for > MAX_ORDER_VALIDITY:
            raise InvalidInput(f"an order may be valid for at most {MAX_ORDER_VALIDITY // 86_400} days: sign a new one "
                               "when it expires")
        if isinstance(order_ref, str) and not order_ref.strip():
            raise InvalidInput("the order reference is empty: give your own order number (only its hash goes on chain)")
        token = validate.address(token, "token")
        if not self.reads.accepts(self.merchant_id, token):
            raise InvalidInput(f"merchant #{self.merchant_id} does not accept token {token}: accept it first")
        validate.non_negative(referral_bps, "referral commission (basis points)")
        if referral_bps > 10_000:
            raise FeeTooHigh(referral_bps, 10_000)
        referrer = validate.address(referrer, "referrer") if referrer is not None else NATIVE
        if referral_bps and referrer == NATIVE:
            raise InvalidInput("a referral commission needs a referrer")
        me = self.reads.staff(self.merchant_id, self.address)
        allowed = self.reads.referral_limit(self.merchant_id, self.address, referrer, me) if referral_bps else 0
        if referral_bps > allowed:  # refused before signing, as the contract would refuse it at purchase
            raise ReferralNotAllowed("0x" + "00" * 32, self.address, referrer, referral_bps, allowed)
        ref = validate.hash_of(order_ref) if isinstance(order_ref, str) else validate.bytes32(order_ref, "order ref")
        order = Order(
            merchant_id=self.merchant_id, terms_id=terms.id, lines=items, order_ref="0x" + ref.hex(),
            expiry=self.reads.contracts.chain.now() + valid_for, return_window=terms.return_window,
            restocking_fee_bps=terms.restocking_fee_bps, delivery_wait=terms.delivery_wait,
            item_must_be_returned=terms.item_must_be_returned,
            customer=validate.address(customer, "customer") if customer is not None else NATIVE,
            token=token, referrer=referrer, referral_bps=referral_bps, signer_generation=me.generation,
        )
        chain_id, address = self.reads.contracts.chain.chain_id, self.reads.contracts.address
        number = order_ref.strip() if isinstance(order_ref, str) and order_ref.strip() == order_ref else ""
        if number:  # the shop's own number, kept beside its hash (the hash alone goes on chain)
            self.outbox.names.keep_order_number(self.merchant_id, order.order_ref, number)
        return SignedOrder(order, "", self.address, chain_id, address, order.purchase_id(chain_id, address), number)

    def sign(self, unsigned: SignedOrder) -> SignedOrder:
        """Sign an order waiting for a signature (``prepare_quote``, a file of ``ledger quote --unsigned``) with
        this desk's key; refused, as ``check_order`` refuses it, unless a customer could buy it now."""
        return self._checked(self._mine(unsigned).sign(self._signer()))

    def attach(self, unsigned: SignedOrder, signature: str | bytes = b"") -> SignedOrder:
        """An order waiting for a signature, with the one this desk's address gave through its wallet: an
        account's, or a contract wallet's ERC-1271 signature (a Safe's owners' signatures over its message hash of
        the purchase id), or none when a Safe approved the purchase id on chain (SignMessageLib). The signature is
        checked as the contract will check it (the wallet is asked), then the order as ``check_order`` checks
        it: what comes back is an order a customer can buy, so nobody is handed one that would only fail."""
        signed = self._mine(unsigned).with_signature(signature, self.address)
        digest = bytes.fromhex(signed.purchase_id[2:])
        if signatures.order_signer(self.reads.contracts.w3, digest, order_signature(signed)) != self.address:
            if self.reads.contracts.w3.eth.get_code(self.address):
                raise InvalidInput(
                    f"wallet {self.address} does not accept this signature of order {signed.purchase_id}: a Safe "
                    "needs as many owners as its threshold to sign it, or its digest approved on chain (SignMessageLib)")
            raise InvalidInput(f"the signature is not {self.address}'s for order {signed.purchase_id}: sign the "
                               "order's typed data with that account")
        return self._checked(signed)

    def _mine(self, unsigned: SignedOrder) -> SignedOrder:
        if unsigned.order.merchant_id != self.merchant_id:
            raise InvalidInput(f"the order is merchant #{unsigned.order.merchant_id}'s, not #{self.merchant_id}'s: "
                               "sign it for its own shop")
        return unsigned

    def _checked(self, signed: SignedOrder) -> SignedOrder:
        check_order(self.reads, signed)
        return signed

    # ------------------------------------------------------------ names (off chain, signed by the staff)

    def prepare_profile(self, name: str, support: str = "", logo: str = "") -> Profile:
        """This shop's profile, checked and dated, for a wallet to sign (``names.typed_data``) and
        ``Ledger.names_store.keep`` to keep."""
        return Profile(self.merchant_id, name, support, logo, self._issue_time(profiles)).checked()

    def prepare_catalogue(self, products: Sequence[Product]) -> list[Catalogue]:
        """Catalogue batches naming ``products`` (at most ``names.MAX_PRODUCTS`` each), checked and dated one
        second apart, for a wallet to sign; SKUs not among them keep their names."""
        products = tuple(products)
        if not products:
            raise InvalidInput("the catalogue names no product: give at least one row (sku, name)")
        start = self._issue_time(catalogues)
        batches = [Catalogue(self.merchant_id, products[i:i + MAX_PRODUCTS], start + n).checked()
                   for n, i in enumerate(range(0, len(products), MAX_PRODUCTS))]
        once_each(p for batch in batches for p in batch.products)
        return batches

    def set_profile(self, name: str, support: str = "", logo: str = "") -> Signed:
        """Sign this shop's profile and keep it (``names.NameStore.keep``): shown wherever the shop is."""
        return self._sign_and_keep(self.prepare_profile(name, support, logo))

    def import_catalogue(self, products: Sequence[Product]) -> list[Signed]:
        """Sign names for products and keep them (``names.NameStore.keep``), batch by batch."""
        return [self._sign_and_keep(batch) for batch in self.prepare_catalogue(products)]

    def keep_signed(self, content: Profile | Catalogue, signature: str) -> Signed:
        """Keep a profile or catalogue batch this desk's wallet signed (``prepare_profile``,
        ``prepare_catalogue``, then ``names.typed_data`` in the wallet): refused as ``NameStore.keep`` refuses,
        and when it names another shop."""
        if content.merchant_id != self.merchant_id:
            raise InvalidInput(f"the signed names are for shop #{content.merchant_id}, not #{self.merchant_id}: sign "
                               "them on this shop's page")
        return self.outbox.names.keep(Signed(content, self.address, signature), self.reads)

    def _sign_and_keep(self, content: Profile | Catalogue) -> Signed:
        contracts = self.reads.contracts
        signed = self._signer().sign_message(
            encode_typed_data(full_message=typed_data(content, contracts.chain.chain_id, contracts.address)))
        return self.keep_signed(content, "0x" + bytes(signed.signature).hex())

    def _issue_time(self, table: Any) -> int:
        """Now by the chain's clock, or a second after this shop's newest version when that is later."""
        newest = self.outbox.names.newest(self.merchant_id, table, self.reads)
        return max(self.reads.contracts.chain.now(), newest + 1 if newest is not None else 0)

    # ------------------------------------------------------------ shop settings (owner)

    def prepare_set_payout(self, payout: str) -> Prepared[TxResult]:
        """Change where settled money goes. Owner only."""
        return _plain(self._functions.setPayout(self.merchant_id, validate.address(payout, "payout address")))

    def set_payout(self, payout: str) -> TxResult:
        """Change where settled money goes. Owner only."""
        return self._send(self.prepare_set_payout(payout))

    def prepare_accept_token(self, token: str, accepted: bool = True) -> Prepared[TxResult]:
        """Start (or stop) accepting an ERC-20 token for new orders; ETH is always accepted. Owner only. A token
        to accept must be an ERC-20 contract, not an account or one of the ledger's own (``tokens.check_token``);
        any address may be unlisted."""
        contracts = self.reads.contracts
        token = (check_token(contracts.w3, token, {contracts.address, contracts.feedback.address}) if accepted
                 else validate.address(token, "token"))
        return _plain(self._functions.setTokenAccepted(self.merchant_id, token,
                                                       bool(accepted)))

    def accept_token(self, token: str, accepted: bool = True) -> TxResult:
        """Start (or stop) accepting an ERC-20 token for new orders; ETH is always accepted. Owner only."""
        return self._send(self.prepare_accept_token(token, accepted))

    def prepare_set_credit_bonus(self, basis_points: int) -> Prepared[TxResult]:
        """Set the bonus on refunds taken as store credit (basis points). Owner only."""
        validate.non_negative(basis_points, "credit bonus (basis points)")
        if basis_points > 10_000:
            raise FeeTooHigh(basis_points, 10_000)
        return _plain(self._functions.setCreditBonus(self.merchant_id, basis_points))

    def set_credit_bonus(self, basis_points: int) -> TxResult:
        """Set the bonus on refunds taken as store credit (basis points). Owner only."""
        return self._send(self.prepare_set_credit_bonus(basis_points))

    def prepare_set_credit_cash_out_delay(self, seconds: int) -> Prepared[TxResult]:
        """Let customers cash out store credit this long after it is issued, even while the shop trades (0: only
        once it has no active terms), for credit issued from now on: credit held keeps its date. Owner only."""
        validate.non_negative(seconds, "delay (seconds)")
        if seconds >= 2**32:
            raise InvalidInput(f"a delay of {seconds} s is too long: at most {2**32 - 1} s")
        return _plain(self._functions.setCreditCashOutDelay(self.merchant_id, seconds))

    def set_credit_cash_out_delay(self, seconds: int) -> TxResult:
        """``prepare_set_credit_cash_out_delay``, sent."""
        return self._send(self.prepare_set_credit_cash_out_delay(seconds))

    def prepare_add_agent(self, agent: str) -> Prepared[TxResult]:
        """Let ``agent`` act as staff (with no budget and no extension mandate). Owner only."""
        return _plain(self._functions.addAgent(self.merchant_id, validate.address(agent, "agent")))

    def add_agent(self, agent: str) -> TxResult:
        """Let ``agent`` act as staff (with no budget and no extension mandate). Owner only."""
        return self._send(self.prepare_add_agent(agent))

    def prepare_remove_agent(self, agent: str) -> Prepared[TxResult]:
        """Take an agent's rights away, with its budgets and mandate. Owner only."""
        return _plain(self._functions.removeAgent(self.merchant_id, validate.address(agent, "agent")))

    def remove_agent(self, agent: str) -> TxResult:
        """Take an agent's rights away, with its budgets and mandate. Owner only."""
        return self._send(self.prepare_remove_agent(agent))

    def prepare_set_mandate(self, agent: str, max_extension_days: int) -> Prepared[TxResult]:
        """Set how many days, in all, ``agent`` may add to one purchase's window. Owner only."""
        validate.non_negative(max_extension_days, "extension mandate (days)")
        if max_extension_days > MAX_EXTENSION_DAYS:
            raise InvalidInput(f"an extension mandate of {max_extension_days} days is above {MAX_EXTENSION_DAYS} days")
        return _plain(self._functions.setMandate(self.merchant_id, self._agent(agent), max_extension_days))

    def set_mandate(self, agent: str, max_extension_days: int) -> TxResult:
        """Set how many days, in all, ``agent`` may add to one purchase's window. Owner only."""
        return self._send(self.prepare_set_mandate(agent, max_extension_days))

    def prepare_set_referral_mandate(self, agent: str, max_referral_bps: int) -> Prepared[TxResult]:
        """Set the most referral commission an order ``agent`` signs may carry (to approved referrers only;
        0 lets its orders carry none). Owner only."""
        validate.non_negative(max_referral_bps, "referral mandate (basis points)")
        if max_referral_bps > 10_000:
            raise FeeTooHigh(max_referral_bps, 10_000)
        return _plain(self._functions.setReferralMandate(self.merchant_id, self._agent(agent), max_referral_bps))

    def set_referral_mandate(self, agent: str, max_referral_bps: int) -> TxResult:
        """``prepare_set_referral_mandate``, sent."""
        return self._send(self.prepare_set_referral_mandate(agent, max_referral_bps))

    def prepare_approve_referrer(self, referrer: str, approved: bool = True) -> Prepared[TxResult]:
        """Let the shop's agents name ``referrer`` in the orders they sign (or, with ``approved=False``, no
        longer). The owner's own orders may name anyone. Owner only."""
        referrer = validate.address(referrer, "referrer")
        return _plain(self._functions.setReferrerApproved(self.merchant_id, referrer, bool(approved)))

    def approve_referrer(self, referrer: str, approved: bool = True) -> TxResult:
        """``prepare_approve_referrer``, sent."""
        return self._send(self.prepare_approve_referrer(referrer, approved))

    def prepare_set_budget(self, agent: str, amount: int, token: str = NATIVE) -> Prepared[TxResult]:
        """Set what ``agent`` may still refund in ``token`` without asking (0 revokes). Owner only."""
        validate.non_negative(amount, "budget")
        if amount >= 2**128:
            raise InvalidInput("a budget must be below 2^128 of the token's smallest unit")
        token = validate.address(token, "token")
        return _plain(self._functions.setBudget(self.merchant_id, self._agent(agent), token, amount), token)

    def set_budget(self, agent: str, amount: int, token: str = NATIVE) -> TxResult:
        """Set what ``agent`` may still refund in ``token`` without asking (0 revokes). Owner only."""
        return self._send(self.prepare_set_budget(agent, amount, token))

    def _agent(self, agent: str) -> str:
        """``agent``'s address, refused in words when it is not an agent here (budgets and mandates are an
        agent's; the owner needs none)."""
        agent = validate.address(agent, "agent")
        role = self.reads.role(self.merchant_id, agent)
        if role is Role.OWNER:
            raise InvalidInput(f"{agent} is the owner of merchant #{self.merchant_id}, who may refund and extend "
                               "freely: budgets and mandates are for agents")
        if role is not Role.AGENT:
            raise NotAnAgent(self.merchant_id, agent)  # what the contract would say, before anything is sent
        return agent

    def budget(self, agent: str, token: str = NATIVE) -> int:
        """What ``agent`` may still refund in ``token``."""
        return self.reads.budget(self.merchant_id, agent, token)

    def prepare_publish_terms(
        self,
        return_window: int,
        restocking_fee_bps: int = 0,
        delivery_wait: int = 0,
        item_must_be_returned: bool = False,
    ) -> Prepared[ReturnTerms]:
        """Publish return terms; ``return_window`` in seconds (0 for no returns); ``delivery_wait`` 0 for a window
        from purchase, else the longest wait (seconds) for the delivery the window starts at. Owner only."""
        validate.non_negative(return_window, "return window (seconds)")
        validate.non_negative(restocking_fee_bps, "restocking fee (basis points)")
        validate.non_negative(delivery_wait, "longest wait for delivery (seconds)")
        if return_window >= 2**32 or delivery_wait >= 2**32:
            raise InvalidInput(f"windows and waits are at most {2**32 - 1} s")
        if restocking_fee_bps > 10_000:
            raise FeeTooHigh(restocking_fee_bps, 10_000)
        return Prepared(
            self._functions.publishTerms(self.merchant_id, return_window, restocking_fee_bps, delivery_wait,
                                         bool(item_must_be_returned)),
            read=lambda result: self.reads.terms(int(result.named("TermsPublished")[0].args["termsId"])))

    def publish_terms(self, return_window: int, restocking_fee_bps: int = 0, delivery_wait: int = 0,
                      item_must_be_returned: bool = False) -> ReturnTerms:
        """``prepare_publish_terms``, sent: the terms as published."""
        return self._send(self.prepare_publish_terms(return_window, restocking_fee_bps, delivery_wait,
                                                     item_must_be_returned))

    def prepare_retire_terms(self, terms_id: int) -> Prepared[TxResult]:
        """Stop terms from being used for new orders. Owner only."""
        return _plain(self._functions.retireTerms(validate.positive(terms_id, "terms id")))

    def retire_terms(self, terms_id: int) -> TxResult:
        """Stop terms from being used for new orders. Owner only."""
        return self._send(self.prepare_retire_terms(terms_id))

    def terms(self) -> list[ReturnTerms]:
        """Every set of terms this merchant published."""
        return self.reads.terms_of(self.merchant_id)

    # ------------------------------------------------------------ purchases (staff)

    def prepare_confirm_delivery(self, purchase_id: str) -> Prepared[Purchase]:
        """Record that a purchase was delivered now; its window runs its full length from now (a delivery
        cannot be dated back, so a confirmation never leaves the customer less than the whole window)."""
        purchase = self.open_purchase(purchase_id)
        short, now = f"{purchase.id[:10]}…", purchase.as_of
        reason = ""  # the contract's refusal says only "invalid delivery": the one reason, before anything is sent
        if not purchase.window_from_delivery:
            reason = (f"purchase {short}'s return window runs from its purchase, not from delivery: there is no "
                      "delivery to confirm")
        elif purchase.delivered_at:
            reason = (f"delivery of purchase {short} was confirmed already, on {timefmt.utc(purchase.delivered_at)}: "
                      f"its window runs until {timefmt.utc(purchase.deadline)}")
        elif now >= purchase.purchased_at + purchase.delivery_wait:
            reason = (f"the longest wait for delivery of purchase {short} ended on "
                      f"{timefmt.utc(purchase.purchased_at + purchase.delivery_wait)}, so its window runs already "
                      f"(until {timefmt.utc(purchase.deadline)}): there is nothing to confirm")
        if reason:
            refused = InvalidDelivery(purchase.id, now)
            refused.reason = reason
            raise refused
        return Prepared(self._functions.confirmDelivery(purchase.order.packed()),
                        read=lambda _: self.reads.purchase(purchase.id))

    def confirm_delivery(self, purchase_id: str) -> Purchase:
        """``prepare_confirm_delivery``, sent: the purchase as it stands then."""
        return self._send(self.prepare_confirm_delivery(purchase_id))

    def prepare_log_contact(
        self,
        customer: str,
        channel: Channel | str,
        kind: ContactKind | str,
        content: str | bytes = b"",
        purchase_id: str | None = None,
        occurred_at: int | None = None,
    ) -> Prepared[ContactMoment]:
        """Log a contact moment with a customer. Only a salted hash of ``content`` goes on chain; the text is
        kept off chain (``Ledger.texts``) for the customer and the shop's staff once the call lands."""
        customer = self._customer(customer)
        sealed = self.outbox.seal_text("contact", content, customer, self.merchant_id)
        return Prepared(checked_contact_call(self.reads, self.merchant_id, customer, purchase_id, channel, kind, occurred_at,
                                                 sealed.hash),
                        read=self.reads.contact_logged, texts=(sealed,))

    def _customer(self, customer: str) -> str:
        """The customer a contact is with: an address, not the staff member's own."""
        customer = validate.address(customer, "customer")
        if customer == self.address:
            raise InvalidInput("staff log contacts with a customer: give the customer's address, not your own")
        return customer

    def prepare_log_contacts(self, rows: Sequence[ContactRow]) -> list[Prepared[ContactMoment] | InvalidInput]:
        """Many contact moments (a CRM export) prepared at once, for the bulk path (``Ledger.send_many``): each
        row checked as ``prepare_log_contact`` checks one, the shop's purchases read once, not once per row;
        a row refused gives its ``InvalidInput`` in its place, so every bad row can be named before anything
        is sent. Each text is salted, and is to be kept once its row was sent."""
        buyers = {event.args["purchaseId"]: event.args["customer"]
                  for event in self.reads.contracts.events("PurchaseRecorded", None, self.merchant_id)}

        def made(purchase_id: str) -> tuple[str, int] | None:
            return (buyers[purchase_id], self.merchant_id) if purchase_id in buyers else None

        now = self.reads.contracts.chain.now()
        prepared: list[Prepared[ContactMoment] | InvalidInput] = []
        for row in rows:
            try:
                customer = self._customer(row.customer)
                key = purchase_key(row.purchase_id, customer, self.merchant_id, made)
                sealed = self.outbox.seal_text("contact", row.text, customer, self.merchant_id, now)
                prepared.append(Prepared(
                    contact_call(self._functions, self.merchant_id, customer, key, row.channel, row.kind,
                                 row.occurred_at, sealed.hash),
                    read=self.reads.contact_logged, texts=(sealed,)))
            except InvalidInput as refusal:
                prepared.append(refusal)
        return prepared

    def log_contact(self, customer: str, channel: Channel | str, kind: ContactKind | str, content: str | bytes = b"",
                    purchase_id: str | None = None, occurred_at: int | None = None) -> ContactMoment:
        """``prepare_log_contact``, sent: the contact as ``Ledger.contacts`` gives it."""
        return self._send(self.prepare_log_contact(customer, channel, kind, content, purchase_id, occurred_at))

    def prepare_goodwill_refund(self, purchase_id: str, amount: int, reason: Reason | str = Reason.OTHER,
                                note: str | bytes = b"") -> Prepared[Refund]:
        """Refund a customer out of what the purchase still holds, at any time before settlement; an agent
        within its goodwill budget. Only a salted hash of ``note`` goes on chain (the note is kept as a contact
        note is)."""
        purchase = self.own_purchase(purchase_id)
        validate.positive(amount)
        if amount > MAX_AMOUNT:
            raise InvalidInput("a refund must be below 2^128 of the token's smallest unit")
        why = int(Reason.parse(reason))
        sealed = self.outbox.seal_text("contact", note, purchase.customer, self.merchant_id)
        return Prepared(
            self._functions.goodwillRefund(purchase.order.packed(), amount, why, sealed.hash),
            read=lambda result: refund_in(result, "GoodwillRefunded", purchase, self.reads.contracts.chain),
            texts=(sealed,), token=purchase.token)

    def goodwill_refund(self, purchase_id: str, amount: int, reason: Reason | str = Reason.OTHER,
                        note: str | bytes = b"") -> Refund:
        """``prepare_goodwill_refund``, sent: the refund paid."""
        return self._send(self.prepare_goodwill_refund(purchase_id, amount, reason, note))

    def prepare_refund_without_return(self, purchase_id: str, lines: Sequence[int] | None = None,
                                      reason: Reason | str = Reason.OTHER) -> Prepared[Refund]:
        """Refund lines the customer keeps ("keep it"): their share of what was paid, no fee, no return."""
        purchase = self.own_purchase(purchase_id)
        return Prepared(
            self._functions.refundWithoutReturn(purchase.order.packed(), purchase.order.line_tuples(),
                                                purchase.mask_of(lines), int(Reason.parse(reason))),
            read=lambda result: refund_in(result, "GoodwillRefunded", purchase, self.reads.contracts.chain),
            token=purchase.token)

    def refund_without_return(self, purchase_id: str, lines: Sequence[int] | None = None,
                              reason: Reason | str = Reason.OTHER) -> Refund:
        """``prepare_refund_without_return``, sent: the refund paid."""
        return self._send(self.prepare_refund_without_return(purchase_id, lines, reason))

    def prepare_extend_window(self, purchase_id: str, days: int, reason: Reason | str = Reason.OTHER
                              ) -> Prepared[Purchase]:
        """Give one purchase's open window more days (an agent within its mandate)."""
        purchase = self.open_purchase(purchase_id)
        _within_the_longest_extension(validate.positive(days, "extension (days)"))
        return Prepared(self._functions.extendWindow(purchase.order.packed(), days, int(Reason.parse(reason))),
                        read=lambda _: self.reads.purchase(purchase.id))

    def extend_window(self, purchase_id: str, days: int, reason: Reason | str = Reason.OTHER) -> Purchase:
        """``prepare_extend_window``, sent: the purchase with its new deadline."""
        return self._send(self.prepare_extend_window(purchase_id, days, reason))

    def prepare_set_window_extension(self, purchase_id: str, days: int, reason: Reason | str = Reason.OTHER
                                     ) -> Prepared[Purchase]:
        """Set the days added to a purchase's window to more than they are: reopen a closed window, or extend
        an open one without a mandate. Never fewer (an extension given is the customer's). Owner only."""
        purchase = self.open_purchase(purchase_id)
        _within_the_longest_extension(validate.positive(days, "extension (days)"))
        return Prepared(self._functions.setWindowExtension(purchase.order.packed(), days, int(Reason.parse(reason))),
                        read=lambda _: self.reads.purchase(purchase.id))

    def set_window_extension(self, purchase_id: str, days: int, reason: Reason | str = Reason.OTHER) -> Purchase:
        """``prepare_set_window_extension``, sent: the purchase with its new deadline."""
        return self._send(self.prepare_set_window_extension(purchase_id, days, reason))

    def settle(self, purchase_ids: Iterable[str] | None = None,
               unanswered_too: bool = False) -> SettlementBatch | None:
        """Settle the given purchases, or every closed one of this merchant (None when there is none), in
        transactions that fit well inside a block (``Ledger.settle_purchases``); a purchase whose customer's
        request is unanswered (``Reads.held_back``) is left out unless named or ``unanswered_too``."""
        if purchase_ids is not None:
            return Anyone(self.reads, self.outbox).settle(self._signer(), purchase_ids)
        closed = self.reads.settleable(self.merchant_id, unanswered_too=unanswered_too)
        return Anyone(self.reads, self.outbox).settle_purchases(self._signer(), closed) if closed else None

    def withdraw_deferred(self, token: str = NATIVE) -> Any:
        """Send payments that could not be pushed to the payout to the current payout address."""
        return Anyone(self.reads, self.outbox).withdraw_merchant(self._signer(), self.merchant_id, token)

    def purchases(self, **filters: Any) -> list[Purchase]:
        """This merchant's purchases; filters as in ``Ledger.purchases`` (customer, sku, since, until, status)."""
        return self.reads.purchases(merchant_id=self.merchant_id, **filters)

    def contacts(self, customer: str | None = None, purchase_id: str | None = None) -> list[ContactMoment]:
        """This merchant's contact moments."""
        return self.reads.contacts(self.merchant_id, customer, purchase_id)

    def inbox(self) -> list[InboxItem]:
        """What customers sent this shop, with their texts: the unanswered first, then the answered, newest first
        in each. A request is answered by logging a contact for its customer (``log_contact``), about the same
        purchase when it named one."""
        items = [InboxItem(request, self._text(request.content_hash), reply)
                 for request, reply in reversed(replies(self.reads.contacts(self.merchant_id)))]
        return sorted(items, key=lambda item: item.answered)  # stable: newest first within each

    def returns(self, limit: int | None = None) -> list[ReturnRow]:
        """This shop's returns, newest first (``limit`` of them): for money, for store credit or in an exchange,
        each with its purchase and the tracking number the customer gave (the text behind the shipment hash,
        which the shop's staff may read)."""
        refunds = [r for r in reversed(self.reads.refunds(merchant_id=self.merchant_id)) if r.kind in RETURN_KINDS]
        if limit is not None:
            refunds = refunds[:validate.positive(limit, "limit")]
        purchases: dict[str, Purchase] = {}
        rows = []
        for refund in refunds:
            if refund.purchase_id not in purchases:
                purchases[refund.purchase_id] = self.reads.purchase(refund.purchase_id)
            rows.append(ReturnRow(refund, purchases[refund.purchase_id], self._text(refund.reference)))
        return rows

    def export(self, **filters: Any) -> list[PurchaseRow]:
        """This shop's purchases the filters select (as in ``purchases``), each with its refunds and the tracking
        numbers its returns came with: a spreadsheet of the shop's history (``render.PURCHASES_COLUMNS``)."""
        refunds: dict[str, list[Refund]] = {}
        for refund in self.reads.refunds(merchant_id=self.merchant_id):
            refunds.setdefault(refund.purchase_id, []).append(refund)
        rows = []
        for purchase in self.purchases(**filters):
            its = tuple(refunds.get(purchase.id, ()))
            tracking = (self._text(r.reference) for r in its if r.kind in RETURN_KINDS)
            rows.append(PurchaseRow(purchase, its, tuple(text for text in tracking if text)))
        return rows

    def _text(self, reference: str) -> str | None:
        """The text behind a hash on chain, as this shop's staff may read it (None: none kept here)."""
        if not reference or int(reference, 16) == 0:
            return None
        try:
            return self.outbox.texts.read(reference, self.address, self.reads.role).body
        except TextNotFound:
            return None

    def figures(self, period: str = "all") -> list[Figures]:
        """How this merchant is doing in ``period``, one entry per token (``Ledger.figures``)."""
        return self.reads.figures(self.merchant_id, period)

    def open_purchase(self, purchase_id: str) -> Purchase:
        """One of this merchant's purchases that still has something to act on: not settled, and not every
        line returned (a delivery or an extension of such a purchase would change nothing)."""
        purchase = self.own_purchase(purchase_id)
        if purchase.settled:  # the contract's own refusals, before anything is sent
            raise AlreadySettled(purchase.id)
        if not purchase.open_lines:
            raise AlreadyReturned(purchase.id, (1 << len(purchase.lines)) - 1)
        return purchase

    def own_purchase(self, purchase_id: str) -> Purchase:
        purchase = self.reads.purchase(purchase_id)
        if purchase.merchant_id != self.merchant_id:
            raise InvalidInput(
                f"purchase {purchase.id[:10]}… was made at merchant #{purchase.merchant_id}, "
                f"not at merchant #{self.merchant_id}"
            )
        return purchase


def _plain(function: Any, token: str | None = None) -> Prepared[TxResult]:
    """A call whose result is its receipt."""
    return Prepared(function, read=_receipt, token=token)


def _receipt(result: TxResult) -> TxResult:
    return result


def _within_the_longest_extension(days: int) -> None:
    if days > MAX_EXTENSION_DAYS:
        raise InvalidInput(f"an extension of {days} days is above the {MAX_EXTENSION_DAYS} days a window can be "
                           "extended by")
