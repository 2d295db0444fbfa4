"""Gasless returns: the customer signs (EIP-712), anyone submits, the customer gets the refund. Nonces are
random, so requests are independent; the customer can cancel one it did not use."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account import Account

from ledger import errors
from ledger.models import SignedReturn
from ledger.orders import RETURN_REQUEST_TYPES, domain
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, assert_kept, buy


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("MUG", 1, ETHER), ("TEA", 1, ETHER)])


def test_a_signed_returns_shipment_reference_is_kept_when_signed(ledger, shop, customer, alice, stranger) -> None:
    terms = shop.publish_terms(7 * DAY, item_must_be_returned=True)
    purchase = buy(shop, customer, terms.id, [("TV", 1, ETHER)], "ORDER-TV")
    signed = customer.sign_return(purchase.id, shipment_ref="PARCEL-77")
    assert_kept(ledger, signed.shipment_ref, "PARCEL-77", "shipment")  # the customer's, whoever relays it
    assert ledger.submit_return(stranger, signed).reference == signed.shipment_ref


def test_relayer_submits_and_the_customer_is_refunded(ledger, chain, customer, purchase, alice, stranger) -> None:
    signed = customer.sign_return(purchase.id, [1])
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    balance = chain.w3.eth.get_balance(alice.address)
    refund = ledger.submit_return(stranger, signed)
    assert refund.customer == alice.address and refund.lines == (1,) and refund.amount == ETHER * 9 // 10
    assert chain.w3.eth.get_balance(alice.address) == balance + refund.amount  # the relayer paid the gas
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce  # the customer sent nothing
    assert ledger.purchase(purchase.id).returned_lines == {1}


def test_a_customer_without_ether_is_refunded(ledger, chain, shop, week_terms, accounts, stranger) -> None:
    broke = Account.create()
    send = {"to": broke.address, "value": ETHER + 5 * 10**16, "gas": 21_000, "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9, "nonce": chain.w3.eth.get_transaction_count(accounts[9].address),
            "chainId": chain.chain_id}
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(
        accounts[9].sign_transaction(send).raw_transaction))
    desk = ledger.customer_desk(broke)
    purchase = buy(shop, desk, week_terms.id, [("MUG", 1, ETHER)], "ORDER-2")
    left = chain.w3.eth.get_balance(broke.address)
    ledger.submit_return(stranger, desk.sign_return(purchase.id))
    assert chain.w3.eth.get_balance(broke.address) == left + ETHER * 9 // 10


def test_replayed_request_refused(ledger, customer, purchase, alice, stranger) -> None:
    signed = customer.sign_return(purchase.id, [0])
    ledger.submit_return(stranger, signed)
    with pytest.raises(errors.NonceUsed) as info:
        ledger.submit_return(stranger, signed)
    assert (info.value.account, info.value.nonce) == (alice.address, signed.nonce)


def test_an_unused_request_does_not_block_a_later_one(ledger, customer, purchase, stranger) -> None:
    first = customer.sign_return(purchase.id, [0])
    second = customer.sign_return(purchase.id, [1])
    assert ledger.submit_return(stranger, second).lines == (1,)  # signed later, used first
    assert ledger.submit_return(stranger, first).lines == (0,)


def test_cancelled_request_cannot_be_submitted(ledger, customer, purchase, alice, stranger) -> None:
    signed = customer.sign_return(purchase.id)
    customer.cancel_return(signed)
    (cancelled,) = ledger.events("NonceCancelled", alice.address)
    assert cancelled.args["nonce"] == signed.nonce
    with pytest.raises(errors.NonceUsed):
        ledger.submit_return(stranger, signed)
    with pytest.raises(errors.NonceUsed):
        customer.cancel_return(signed)
    assert ledger.submit_return(stranger, customer.sign_return(purchase.id)).lines == (0, 1)  # a new one works


def test_someone_else_cancelling_the_nonce_does_not_void_the_request(ledger, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id)
    with pytest.raises(errors.NotCustomer):
        ledger.customer_desk(stranger).cancel_return(signed)
    ledger.transact(stranger, ledger.contract.functions.cancelNonce(signed.nonce))  # the stranger's own nonce
    assert ledger.submit_return(stranger, signed).lines == (0, 1)


def test_expired_request_refused(ledger, chain, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, valid_for=3600)
    chain.advance_time(2 * 3600)
    with pytest.raises(errors.SignatureExpired) as info:
        ledger.submit_return(stranger, signed)
    assert info.value.deadline == signed.deadline


def test_request_signed_by_someone_else_refused(ledger, chain, purchase, stranger, bob) -> None:
    forged = _sign(bob, purchase.id, 1, chain.now() + DAY, chain.chain_id, ledger.address)
    with pytest.raises(errors.InvalidSignature) as info:
        ledger.submit_return(stranger, forged)
    assert (info.value.purchase_id, info.value.customer) == (purchase.id, purchase.customer)


def test_altered_request_refused(ledger, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, [0])
    with pytest.raises(errors.InvalidSignature):
        ledger.submit_return(stranger, replace(signed, line_mask=0b11))  # asks for more than was signed


@pytest.mark.parametrize("where", ["chain", "contract"])
def test_request_for_another_chain_or_contract_refused(ledger, chain, purchase, alice, stranger, where) -> None:
    chain_id, contract = chain.chain_id, ledger.address
    if where == "chain":
        chain_id += 1
    else:
        contract = "0x" + "42" * 20
    signed = _sign(alice, purchase.id, 1, chain.now() + DAY, chain_id, contract)
    with pytest.raises(errors.InvalidInput, match="was signed for contract"):
        ledger.submit_return(stranger, signed)
    call = ledger.contract.functions.returnItemsBySig(
        purchase.order.packed(), purchase.order.line_tuples(), (1, bytes(32), signed.nonce, signed.deadline),
        bytes.fromhex(signed.signature[2:]))
    with pytest.raises(errors.InvalidSignature), mapped_errors(ledger.errors):  # and the contract checks it
        call.call({"from": stranger.address})


def test_signed_return_outside_the_window_refused(ledger, chain, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, valid_for=30 * DAY)
    chain.advance_time(8 * DAY)
    with pytest.raises(errors.ReturnWindowClosed):
        ledger.submit_return(stranger, signed)


def _sign(signer, purchase_id, mask, deadline, chain_id, contract) -> SignedReturn:
    nonce = secrets.randbits(256)
    message = {"purchaseId": bytes.fromhex(purchase_id[2:]), "lineMask": mask, "shipmentRef": bytes(32),
               "nonce": nonce, "deadline": deadline}
    signature = signer.sign_typed_data(domain(chain_id, contract), RETURN_REQUEST_TYPES, message).signature
    return SignedReturn(purchase_id, mask, "0x" + "00" * 32, nonce, deadline, "0x" + bytes(signature).hex(),
                        chain_id, contract)
