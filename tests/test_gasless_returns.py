"""Gasless returns: the customer signs (EIP-712), anyone submits, the customer gets the refund."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import DAY, ETHER
from eth_account import Account

from ledger import errors
from ledger.client import RETURN_REQUEST_TYPES, _lines_tuple, _purchase_tuple
from ledger.revert import mapped_errors


@pytest.fixture
def purchase(week_terms, customer):
    return customer.buy(week_terms.id, [("MUG", 1, ETHER), ("TEA", 1, ETHER)], "ORDER-1")


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
    purchase = desk.buy(week_terms.id, [("MUG", 1, ETHER)], "ORDER-2")
    left = chain.w3.eth.get_balance(broke.address)
    ledger.submit_return(stranger, desk.sign_return(purchase.id))
    assert chain.w3.eth.get_balance(broke.address) == left + ETHER * 9 // 10


def test_replayed_request_refused(ledger, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, [0])
    ledger.submit_return(stranger, signed)
    with pytest.raises(errors.InvalidSignature):
        ledger.submit_return(stranger, signed)


def test_expired_request_refused(ledger, chain, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, valid_for=3600)
    chain.advance_time(2 * 3600)
    with pytest.raises(errors.SignatureExpired) as info:
        ledger.submit_return(stranger, signed)
    assert info.value.deadline == signed.deadline


def test_request_signed_by_someone_else_refused(ledger, chain, purchase, stranger, bob) -> None:
    forged = _sign(ledger, bob, purchase.id, 1, ledger.call(ledger.contract.functions.nonces(purchase.customer)),
                   chain.now() + DAY, chain.chain_id, ledger.address)
    with pytest.raises(errors.InvalidSignature) as info:
        ledger.submit_return(stranger, forged)
    assert info.value.customer == purchase.customer


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
    signed = _sign(ledger, alice, purchase.id, 1, 0, chain.now() + DAY, chain_id, contract)
    with pytest.raises(errors.InvalidInput, match="was signed for contract"):
        ledger.submit_return(stranger, signed)
    call = ledger.contract.functions.returnItemsBySig(
        _purchase_tuple(purchase), _lines_tuple(purchase), 1, bytes(32), signed.deadline,
        bytes.fromhex(signed.signature[2:]))
    with pytest.raises(errors.InvalidSignature), mapped_errors(ledger.errors):  # and the contract checks it
        call.call({"from": stranger.address})


def test_signed_return_outside_the_window_refused(ledger, chain, customer, purchase, stranger) -> None:
    signed = customer.sign_return(purchase.id, valid_for=30 * DAY)
    chain.advance_time(8 * DAY)
    with pytest.raises(errors.ReturnWindowClosed):
        ledger.submit_return(stranger, signed)


def _sign(ledger, signer, purchase_id, mask, nonce, deadline, chain_id, contract):
    from ledger.models import SignedReturn

    domain = {"name": "Ledger", "version": "1", "chainId": chain_id, "verifyingContract": contract}
    message = {"purchaseId": bytes.fromhex(purchase_id[2:]), "lineMask": mask, "shipmentRef": bytes(32),
               "nonce": nonce, "deadline": deadline}
    signature = signer.sign_typed_data(domain, RETURN_REQUEST_TYPES, message).signature
    return SignedReturn(purchase_id, mask, "0x" + "00" * 32, nonce, deadline, "0x" + bytes(signature).hex(),
                        chain_id, contract)
