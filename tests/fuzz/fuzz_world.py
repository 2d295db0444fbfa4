"""The world the random-use state machine (``fuzz_machine.py``) plays in: one anvil chain with the ledger, two
shops with agents, three customers, two tokens (a plain one and one that burns 1 % of every transfer), a
referrer that is an account and one that is a contract refusing ETH, and a payout that refuses ETH too.

Built once per process; every sequence starts from the snapshot taken at the end (``World.reset``). Block
times move by exactly one second a block unless a step jumps, so every step knows to the second when its
transaction lands and can tell what the contract must do at a window's edge.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.build import compile_sources, project_root, read_sources
from ledger.chain import AnvilChain, Chain
from ledger.client import CustomerDesk, Ledger, MerchantDesk
from ledger.models import NATIVE, LineItem, ReturnTerms
from ledger.orders import SignedOrder
from ledger.tokens import ERC20_ABI

DAY = 86_400
FEE_BPS = 100
"""What the fee-on-transfer token burns of each transfer."""
MINTED = 10**30
"""Tokens each customer and the stranger start with."""


@dataclass
class Shop:
    """A shop as its owner acts for it, with its terms and its payout addresses."""

    owner: MerchantDesk
    terms: list[ReturnTerms]
    payouts: list[str]
    """Addresses the owner switches its payout between (the first is the one it starts with)."""

    @property
    def id(self) -> int:
        return self.owner.merchant_id


@dataclass
class World:
    chain: Chain
    ledger: Ledger
    """The library reading straight from the chain (no index)."""
    indexed: Ledger
    """The same deployment read through the history index (in memory), which follows every revert."""
    accounts: list[LocalAccount]
    shops: list[Shop]
    agents: list[LocalAccount]
    customers: list[CustomerDesk]
    stranger: LocalAccount
    """Relays signed returns, settles, gives tokens away; never staff, never a customer."""
    referrers: list[str]
    rejecters: list[Any]
    """Contracts that refuse ETH until told otherwise (web3 contracts); the first is a referrer, the second a payout."""
    tokens: list[str]
    """NATIVE, the plain token, the fee-on-transfer token."""
    erc20: dict[str, Any] = field(default_factory=dict)
    opening: list[SignedOrder] = field(default_factory=list)
    """Orders bought during the set-up, so that every sequence has purchases to act on from its first step."""
    baseline: dict[tuple[str, str], int] = field(default_factory=dict)
    """Each customer's balance per token before it bought anything, less the gas it paid for the set-up's
    purchases and returns: no customer may ever hold more (counting the gas it pays later)."""
    snapshot: object = None

    def reset(self) -> None:
        """Back to the state right after the set-up (anvil uses a snapshot up once reverted to it)."""
        if self.snapshot is not None:
            self.chain.revert(self.snapshot)
        self.snapshot = self.chain.snapshot()

    def staff_roles(self) -> list[LocalAccount]:
        """Everyone who may try to act for a shop: owners, agents, a customer, the stranger."""
        return [shop.owner.account for shop in self.shops] + self.agents + [self.customers[0].account, self.stranger]


TEST_CONTRACTS = ("TestToken", "FeeOnTransferToken", "EthRejecter", "ContractAccount")
"""The test contracts the world uses (compiled alone: the others are no concern of the fuzzer)."""


def _test_contracts() -> dict[str, dict[str, Any]]:
    root = project_root(Path(__file__).parent)
    sources = {path: text for path, text in read_sources(root, "tests/contracts").items()
               if Path(path).stem in TEST_CONTRACTS}
    return compile_sources(root, sources)


def _deploy(ledger: Ledger, account: LocalAccount, artifact: dict[str, Any], *args: Any) -> Any:
    w3 = ledger.w3
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.get_transaction_receipt(ledger.transact(account, factory.constructor(*args)).tx_hash)
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def _balance(chain: Chain, token: str, account: str) -> int:
    if token == NATIVE:
        return chain.w3.eth.get_balance(account)
    return chain.w3.eth.contract(address=token, abi=ERC20_ABI).functions.balanceOf(account).call()


def build() -> World:
    """Start anvil, deploy and set everything up; the node stops when the process ends."""
    chain = AnvilChain()
    atexit.register(chain.close)
    chain._rpc("anvil_setBlockTimestampInterval", [1])
    accounts = chain.accounts()
    deployer, stranger = accounts[0], accounts[9]
    ledger = Ledger.deploy(chain, deployer, index=False)
    artifacts = _test_contracts()
    plain = _deploy(ledger, deployer, artifacts["TestToken"], "Test Dollar", "TUSD")
    burning = _deploy(ledger, deployer, artifacts["FeeOnTransferToken"], FEE_BPS)
    rejecters = [_deploy(ledger, deployer, artifacts["EthRejecter"]) for _ in range(2)]
    tokens = [NATIVE, plain.address, burning.address]
    customers = [ledger.customer_desk(account) for account in accounts[5:8]]
    for token in (plain, burning):
        for holder in [*customers, ledger.customer_desk(stranger)]:
            ledger.transact(deployer, token.functions.mint(holder.address, MINTED))
            ledger.transact(holder.account, token.functions.approve(ledger.address, 2**256 - 1))

    agents = accounts[3:5]
    first = ledger.register_merchant(accounts[1], payout=Account.create().address)
    second = ledger.register_merchant(accounts[2], payout=rejecters[1].address)
    shops = [
        Shop(first, [first.publish_terms(3 * DAY, restocking_fee_bps=750),
                     first.publish_terms(2 * DAY, delivery_wait=3 * DAY, item_must_be_returned=True),
                     first.publish_terms(0)],
             [first.info().payout]),
        Shop(second, [second.publish_terms(DAY),
                      second.publish_terms(0, delivery_wait=2 * DAY)],
             [rejecters[1].address, Account.create().address]),
    ]
    first.set_credit_bonus(1_500)
    first.set_credit_cash_out_delay(DAY)
    second.set_credit_bonus(500)
    first.accept_token(plain.address)
    first.accept_token(burning.address)
    second.accept_token(plain.address)
    for shop, agent in ((first, agents[0]), (first, agents[1]), (second, agents[1])):
        shop.add_agent(agent.address)
        shop.set_mandate(agent.address, 5)
        for token, budget in zip(tokens, (10**15, 10**9, 10**9)):
            shop.set_budget(agent.address, budget, token)
    first.set_referral_mandate(agents[0].address, 500)  # one agent may grant 5 %, to the one approved referrer
    first.approve_referrer(accounts[8].address)

    a, b, _ = customers
    opening = [
        first.quote(shops[0].terms[0].id, [LineItem("COAT", 1, 10**17), LineItem("HAT", 2, 10**16)], "OPEN-1",
                    customer=a.address),
        first.quote(shops[0].terms[1].id, [LineItem("SOFA", 1, 10**12), LineItem("LAMP", 3, 999)], "OPEN-2",
                    customer=b.address, token=burning.address, referrer=accounts[8].address, referral_bps=500),
        second.quote(shops[1].terms[0].id, [LineItem("BOOK", 2, 10**6)], "OPEN-3", token=plain.address,
                     referrer=rejecters[0].address, referral_bps=1_000),
    ]
    first_block = chain.w3.eth.block_number + 1
    baseline = {(desk.address, token): _balance(chain, token, desk.address) for desk in customers for token in tokens}
    for desk, order in zip(customers, opening):
        desk.buy(order)
    a.return_for_credit(opening[0].purchase_id, [1])
    for number in range(first_block, chain.w3.eth.block_number + 1):
        for receipt in chain.w3.eth.get_block_receipts(number):
            if (receipt["from"], NATIVE) in baseline:
                baseline[receipt["from"], NATIVE] -= receipt["gasUsed"] * receipt["effectiveGasPrice"]

    indexed = Ledger(chain, ledger.address, ledger.feedback.address, ledger.from_block, index=True)
    world = World(chain, ledger, indexed, accounts, shops, list(agents), customers, stranger,
                  [accounts[8].address, rejecters[0].address], rejecters, tokens,
                  {plain.address: plain, burning.address: burning}, opening, baseline)
    world.reset()
    return world
