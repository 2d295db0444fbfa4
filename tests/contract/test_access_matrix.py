"""Who may call what: every state-changing entry of the ledger (its merged ABI) and of its feedback module,
called by each role in turn.

The entries are read from the ABIs, so a new function without a row in ``ACCESS`` fails here. Each call is
sent raw with a fixed gas limit, as a caller that skips the library would send it. An allowed call
succeeds; any other first reverts in simulation with the row's custom error, decoded into the library's
class, and then, mined anyway, fails and leaves every balance (ETH and token) and every view of the
storage that matters as it was; on anvil the transaction's state diff shows nothing but the sender's gas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger import errors
from ledger.artifacts import ledger_abi, load_artifact
from ledger.chain import AnvilChain, Chain
from ledger.client import Ledger
from ledger.desks import MerchantDesk
from ledger.models import NATIVE, Purchase, SignedReturn
from ledger.orders import SignedOrder
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, Deployed, buy, deploy_contract, send

ROLES = ("customer", "other customer", "owner", "agent", "removed agent", "stranger", "relayer")
ANYONE = frozenset(ROLES)
STAFF = frozenset({"owner", "agent"})
OWNER = frozenset({"owner"})
CUSTOMER = frozenset({"customer"})

GAS = 1_500_000
"""Gas limit of every call sent: enough for the largest allowed call here, never estimated (a refused call
could not be)."""

UNKNOWN_SELECTOR = keccak(text="noSuchFunction()")[:4]

# Anvil only: 31 entries x 7 roles is 217 transactions and twice as many reads, about four times slower on the
# embedded chain, and only anvil can show a transaction's whole state diff. Both chains decode the same
# errors (test_errors.py, test_contract_guards.py).
pytestmark = pytest.mark.parametrize("deployed", ["anvil"], indirect=True)


@dataclass(frozen=True)
class Call:
    """A transaction to send: where, with what calldata and how much ETH."""

    to: str
    data: bytes
    value: int = 0


@dataclass
class Scene:
    """A shop with an agent and a removed agent (both once given a budget and a mandate), and purchases in
    every state the rows need; built once per chain, each cell starts from its snapshot."""

    ledger: Ledger
    roles: dict[str, LocalAccount]
    everyone: list[str]
    shop: MerchantDesk
    terms_id: int
    token: Any
    purchase: Purchase
    """The customer's, two lines, window from delivery (not confirmed yet), nothing returned."""
    others: Purchase
    """The other customer's."""
    closed: Purchase
    """The customer's final sale: ready to settle."""
    order: SignedOrder
    """Made out to the customer, not bought yet."""
    request: SignedReturn
    """The customer's signed return of the first line of ``purchase``."""
    contact: bytes
    """Content hash of a contact the agent logged with the customer."""
    newcomer: str
    """An account with no role anywhere."""
    probe: Any
    snapshot: object = field(default=None)
    _watch: bytes | None = field(default=None, repr=False)

    @property
    def chain(self) -> Chain:
        return self.ledger.chain

    def ledger_call(self, name: str, *args: Any, value: int = 0) -> Call:
        return Call(self.ledger.address, bytes.fromhex(self.ledger.contract.encode_abi(name, args=list(args))[2:]),
                    value)

    def feedback_call(self, name: str, *args: Any) -> Call:
        feedback = self.ledger.feedback
        return Call(feedback.address, bytes.fromhex(feedback.encode_abi(name, args=list(args))[2:]))

    def watched(self) -> tuple[list[int], list[bytes]]:
        """Balances of every account, the ledger and the feedback module (ETH, then the token), and the views
        of the storage that matters; one call, its calldata built once."""
        if self._watch is None:
            f, ledger = self.ledger.contract.functions, self.ledger
            shop, token = self.shop.merchant_id, self.token.address
            views = [f.merchantCount(), f.termsCount(), f.merchant(shop), f.accepts(shop, token),
                     f.terms(self.terms_id), f.merchantDeferredBalance(shop, token),
                     f.merchantDeferredBalance(shop, NATIVE),
                     f.nonceUsed(self.roles["customer"].address, self.request.nonce),
                     f.purchaseState(bytes.fromhex(self.order.purchase_id[2:]))]
            for purchase in (self.purchase, self.others, self.closed):
                views += [f.purchaseState(bytes.fromhex(purchase.id[2:])), f.returnDeadline(purchase.order.packed()),
                          ledger.feedback.functions.feedbackOf(bytes.fromhex(purchase.id[2:]))]
            for account in self.everyone:
                views += [f.staffOf(shop, account), f.budgetOf(shop, account, NATIVE),
                          f.creditOf(shop, account, NATIVE), f.deferredBalance(token, account),
                          f.deferredBalance(NATIVE, account)]
            reads = [(view.address, bytes.fromhex(view._encode_transaction_data()[2:])) for view in views]
            holders = self.everyone + [ledger.address, ledger.feedback.address]
            self._watch = bytes.fromhex(self.probe.encode_abi("read", args=[holders, [token], reads])[2:])
        raw = self.ledger.w3.eth.call({"to": self.probe.address, "data": self._watch})
        balances, results = decode(["uint256[]", "bytes[]"], raw)
        return list(balances), list(results)


def _scene(deployed: Deployed, artifacts: dict[str, Any]) -> Scene:
    ledger, accounts, chain = deployed.ledger, deployed.accounts, deployed.chain
    deployer, owner, agent, alice, bob, stranger, payout, removed, relayer, newcomer = accounts
    shop = ledger.register_merchant(owner, payout=payout.address)
    for staff in (agent, removed):
        shop.add_agent(staff.address)
        shop.set_budget(staff.address, ETHER)
        shop.set_mandate(staff.address, 30)
    shop.remove_agent(removed.address)
    terms = shop.publish_terms(7 * DAY, restocking_fee_bps=1_000, delivery_wait=14 * DAY)
    final = shop.publish_terms(0)
    shop.set_credit_cash_out_delay(1)
    customer, other = ledger.customer_desk(alice), ledger.customer_desk(bob)
    purchase = buy(shop, customer, terms.id, [("MUG", 1, ETHER // 10), ("TEA", 1, ETHER // 5)], "A-1")
    customer.return_for_credit(buy(shop, customer, terms.id, [("CUP", 1, ETHER // 10)], "A-2").id)
    others = buy(shop, other, terms.id, [("MUG", 1, ETHER // 10), ("TEA", 1, ETHER // 5)], "B-1")
    ledger.submit_return(relayer, other.sign_return(others.id, [1]))  # the relayer has relayed before
    closed = buy(shop, customer, final.id, [("LAMP", 1, ETHER // 10)], "A-3")
    # While the token burns its gas, its pushes fail: a refund is kept for the customer, a sale for the shop.
    token = deploy_contract(chain, deployer, artifacts["GasBurningToken"])
    shop.accept_token(token.address)
    send(chain, deployer, token.functions.mint(alice.address, 10_000))
    send(chain, deployer, token.functions.setBurning(True))
    customer.return_items(buy(shop, customer, terms.id, [("HAT", 1, 1_000)], "A-4", token=token.address).id)
    ledger.settle(stranger, [buy(shop, customer, final.id, [("HAT", 1, 2_000)], "A-5", token=token.address).id])
    send(chain, deployer, token.functions.setBurning(False))
    contact = ledger.merchant_desk(agent, shop.merchant_id).log_contact(alice.address, "chat", "question", "size?")
    chain.advance_time(2)  # past the 1 s cash-out delay: every cell starts from a block the credit can leave in
    return Scene(
        ledger=ledger,
        roles=dict(zip(ROLES, (alice, bob, owner, agent, removed, stranger, relayer))),
        everyone=[account.address for account in accounts],
        shop=shop, terms_id=terms.id, token=token, purchase=purchase, others=others, closed=closed,
        order=shop.quote(terms.id, [("SCARF", 1, ETHER // 10)], "A-6", customer=alice.address, valid_for=DAY),
        request=customer.sign_return(purchase.id, [0]),
        contact=bytes.fromhex(contact.content_hash[2:]),
        newcomer=newcomer.address,
        probe=deploy_contract(chain, deployer, artifacts["StateProbe"]),
    )


def _lines(purchase: Purchase) -> list[tuple[bytes, int, int]]:
    return purchase.order.line_tuples()


def _signed_return(s: Scene) -> tuple:
    request = s.request
    return (request.line_mask, bytes.fromhex(request.shipment_ref[2:]), request.nonce, request.deadline)


@dataclass(frozen=True)
class Access:
    """A row: how ``who`` makes a valid call, who may, and the error anyone else gets."""

    build: Callable[[Scene, LocalAccount], Call]
    allowed: frozenset[str]
    refusal: type[errors.LedgerError] | None = None


ACCESS: dict[str, Access] = {
    # ---- the ledger's entry point
    "Ledger.buy": Access(lambda s, who: s.ledger_call(
        "buy", s.order.order.packed(), s.order.order.line_tuples(), 0, bytes.fromhex(s.order.signature[2:]),
        value=s.order.order.total), CUSTOMER, errors.NotOrderCustomer),
    "Ledger.cancelNonce": Access(lambda s, who: s.ledger_call("cancelNonce", 12_345), ANYONE),
    "Ledger.confirmDelivery": Access(lambda s, who: s.ledger_call("confirmDelivery", s.purchase.order.packed()),
                                     STAFF, errors.NotMerchantAgent),
    "Ledger.logContact": Access(lambda s, who: s.ledger_call(
        "logContact", s.shop.merchant_id, s.roles["customer"].address, bytes.fromhex(s.purchase.id[2:]), 2, 0, 0,
        keccak(text="a note")), STAFF | CUSTOMER, errors.NotMerchantAgent),
    "Ledger.returnItems": Access(lambda s, who: s.ledger_call(
        "returnItems", s.purchase.order.packed(), _lines(s.purchase), 1, bytes(32)), CUSTOMER, errors.NotCustomer),
    "Ledger.exchange": Access(lambda s, who: s.ledger_call(
        "exchange", s.purchase.order.packed(), _lines(s.purchase), 1, bytes(32), s.order.order.packed(),
        s.order.order.line_tuples(), bytes.fromhex(s.order.signature[2:]),
        value=s.order.order.total - ETHER // 10 * 9 // 10), CUSTOMER, errors.NotCustomer),
    "Ledger.returnItemsBySig": Access(lambda s, who: s.ledger_call(
        "returnItemsBySig", s.purchase.order.packed(), _lines(s.purchase), _signed_return(s),
        bytes.fromhex(s.request.signature[2:])), ANYONE),
    "Ledger.settle": Access(lambda s, who: s.ledger_call("settle", [s.closed.order.packed()]), ANYONE),
    "Ledger.withdraw": Access(lambda s, who: s.ledger_call("withdraw", s.token.address, who.address),
                              CUSTOMER, errors.NothingToWithdraw),
    "Ledger.withdrawMerchant": Access(lambda s, who: s.ledger_call(
        "withdrawMerchant", s.shop.merchant_id, s.token.address), ANYONE),
    "Ledger.receive": Access(lambda s, who: Call(s.ledger.address, b"", 1), frozenset(), errors.WrongPayment),
    "Ledger.fallback": Access(lambda s, who: Call(s.ledger.address, UNKNOWN_SELECTOR), frozenset(),
                              errors.ContractReverted),
    # ---- shops (LedgerModule, behind the same address)
    "Ledger.registerMerchant": Access(lambda s, who: s.ledger_call("registerMerchant", who.address), ANYONE),
    "Ledger.addAgent": Access(lambda s, who: s.ledger_call("addAgent", s.shop.merchant_id, s.newcomer),
                              OWNER, errors.NotMerchantOwner),
    "Ledger.removeAgent": Access(lambda s, who: s.ledger_call(
        "removeAgent", s.shop.merchant_id, s.roles["agent"].address), OWNER, errors.NotMerchantOwner),
    "Ledger.publishTerms": Access(lambda s, who: s.ledger_call(
        "publishTerms", s.shop.merchant_id, 7 * DAY, 0, 0, False), OWNER, errors.NotMerchantOwner),
    "Ledger.retireTerms": Access(lambda s, who: s.ledger_call("retireTerms", s.terms_id),
                                 OWNER, errors.NotMerchantOwner),
    "Ledger.setBudget": Access(lambda s, who: s.ledger_call(
        "setBudget", s.shop.merchant_id, s.roles["agent"].address, NATIVE, 5), OWNER, errors.NotMerchantOwner),
    "Ledger.setCreditBonus": Access(lambda s, who: s.ledger_call("setCreditBonus", s.shop.merchant_id, 100),
                                    OWNER, errors.NotMerchantOwner),
    "Ledger.setCreditCashOutDelay": Access(lambda s, who: s.ledger_call(
        "setCreditCashOutDelay", s.shop.merchant_id, 0), OWNER, errors.NotMerchantOwner),
    "Ledger.setMandate": Access(lambda s, who: s.ledger_call(
        "setMandate", s.shop.merchant_id, s.roles["agent"].address, 3), OWNER, errors.NotMerchantOwner),
    "Ledger.setReferralMandate": Access(lambda s, who: s.ledger_call(
        "setReferralMandate", s.shop.merchant_id, s.roles["agent"].address, 100), OWNER, errors.NotMerchantOwner),
    "Ledger.setReferrerApproved": Access(lambda s, who: s.ledger_call(
        "setReferrerApproved", s.shop.merchant_id, s.newcomer, True), OWNER, errors.NotMerchantOwner),
    "Ledger.setPayout": Access(lambda s, who: s.ledger_call("setPayout", s.shop.merchant_id, s.newcomer),
                               OWNER, errors.NotMerchantOwner),
    "Ledger.setTokenAccepted": Access(lambda s, who: s.ledger_call(
        "setTokenAccepted", s.shop.merchant_id, s.token.address, False), OWNER, errors.NotMerchantOwner),
    # ---- customer service (LedgerModule, behind the same address)
    "Ledger.goodwillRefund": Access(lambda s, who: s.ledger_call(
        "goodwillRefund", s.purchase.order.packed(), 1_000, 1, bytes(32)), STAFF, errors.NotMerchantAgent),
    "Ledger.refundWithoutReturn": Access(lambda s, who: s.ledger_call(
        "refundWithoutReturn", s.purchase.order.packed(), _lines(s.purchase), 1, 2), STAFF, errors.NotMerchantAgent),
    "Ledger.extendWindow": Access(lambda s, who: s.ledger_call("extendWindow", s.purchase.order.packed(), 1, 4),
                                  STAFF, errors.NotMerchantAgent),
    "Ledger.setWindowExtension": Access(lambda s, who: s.ledger_call(
        "setWindowExtension", s.purchase.order.packed(), 3, 4), OWNER, errors.NotMerchantOwner),
    "Ledger.returnItemsForCredit": Access(lambda s, who: s.ledger_call(
        "returnItemsForCredit", s.purchase.order.packed(), _lines(s.purchase), 2, bytes(32)),
        CUSTOMER, errors.NotCustomer),
    "Ledger.cashOutCredit": Access(lambda s, who: s.ledger_call("cashOutCredit", s.shop.merchant_id, NATIVE),
                                   CUSTOMER, errors.NothingToWithdraw),
    # ---- feedback (its own contract)
    "LedgerFeedback.review": Access(lambda s, who: s.feedback_call(
        "review", s.purchase.order.packed(), 4, keccak(text="a review")), CUSTOMER, errors.NotCustomer),
    "LedgerFeedback.giveNps": Access(lambda s, who: s.feedback_call("giveNps", s.purchase.order.packed(), 9),
                                     CUSTOMER, errors.NotCustomer),
    # The contract cannot see contacts (they are events): anyone may rate, and readers count only ratings of
    # contacts the shop's staff logged with that customer (test_feedback.py).
    "LedgerFeedback.rateContact": Access(lambda s, who: s.feedback_call(
        "rateContact", s.shop.merchant_id, s.contact, 4), ANYONE),
}


def _state_changing(contract: str, abi: list[dict[str, Any]]) -> list[str]:
    """Every entry of ``abi`` that can change state: non-view functions, and the receive and fallback entries."""
    return [f"{contract}.{entry.get('name', entry['type'])}" for entry in abi
            if entry["type"] in ("function", "receive", "fallback")
            and entry["stateMutability"] not in ("view", "pure")]


ABI_ENTRIES = _state_changing("Ledger", ledger_abi()) + _state_changing("LedgerFeedback",
                                                                         load_artifact("LedgerFeedback")["abi"])


@pytest.fixture(scope="module")
def scene(deployed: Deployed, test_artifacts: dict[str, dict[str, Any]]) -> Scene:
    """The scene on a freshly deployed ledger; the chain goes back to that deployment afterwards."""
    chain = deployed.chain
    built = _scene(deployed, test_artifacts)
    built.snapshot = chain.snapshot()
    yield built
    chain.revert(deployed.snapshot)
    deployed.snapshot = chain.snapshot()


@pytest.fixture
def cell(scene: Scene) -> Scene:
    """The scene, reverted to its snapshot after the test."""
    yield scene
    scene.chain.revert(scene.snapshot)
    scene.snapshot = scene.chain.snapshot()


def _simulate(scene: Scene, sender: LocalAccount, call: Call) -> None:
    ledger = scene.ledger
    with mapped_errors(ledger.errors):
        ledger.w3.eth.call({"from": sender.address, "to": call.to, "data": call.data, "value": call.value},
                           scene.chain.simulation_block)


def _send_raw(chain: Chain, sender: LocalAccount, call: Call) -> Any:
    w3 = chain.w3
    tip = 10**9
    tx = {"to": call.to, "data": call.data, "value": call.value, "gas": GAS, "chainId": chain.chain_id,
          "maxFeePerGas": 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + tip, "maxPriorityFeePerGas": tip,
          "nonce": w3.eth.get_transaction_count(sender.address)}
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))


def _touched(chain: AnvilChain, tx_hash: bytes) -> dict[str, Any]:
    """What a mined transaction changed, account by account (anvil's prestate tracer in diff mode)."""
    response = chain.w3.provider.make_request("debug_traceTransaction", [
        "0x" + bytes(tx_hash).hex(), {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}])
    return response["result"]["post"]


def _check_refusal(cell: Scene, sender: LocalAccount, call: Call, access: Access) -> None:
    with pytest.raises(access.refusal) as info:
        _simulate(cell, sender, call)
    refused = info.value
    if hasattr(refused, "caller"):
        assert refused.caller == sender.address
    if hasattr(refused, "merchant_id"):
        assert refused.merchant_id == cell.shop.merchant_id
    if isinstance(refused, errors.ContractReverted):
        assert refused.data == b""  # an unknown function: no module has it
    w3 = cell.ledger.w3
    (balances, views), payer = cell.watched(), cell.everyone.index(sender.address)
    receipt = _send_raw(cell.chain, sender, call)
    assert receipt["status"] == 0
    after, views_after = cell.watched()
    assert views_after == views
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert after[payer] == balances[payer] - gas  # the sender paid the gas and nothing else
    assert after[:payer] + after[payer + 1:] == balances[:payer] + balances[payer + 1:]
    if isinstance(cell.chain, AnvilChain):
        changed = _touched(cell.chain, receipt["transactionHash"])
        coinbase = w3.eth.get_block(receipt["blockNumber"])["miner"].lower()
        assert set(changed) <= {sender.address.lower(), coinbase}
        assert "storage" not in changed.get(sender.address.lower(), {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", sorted(set(ABI_ENTRIES) | set(ACCESS)))
def test_access(cell: Scene, entry: str, role: str) -> None:
    assert entry in ACCESS, f"{entry} changes state but has no row in ACCESS: say who may call it and how"
    assert entry in ABI_ENTRIES, f"{entry} has a row in ACCESS but no longer changes state (or exists): drop it"
    access = ACCESS[entry]
    sender = cell.roles[role]
    call = access.build(cell, sender)
    if role not in access.allowed:
        _check_refusal(cell, sender, call, access)
        return
    _simulate(cell, sender, call)
    receipt = _send_raw(cell.chain, sender, call)
    assert receipt["status"] == 1
    assert any(log["address"] == call.to for log in receipt["logs"]), f"{entry} succeeded without an event"
