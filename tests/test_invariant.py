"""Properties: whatever customers, staff and time do, the contract holds exactly what it owes (the escrow
of unsettled purchases plus the store credit customers hold), and no customer ever gets more money out
than it paid in: store credit and its bonus never turn into money beyond what was paid."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ledger import errors
from ledger.chain import EmbeddedChain
from ledger.client import CustomerDesk, Ledger
from ledger.models import NATIVE, LineItem, Purchase

DAY = 86_400
CHAIN = EmbeddedChain()
ACCOUNTS = CHAIN.accounts()
LEDGER = Ledger.deploy(CHAIN, ACCOUNTS[0])
SHOP = LEDGER.register_merchant(ACCOUNTS[1], payout=ACCOUNTS[2].address)
SHOP.set_credit_bonus(1_500)
SHOP.set_credit_cash_out_delay(DAY)
TERMS = [SHOP.publish_terms(3 * DAY, restocking_fee_bps=750), SHOP.publish_terms(DAY)]
CUSTOMERS = [LEDGER.customer_desk(a) for a in ACCOUNTS[3:5]]
OPENING = [desk.buy(SHOP.quote(TERMS[0].id, [LineItem("COAT", 1, 10**9), LineItem("HAT", 2, 10**9)],
                               f"OPENING-{i}", customer=desk.address))
           for i, desk in enumerate(CUSTOMERS)]
for _desk, _purchase in zip(CUSTOMERS, OPENING):
    _desk.return_for_credit(_purchase.id, [1])
BASE = CHAIN.snapshot()
"""The shop set up once, each customer with a purchase and store credit; every example starts from here."""


class Escrow(RuleBasedStateMachine):
    """Random shop-quoted purchases (some paid with credit), returns for money or credit, goodwill refunds,
    cash-outs, time and settlement on the embedded chain."""

    @initialize()
    def start(self) -> None:
        global BASE
        CHAIN.revert(BASE)
        BASE = CHAIN.snapshot()
        self.shop, self.terms, self.customers = SHOP, TERMS, CUSTOMERS
        self.paid_in = {p.customer: p.price for p in OPENING}
        """Per customer: money paid into the ledger."""
        self.paid_out = {p.customer: 0 for p in OPENING}
        """Per customer: money the ledger paid it (store credit is not money)."""
        self.purchase_ids = [p.id for p in OPENING]
        self.orders = 0
        self.checked_at = -1

    def _pays(self, customer: str, send) -> Any:
        """Run ``send`` (which returns something with a ``tx_hash``) and add what it paid ``customer``."""
        before = CHAIN.w3.eth.get_balance(customer)
        result = send()
        receipt = CHAIN.w3.eth.get_transaction_receipt(result.tx_hash)
        gas = receipt["gasUsed"] * receipt["effectiveGasPrice"] if receipt["from"] == customer else 0
        self.paid_out[customer] += CHAIN.w3.eth.get_balance(customer) - before + gas
        return result

    def _pick(self, pick: int) -> Purchase:
        return LEDGER.purchase(self.purchase_ids[pick % len(self.purchase_ids)])

    def _desk_of(self, purchase: Purchase) -> CustomerDesk:
        return next(c for c in self.customers if c.address == purchase.customer)

    @rule(who=st.integers(0, 1), terms=st.integers(0, 1), credit_share=st.integers(0, 100),
          prices=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 10**9)), min_size=1, max_size=3))
    def buy(self, who: int, terms: int, credit_share: int, prices: list[tuple[int, int]]) -> None:
        desk = self.customers[who]
        self.orders += 1
        lines = [LineItem(f"SKU-{i}", quantity, price) for i, (quantity, price) in enumerate(prices)]
        total = sum(line.total for line in lines)
        credit = min(desk.credit(self.shop.merchant_id), total) * credit_share // 100
        order = self.shop.quote(self.terms[terms].id, lines, f"ORDER-{self.orders}", customer=desk.address)
        self.purchase_ids.append(desk.buy(order, use_credit=credit).id)
        self.paid_in[desk.address] += total - credit

    @rule(pick=st.integers(0, 10**6), mask=st.integers(1, 7), for_credit=st.booleans())
    def give_back(self, pick: int, mask: int, for_credit: bool) -> None:
        purchase = self._pick(pick)
        desk = self._desk_of(purchase)
        lines = [i for i in purchase.open_lines if mask >> i & 1] or list(purchase.open_lines)
        if not lines or not purchase.window_open:
            return
        give_back = desk.return_for_credit if for_credit else desk.return_items
        refund = self._pays(desk.address, lambda: give_back(purchase.id, lines))
        if not for_credit:
            assert refund.amount == purchase.refund_for(tuple(lines))

    @rule(pick=st.integers(0, 10**6), share=st.integers(1, 100))
    def goodwill(self, pick: int, share: int) -> None:
        purchase = self._pick(pick)
        amount = purchase.in_escrow * share // 100
        if amount == 0:
            return
        try:
            self._pays(purchase.customer, lambda: self.shop.goodwill_refund(purchase.id, amount))
        except errors.RefundExceedsEscrow:
            raise AssertionError("the library's view of escrow disagrees with the contract") from None

    @rule(who=st.integers(0, 1))
    def cash_out(self, who: int) -> None:
        desk = self.customers[who]
        held = desk.credit_held(self.shop.merchant_id)
        if held.amount == 0 or CHAIN.now() < held.issued_at + DAY:
            return
        # A plain contract call, for its receipt (the desk's cash_out_credit returns only the amount).
        call = LEDGER.contract.functions.cashOutCredit(self.shop.merchant_id, NATIVE)
        result = self._pays(desk.address, lambda: LEDGER.transact(desk.account, call))
        (event,) = result.named("CreditCashedOut")
        assert (event.args["cash"], event.args["bonus"]) == (held.cash, held.amount - held.cash)

    @rule(days=st.integers(0, 4))
    def time_passes(self, days: int) -> None:
        if days:
            CHAIN.advance_time(days * DAY)

    @rule()
    def settle(self) -> None:
        self.shop.settle()

    @invariant()
    def money_is_accounted_for(self) -> None:
        if not hasattr(self, "shop") or self.checked_at == CHAIN.w3.eth.block_number:
            return  # nothing was mined since the last check, so nothing changed
        self.checked_at = CHAIN.w3.eth.block_number
        credits = [desk.credit_held(self.shop.merchant_id) for desk in self.customers]
        owed = sum(p.in_escrow for p in LEDGER.purchases()) + sum(held.amount for held in credits)
        assert CHAIN.w3.eth.get_balance(LEDGER.address) == owed, "the ledger holds more or less than it owes"
        for desk, held in zip(self.customers, credits):
            assert held.cash <= held.amount, "more of the credit is money than the credit itself"
            assert self.paid_out[desk.address] <= self.paid_in[desk.address], "a customer got out more than it paid"

Escrow.TestCase.settings = settings(
    max_examples=12, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)
)
test_escrow_invariant = Escrow.TestCase
