"""The ``Reader`` that needs no index: every answer from the chain's event logs (``eth_getLogs``) and view calls.
Slower on a long history (each query scans the logs again), exact at every block, and what the index is held
to (``tests/history/test_history_agrees.py``)."""

from __future__ import annotations

from eth_utils import to_checksum_address

from ..contracts import LedgerContracts
from ..events import contact_of, purchase_of, refund_of, settlement_of
from ..history import counting
from ..models import (
    ContactMoment,
    Credit,
    Event,
    Purchase,
    Refund,
    Review,
    Score,
    Settlement,
    Status,
    Totals,
)


class LogScan:
    """Reads from the logs and views of ``contracts``."""

    def __init__(self, contracts: LedgerContracts) -> None:
        self.contracts = contracts

    def purchase(self, purchase_id: str, now: int) -> Purchase | None:
        logs = self.contracts.events("PurchaseRecorded", purchase_id)
        return self.contracts.with_state(purchase_of(logs[0]), now) if logs else None

    def purchase_ids(self, prefix: str, limit: int) -> list[str]:
        found = sorted(str(event.args["purchaseId"]) for event in self.contracts.events("PurchaseRecorded"))
        return [purchase_id for purchase_id in found if purchase_id.startswith(prefix)][:limit]

    def purchases(self, now: int, merchant_id: int | None = None, customer: str | None = None,
                  sku: str | None = None, since: int | None = None, until: int | None = None,
                  status: Status | None = None, limit: int | None = None, after: str | None = None,
                  excluding: frozenset[Status] = frozenset(), newest_first: bool = False) -> list[Purchase]:
        found = []
        for event in self.contracts.events("PurchaseRecorded", None, merchant_id, customer):
            purchase = purchase_of(event)
            if sku is not None and all(line.sku != sku for line in purchase.lines):
                continue
            purchase = self.contracts.with_state(purchase, now)
            if since is not None and purchase.purchased_at < since:
                continue
            if until is not None and purchase.purchased_at > until:
                continue
            if status is not None and status not in purchase.statuses:
                continue
            if excluding & purchase.statuses:
                continue
            found.append(purchase)
        if newest_first:
            found.reverse()
        if after is not None:
            found = found[next((i + 1 for i, p in enumerate(found) if p.id == after), len(found)):]
        return found[:limit]

    def count(self, now: int, merchant_id: int | None = None, customer: str | None = None, sku: str | None = None,
              since: int | None = None, until: int | None = None, status: Status | None = None,
              up_to: int | None = None) -> int:
        return len(self.purchases(now, merchant_id, customer, sku, since, until, status, up_to))

    def totals(self, merchant_id: int, since: int | None = None, until: int | None = None) -> dict[str, Totals]:
        settled = {s.purchase_id: s.amount + s.commission for s in self.settlements(merchant_id=merchant_id)}
        totals: dict[str, Totals] = {}
        for p in self.purchases(self.contracts.chain.now(), merchant_id=merchant_id, since=since, until=until):
            totals.setdefault(p.token, Totals()).add(p.id, p.paid, p.refunded, settled.get(p.id, 0), p.settled,
                                                     [(line.sku, line.quantity) for line in p.lines], p.returned_lines)
        return totals

    def contacts(self, merchant_id: int | None = None, customer: str | None = None,
                 purchase_id: str | None = None) -> list[ContactMoment]:
        found = [contact_of(event) for event in self.contracts.events("ContactLogged", merchant_id, customer)]
        found = [contact for contact in found if purchase_id is None or contact.purchase_id == purchase_id]
        bought = self._bought() if any(c.purchase_id for c in found) else {}
        return counting.contacts(found, bought, self._shops({c.merchant_id for c in found}))

    def refunds(self, purchase_id: str | None = None, customer: str | None = None,
                merchant_id: int | None = None) -> list[Refund]:
        events = self.contracts.events
        bought = {e.args["purchaseId"]: purchase_of(e) for e in events("PurchaseRecorded", purchase_id)}
        paid = events("ItemsReturned", purchase_id) + events("CreditIssued", purchase_id, None, customer)
        paid += events("GoodwillRefunded", purchase_id) + events("BonusCredited", purchase_id, None, customer)
        paid = [e for e in paid if (customer is None or bought[e.args["purchaseId"]].customer == customer)
                and (merchant_id is None or bought[e.args["purchaseId"]].merchant_id == merchant_id)]
        exchanged = {(e.tx_hash, e.args["purchaseId"]) for e in events("Exchanged", purchase_id)}
        times = {n: self.contracts.chain.block_time(n) for n in sorted({e.block_number for e in paid})}
        found = [refund_of(e, bought[e.args["purchaseId"]].customer, bought[e.args["purchaseId"]].merchant_id,
                           times[e.block_number], exchanged) for e in paid]
        return sorted(found, key=lambda refund: refund.block_number)

    def settlements(self, merchant_id: int | None = None, purchase_id: str | None = None,
                    referrer: str | None = None) -> list[Settlement]:
        return [settlement_of(event) for event in self.contracts.events("Settled", purchase_id, merchant_id, referrer)]

    def credit(self, merchant_id: int, customer: str, token: str) -> Credit:
        amount, cash, cashable_at = self.contracts.fields(
            self.contracts.call(self.contracts.functions.creditOf(merchant_id, customer, token)),
            ("amount", "cash", "cashableAt"))
        return Credit(amount, cash, cashable_at)

    def budget(self, merchant_id: int, agent: str, token: str) -> int:
        return int(self.contracts.call(self.contracts.functions.budgetOf(merchant_id, agent, token)))

    def reviews(self, merchant_id: int | None = None, sku: str | None = None,
                purchase_id: str | None = None) -> list[Review]:
        latest: dict[str, Event] = {}
        for event in self.contracts.events("ReviewPosted", purchase_id, merchant_id):
            latest[event.args["purchaseId"]] = event
        # One scan of the purchases for all reviews, not one log scan per review.
        now = self.contracts.chain.now()
        if purchase_id is not None:
            one = self.purchase(purchase_id, now)
            reviewed = [one] if one is not None else []
        else:
            reviewed = self.purchases(now, merchant_id=merchant_id) if latest else []
        bought = {p.id: counting.Bought.of(p) for p in reviewed}
        found = counting.reviews((Review(
            purchase_id=e.args["purchaseId"], merchant_id=e.args["merchantId"], customer=e.args["customer"],
            rating=e.args["rating"], text_hash=e.args["textHash"], replaced=e.args["replaced"],
            block_number=e.block_number, tx_hash=e.tx_hash) for e in latest.values()),
            bought, self._shops_of() if latest else {})
        return sorted((r for r in found if sku is None or sku in r.skus), key=lambda review: review.block_number)

    def scores(self, kind: str, merchant_id: int | None = None) -> list[Score]:
        events = self.contracts.events
        if kind == "nps":
            found = [Score("nps", e.args["merchantId"], e.args["customer"], e.args["score"], e.args["purchaseId"],
                           e.block_number, e.tx_hash) for e in events("NpsGiven", None, merchant_id)]
            now = self.contracts.chain.now()
            bought = {p.id: counting.Bought.of(p) for p in self.purchases(now, merchant_id=merchant_id)} if found else {}
            return counting.nps(found, bought)
        found = [Score("csat", e.args["merchantId"], e.args["customer"], e.args["score"], e.args["contentHash"],
                       e.block_number, e.tx_hash) for e in events("ContactRated", merchant_id)]
        return counting.csat(found, self.contacts(merchant_id) if found else [])

    def _bought(self) -> dict[str, counting.Bought]:
        return {p.id: counting.Bought.of(p) for p in self.purchases(self.contracts.chain.now())}

    def _shops_of(self) -> dict[str, frozenset[int]]:
        """The shops each customer bought at, from the purchases' events."""
        found: dict[str, set[int]] = {}
        for event in self.contracts.events("PurchaseRecorded"):
            found.setdefault(to_checksum_address(event.args["customer"]), set()).add(event.args["merchantId"])
        return {customer: frozenset(shops) for customer, shops in found.items()}

    def _shops(self, merchant_ids: set[int]) -> counting.Shops:
        """When those shops were registered and who was their staff when, from their events."""
        changes = []
        for merchant_id in sorted(merchant_ids):
            for event in self.contracts.events("MerchantRegistered", merchant_id):
                at = self.contracts.w3.eth.get_block(event.block_number)["timestamp"]
                changes.append(counting.StaffChange(merchant_id, event.args["owner"], "owner", event.block_number, at))
            for name, kind in (("AgentAdded", "agent"), ("AgentRemoved", "removed")):
                changes += [counting.StaffChange(merchant_id, e.args["agent"], kind, e.block_number)
                            for e in self.contracts.events(name, merchant_id)]
        return counting.Shops(changes)
