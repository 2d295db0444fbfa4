"""Long random use: a hypothesis state machine that plays shops, staff, customers, a relayer and a griefer
against the ledger on anvil (world in ``fuzz_world.py``), with every feature and the gaming moves of the
contract v2 issue, and the feedback customers give (reviews, NPS, CSAT of contacts). Each step first works
out from the chain what the contract must do; a step the contract (or the library, before sending) must
refuse has to fail with one of the typed errors that apply, and nothing may be mined. After every step the invariants hold:

- for every token the ledger holds exactly what it owes (escrow + store credit + deferred payments, read
  from the contract's views) plus what was given to it outright; so never less;
- no purchase ever had more refunded and settled than was paid, and no customer got out more than it paid;
- every purchase is in exactly one window state, the one the contract's rules give;
- the library reading the chain and the library reading its history index both see what the chain says,
  feedback included: reviews, net promoter scores, and satisfaction scores of contacts the staff logged.

``test_invariant.py`` runs it in CI; ``scripts/fuzz.py`` runs it for as many steps as asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from eth_utils import event_abi_to_log_topic
from fuzz_chain import BPS, OnChain, Views, fields
from fuzz_world import DAY, FEE_BPS, World, build
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ledger import errors
from ledger.artifacts import ledger_abi, load_artifact
from ledger.client import CustomerDesk, MerchantDesk
from ledger.models import NATIVE, Credit, Role, SignedReturn, Status
from ledger.orders import SignedOrder

T = TypeVar("T")

STATS = {"sequences": 0, "steps": 0, "checks": 0, "refusals": 0}
"""Counted over the process: sequences started, steps taken, invariant checks passed, refusals seen."""

_WORLD: World | None = None

PRICES = st.sampled_from([1, 7, 999, 10**6, 10**12, 10**17])
LINES = st.lists(st.tuples(st.integers(1, 3), PRICES), min_size=1, max_size=3)
PICK = st.integers(0, 2**16)
EVENTS = {"0x" + event_abi_to_log_topic(entry).hex(): entry["name"]
          for entry in ledger_abi() + load_artifact("LedgerFeedback")["abi"] if entry["type"] == "event"}
"""The ledger's and its feedback module's event names by topic."""
WINDOW_STATUS = {Status.SETTLED: "settled", Status.CLOSED: "closed", Status.OPEN: "open",
                 Status.AWAITING_DELIVERY: "awaiting_delivery"}


def world() -> World:
    """The shared world, built on first use."""
    global _WORLD
    if _WORLD is None:
        _WORLD = build()
    return _WORLD


class LedgerMachine(RuleBasedStateMachine):
    """Random use of every feature; see the module docstring for what is checked."""

    @initialize()
    def start(self) -> None:
        self.w = world()
        self.w.reset()
        self.functions = self.w.ledger.contract.functions
        self.views = Views(self.w.chain.url)
        self.quotes: list[SignedOrder] = list(self.w.opening)
        self.bought = {signed.purchase_id: signed for signed in self.w.opening}
        self.signed: list[SignedReturn] = []
        self.donated = {token: 0 for token in self.w.tokens}
        self.gas = {desk.address: 0 for desk in self.w.customers}
        self.scanned = self.w.chain.w3.eth.block_number
        self.last_check: tuple[int, int] | None = None
        self.settled: dict[str, int] | None = None
        """What each settled purchase paid out (merchant and referrer), from the ``Settled`` events."""
        self.contacts: list[Any] = []
        """Contact moments logged in this sequence (by staff or by the customer), for customers to rate."""
        self.rated: set[tuple[int, str, str]] = set()
        STATS["sequences"] += 1
        STATS["steps"] -= 1  # the invariant counts a step after each rule, this one included

    # ------------------------------------------------------------ reading the chain

    def _now(self) -> int:
        """When the next transaction lands (block times move by one second a block)."""
        return self.w.chain.now()

    def _view(self, call: Any) -> Any:
        return self.views.read([call])[0]

    def _balance_call(self, account: str, token: str) -> Any:
        if token == NATIVE:
            return "eth_getBalance", [account, "latest"]
        return self.w.erc20[token].functions.balanceOf(account)

    def _balance(self, account: str, token: str) -> int:
        return self._view(self._balance_call(account, token))

    def _onchain(self, purchase_id: str) -> OnChain:
        return self.views.purchases(self.functions, {purchase_id: self.bought[purchase_id].order})[purchase_id]

    def _role(self, merchant_id: int, account: str) -> tuple[Role, int]:
        role, _generation, days, _referral = fields(self._view(self.functions.staffOf(merchant_id, account)),
                                                    ("role", "generation", "maxExtensionDays", "maxReferralBps"))
        return Role(role), days

    def _referral_allowed(self, merchant_id: int, agent: str, referrer: str) -> int:
        """The most commission an order ``agent`` signs may give ``referrer`` (the contract's rule)."""
        referral = fields(self._view(self.functions.staffOf(merchant_id, agent)),
                          ("role", "generation", "maxExtensionDays", "maxReferralBps"))[3]
        return referral if self._view(self.functions.referrerApproved(merchant_id, referrer)) else 0

    def _merchant(self, merchant_id: int) -> list[Any]:
        return fields(self._view(self.functions.merchant(merchant_id)),
                      ("owner", "activeTerms", "creditCashOutDelay", "payout", "creditBonusBps", "registeredAt"))

    def _credit(self, merchant_id: int, customer: str, token: str) -> list[int]:
        return fields(self._view(self.functions.creditOf(merchant_id, customer, token)), ("amount", "cash", "cashableAt"))

    def _pick(self, pick: int) -> str | None:
        ids = list(self.bought)
        return ids[pick % len(ids)] if ids else None

    def _desk(self, address: str) -> CustomerDesk:
        return next(desk for desk in self.w.customers if desk.address == address)

    def _actor(self, pick: int):
        roles = self.w.staff_roles()
        return roles[pick % len(roles)]

    def _mask(self, onchain: OnChain, mask: int) -> tuple[list[int], int]:
        count = len(onchain.order.lines)
        lines = [i for i in range(count) if mask >> i & 1] or [mask % count]
        return lines, sum(1 << i for i in lines)

    def _staff_refusals(self, merchant_id: int, account: str, amount: int, token: str) -> set[type]:
        """Why a goodwill use of ``amount`` by ``account`` must be refused (``_useMandate``)."""
        role, _days = self._role(merchant_id, account)
        if role is Role.NONE:
            return {errors.NotMerchantAgent}
        if role is Role.AGENT and amount > self._view(self.functions.budgetOf(merchant_id, account, token)):
            return {errors.BudgetExceeded}
        return set()

    def _active_refusals(self, onchain: OnChain) -> set[type]:
        """``_checkActive``: nothing is left to act on."""
        found: set[type] = set()
        if onchain.settled:
            found.add(errors.AlreadySettled)
        if onchain.all_returned:
            found.add(errors.AlreadyReturned)
        return found

    # ------------------------------------------------------------ acting

    def _attempt(self, refusals: set[type], action: Callable[[], T]) -> T | None:
        """Run ``action``: it must succeed when nothing should stop it, else fail with one of ``refusals`` and
        send nothing. Any other exception is a failure of the run."""
        block = self.w.chain.w3.eth.block_number
        try:
            result = action()
        except errors.LedgerError as error:
            names = sorted(kind.__name__ for kind in refusals)
            assert refusals, f"refused with {type(error).__name__} ({error}) though nothing should stop it"
            assert isinstance(error, tuple(refusals)), f"refused with {type(error).__name__} ({error}), not {names}"
            assert self.w.chain.w3.eth.block_number == block, "a refused call mined a transaction"
            STATS["refusals"] += 1
            return None
        assert not refusals, f"accepted though one of {sorted(k.__name__ for k in refusals)} was due"
        return result

    # ------------------------------------------------------------ orders and purchases

    @rule(shop=st.integers(0, 1), signer=PICK, terms=PICK, token=st.integers(0, 2), lines=LINES,
          customer=st.integers(0, 3), referrer=st.integers(0, 5), bps=st.sampled_from([0, 1, 500, 10_000]),
          valid_for=st.sampled_from([1, 60, DAY, 3 * DAY]))
    def quote(self, shop: int, signer: int, terms: int, token: int, lines: list[tuple[int, int]], customer: int,
              referrer: int, bps: int, valid_for: int) -> None:
        """A shop's staff (or, as a gaming move, a customer or the stranger pricing its own order) signs an
        order for one customer or for anyone, maybe with a referrer (sometimes the buyer itself or the ledger)."""
        seller = self.w.shops[shop]
        chosen = seller.terms[terms % len(seller.terms)]
        token_address = self.w.tokens[token]
        buyer = self.w.customers[customer].address if customer < 3 else None
        named = [None, None, *self.w.referrers, self.w.customers[customer % 3].address, self.w.ledger.address]
        refer = named[referrer]
        refusals: set[type] = set()
        if fields(self._view(self.functions.terms(chosen.id)), ("m", "w", "f", "d", "i", "retired"))[5]:
            refusals.add(errors.TermsRetired)
        if not self._view(self.functions.accepts(seller.id, token_address)):
            refusals.add(errors.InvalidInput)
        actor = self._actor(signer)
        if (refer and bps and self._role(seller.id, actor.address)[0] is Role.AGENT
                and bps > self._referral_allowed(seller.id, actor.address, refer)):
            refusals.add(errors.ReferralNotAllowed)  # an agent grants commission only within its mandate
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, actor, seller.id)
        signed = self._attempt(refusals, lambda: desk.quote(
            chosen.id, [(f"SKU-{i}", q, p) for i, (q, p) in enumerate(lines)], f"Q-{len(self.quotes)}",
            customer=buyer, valid_for=valid_for, token=token_address, referrer=refer,
            referral_bps=bps if refer else 0))
        if signed is not None:
            self.quotes.append(signed)

    @rule(pick=PICK, buyer=st.integers(0, 2), credit_share=st.sampled_from([0, 0, 50, 100, 120]))
    def buy(self, pick: int, buyer: int, credit_share: int) -> None:
        """A customer buys a quoted order (again, too late, not its own, …), paying partly with store credit
        (sometimes more credit than it holds)."""
        if not self.quotes:
            return
        signed = self.quotes[pick % len(self.quotes)]
        order, desk, now = signed.order, self.w.customers[buyer], self._now()
        held = self._credit(order.merchant_id, desk.address, order.token)[0]
        credit = min(held * credit_share // 100, order.total)
        refusals: set[type] = set()
        if order.customer not in (NATIVE, desk.address):
            refusals.add(errors.NotOrderCustomer)
        if now > order.expiry:
            refusals.add(errors.OrderExpired)
        if fields(self._view(self.functions.terms(order.terms_id)), ("m", "w", "f", "d", "i", "retired"))[5]:
            refusals.add(errors.TermsRetired)
        if not self._view(self.functions.accepts(order.merchant_id, order.token)):
            refusals.add(errors.TokenNotAccepted)
        if order.referrer in (desk.address, self.w.ledger.address):
            refusals.add(errors.InvalidReferrer)
        role = self._role(order.merchant_id, signed.signer)[0]
        if role is Role.NONE:
            refusals.add(errors.InvalidOrderSignature)
        elif (role is Role.AGENT and order.referral_bps
              and order.referral_bps > self._referral_allowed(order.merchant_id, signed.signer, order.referrer)):
            refusals.add(errors.ReferralNotAllowed)  # its mandate, or the referrer's approval, went since
        if self.views.purchases(self.functions, {signed.purchase_id: order})[signed.purchase_id].bought:
            refusals.add(errors.PurchaseExists)
        if credit > held:
            refusals.add(errors.InsufficientCredit)
        purchase = self._attempt(refusals, lambda: desk.buy(signed, use_credit=credit))
        if purchase is None:
            return
        assert purchase.id == signed.purchase_id
        self.bought[purchase.id] = signed
        due = order.total - credit
        arrived = due - due * FEE_BPS // BPS if order.token == self.w.tokens[2] else due
        onchain = self._onchain(purchase.id)
        assert (onchain.paid, onchain.customer, onchain.credit_used) == (arrived + credit, desk.address, credit)

    @rule(shop=st.integers(0, 1), by_agent=st.booleans(), terms=PICK, token=st.integers(0, 2), lines=LINES,
          buyer=st.integers(0, 2), referrer=st.integers(0, 3), bps=st.sampled_from([0, 500, 10_000]),
          credit_share=st.sampled_from([0, 50, 100]))
    def sell(self, shop: int, by_agent: bool, terms: int, token: int, lines: list[tuple[int, int]], buyer: int,
             referrer: int, bps: int, credit_share: int) -> None:
        """The usual sale: the shop's owner or agent quotes an order for a customer, who buys it at once."""
        signer = self.w.agents[1] if by_agent else self.w.shops[shop].owner.account
        before = len(self.quotes)
        self.quote(shop, self.w.staff_roles().index(signer), terms, token, lines, buyer, referrer, bps, DAY)
        if len(self.quotes) > before:
            self.buy(before, buyer, credit_share)

    @rule(pick=PICK, mask=st.integers(1, 7), for_credit=st.booleans(), shipment=st.booleans(),
          someone_else=st.sampled_from([False, False, False, True]))
    def give_back(self, pick: int, mask: int, for_credit: bool, shipment: bool, someone_else: bool) -> None:
        """The customer (or, refused, another one) returns some lines for money or for store credit."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain = self._onchain(purchase_id)
        desk = self._desk(onchain.customer)
        if someone_else:
            desk = next(d for d in self.w.customers if d.address != onchain.customer)
        lines, line_bits = self._mask(onchain, mask)
        refusals = self._return_refusals(onchain, line_bits, shipment)
        if someone_else:
            refusals.add(errors.NotCustomer)
        give = desk.return_for_credit if for_credit else desk.return_items
        refund = self._attempt(refusals, lambda: give(purchase_id, lines, "PARCEL-1" if shipment else None))
        if refund is not None:
            due = self._credited(onchain, line_bits) if for_credit else onchain.return_due(line_bits)
            assert refund.amount == due, f"refunded {refund.amount}, {due} was due"

    def _return_refusals(self, onchain: OnChain, line_bits: int, shipment: bool) -> set[type]:
        found: set[type] = set()
        if line_bits & onchain.returned_mask:
            found.add(errors.AlreadyReturned)
        if self._now() >= onchain.deadline:
            found.add(errors.ReturnWindowClosed)
        if onchain.order.item_must_be_returned and not shipment:
            found.add(errors.ShipmentRequired)
        return found

    def _credited(self, onchain: OnChain, line_bits: int) -> int:
        """Credit a return of ``line_bits`` for credit adds now: the refund plus the shop's bonus on its money part,
        as far as the shop is sure to keep it (escrow beyond what the lines still open could take back, a wei a
        line for rounding; ``_issueCredit``); the rest of the bonus waits for settlement."""
        amount = onchain.return_due(line_bits)
        bonus_bps = self._merchant(onchain.order.merchant_id)[4]
        bonus = onchain.cash_share(amount) * bonus_bps // BPS
        lines = onchain.order.lines
        open_bits = ((1 << len(lines)) - 1) & ~(onchain.returned_mask | line_bits)
        sure = onchain.paid - onchain.refunded - amount
        if open_bits:
            share = sum(line.total for i, line in enumerate(lines) if open_bits >> i & 1) * onchain.paid // onchain.order.total
            sure = max(sure - (share - share * onchain.order.restocking_fee_bps // BPS + len(lines)), 0)
        return amount + min(bonus, sure)

    @rule(pick=PICK, mask=st.integers(1, 7), shipment=st.booleans(), valid_for=st.sampled_from([1, 60, DAY]))
    def sign_return(self, pick: int, mask: int, shipment: bool, valid_for: int) -> None:
        """The customer signs a return request for anyone to relay later (nothing is sent): refused before
        signing as a relayer's submission would be now (run first): the window closed, a line gone back already,
        or the terms want the item back and no shipment is named."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain = self._onchain(purchase_id)
        lines, line_bits = self._mask(onchain, mask)
        request = self._attempt(self._return_refusals(onchain, line_bits, shipment), lambda: self._desk(
            onchain.customer).sign_return(purchase_id, lines, "PARCEL-2" if shipment else None, valid_for))
        if request is not None:
            self.signed.append(request)

    @rule(pick=PICK)
    def relay_return(self, pick: int) -> None:
        """The stranger relays a signed return (maybe used, cancelled or expired already)."""
        if not self.signed:
            return
        request = self.signed[pick % len(self.signed)]
        onchain = self._onchain(request.purchase_id)
        refusals = self._return_refusals(onchain, request.line_mask, int(request.shipment_ref, 16) != 0)
        if self._view(self.functions.nonceUsed(onchain.customer, request.nonce)):
            refusals.add(errors.NonceUsed)
        if self._now() > request.deadline:
            refusals.add(errors.SignatureExpired)
        refund = self._attempt(refusals, lambda: self.w.ledger.submit_return(self.w.stranger, request))
        if refund is not None:
            assert (refund.amount, refund.customer) == (onchain.return_due(request.line_mask), onchain.customer)

    @rule(pick=PICK, someone_else=st.booleans())
    def cancel_return(self, pick: int, someone_else: bool) -> None:
        """The customer cancels a signed request (another customer cannot)."""
        if not self.signed:
            return
        request = self.signed[pick % len(self.signed)]
        customer = self._onchain(request.purchase_id).customer
        desk = next(d for d in self.w.customers if (d.address == customer) != someone_else)
        refusals: set[type] = {errors.NotCustomer} if someone_else else set()
        if self._view(self.functions.nonceUsed(customer, request.nonce)):
            refusals.add(errors.NonceUsed)
        self._attempt(refusals, lambda: desk.cancel_return(request))

    # ------------------------------------------------------------ staff

    @rule(pick=PICK, actor=PICK, share=st.sampled_from([1, 10, 50, 100, 150]))
    def goodwill(self, pick: int, actor: int, share: int) -> None:
        """Someone refunds out of escrow: the owner freely, an agent within (or beyond) its budget, anyone
        else refused; sometimes more than the purchase still holds."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain, account = self._onchain(purchase_id), self._actor(actor)
        order = onchain.order
        amount = max(1, onchain.in_escrow * share // 100)
        refusals = self._staff_refusals(order.merchant_id, account.address, amount, order.token)
        if amount > onchain.in_escrow:
            refusals.add(errors.RefundExceedsEscrow)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, order.merchant_id)
        refund = self._attempt(refusals, lambda: desk.goodwill_refund(purchase_id, amount, "damaged", "sorry"))
        if refund is not None:
            assert refund.amount == amount

    @rule(pick=PICK, actor=PICK, mask=st.integers(1, 7))
    def keep_it(self, pick: int, actor: int, mask: int) -> None:
        """Staff refund lines the customer keeps (their share, no fee), within the same mandate."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain, account = self._onchain(purchase_id), self._actor(actor)
        order = onchain.order
        lines, line_bits = self._mask(onchain, mask)
        amount = min(onchain.lines_share(line_bits), onchain.in_escrow)
        refusals = self._staff_refusals(order.merchant_id, account.address, amount, order.token)
        if line_bits & onchain.returned_mask:
            refusals.add(errors.AlreadyReturned)
        if amount == 0:
            refusals.add(errors.ZeroAmount)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, order.merchant_id)
        refund = self._attempt(refusals, lambda: desk.refund_without_return(purchase_id, lines, "wrong item"))
        if refund is not None:
            assert (refund.amount, refund.kind) == (amount, "kept")

    @rule(pick=PICK, actor=PICK, days=st.sampled_from([1, 2, 4, 6, 366]))
    def extend(self, pick: int, actor: int, days: int) -> None:
        """Staff add days to an open window: an agent within its mandate (or beyond it, refused), the owner
        up to 365 days; never a closed window, a final sale or a finished purchase."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain, account = self._onchain(purchase_id), self._actor(actor)
        role, mandate = self._role(onchain.order.merchant_id, account.address)
        refusals = self._active_refusals(onchain)
        if days > 365:
            refusals.add(errors.InvalidInput)
        if role is Role.NONE:
            refusals.add(errors.NotMerchantAgent)
        if onchain.order.return_window == 0:
            refusals.add(errors.NoReturns)
        if self._now() >= onchain.deadline:
            refusals.add(errors.ReturnWindowClosed)
        if onchain.extension_days + days > (365 if role is Role.OWNER else mandate):
            refusals.add(errors.ExtensionTooLong)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, onchain.order.merchant_id)
        if self._attempt(refusals, lambda: desk.extend_window(purchase_id, days, "service recovery")):
            assert self._onchain(purchase_id).extension_days == onchain.extension_days + days

    @rule(pick=PICK, actor=PICK, days=st.integers(0, 6))
    def set_extension(self, pick: int, actor: int, days: int) -> None:
        """The owner sets a window's extension outright: reopens a closed window, or extends an open one; never
        to fewer days than it has (an extension given is the customer's); nobody else."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain, account = self._onchain(purchase_id), self._actor(actor)
        refusals = self._active_refusals(onchain)
        if self._role(onchain.order.merchant_id, account.address)[0] is not Role.OWNER:
            refusals.add(errors.NotMerchantOwner)
        if onchain.order.return_window == 0:
            refusals.add(errors.NoReturns)
        if days == 0:
            refusals.add(errors.InvalidInput)
        if days <= onchain.extension_days:
            refusals.add(errors.ExtensionNotLonger)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, onchain.order.merchant_id)
        if self._attempt(refusals, lambda: desk.set_window_extension(purchase_id, days)):
            assert self._onchain(purchase_id).extension_days == days

    @rule(pick=PICK, actor=PICK)
    def deliver(self, pick: int, actor: int) -> None:
        """Staff confirm delivery, now (a delivery cannot be dated back): the window then runs its full length
        from now."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        onchain, account, now = self._onchain(purchase_id), self._actor(actor), self._now()
        refusals = self._active_refusals(onchain)
        if self._role(onchain.order.merchant_id, account.address)[0] is Role.NONE:
            refusals.add(errors.NotMerchantAgent)
        wait = onchain.order.delivery_wait
        if not wait or onchain.delivered_after or now >= onchain.purchased_at + wait:
            refusals.add(errors.InvalidDelivery)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, onchain.order.merchant_id)
        if self._attempt(refusals, lambda: desk.confirm_delivery(purchase_id)):
            assert self._onchain(purchase_id).delivered_after == now - onchain.purchased_at + 1

    # ------------------------------------------------------------ settlement and money owed

    @rule(picks=st.lists(PICK, min_size=1, max_size=4), by_shop=st.booleans(),
          front_run=st.sampled_from(["none", "none", "settle", "return"]))
    def settle(self, picks: list[int], by_shop: bool, front_run: str) -> None:
        """A batch is settled by a shop or the stranger; sometimes someone gets in first, settling one of its
        purchases or returning it. The batch never fails: it settles what is closed and says why it passed
        over the rest."""
        if not self.bought:
            return
        ids = list(dict.fromkeys(self._pick(pick) for pick in picks))
        if front_run == "settle":
            self._settle([ids[0]], self.w.ledger.settle, self.w.stranger)
        elif front_run == "return":
            onchain = self._onchain(ids[0])
            open_lines = [i for i in range(len(onchain.order.lines)) if not onchain.returned_mask >> i & 1] or [0]
            bits = sum(1 << i for i in open_lines)
            self._attempt(self._return_refusals(onchain, bits, True),
                          lambda: self._desk(onchain.customer).return_items(ids[0], open_lines, "PARCEL-3"))
        if by_shop:
            desk = self.w.shops[picks[0] % 2].owner
            self._settle(ids, lambda _account, chosen: desk.settle(chosen), desk.account)
        else:
            self._settle(ids, self.w.ledger.settle, self.w.stranger)

    def _settle(self, ids: list[str], send: Callable[[Any, list[str]], Any], account: Any) -> None:
        before = {purchase_id: self._onchain(purchase_id) for purchase_id in ids}
        owed = {purchase_id: self._view(self.functions.pendingBonusOf(bytes.fromhex(purchase_id[2:])))
                for purchase_id in ids}
        now = self._now()
        batch = self._attempt(set(), lambda: send(account, ids))
        states = {purchase_id: onchain.window_state(now) for purchase_id, onchain in before.items()}
        assert [s.purchase_id for s in batch.settled] == [i for i in ids if states[i] == "closed"]
        reasons = {"settled": "already_settled", "open": "window_open", "awaiting_delivery": "awaiting_delivery"}
        assert list(batch.skipped) == [(i, reasons[states[i]]) for i in ids if states[i] != "closed"]
        for settlement in batch.settled:
            onchain = before[settlement.purchase_id]
            kept = onchain.in_escrow - min(owed[settlement.purchase_id], onchain.in_escrow)  # the bonus owed first
            assert settlement.commission == kept * onchain.order.referral_bps // BPS
            assert (settlement.amount + settlement.commission, settlement.referrer) == (kept, onchain.order.referrer)

    @rule(token=st.integers(0, 2), customer=st.booleans())
    def withdraw(self, token: int, customer: bool) -> None:
        """Deferred payments are withdrawn: the contract referrer that refuses ETH sends its commissions on to
        the referring account; a customer (whose pushes never fail) has nothing to withdraw."""
        token_address = self.w.tokens[token]
        if customer:
            desk = self.w.customers[token]
            refusals = set() if self._view(self.functions.deferredBalance(token_address, desk.address)) else {
                errors.NothingToWithdraw}
            self._attempt(refusals, lambda: desk.withdraw(token_address))
            return
        rejecter = self.w.rejecters[0]
        owed = self._view(self.functions.deferredBalance(token_address, rejecter.address))
        data = self.w.ledger.contract.encode_abi("withdraw", [token_address, self.w.referrers[0]])
        call = rejecter.functions.execute(self.w.ledger.address, data)
        before = self._balance(self.w.referrers[0], token_address)
        sent = self._attempt(set() if owed else {errors.NothingToWithdraw},
                             lambda: self.w.ledger.transact(self.w.stranger, call))
        if sent is not None:
            arrived = self._balance(self.w.referrers[0], token_address) - before
            assert arrived == (owed - owed * FEE_BPS // BPS if token == 2 else owed)

    @rule(shop=st.integers(0, 1), token=st.integers(0, 2))
    def withdraw_merchant(self, shop: int, token: int) -> None:
        """Anyone sends a shop's deferred payments to its payout of the day (refused while that payout
        still refuses ETH)."""
        seller, token_address = self.w.shops[shop], self.w.tokens[token]
        refusals: set[type] = set()
        if not self._view(self.functions.merchantDeferredBalance(seller.id, token_address)):
            refusals.add(errors.NothingToWithdraw)
        elif token_address == NATIVE and self._refuses_eth(self._merchant(seller.id)[3]):
            refusals.add(errors.PaymentFailed)
        self._attempt(refusals, lambda: self.w.ledger.withdraw_merchant(self.w.stranger, seller.id, token_address))

    def _refuses_eth(self, address: str) -> bool:
        return any(r.address == address and not self._view(r.functions.accepting()) for r in self.w.rejecters)

    @rule(payout=st.integers(0, 1))
    def set_payout(self, payout: int) -> None:
        """The second shop moves its payout between a contract refusing ETH and an account."""
        seller = self.w.shops[1]
        self._attempt(set(), lambda: seller.owner.set_payout(seller.payouts[payout]))

    @rule(which=st.integers(0, 1), accepting=st.booleans())
    def rejecter_accepts(self, which: int, accepting: bool) -> None:
        """A contract that refused ETH starts (or stops) taking it."""
        rejecter = self.w.rejecters[which]
        call = rejecter.functions.setAccepting(accepting)
        self._attempt(set(), lambda: self.w.ledger.transact(self.w.stranger, call))

    @rule(customer=st.integers(0, 2), shop=st.integers(0, 1), token=st.integers(0, 2))
    def cash_out(self, customer: int, shop: int, token: int) -> None:
        """A customer takes the money part of its store credit out (refused while the shop trades, takes the
        token, and the credit's own cash-out date has not come); the bonus part goes back to the shop."""
        desk, seller, token_address = self.w.customers[customer], self.w.shops[shop], self.w.tokens[token]
        amount, cash, cashable_at = self._credit(seller.id, desk.address, token_address)
        _owner, active, _delay, _payout, _bonus, _since = self._merchant(seller.id)
        accepted = self._view(self.functions.accepts(seller.id, token_address))
        refusals: set[type] = set()
        if amount == 0:
            refusals.add(errors.NothingToWithdraw)
        elif active and accepted and self._now() < cashable_at:
            refusals.add(errors.CreditLocked)
        paid = self._attempt(refusals, lambda: desk.cash_out_credit(seller.id, token_address))
        if paid is not None:
            assert paid == cash

    # ------------------------------------------------------------ the shops' settings

    @rule(shop=st.integers(0, 1), terms=PICK, actor=PICK)
    def retire_terms(self, shop: int, terms: int, actor: int) -> None:
        """The owner retires terms for new orders (nobody else may; twice is refused)."""
        seller = self.w.shops[shop]
        chosen = seller.terms[terms % len(seller.terms)]
        account = self._actor(actor)
        refusals: set[type] = set()
        if self._role(seller.id, account.address)[0] is not Role.OWNER:
            refusals.add(errors.NotMerchantOwner)
        if fields(self._view(self.functions.terms(chosen.id)), ("m", "w", "f", "d", "i", "retired"))[5]:
            refusals.add(errors.TermsRetired)
        desk = MerchantDesk(self.w.ledger.reads, self.w.ledger.outbox, account, seller.id)
        self._attempt(refusals, lambda: desk.retire_terms(chosen.id))

    @rule(shop=st.integers(0, 1), agent=st.integers(0, 1))
    def add_or_remove_agent(self, shop: int, agent: int) -> None:
        """The owner removes an agent (its budgets and mandate go) or adds one back (starting from nothing)."""
        desk, address = self.w.shops[shop].owner, self.w.agents[agent].address
        if self._role(desk.merchant_id, address)[0] is Role.AGENT:
            self._attempt(set(), lambda: desk.remove_agent(address))
        else:
            self._attempt(set(), lambda: desk.add_agent(address))
            assert self._role(desk.merchant_id, address) == (Role.AGENT, 0)
            assert all(self._view(self.functions.budgetOf(desk.merchant_id, address, t)) == 0 for t in self.w.tokens)

    @rule(shop=st.integers(0, 1), agent=st.integers(0, 1), token=st.integers(0, 2),
          budget=st.sampled_from([0, 1, 10**6, 10**15]), days=st.sampled_from([0, 2, 5]))
    def mandate(self, shop: int, agent: int, token: int, budget: int, days: int) -> None:
        """The owner sets an agent's goodwill budget in a token and its extension days."""
        desk, address = self.w.shops[shop].owner, self.w.agents[agent].address
        refusals = set() if self._role(desk.merchant_id, address)[0] is Role.AGENT else {errors.NotAnAgent}
        self._attempt(refusals, lambda: desk.set_budget(address, budget, self.w.tokens[token]))
        self._attempt(refusals, lambda: desk.set_mandate(address, days))

    @rule(shop=st.integers(0, 1), token=st.integers(1, 2), accepted=st.booleans())
    def accept_token(self, shop: int, token: int, accepted: bool) -> None:
        """The owner lists or unlists a token (orders already quoted in it are then refused)."""
        desk = self.w.shops[shop].owner
        self._attempt(set(), lambda: desk.accept_token(self.w.tokens[token], accepted))

    @rule(token=st.integers(1, 2), amount=st.sampled_from([1, 10**6, 10**18]))
    def donate(self, token: int, amount: int) -> None:
        """The stranger sends tokens to the ledger outright: more held than owed, never less."""
        erc20 = self.w.erc20[self.w.tokens[token]]
        before = self._balance(self.w.ledger.address, erc20.address)
        self._attempt(set(), lambda: self.w.ledger.transact(self.w.stranger, erc20.functions.transfer(
            self.w.ledger.address, amount)))
        self.donated[erc20.address] += self._balance(self.w.ledger.address, erc20.address) - before

    # ------------------------------------------------------------ feedback

    def _feedback(self, purchase_id: str) -> tuple[int, bool, int]:
        """The contract's ``feedbackOf``: (rating, npsGiven, nps)."""
        return tuple(fields(self._view(self.w.ledger.feedback.functions.feedbackOf(bytes.fromhex(purchase_id[2:]))),
                            ("rating", "npsGiven", "nps")))

    @rule(pick=PICK, rating=st.sampled_from([0, 1, 3, 5, 6]), someone_else=st.sampled_from([False, False, True]))
    def review(self, pick: int, rating: int, someone_else: bool) -> None:
        """The buyer reviews a purchase (again: the new review replaces the old one); another customer, or a
        rating off the scale, is refused."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        buyer = self._onchain(purchase_id).customer
        desk = next(d for d in self.w.customers if (d.address == buyer) != someone_else)
        before = self._feedback(purchase_id)
        refusals: set[type] = {errors.NotCustomer} if someone_else else set()
        if not 1 <= rating <= 5:
            refusals.add(errors.InvalidInput)
        posted = self._attempt(refusals, lambda: desk.review(purchase_id, rating, f"review {rating}"))
        if posted is not None:
            assert (posted.rating, posted.customer, posted.replaced) == (rating, buyer, before[0] != 0)
            assert self._feedback(purchase_id) == (rating, *before[1:]), "the contract kept another rating"

    @rule(pick=PICK, score=st.sampled_from([0, 6, 10, 11]), someone_else=st.sampled_from([False, False, True]))
    def nps(self, pick: int, score: int, someone_else: bool) -> None:
        """The buyer gives a purchase its net promoter score, once; again, another customer, or a score off
        the scale is refused."""
        purchase_id = self._pick(pick)
        if purchase_id is None:
            return
        buyer = self._onchain(purchase_id).customer
        desk = next(d for d in self.w.customers if (d.address == buyer) != someone_else)
        before = self._feedback(purchase_id)
        refusals: set[type] = {errors.NotCustomer} if someone_else else set()
        if not 0 <= score <= 10:
            refusals.add(errors.InvalidInput)
        if before[1]:
            refusals.add(errors.AlreadyRated)
        given = self._attempt(refusals, lambda: desk.give_nps(purchase_id, score))
        if given is not None:
            assert (given.kind, given.score, given.subject, given.customer) == ("nps", score, purchase_id, buyer)
            assert self._feedback(purchase_id) == (before[0], True, score), "the contract kept another score"

    @rule(shop=st.integers(0, 1), customer=st.integers(0, 2), by_staff=st.booleans())
    def log_contact(self, shop: int, customer: int, by_staff: bool) -> None:
        """The shop's owner logs a contact moment with a customer, or the customer logs its own."""
        seller, desk = self.w.shops[shop], self.w.customers[customer]
        note = f"contact {len(self.contacts)}"
        if by_staff:
            contact = self._attempt(set(), lambda: seller.owner.log_contact(desk.address, "chat", "question", note))
        else:
            contact = self._attempt(set(), lambda: desk.log_contact(seller.id, "phone", "complaint", note))
        assert contact.by_customer != by_staff and contact.customer == desk.address
        self.contacts.append(contact)

    @rule(pick=PICK, score=st.sampled_from([0, 1, 4, 5, 6]))
    def rate_contact(self, pick: int, score: int) -> None:
        """The customer rates a contact moment (CSAT), once; its own log of a contact, or a score off the
        scale, is refused before anything is sent."""
        if not self.contacts:
            return
        contact = self.contacts[pick % len(self.contacts)]
        refusals: set[type] = set()
        if contact.by_customer or not 1 <= score <= 5:
            refusals.add(errors.InvalidInput)
        key = (contact.merchant_id, contact.customer, contact.content_hash)
        if key in self.rated:
            refusals.add(errors.AlreadyRated)
        rated = self._attempt(refusals, lambda: self._desk(contact.customer).rate_contact(contact, score))
        if rated is not None:
            assert (rated.kind, rated.score, rated.subject) == ("csat", score, contact.content_hash)
            self.rated.add(key)

    # ------------------------------------------------------------ time

    @rule(pick=PICK, edge=st.integers(0, 6), offset=st.integers(-1, 1))
    def time_passes(self, pick: int, edge: int, offset: int) -> None:
        """The clock jumps to one second before, at or after an edge: a purchase's deadline, the end of its
        longest wait for delivery, an order's expiry, a customer's credit becoming cashable; or by days."""
        now = self._now()
        target = now + (edge + 1) * DAY // 2
        purchase_id = self._pick(pick)
        if edge <= 1 and purchase_id is not None:
            onchain = self._onchain(purchase_id)
            target = onchain.deadline if edge == 0 else onchain.purchased_at + onchain.order.delivery_wait
        elif edge == 2 and self.quotes:
            target = self.quotes[pick % len(self.quotes)].order.expiry
        elif edge == 3:
            target = self._credit(self.w.shops[0].id, self.w.customers[pick % 3].address, NATIVE)[2] + DAY
        target += offset
        if target > now:
            self.w.chain.set_next_block_time(target)

    # ------------------------------------------------------------ invariants

    @invariant()
    def books_balance(self) -> None:
        """Run every check after each step that changed the chain or its clock."""
        if not hasattr(self, "w"):
            return
        STATS["steps"] += 1
        w3 = self.w.chain.w3
        moment = (w3.eth.block_number, self._now())
        if moment == self.last_check:
            return
        self.last_check = moment
        # The first check of a sequence compares everything: the index must have followed the revert.
        seen = self._scan(moment[0]) if self.settled is not None else set(EVENTS.values())
        chain_view = self._check_money("Settled" in seen)
        self._check_purchases(chain_view, moment[1], seen)
        STATS["checks"] += 1

    def _scan(self, head: int) -> set[str]:
        """Add up the gas each customer paid in the blocks mined since the last look; return the names of the
        ledger's events in them."""
        payers = {address.lower(): address for address in self.gas}
        blocks = self.views.raw([("eth_getBlockReceipts", [hex(n)]) for n in range(self.scanned + 1, head + 1)])
        seen = set()
        for receipt in (receipt for block in blocks for receipt in block):
            if receipt["from"].lower() in payers:
                self.gas[payers[receipt["from"].lower()]] += int(receipt["gasUsed"], 16) * int(
                    receipt["effectiveGasPrice"], 16)
            seen.update(EVENTS.get(log["topics"][0], "") for log in receipt["logs"] if log["topics"])
        self.scanned = head
        return seen

    def _check_money(self, settlement: bool) -> dict[str, OnChain]:
        """Per token, the ledger holds what it owes plus what was given to it; nobody was refunded or paid
        more than a purchase held; no customer is richer than it started."""
        w = self.w
        chain_view = self.views.purchases(self.functions, {signed.purchase_id: signed.order for signed in self.quotes})
        assert {pid for pid, onchain in chain_view.items() if onchain.bought} == set(self.bought), \
            "the chain's purchases are not the ones bought"
        chain_view = {pid: onchain for pid, onchain in chain_view.items() if onchain.bought}
        if settlement:
            self.settled = {}
            for event in w.ledger.contract.events.Settled().get_logs(from_block=w.ledger.from_block):
                args = event["args"]
                self.settled["0x" + bytes(args["purchaseId"]).hex()] = args["amount"] + args["commission"]
        settled = self.settled
        for pid, onchain in chain_view.items():
            assert onchain.refunded + settled.get(pid, 0) <= onchain.paid, "refunded and settled more than paid"
            assert onchain.settled == (pid in settled)
            if onchain.settled:
                assert onchain.refunded + settled[pid] == onchain.paid, "settlement left money in escrow"
        holders = [desk.address for desk in w.customers] + w.referrers
        credits = [(shop.id, desk.address, token) for shop in w.shops for desk in w.customers for token in w.tokens]
        calls = [self.functions.creditOf(*key) for key in credits]
        calls += [self.functions.deferredBalance(token, holder) for token in w.tokens for holder in holders]
        calls += [self.functions.merchantDeferredBalance(shop.id, token) for token in w.tokens for shop in w.shops]
        calls += [self._balance_call(account, token) for token in w.tokens
                  for account in [w.ledger.address] + [desk.address for desk in w.customers]]
        budgets = [(shop.id, agent.address, token) for shop in w.shops for agent in w.agents for token in w.tokens]
        calls += [self.functions.budgetOf(*key) for key in budgets]
        values = iter(self.views.read(calls))
        held_credit = {key: fields(next(values), ("amount", "cash", "cashableAt")) for key in credits}
        deferred = {token: sum(next(values) for _ in holders) for token in w.tokens}
        for token in w.tokens:
            deferred[token] += sum(next(values) for _ in w.shops)
        for token in w.tokens:
            escrow = sum(p.in_escrow for p in chain_view.values() if p.order.token == token)
            credit = sum(amount for (_, _, t), (amount, _, _) in held_credit.items() if t == token)
            held = next(values)
            assert held == escrow + credit + deferred[token] + self.donated[token], \
                f"token {token}: holds {held}, owes {escrow} + {credit} + {deferred[token]}, got {self.donated[token]}"
            for desk in w.customers:
                now_held = next(values) + (self.gas[desk.address] if token == NATIVE else 0)
                assert now_held <= w.baseline[desk.address, token], "a customer got out more than it paid"
        assert all(cash <= amount for amount, cash, _ in held_credit.values()), "more credit is money than credit"
        assert {key: w.indexed.credit(*key) for key in credits} == {
            key: Credit(*held) for key, held in held_credit.items()}, "the index's credit is not the chain's"
        assert {key: w.indexed.budget(*key) for key in budgets} == {
            key: next(values) for key in budgets}, "the index's budgets are not the chain's"
        return chain_view

    def _check_purchases(self, chain_view: dict[str, OnChain], now: int, events: set[str]) -> None:
        """Each purchase in exactly one window state, the chain's; the library and its index agree with it
        (on refunds and settlements too, whenever the step emitted one)."""
        direct = {p.id: replace(p, as_of=now) for p in self.w.ledger.purchases()}
        assert set(direct) == set(chain_view), "the library's purchases are not the chain's"
        for pid, purchase in direct.items():
            onchain = chain_view[pid]
            window = [WINDOW_STATUS[s] for s in purchase.statuses if s in WINDOW_STATUS]
            state = onchain.window_state(now)
            assert window == [state], f"{pid}: the library says {window}, the chain {state}"
            returned = {Status.RETURNED, Status.PARTLY_RETURNED} & purchase.statuses
            assert len(returned) == (1 if onchain.returned_mask else 0)
            seen = (purchase.customer, purchase.paid, purchase.refunded, purchase.purchased_at, purchase.extension_days,
                    sum(1 << i for i in purchase.returned_lines), purchase.settled, purchase.credit_used,
                    purchase.deadline, purchase.in_escrow)
            delivered = onchain.purchased_at + onchain.delivered_after - 1 if onchain.delivered_after else 0
            truth = (onchain.customer, onchain.paid, onchain.refunded, onchain.purchased_at, onchain.extension_days,
                     onchain.returned_mask, onchain.settled, onchain.credit_used, onchain.deadline, onchain.in_escrow)
            assert (seen, purchase.delivered_at) == (truth, delivered), f"{pid}: the library disagrees with the chain"
        indexed = {p.id: replace(p, as_of=now) for p in self.w.indexed.purchases()}
        assert indexed == direct, "the index's purchases are not the chain's"
        if events & {"ItemsReturned", "CreditIssued", "GoodwillRefunded"}:
            assert self.w.indexed.refunds() == self.w.ledger.refunds(), "the index's refunds are not the chain's"
        if "Settled" in events:
            assert self.w.indexed.settlements() == self.w.ledger.settlements(), "the index's settlements differ"
        if "ReviewPosted" in events:
            assert self.w.indexed.reviews() == self.w.ledger.reviews(), "the index's reviews are not the chain's"
        for kind, event in (("nps", "NpsGiven"), ("csat", "ContactRated")):
            if event in events:
                assert self.w.indexed.scores(kind) == self.w.ledger.scores(kind), f"the index's {kind} scores differ"
