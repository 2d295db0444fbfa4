// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice `exchange` (contract v3): lines of the caller's purchase returned as by `returnItems`, and what that
/// refunds pays a new order of the same shop in the same token, in one transaction; the caller pays the
/// difference or gets the leftover back.
contract ExchangeTest is LedgerFixture {
    /// @dev An exchange's arguments, in one place (seven of them do not fit the stack beside a test's own).
    struct Swap {
        ILedgerTypes.Order order;
        ILedgerTypes.LineItem[] lines;
        uint32 mask;
        ILedgerTypes.Order newOrder;
        ILedgerTypes.LineItem[] newLines;
        bytes signature;
    }

    /// @dev `caller` exchanges, sending `value` along (the ETH difference; an ERC-20's is taken by `transferFrom`).
    function _send(address caller, Swap memory x, uint256 value) internal returns (bytes32 newPurchaseId) {
        bytes memory call = abi.encodeCall(ILedger.exchange, (x.order, x.lines, x.mask, bytes32(0), x.newOrder, x.newLines, x.signature));
        vm.prank(caller);
        (bool ok, bytes memory result) = address(ledger).call{value: value}(call);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        if (result.length == 32) newPurchaseId = abi.decode(result, (bytes32));
    }

    /// @dev An exchange as the customer makes it, the new order signed by the owner.
    function _exchange(
        address caller,
        ILedgerTypes.Order memory order,
        ILedgerTypes.LineItem[] memory lines,
        uint32 mask,
        ILedgerTypes.Order memory newOrder,
        ILedgerTypes.LineItem[] memory newLines,
        uint256 value
    ) internal returns (bytes32) {
        return _send(caller, Swap(order, lines, mask, newOrder, newLines, _signOrder(ledger, OWNER_KEY, newOrder)), value);
    }

    /// @dev What an exchange is checked against, worked out before it.
    struct Expected {
        address token;
        uint256 due;
        uint256 total;
        uint256 difference;
        uint256 leftover;
        uint256 before;
        uint256 held;
    }

    /// @notice What the return refunds is all accounted for: applied to the new purchase or paid back; the caller
    /// pays exactly the difference; the new purchase is paid its total; the old one is refunded its quote.
    function test_exchange_conservesValue(uint256 seed, uint32 mask, uint256 newSeed, bool inToken) public {
        Expected memory e;
        e.token = inToken ? address(plain) : address(0);
        ILedgerTypes.LineItem[] memory lines = _lines(seed, seed >> 128, 10 ether);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, e.token, lines);
        mask = uint32(_bound(mask, 1, (1 << lines.length) - 1));
        e.due = ledger.quoteReturn(order, lines, mask);
        ILedgerTypes.LineItem[] memory newLines = _lines(newSeed, newSeed >> 128, 10 ether);
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromDelivery, e.token), newLines);
        e.total = newOrder.total;
        e.difference = e.total > e.due ? e.total - e.due : 0;
        e.leftover = e.due > e.total ? e.due - e.total : 0;
        e.before = _balance(e.token, customer);
        e.held = _balance(e.token, address(ledger));
        bytes32 newId = _purchaseId(ledger, newOrder);
        vm.expectEmit(address(ledger));
        emit ILedgerEvents.ItemsReturned(_purchaseId(ledger, order), mask, e.due, bytes32(0));
        vm.expectEmit(address(ledger));
        emit ILedgerEvents.Exchanged(_purchaseId(ledger, order), newId, e.due);
        Swap memory x = Swap(order, lines, mask, newOrder, newLines, _signOrder(ledger, OWNER_KEY, newOrder));
        vm.assertEq(_send(customer, x, inToken ? 0 : e.difference), newId, "id");
        _checkConserved(e, order, newOrder, mask);
    }

    function _checkConserved(
        Expected memory e,
        ILedgerTypes.Order memory order,
        ILedgerTypes.Order memory newOrder,
        uint32 mask
    ) internal view {
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.assertEq(e.due, e.total - e.difference + e.leftover, "the refund: applied plus leftover");
        vm.assertEq(e.before + e.leftover - e.difference, _balance(e.token, customer), "the customer paid the difference");
        vm.assertEq(_balance(e.token, address(ledger)) + e.due, e.held + e.total, "escrow: less the refund, plus the total");
        (, address buyer,, uint256 paid) = ledger.purchaseOf(newOrder);
        vm.assertEq(paid, e.total, "the new purchase is paid its total");
        vm.assertEq(buyer, customer, "bought by the caller");
        vm.assertEq(ledger.purchaseState(purchaseId).refunded, e.due, "the old purchase refunded its quote");
        vm.assertEq(ledger.purchaseState(purchaseId).returnedLines, mask, "its lines returned");
        vm.assertEq(ledger.creditUsedOf(_purchaseId(ledger, newOrder)).amount, 0, "no credit where none was paid");
    }

    /// @notice For a purchase paid partly with store credit, the credit part of the refund pays the new order
    /// first, as credit; the money part stays in escrow for the rest; whatever is left over goes back, credit as
    /// credit and money as money.
    function test_exchange_paysWithTheCreditPartFirst(uint128 creditAmount, uint256 share, uint128 newPrice) public {
        creditAmount = uint128(_bound(creditAmount, 1e6, 10 ether));
        _giveCredit(address(0), creditAmount);
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("COAT", 1, 10 ether);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        uint256 credit = _bound(share, 1, ledger.creditOf(shop, customer, address(0)).amount);
        _buyAs(customer, order, lines, credit);
        Expected memory e; // difference: the money part of the refund; leftover: its credit part
        e.due = ledger.quoteReturn(order, lines, 1);
        e.difference = e.due * (order.total - credit) / order.total;
        e.leftover = e.due - e.difference;

        ILedgerTypes.LineItem[] memory newLines = new ILedgerTypes.LineItem[](1);
        newLines[0] = _line("JACKET", 1, uint128(_bound(newPrice, 1, 20 ether)));
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromPurchase, address(0)), newLines);
        e.total = newOrder.total;
        uint256 creditApplied = e.leftover < e.total ? e.leftover : e.total;
        uint256 moneyApplied = e.difference < e.total - creditApplied ? e.difference : e.total - creditApplied;
        e.held = ledger.creditOf(shop, customer, address(0)).amount;
        e.before = customer.balance;
        Swap memory x = Swap(order, lines, 1, newOrder, newLines, _signOrder(ledger, OWNER_KEY, newOrder));
        vm.assertEq(
            ledger.creditUsedOf(_send(customer, x, e.total - creditApplied - moneyApplied)).amount,
            creditApplied,
            "the credit part first"
        );
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, e.held + e.leftover - creditApplied, "credit left");
        vm.assertEq(
            customer.balance + e.total - creditApplied - moneyApplied, e.before + e.difference - moneyApplied, "money left"
        );
        (,,, uint256 paid) = ledger.purchaseOf(newOrder);
        vm.assertEq(paid, e.total, "paid its total");
    }

    /// @notice An exchange is a return: outside the window it is refused.
    function test_exchange_refusedOutsideTheWindow(uint256 late) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        uint256 deadline = ledger.returnDeadline(order);
        vm.warp(deadline + _bound(late, 0, 365 days));
        ILedgerTypes.LineItem[] memory newLines = _lines(late, 1, 1 ether);
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromPurchase, address(0)), newLines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, newOrder);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerReturnWindowClosed.selector, _purchaseId(ledger, order), deadline, block.timestamp
            )
        );
        _send(customer, Swap(order, lines, 1, newOrder, newLines, signature), newOrder.total);
    }

    /// @notice Only the buyer exchanges: anyone else is refused, even with an open order of the shop in hand.
    function test_exchange_refusedToANonBuyer(address caller) public {
        vm.assume(caller != customer);
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        ILedgerTypes.LineItem[] memory newLines = _lines(1, 1, 1 ether);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.customer = address(0); // an open order: anyone may buy it, but not with someone else's return
        ILedgerTypes.Order memory newOrder = _order(ledger, quote, newLines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, newOrder);
        vm.deal(caller, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotCustomer.selector, _purchaseId(ledger, order), caller));
        _send(caller, Swap(order, lines, 1, newOrder, newLines, signature), 1 ether);
    }

    /// @notice The new order must be of the same shop and in the same token: another shop's order (signed by
    /// that shop), or the same shop's in another token, is refused.
    function test_exchange_refusesAnotherShopOrToken(bool otherShop, uint256 seed) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        ILedgerTypes.LineItem[] memory newLines = _lines(seed, 2, 1 ether);
        ILedgerTypes.Order memory newOrder;
        bytes memory signature;
        if (otherShop) {
            vm.startPrank(stranger);
            uint64 rival = ledger.registerMerchant(stranger);
            uint64 rivalTerms = ledger.publishTerms(rival, uint32(3 * DAY), 0, 0, false);
            vm.stopPrank();
            Quote memory quote = _quote(rivalTerms, address(0));
            quote.merchantId = rival;
            newOrder = _order(ledger, quote, newLines);
            signature = _signOrder(ledger, STRANGER_KEY, newOrder);
        } else {
            newOrder = _order(ledger, _quote(fromPurchase, address(plain)), newLines);
            signature = _signOrder(ledger, OWNER_KEY, newOrder);
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerExchangeMismatch.selector, _purchaseId(ledger, order), _purchaseId(ledger, newOrder)
            )
        );
        _send(customer, Swap(order, lines, 1, newOrder, newLines, signature), 0);
    }

    /// @notice The difference is sent exactly, as for `buy`: more or less is refused.
    function test_exchange_refusesTheWrongDifference(uint256 value) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        uint256 due = ledger.quoteReturn(order, lines, 1);
        ILedgerTypes.LineItem[] memory newLines = new ILedgerTypes.LineItem[](1);
        newLines[0] = _line("BIGGER", 1, 2 ether);
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromPurchase, address(0)), newLines);
        value = _bound(value, 0, 5 ether);
        vm.assume(value != 2 ether - due);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, newOrder);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerWrongPayment.selector, 2 ether - due, value));
        _send(customer, Swap(order, lines, 1, newOrder, newLines, signature), value);
    }

    /// @notice The new purchase has its own window under its own terms: after the old window closes the old
    /// purchase cannot be returned, the new one can, by the customer, until its own deadline.
    function test_exchange_theNewPurchaseHasItsOwnWindow(uint256 after_) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        uint256 oldDeadline = ledger.returnDeadline(order);
        vm.warp(block.timestamp + _bound(after_, 1, 3 * DAY - 1));
        ILedgerTypes.LineItem[] memory newLines = new ILedgerTypes.LineItem[](1);
        newLines[0] = _line("NEW COAT", 1, 1 ether);
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromPurchase, address(0)), newLines);
        uint256 due = ledger.quoteReturn(order, lines, 1);
        _exchange(customer, order, lines, 1, newOrder, newLines, 1 ether - due);
        uint256 newDeadline = ledger.returnDeadline(newOrder);
        vm.assertEq(newDeadline, block.timestamp + 3 * DAY, "a full window from the exchange");
        vm.assertGt(newDeadline, oldDeadline, "later than the old one");
        vm.warp(oldDeadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerReturnWindowClosed.selector, _purchaseId(ledger, order), oldDeadline, block.timestamp
            )
        );
        vm.prank(customer);
        ledger.returnItems(order, lines, 2, bytes32(0));
        vm.warp(newDeadline - 1);
        uint256 before = customer.balance;
        vm.prank(customer);
        uint256 refund = ledger.returnItems(newOrder, newLines, 1, bytes32(0));
        vm.assertEq(refund, 1 ether - 1 ether * 500 / BPS, "the new purchase returned under its terms");
        vm.assertEq(customer.balance - before, refund, "paid");
        vm.warp(newDeadline);
        vm.assertEq(ledger.settle(_one(order)), 1, "the old purchase settles");
        vm.assertEq(ledger.settle(_one(newOrder)), 1, "the new one too");
    }

    /// @notice The lines exchanged are returned: they cannot be exchanged or returned again.
    function test_exchange_theLinesCannotBeReturnedTwice(uint256 seed) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        ILedgerTypes.LineItem[] memory newLines = _lines(seed, 1, 0.1 ether);
        ILedgerTypes.Order memory newOrder = _order(ledger, _quote(fromPurchase, address(0)), newLines);
        _exchange(customer, order, lines, 1, newOrder, newLines, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerAlreadyReturned.selector, _purchaseId(ledger, order), 1));
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }
}
