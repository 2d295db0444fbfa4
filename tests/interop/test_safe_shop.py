"""A shop run by a Safe (1.4.1, 2 of 3 owners) on anvil, as its owner and as an agent: the library drafts the
order unsigned for the Safe, the Safe signs it off chain (its owners' ERC-1271 signature) or approves it on chain
(SignMessageLib), and a customer buys it. What an attacker would try is refused in words before anything is
written or paid: fewer owners than the threshold, an approval of another order, a Safe no longer staff."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from web3.exceptions import ContractLogicError

from ledger.chain import AnvilChain
from ledger.client import Ledger, MerchantDesk
from ledger.errors import InvalidInput, InvalidOrderSignature, StaleOrderSigner
from ledger.orders import SignedOrder
from ledger.signatures import wallet_signature
from tests.support.safe_wallet import Safe, deploy_safe
from tests.support.world import DAY, ETHER, simulate


@dataclass
class World:
    ledger: Ledger
    safe: Safe
    accounts: list
    safe_shop: int
    """The shop the Safe owns."""
    staffed_shop: int
    """A shop owned by account 1, with the Safe as its agent."""
    terms: dict[int, int]

    def desk(self, merchant_id: int) -> MerchantDesk:
        """The shop as the Safe acts for it: by its address only, the key being its owners'."""
        return self.ledger.merchant_desk(self.safe.address, merchant_id)

    @property
    def sender(self):
        return self.accounts[5]  # an owner of the Safe, who pays the gas of its transactions


@pytest.fixture(scope="module")
def world() -> World:
    chain = AnvilChain()
    accounts = chain.accounts()
    ledger = Ledger.deploy(chain, accounts[0])
    safe = deploy_safe(chain, accounts[0], accounts[5:8], threshold=2)
    safe.call(accounts[5], ledger.contract.functions.registerMerchant(safe.address))
    safe_shop = ledger.contract.functions.merchantCount().call()
    safe.call(accounts[5], ledger.merchant_desk(safe.address, safe_shop).prepare_publish_terms(14 * DAY).function)
    safe_terms = ledger.contract.functions.termsCount().call()
    staffed = ledger.register_merchant(accounts[1])
    staffed.add_agent(safe.address)
    yield World(ledger, safe, accounts, safe_shop, staffed.merchant_id,
                {safe_shop: safe_terms, staffed.merchant_id: staffed.publish_terms(7 * DAY).id})
    chain.close()


@pytest.fixture(autouse=True)
def fresh(world: World):
    snapshot = world.ledger.chain.snapshot()
    yield
    world.ledger.chain.revert(snapshot)


@pytest.fixture(params=["owner", "agent"])
def merchant_id(request, world: World) -> int:
    """The Safe's shop (as its owner) or the shop it is an agent of."""
    return world.safe_shop if request.param == "owner" else world.staffed_shop


def _draft(world: World, merchant_id: int, number: str) -> SignedOrder:
    """An order drafted for the Safe to sign, through its file (as a wallet would be handed it)."""
    unsigned = world.desk(merchant_id).prepare_quote(world.terms[merchant_id], [("LAMP", 1, ETHER // 20)], number)
    assert unsigned.signature == "" and unsigned.signer == world.safe.address
    return SignedOrder.from_json(unsigned.to_json())


def _digest(order: SignedOrder) -> bytes:
    return bytes.fromhex(order.purchase_id[2:])


def test_a_safe_signs_an_order_off_chain_and_a_customer_buys_it(world, merchant_id) -> None:
    unsigned = _draft(world, merchant_id, "SAFE-1")
    signed = world.desk(merchant_id).attach(unsigned, "0x" + world.safe.sign(_digest(unsigned)).hex())
    assert signed.signer == world.safe.address
    bought = world.ledger.customer_desk(world.accounts[3]).buy(SignedOrder.from_json(signed.to_json()))
    assert bought.id == unsigned.purchase_id and bought.merchant_id == merchant_id and bought.paid == ETHER // 20


def test_a_safe_approves_an_order_on_chain_and_a_customer_buys_it(world, merchant_id) -> None:
    unsigned = _draft(world, merchant_id, "SAFE-2")
    world.safe.approve(world.sender, _digest(unsigned))
    signed = world.desk(merchant_id).attach(unsigned)  # no signature: the Safe's approval stands for it
    assert bytes.fromhex(signed.signature[2:]) == wallet_signature(world.safe.address, b"")
    bought = world.ledger.customer_desk(world.accounts[3]).buy(signed)
    assert bought.id == unsigned.purchase_id and world.ledger.purchase(bought.id).merchant_id == merchant_id


def test_one_owner_below_the_threshold_is_refused_before_anything_is_written_or_paid(world, merchant_id) -> None:
    unsigned, safe = _draft(world, merchant_id, "SAFE-3"), world.safe
    with pytest.raises(InvalidInput, match=f"wallet {safe.address} does not accept this signature .* threshold"):
        world.desk(merchant_id).attach(unsigned, "0x" + safe.sign(_digest(unsigned), signers=1).hex())
    with pytest.raises(ContractLogicError, match="GS020"):  # the Safe refuses one owner's approval on chain
        safe.approve(world.sender, _digest(unsigned), signers=1)
    with pytest.raises(InvalidInput, match="does not accept"):
        world.desk(merchant_id).attach(unsigned)
    buyer = world.accounts[3]
    for alone in (safe.sign(_digest(unsigned), signers=1), b""):  # nor does the contract take either
        forged = unsigned.with_signature(alone)
        with pytest.raises(InvalidOrderSignature):
            simulate(world.ledger, world.ledger.contract.functions.buy(
                forged.order.packed(), forged.order.line_tuples(), 0, bytes.fromhex(forged.signature[2:])),
                buyer, forged.order.total)
    assert not world.ledger.contracts.is_bought(unsigned.purchase_id)


def test_a_safe_approval_is_not_replayed_for_another_order(world, merchant_id) -> None:
    approved, other = _draft(world, merchant_id, "SAFE-4"), _draft(world, merchant_id, "SAFE-5")
    world.safe.approve(world.sender, _digest(approved))
    signature = world.safe.sign(_digest(approved))
    for given in (b"", signature):  # the approval, and the owners' signature, of the first order
        with pytest.raises(InvalidInput, match=f"does not accept this signature of order {other.purchase_id}"):
            world.desk(merchant_id).attach(other, given)
        replayed = other.with_signature(given)
        with pytest.raises(InvalidOrderSignature):
            simulate(world.ledger, world.ledger.contract.functions.buy(
                replayed.order.packed(), replayed.order.line_tuples(), 0, bytes.fromhex(replayed.signature[2:])),
                world.accounts[3], replayed.order.total)


def test_an_order_approved_by_a_safe_no_longer_staff_is_refused(world) -> None:
    shop_id = world.staffed_shop
    unsigned = _draft(world, shop_id, "SAFE-6")
    world.safe.approve(world.sender, _digest(unsigned))
    signed = world.desk(shop_id).attach(unsigned)
    owner = world.ledger.merchant_desk(world.accounts[1], shop_id)
    owner.remove_agent(world.safe.address)
    buyer = world.ledger.customer_desk(world.accounts[3])
    with pytest.raises(InvalidOrderSignature, match=f"signed by {world.safe.address}, who is not staff"):
        buyer.buy(signed)
    owner.add_agent(world.safe.address)  # back as agent: in a new generation, so its earlier approvals are void
    with pytest.raises(StaleOrderSigner):
        buyer.buy(signed)
    assert not world.ledger.contracts.is_bought(signed.purchase_id)
