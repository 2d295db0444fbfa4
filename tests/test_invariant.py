"""Property: whatever customers, staff and time do, the contract holds exactly what it owes: the escrow
of unsettled purchases plus the store credit customers hold."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger import errors
from ledger.chain import EmbeddedChain
from ledger.client import Ledger
from ledger.models import LineItem

DAY = 86_400
CHAIN = EmbeddedChain()
ACCOUNTS = CHAIN.accounts()
LEDGER = Ledger.deploy(CHAIN, ACCOUNTS[0])
BASE = CHAIN.snapshot()


class Escrow(RuleBasedStateMachine):
    """Random purchases, returns, goodwill refunds, time and settlement on the embedded chain."""

    @initialize()
    def start(self) -> None:
        global BASE
        CHAIN.revert(BASE)
        BASE = CHAIN.snapshot()
        self.shop = LEDGER.register_merchant(ACCOUNTS[1], payout=ACCOUNTS[2].address)
        self.shop.set_credit_bonus(1_500)
        self.terms = [self.shop.publish_terms(3 * DAY, restocking_fee_bps=750), self.shop.publish_terms(DAY)]
        self.customers = [LEDGER.customer_desk(a) for a in ACCOUNTS[3:5]]
        self.purchase_ids: list[str] = []
        self.orders = 0

    @rule(who=st.integers(0, 1), terms=st.integers(0, 1),
          prices=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 10**9)), min_size=1, max_size=3))
    def buy(self, who: int, terms: int, prices: list[tuple[int, int]]) -> None:
        self.orders += 1
        lines = [LineItem(f"SKU-{i}", quantity, price) for i, (quantity, price) in enumerate(prices)]
        purchase = self.customers[who].buy(self.terms[terms].id, lines, f"ORDER-{self.orders}")
        self.purchase_ids.append(purchase.id)

    @precondition(lambda self: self.purchase_ids)
    @rule(pick=st.integers(0, 10**6), mask=st.integers(1, 7))
    def give_back(self, pick: int, mask: int) -> None:
        purchase = LEDGER.purchase(self.purchase_ids[pick % len(self.purchase_ids)])
        desk = next(c for c in self.customers if c.address == purchase.customer)
        lines = [i for i in purchase.open_lines if mask >> i & 1]
        if not lines or not purchase.window_open:
            return
        refund = desk.return_items(purchase.id, lines)
        assert refund.amount == purchase.refund_for(tuple(lines))

    @precondition(lambda self: self.purchase_ids)
    @rule(pick=st.integers(0, 10**6), mask=st.integers(1, 7))
    def credit_back(self, pick: int, mask: int) -> None:
        purchase = LEDGER.purchase(self.purchase_ids[pick % len(self.purchase_ids)])
        desk = next(c for c in self.customers if c.address == purchase.customer)
        lines = [i for i in purchase.open_lines if mask >> i & 1]
        if lines and purchase.window_open:
            desk.return_for_credit(purchase.id, lines)

    @rule(who=st.integers(0, 1), share=st.integers(1, 100))
    def spend_credit(self, who: int, share: int) -> None:
        desk = self.customers[who]
        held = desk.credit(self.shop.merchant_id)
        self.orders += 1
        desk.buy(self.terms[0].id, [LineItem("GIFT", 1, held + 1)], f"ORDER-{self.orders}",
                 use_credit=held * share // 100)

    @precondition(lambda self: self.purchase_ids)
    @rule(pick=st.integers(0, 10**6), share=st.integers(1, 100))
    def goodwill(self, pick: int, share: int) -> None:
        purchase = LEDGER.purchase(self.purchase_ids[pick % len(self.purchase_ids)])
        amount = purchase.in_escrow * share // 100
        if amount == 0:
            return
        try:
            self.shop.goodwill_refund(purchase.id, amount)
        except errors.RefundExceedsEscrow:
            raise AssertionError("the library's view of escrow disagrees with the contract") from None

    @rule(days=st.integers(0, 4))
    def time_passes(self, days: int) -> None:
        if days:
            CHAIN.advance_time(days * DAY)

    @rule()
    def settle(self) -> None:
        self.shop.settle()

    @invariant()
    def holds_exactly_what_it_owes(self) -> None:
        if not hasattr(self, "shop"):
            return
        owed = sum(p.in_escrow for p in LEDGER.purchases())
        owed += sum(c.credit(self.shop.merchant_id) for c in self.customers)
        assert CHAIN.w3.eth.get_balance(LEDGER.address) == owed


Escrow.TestCase.settings = settings(
    max_examples=12, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)
)
test_escrow_invariant = Escrow.TestCase
