"""The contract enforces its rules itself, even for callers that skip the library's checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger import errors
from ledger.models import NATIVE
from ledger.revert import mapped_errors
from tests.support.world import DAY, ETHER, buy, deploy_contract, simulate


def line(sku=b"MUG", quantity=1, price=100):
    return (sku.ljust(32, b"\0"), quantity, price)


@pytest.fixture
def order(shop, week_terms, customer):
    """A one-line order of 100 wei for alice, signed by the shop."""
    return shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address)


def raw_buy(ledger, signed, lines=None, packed=None, credit=0):
    """The contract's ``buy`` for ``signed`` with its lines and words replaced as given."""
    packed = packed or signed.order.packed()
    lines = signed.order.line_tuples() if lines is None else lines
    return ledger.contract.functions.buy(packed, lines, credit, bytes.fromhex(signed.signature[2:]))


def with_count(packed, count):
    """The packed order with its line count set to ``count``."""
    head = packed[0] & ~(0xFF << 24) | count << 24
    return (head, *packed[1:])


def test_buy_rejects_a_zero_quantity(ledger, order, alice) -> None:
    call = raw_buy(ledger, order, [line(), line(quantity=0)], with_count(order.order.packed(), 2))
    with pytest.raises(errors.InvalidLine) as info:
        simulate(ledger, call, alice, 100)
    assert info.value.index == 1


def test_buy_rejects_no_lines_a_count_other_than_signed_and_too_many(ledger, order, alice) -> None:
    for lines in ([], [line(), line()], [line(price=0)] * 33):
        with pytest.raises(errors.LineCount) as info:
            simulate(ledger, raw_buy(ledger, order, lines), alice, 100)
        assert (info.value.count, info.value.max_lines) == (len(lines), 32)


def test_buy_rejects_a_zero_total_and_a_total_above_128_bits(ledger, order, alice) -> None:
    with pytest.raises(errors.ZeroAmount):
        simulate(ledger, raw_buy(ledger, order, [line(price=0)]), alice)
    with pytest.raises(errors.AmountTooLarge) as info:
        simulate(ledger, raw_buy(ledger, order, [line(quantity=2**32 - 1, price=2**128 - 1)]), alice)
    assert info.value.max_amount == 2**128 - 1


def test_buy_rejects_a_total_or_lines_other_than_signed(ledger, order, alice) -> None:
    head, payment, referral, total, lines_hash, ref = order.order.packed()
    for packed, lines in (((head, payment, referral, total - 1, lines_hash, ref), None),  # a lower total
                          (None, [line(price=99), line(price=1)])):  # other lines for the same total
        call = raw_buy(ledger, order, lines, packed if packed else with_count(order.order.packed(), 2))
        with pytest.raises(errors.LinesMismatch):
            simulate(ledger, call, alice, total)


def test_buy_rejects_an_expired_order_and_another_buyer(ledger, chain, order, alice, bob) -> None:
    with pytest.raises(errors.NotOrderCustomer) as info:
        simulate(ledger, raw_buy(ledger, order), bob, 100)
    assert (info.value.customer, info.value.caller) == (alice.address, bob.address)
    chain.advance_time(2 * 3_600)
    with pytest.raises(errors.OrderExpired) as info:
        simulate(ledger, raw_buy(ledger, order), alice, 100)
    assert info.value.expiry == order.order.expiry


def test_buy_rejects_terms_of_another_shop_and_retired_terms(ledger, shop, week_terms, order, alice, bob) -> None:
    theirs = ledger.register_merchant(bob).publish_terms(7 * DAY, restocking_fee_bps=1_000)
    borrowed = replace(order.order, terms_id=theirs.id)
    with pytest.raises(errors.UnknownTerms) as info:
        simulate(ledger, raw_buy(ledger, order, packed=borrowed.packed()), alice, 100)
    assert info.value.terms_id == theirs.id
    shop.retire_terms(week_terms.id)
    with pytest.raises(errors.TermsRetired):
        simulate(ledger, raw_buy(ledger, order), alice, 100)


def test_buy_rejects_a_token_the_shop_does_not_accept(ledger, shop, order, alice, accounts) -> None:
    token = accounts[9].address
    unlisted = replace(order.order, token=token)
    with pytest.raises(errors.TokenNotAccepted) as info:
        simulate(ledger, raw_buy(ledger, order, packed=unlisted.packed()), alice)
    assert (info.value.merchant_id, info.value.token) == (shop.merchant_id, token)


def test_buy_rejects_the_buyer_or_the_ledger_as_referrer(ledger, order, alice, bob) -> None:
    # The buyer, the ledger, a commission for nobody, a commission above 100 %.
    for referrer, bps in ((alice.address, 500), (ledger.address, 500), (NATIVE, 500), (bob.address, 10_001)):
        referred = replace(order.order, referrer=referrer, referral_bps=bps)
        with pytest.raises(errors.InvalidReferrer) as info:
            simulate(ledger, raw_buy(ledger, order, packed=referred.packed()), alice, 100)
        assert info.value.referrer == referrer


def test_buy_rejects_the_wrong_payment(ledger, order, alice) -> None:
    for value in (99, 101, 0):
        with pytest.raises(errors.WrongPayment) as info:
            simulate(ledger, raw_buy(ledger, order), alice, value)
        assert (info.value.expected, info.value.sent) == (100, value)


def test_buy_rejects_ether_sent_with_a_token_purchase(ledger, chain, shop, owner, week_terms, customer, alice,
                                                      test_artifacts) -> None:
    token = deploy_contract(chain, owner, test_artifacts["TestToken"], "Plain", "PLN")
    shop.accept_token(token.address)
    signed = shop.quote(week_terms.id, [("MUG", 1, 100)], "ORDER-1", customer=customer.address, token=token.address)
    with pytest.raises(errors.WrongPayment) as info:
        simulate(ledger, raw_buy(ledger, signed), alice, 1)
    assert (info.value.expected, info.value.sent) == (0, 1)


@pytest.fixture
def purchase(shop, week_terms, customer):
    return buy(shop, customer, week_terms.id, [("MUG", 1, ETHER), ("CUP", 1, ETHER)], "ORDER-1")


def test_forged_order_details_are_unknown(ledger, purchase, alice) -> None:
    order = purchase.order
    for forged in (replace(order, lines=(order.lines[0], replace(order.lines[1], unit_price=2 * ETHER))),
                   replace(order, restocking_fee_bps=0), replace(order, return_window=365 * DAY)):
        call = ledger.contract.functions.returnItems(forged.packed(), forged.line_tuples(), 1, bytes(32))
        with pytest.raises(errors.UnknownPurchase) as info:
            simulate(ledger, call, alice)
        assert info.value.purchase_id != purchase.id


def test_forged_lines_are_rejected(ledger, purchase, alice) -> None:
    lines = purchase.order.line_tuples()
    lines[0] = (lines[0][0], lines[0][1], lines[0][2] * 10)  # claim a dearer line
    call = ledger.contract.functions.returnItems(purchase.order.packed(), lines, 1, bytes(32))
    with pytest.raises(errors.LinesMismatch):
        simulate(ledger, call, alice)


def test_return_without_lines_only_of_the_whole_untouched_purchase(ledger, purchase, alice) -> None:
    call = ledger.contract.functions.returnItems(purchase.order.packed(), [], 0b01, bytes(32))
    with pytest.raises(errors.LinesMismatch):
        simulate(ledger, call, alice)
    whole = ledger.contract.functions.returnItems(purchase.order.packed(), [], 0b11, bytes(32))
    assert simulate(ledger, whole, alice) == purchase.refund_for((0, 1))


def test_return_of_lines_the_purchase_lacks_rejected(ledger, purchase, alice) -> None:
    for mask in (0, 0b100, 0b1000_0000):
        call = ledger.contract.functions.returnItems(purchase.order.packed(), purchase.order.line_tuples(), mask,
                                                     bytes(32))
        with pytest.raises(errors.InvalidLineSelection) as info:
            simulate(ledger, call, alice)
        assert (info.value.line_mask, info.value.line_count) == (mask, 2)


def test_return_by_another_account_rejected(ledger, purchase, stranger) -> None:
    call = ledger.contract.functions.returnItems(purchase.order.packed(), purchase.order.line_tuples(), 1, bytes(32))
    with pytest.raises(errors.NotCustomer):
        simulate(ledger, call, stranger)


def test_logging_a_contact_for_the_zero_address_rejected(ledger, shop, agent) -> None:
    call = ledger.contract.functions.logContact(shop.merchant_id, NATIVE, bytes(32), 0, 0, 0, bytes(32))
    with pytest.raises(errors.InvalidAddress):
        simulate(ledger, call, agent)


def test_plain_ether_sent_to_the_ledger_is_refused(ledger, chain, alice) -> None:
    with pytest.raises(errors.WrongPayment) as info, mapped_errors(ledger.errors):
        chain.w3.eth.call({"from": alice.address, "to": ledger.address, "value": 1})
    assert (info.value.expected, info.value.sent) == (0, 1)


def test_the_module_refuses_to_run_at_its_own_address(ledger, chain, accounts, shop, alice) -> None:
    """``LedgerModule`` runs only by delegatecall from the ledger: called at its own address (empty storage, no
    money) every function refuses, views included, while the same calls through the ledger work."""
    from ledger.artifacts import load_artifact
    from tests.support.world import deploy_contract

    module = deploy_contract(chain, accounts[0], load_artifact("LedgerModule"))
    for call in (module.functions.registerMerchant(alice.address), module.functions.merchantCount(),
                 module.functions.cashOutCredit(1, NATIVE)):
        with pytest.raises(errors.ModuleCalledDirectly, match="runs only through the ledger"), \
                mapped_errors(ledger.errors):
            call.call({"from": alice.address})
    assert ledger.contract.functions.merchantCount().call() >= 1  # through the ledger, the same code answers


@pytest.mark.parametrize("word, bits", [(0, 0x02 << 16), (0, 0x80 << 16), (0, 0xFE << 16)])
def test_buy_rejects_bits_of_the_packed_order_no_field_uses(ledger, order, alice, word, bits) -> None:
    """Issue #20: bits of the packed order outside every field are not hashed, so a buyer could set them and the
    purchase's event would differ from what the shop signed. The contract refuses such an order."""
    packed = list(order.order.packed())
    packed[word] |= bits
    with pytest.raises(errors.UnusedOrderBits):
        simulate(ledger, raw_buy(ledger, order, packed=tuple(packed)), alice, value=100)
    assert simulate(ledger, raw_buy(ledger, order), alice, value=100) is not None  # the order as signed: fine


@pytest.mark.parametrize("generation", [1, 0x80])
def test_the_signer_generation_byte_is_signed(ledger, order, alice, generation) -> None:
    """The referral word's low byte, unused before contract v3, names the signer's staff generation and is part of
    what the shop signs: a buyer who sets it has an order no staff signed."""
    packed = list(order.order.packed())
    packed[2] |= generation
    with pytest.raises(errors.InvalidOrderSignature):
        simulate(ledger, raw_buy(ledger, order, packed=tuple(packed)), alice, value=100)
