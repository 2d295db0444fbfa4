// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice What staff do to a purchase within their mandates: `goodwillRefund`, `refundWithoutReturn`
/// ("keep it"), `extendWindow`, `setWindowExtension` and `confirmDelivery`.
contract StaffTest is LedgerFixture {
    ILedgerTypes.Reason internal constant DAMAGED = ILedgerTypes.Reason.Damaged;

    function test_goodwillRefund_byTheOwnerUpToTheEscrow(uint256 amount) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        amount = _bound(amount, 1, order.total);
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.goodwillRefund(order, amount, DAMAGED, "sorry");
        vm.assertEq(customer.balance - before, amount, "refunded");
        vm.assertEq(_inEscrow(ledger, order), order.total - amount, "escrow left");
        uint256 left = order.total - amount;
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerRefundExceedsEscrow.selector, _purchaseId(ledger, order), left + 1, left
            )
        );
        vm.prank(owner);
        ledger.goodwillRefund(order, left + 1, DAMAGED, "");
    }

    function test_goodwillRefund_byAnAgentWithinItsBudget(uint256 amount) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        amount = _bound(amount, 1, order.total);
        if (amount > AGENT_BUDGET) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILedgerErrors.LedgerBudgetExceeded.selector, shop, agent, address(0), amount, AGENT_BUDGET
                )
            );
        }
        vm.prank(agent);
        ledger.goodwillRefund(order, amount, DAMAGED, "");
        if (amount <= AGENT_BUDGET) {
            vm.assertEq(ledger.budgetOf(shop, agent, address(0)), AGENT_BUDGET - amount, "budget used");
        }
    }

    function test_goodwillRefund_refusedToOthersAndForNothing(address caller) public {
        vm.assume(caller != owner && caller != agent);
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantAgent.selector, shop, caller));
        vm.prank(caller);
        ledger.goodwillRefund(order, 1, DAMAGED, "");
        vm.expectRevert(ILedgerErrors.LedgerZeroAmount.selector);
        vm.prank(owner);
        ledger.goodwillRefund(order, 0, DAMAGED, "");
    }

    function test_goodwillRefund_ofAPurchasePaidWithCreditGivesCreditBack(uint128 amount) public {
        amount = uint128(_bound(amount, 1 ether, 10 ether));
        _giveCredit(address(0), amount);
        uint256 held = ledger.creditOf(shop, customer, address(0)).amount;
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("SHOE", 1, uint128(held * 2));
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        _buyAs(customer, order, lines, held);
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.goodwillRefund(order, held, DAMAGED, "");
        vm.assertEq(customer.balance - before, held / 2, "half in money");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, held - held / 2, "half as credit");
    }

    function test_refundWithoutReturn_paysTheLinesShareAndMarksThem(uint256 seed, uint256 count, uint32 mask) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 0.1 ether);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(0), lines);
        mask = uint32(_bound(mask, 1, (1 << lines.length) - 1));
        uint256 share;
        for (uint256 i; i < lines.length; ++i) {
            if (mask >> i & 1 == 1) share += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        uint256 before = customer.balance;
        vm.prank(agent);
        ledger.refundWithoutReturn(order, lines, mask, ILedgerTypes.Reason.WrongItem);
        vm.assertEq(customer.balance - before, share, "the lines' share, no restocking fee");
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, order)).returnedLines, mask, "lines count as returned");
        vm.assertEq(ledger.budgetOf(shop, agent, address(0)), AGENT_BUDGET - share, "charged to the budget");
    }

    function test_refundWithoutReturn_capsAtTheEscrowAndRefusesNothingLeft() public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.prank(owner);
        ledger.goodwillRefund(order, order.total - 0.1 ether, DAMAGED, "");
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.refundWithoutReturn(order, lines, 1, DAMAGED);
        vm.assertEq(customer.balance - before, 0.1 ether, "capped at what is left");
        vm.expectRevert(ILedgerErrors.LedgerZeroAmount.selector);
        vm.prank(owner);
        ledger.refundWithoutReturn(order, lines, 2, DAMAGED);
    }

    function test_extendWindow_byAnAgentWithinItsMandate(uint16 days_) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        uint256 deadline = ledger.returnDeadline(order);
        days_ = uint16(_bound(days_, 1, 3 * AGENT_DAYS));
        if (days_ > AGENT_DAYS) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILedgerErrors.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), days_, AGENT_DAYS
                )
            );
        }
        vm.prank(agent);
        ledger.extendWindow(order, days_, ILedgerTypes.Reason.LateDelivery);
        if (days_ <= AGENT_DAYS) vm.assertEq(ledger.returnDeadline(order), deadline + days_ * DAY, "extended");
    }

    function test_extendWindow_byTheOwnerUpTo365Days(uint16 days_) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromDelivery);
        days_ = uint16(_bound(days_, 1, 365));
        vm.prank(owner);
        ledger.extendWindow(order, days_, ILedgerTypes.Reason.Loyalty);
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, order)).extensionDays, days_, "extended");
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), uint256(days_) + 365, 365
            )
        );
        vm.prank(owner);
        ledger.extendWindow(order, 365, ILedgerTypes.Reason.Loyalty);
    }

    function test_extendWindow_refusedForClosedFinalOrFinishedOrNothing(uint256 late) public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.expectRevert(ILedgerErrors.LedgerZeroAmount.selector);
        vm.prank(agent);
        ledger.extendWindow(order, 0, DAMAGED);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantAgent.selector, shop, stranger));
        vm.prank(stranger);
        ledger.extendWindow(order, 1, DAMAGED);
        uint256 deadline = ledger.returnDeadline(order);
        vm.warp(deadline + _bound(late, 0, 30 days));
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerReturnWindowClosed.selector, purchaseId, deadline, block.timestamp)
        );
        vm.prank(agent);
        ledger.extendWindow(order, 1, DAMAGED);

        (ILedgerTypes.Order memory final_,) = _standardPurchase(finalSale);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNoReturns.selector, _purchaseId(ledger, final_)));
        vm.prank(owner);
        ledger.extendWindow(final_, 1, DAMAGED);

        (ILedgerTypes.Order memory returned, ILedgerTypes.LineItem[] memory returnedLines) = _standardPurchase(fromPurchase);
        vm.prank(customer);
        ledger.returnItems(returned, returnedLines, 3, bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerAlreadyReturned.selector, _purchaseId(ledger, returned), 3)
        );
        vm.prank(owner);
        ledger.extendWindow(returned, 1, DAMAGED);

        ledger.settle(_one(order));
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerAlreadySettled.selector, purchaseId));
        vm.prank(owner);
        ledger.extendWindow(order, 1, DAMAGED);
        lines; // the settled purchase's lines are not needed again
    }

    function test_setWindowExtension_reopensByTheOwnerOnlyAndNeverShortens(uint16 days_) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        uint256 deadline = ledger.returnDeadline(order);
        vm.warp(deadline + 1);
        days_ = uint16(_bound(days_, 1, 365));
        vm.prank(owner);
        ledger.setWindowExtension(order, days_, ILedgerTypes.Reason.ServiceRecovery);
        vm.assertEq(ledger.returnDeadline(order), deadline + days_ * DAY, "set");
        vm.expectRevert(abi.encodeWithSelector(
            ILedgerErrors.LedgerExtensionNotLonger.selector, _purchaseId(ledger, order), days_, days_));
        vm.prank(owner);
        ledger.setWindowExtension(order, days_, DAMAGED); // the same, or fewer: an extension is never taken back
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantOwner.selector, shop, agent));
        vm.prank(agent);
        ledger.setWindowExtension(order, 1, DAMAGED);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), 366, 365)
        );
        vm.prank(owner);
        ledger.setWindowExtension(order, 366, DAMAGED);
        (ILedgerTypes.Order memory final_,) = _standardPurchase(finalSale);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNoReturns.selector, _purchaseId(ledger, final_)));
        vm.prank(owner);
        ledger.setWindowExtension(final_, 1, DAMAGED);
    }

    function test_confirmDelivery_startsTheWindowAtDelivery(uint256 after_) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromDelivery);
        uint256 purchasedAt = block.timestamp;
        vm.assertEq(ledger.returnDeadline(order), purchasedAt + 5 * DAY, "before delivery: after the longest wait");
        after_ = _bound(after_, 0, 3 * DAY - 1);
        vm.warp(purchasedAt + after_);
        vm.prank(agent);
        ledger.confirmDelivery(order);
        vm.assertEq(ledger.returnDeadline(order), purchasedAt + after_ + 2 * DAY, "two days from delivery");
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidDelivery.selector, _purchaseId(ledger, order), block.timestamp)
        );
        vm.prank(agent);
        ledger.confirmDelivery(order);
    }

    function test_confirmDelivery_refusesLateTermsAndCallers() public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromDelivery);
        bytes32 purchaseId = _purchaseId(ledger, order);
        uint256 purchasedAt = block.timestamp;
        vm.warp(purchasedAt + DAY);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantAgent.selector, shop, stranger));
        vm.prank(stranger);
        ledger.confirmDelivery(order);
        vm.warp(purchasedAt + 3 * DAY);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidDelivery.selector, purchaseId, block.timestamp));
        vm.prank(agent);
        ledger.confirmDelivery(order);
        (ILedgerTypes.Order memory atPurchase,) = _standardPurchase(fromPurchase);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidDelivery.selector, _purchaseId(ledger, atPurchase), block.timestamp)
        );
        vm.prank(owner);
        ledger.confirmDelivery(atPurchase);
    }

    /// @notice Issue #20, item 1: on day 2 of a 3-day wait an agent confirms delivery; it cannot date it back, so
    /// the customer has the whole 2-day window from the confirmation and the return goes through.
    function test_confirmDelivery_leavesTheWholeWindowFromNow_issue20() public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromDelivery);
        uint256 purchasedAt = block.timestamp;
        vm.warp(purchasedAt + 2 * DAY + 1);
        vm.prank(agent);
        ledger.confirmDelivery(order);
        vm.assertEq(ledger.returnDeadline(order), block.timestamp + 2 * DAY, "the whole window, from now");
        vm.warp(block.timestamp + 2 * DAY - 1);
        vm.prank(customer);
        ledger.returnItems(order, lines, 1, "PARCEL");
    }
}
