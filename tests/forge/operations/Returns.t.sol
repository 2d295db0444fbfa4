// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice `returnItems`, `returnItemsBySig`, `cancelNonce` and `quoteReturn`: refunds inside the window,
/// by the customer or on its signature, with nobody's approval.
contract ReturnsTest is LedgerFixture {
    function test_returnItems_refundsInsideWindow(uint256 seed, uint256 count, uint32 mask, uint256 after_) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(0), lines);
        mask = uint32(_bound(mask, 1, (1 << lines.length) - 1));
        vm.warp(block.timestamp + _bound(after_, 0, 3 * DAY - 1));
        uint256 price;
        for (uint256 i; i < lines.length; ++i) {
            if (mask >> i & 1 == 1) price += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        uint256 due = price - price * 500 / BPS;
        vm.assertEq(ledger.quoteReturn(order, lines, mask), due, "quote");
        uint256 before = customer.balance;
        vm.prank(customer);
        uint256 refund = ledger.returnItems(order, lines, mask, bytes32(0));
        vm.assertEq(refund, due, "refund: the lines less the restocking fee");
        vm.assertEq(customer.balance - before, due, "paid straight from escrow");
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, order)).returnedLines, mask, "lines marked returned");
    }

    function test_returnItems_allLinesWithoutListingThem(uint256 seed, uint256 count) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(plain), lines);
        ILedgerTypes.LineItem[] memory none = new ILedgerTypes.LineItem[](0);
        uint32 all = uint32((1 << lines.length) - 1);
        vm.prank(customer);
        uint256 refund = ledger.returnItems(order, none, all, bytes32(0));
        vm.assertEq(refund, order.total - order.total * 500 / BPS, "refund of everything");
        vm.prank(customer);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerAlreadyReturned.selector, _purchaseId(ledger, order), 1));
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItems_refusedAfterWindow(uint256 late) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        uint256 deadline = block.timestamp + 3 * DAY;
        vm.assertEq(ledger.returnDeadline(order), deadline, "deadline");
        late = _bound(late, 0, 365 days);
        vm.warp(deadline + late);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerReturnWindowClosed.selector, _purchaseId(ledger, order), deadline, deadline + late
            )
        );
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItems_refusedForAFinalSale() public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(finalSale);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerReturnWindowClosed.selector, _purchaseId(ledger, order), block.timestamp, block.timestamp
            )
        );
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItems_refusedToAnotherAccount(address caller) public {
        vm.assume(caller != customer);
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotCustomer.selector, _purchaseId(ledger, order), caller));
        vm.prank(caller);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItems_needsAShipmentWhenTheItemComesBack(bytes32 shipment) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromDelivery);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerShipmentRequired.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
        vm.assume(shipment != 0);
        vm.prank(customer);
        vm.assertEq(ledger.returnItems(order, lines, 1, shipment), 1 ether, "no restocking fee under these terms");
    }

    function test_returnItems_refusesABadSelection(uint32 mask) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.assume(mask == 0 || mask >> 2 != 0);
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidLineSelection.selector, purchaseId, mask, 2));
        vm.prank(customer);
        ledger.returnItems(order, lines, mask, bytes32(0));
        ILedgerTypes.LineItem[] memory none = new ILedgerTypes.LineItem[](0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerLinesMismatch.selector, purchaseId));
        vm.prank(customer);
        ledger.returnItems(order, none, 1, bytes32(0));
        lines[1].quantity = 3;
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerLinesMismatch.selector, purchaseId));
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItems_refusesAnUnknownPurchase(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 2, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownPurchase.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, bytes32(0));
    }

    function test_returnItemsBySig_refundsTheCustomerWhoeverRelays(uint256 nonce, address relayer) public {
        vm.assume(relayer != address(0));
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        ILedgerTypes.ReturnRequest memory request = ILedgerTypes.ReturnRequest(2, bytes32(0), nonce, block.timestamp + 60);
        bytes memory signature = _signReturn(ledger, CUSTOMER_KEY, purchaseId, request);
        uint256 before = customer.balance;
        vm.prank(relayer);
        uint256 refund = ledger.returnItemsBySig(order, lines, request, signature);
        vm.assertEq(refund, 0.5 ether - 0.5 ether * 500 / BPS, "refund");
        vm.assertEq(customer.balance - before, refund, "the refund goes to the customer");
        vm.assertTrue(ledger.nonceUsed(customer, nonce), "nonce used");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNonceUsed.selector, customer, nonce));
        vm.prank(relayer);
        ledger.returnItemsBySig(order, lines, request, signature);
    }

    function test_returnItemsBySig_refusesAnotherSignerOrALateRequest(uint256 key, uint256 late) public {
        key = _bound(key, 1, 1e60);
        vm.assume(key != CUSTOMER_KEY);
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        ILedgerTypes.ReturnRequest memory request = ILedgerTypes.ReturnRequest(1, bytes32(0), 7, block.timestamp + 60);
        bytes memory signature = _signReturn(ledger, key, purchaseId, request);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidSignature.selector, purchaseId, customer));
        ledger.returnItemsBySig(order, lines, request, signature);

        signature = _signReturn(ledger, CUSTOMER_KEY, purchaseId, request);
        late = _bound(late, 61, 2 * DAY);
        vm.warp(block.timestamp + late);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerSignatureExpired.selector, request.deadline, block.timestamp)
        );
        ledger.returnItemsBySig(order, lines, request, signature);
    }

    function test_cancelNonce_voidsASignedRequest(uint256 nonce) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        ILedgerTypes.ReturnRequest memory request = ILedgerTypes.ReturnRequest(1, bytes32(0), nonce, block.timestamp + 60);
        bytes memory signature = _signReturn(ledger, CUSTOMER_KEY, purchaseId, request);
        vm.prank(customer);
        ledger.cancelNonce(nonce);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNonceUsed.selector, customer, nonce));
        ledger.returnItemsBySig(order, lines, request, signature);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNonceUsed.selector, customer, nonce));
        vm.prank(customer);
        ledger.cancelNonce(nonce);
    }

    function test_returnItems_refundToARejectingBuyerIsKeptToWithdraw(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 10 ether);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.customer = address(rejecter);
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        _buyAs(address(rejecter), order, lines, 0);
        vm.prank(address(rejecter));
        uint256 refund = ledger.returnItems(order, lines, 1, bytes32(0));
        vm.assertEq(ledger.deferredBalance(address(0), address(rejecter)), refund, "kept for the buyer");
        vm.prank(address(rejecter));
        ledger.withdraw(address(0), stranger);
        vm.assertEq(ledger.deferredBalance(address(0), address(rejecter)), 0, "withdrawn");
    }
}
