// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice What staff do to a purchase within their mandates: `goodwillRefund`, `refundWithoutReturn`
/// ("keep it"), `extendWindow`, `setWindowExtension` and `confirmDelivery`.
contract StaffTest is LedgerFixture {
    ILedger.Reason internal constant DAMAGED = ILedger.Reason.Damaged;

    function test_goodwillRefund_byTheOwnerUpToTheEscrow(uint256 amount) public {
        (ILedger.Order memory order,) = _standardPurchase(fromPurchase);
        amount = _bound(amount, 1, order.total);
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.goodwillRefund(order, amount, DAMAGED, "sorry");
        vm.assertEq(customer.balance - before, amount, "refunded");
        vm.assertEq(_inEscrow(ledger, order), order.total - amount, "escrow left");
        uint256 left = order.total - amount;
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedger.LedgerRefundExceedsEscrow.selector, _purchaseId(ledger, order), left + 1, left
            )
        );
        vm.prank(owner);
        ledger.goodwillRefund(order, left + 1, DAMAGED, "");
    }

    function test_goodwillRefund_byAnAgentWithinItsBudget(uint256 amount) public {
        (ILedger.Order memory order,) = _standardPurchase(fromPurchase);
        amount = _bound(amount, 1, order.total);
        if (amount > AGENT_BUDGET) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILedger.LedgerBudgetExceeded.selector, shop, agent, address(0), amount, AGENT_BUDGET
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
        (ILedger.Order memory order,) = _standardPurchase(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNotMerchantAgent.selector, shop, caller));
        vm.prank(caller);
        ledger.goodwillRefund(order, 1, DAMAGED, "");
        vm.expectRevert(ILedger.LedgerZeroAmount.selector);
        vm.prank(owner);
        ledger.goodwillRefund(order, 0, DAMAGED, "");
    }

    function test_goodwillRefund_ofAPurchasePaidWithCreditGivesCreditBack(uint128 amount) public {
        amount = uint128(_bound(amount, 1 ether, 10 ether));
        _giveCredit(address(0), amount);
        uint256 held = ledger.creditOf(shop, customer, address(0)).amount;
        ILedger.LineItem[] memory lines = new ILedger.LineItem[](1);
        lines[0] = _line("SHOE", 1, uint128(held * 2));
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        _buyAs(customer, order, lines, held);
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.goodwillRefund(order, held, DAMAGED, "");
        vm.assertEq(customer.balance - before, held / 2, "half in money");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, held - held / 2, "half as credit");
    }

    function test_refundWithoutReturn_paysTheLinesShareAndMarksThem(uint256 seed, uint256 count, uint32 mask) public {
        ILedger.LineItem[] memory lines = _lines(seed, count, 0.1 ether);
        ILedger.Order memory order = _purchase(fromPurchase, address(0), lines);
        mask = uint32(_bound(mask, 1, (1 << lines.length) - 1));
        uint256 share;
        for (uint256 i; i < lines.length; ++i) {
            if (mask >> i & 1 == 1) share += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        uint256 before = customer.balance;
        vm.prank(agent);
        ledger.refundWithoutReturn(order, lines, mask, ILedger.Reason.WrongItem);
        vm.assertEq(customer.balance - before, share, "the lines' share, no restocking fee");
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, order)).returnedLines, mask, "lines count as returned");
        vm.assertEq(ledger.budgetOf(shop, agent, address(0)), AGENT_BUDGET - share, "charged to the budget");
    }

    function test_refundWithoutReturn_capsAtTheEscrowAndRefusesNothingLeft() public {
        (ILedger.Order memory order, ILedger.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.prank(owner);
        ledger.goodwillRefund(order, order.total - 0.1 ether, DAMAGED, "");
        uint256 before = customer.balance;
        vm.prank(owner);
        ledger.refundWithoutReturn(order, lines, 1, DAMAGED);
        vm.assertEq(customer.balance - before, 0.1 ether, "capped at what is left");
        vm.expectRevert(ILedger.LedgerZeroAmount.selector);
        vm.prank(owner);
        ledger.refundWithoutReturn(order, lines, 2, DAMAGED);
    }

    function test_extendWindow_byAnAgentWithinItsMandate(uint16 days_) public {
        (ILedger.Order memory order,) = _standardPurchase(fromPurchase);
        uint256 deadline = ledger.returnDeadline(order);
        days_ = uint16(_bound(days_, 1, 3 * AGENT_DAYS));
        if (days_ > AGENT_DAYS) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ILedger.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), days_, AGENT_DAYS
                )
            );
        }
        vm.prank(agent);
        ledger.extendWindow(order, days_, ILedger.Reason.LateDelivery);
        if (days_ <= AGENT_DAYS) vm.assertEq(ledger.returnDeadline(order), deadline + days_ * DAY, "extended");
    }

    function test_extendWindow_byTheOwnerUpTo365Days(uint16 days_) public {
        (ILedger.Order memory order,) = _standardPurchase(fromDelivery);
        days_ = uint16(_bound(days_, 1, 365));
        vm.prank(owner);
        ledger.extendWindow(order, days_, ILedger.Reason.Loyalty);
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, order)).extensionDays, days_, "extended");
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedger.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), uint256(days_) + 365, 365
            )
        );
        vm.prank(owner);
        ledger.extendWindow(order, 365, ILedger.Reason.Loyalty);
    }

    function test_extendWindow_refusedForClosedFinalOrFinishedOrNothing(uint256 late) public {
        (ILedger.Order memory order, ILedger.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.expectRevert(ILedger.LedgerZeroAmount.selector);
        vm.prank(agent);
        ledger.extendWindow(order, 0, DAMAGED);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNotMerchantAgent.selector, shop, stranger));
        vm.prank(stranger);
        ledger.extendWindow(order, 1, DAMAGED);
        uint256 deadline = ledger.returnDeadline(order);
        vm.warp(deadline + _bound(late, 0, 30 days));
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerReturnWindowClosed.selector, purchaseId, deadline, block.timestamp)
        );
        vm.prank(agent);
        ledger.extendWindow(order, 1, DAMAGED);

        (ILedger.Order memory final_,) = _standardPurchase(finalSale);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNoReturns.selector, _purchaseId(ledger, final_)));
        vm.prank(owner);
        ledger.extendWindow(final_, 1, DAMAGED);

        (ILedger.Order memory returned, ILedger.LineItem[] memory returnedLines) = _standardPurchase(fromPurchase);
        vm.prank(customer);
        ledger.returnItems(returned, returnedLines, 3, bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerAlreadyReturned.selector, _purchaseId(ledger, returned), 3)
        );
        vm.prank(owner);
        ledger.extendWindow(returned, 1, DAMAGED);

        ledger.settle(_one(order));
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerAlreadySettled.selector, purchaseId));
        vm.prank(owner);
        ledger.extendWindow(order, 1, DAMAGED);
        lines; // the settled purchase's lines are not needed again
    }

    function test_setWindowExtension_reopensOrUndoesByTheOwnerOnly(uint16 days_) public {
        (ILedger.Order memory order,) = _standardPurchase(fromPurchase);
        uint256 deadline = ledger.returnDeadline(order);
        vm.warp(deadline + 1);
        days_ = uint16(_bound(days_, 0, 365));
        vm.prank(owner);
        ledger.setWindowExtension(order, days_, ILedger.Reason.ServiceRecovery);
        vm.assertEq(ledger.returnDeadline(order), deadline + days_ * DAY, "set");
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNotMerchantOwner.selector, shop, agent));
        vm.prank(agent);
        ledger.setWindowExtension(order, 1, DAMAGED);
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerExtensionTooLong.selector, _purchaseId(ledger, order), 366, 365)
        );
        vm.prank(owner);
        ledger.setWindowExtension(order, 366, DAMAGED);
        (ILedger.Order memory final_,) = _standardPurchase(finalSale);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNoReturns.selector, _purchaseId(ledger, final_)));
        vm.prank(owner);
        ledger.setWindowExtension(final_, 1, DAMAGED);
    }

    function test_confirmDelivery_startsTheWindowAtDelivery(uint256 after_) public {
        (ILedger.Order memory order,) = _standardPurchase(fromDelivery);
        uint256 purchasedAt = block.timestamp;
        vm.assertEq(ledger.returnDeadline(order), purchasedAt + 5 * DAY, "before delivery: after the longest wait");
        after_ = _bound(after_, 0, 3 * DAY - 1);
        vm.warp(purchasedAt + after_);
        vm.prank(agent);
        ledger.confirmDelivery(order, 0);
        vm.assertEq(ledger.returnDeadline(order), purchasedAt + after_ + 2 * DAY, "two days from delivery");
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerInvalidDelivery.selector, _purchaseId(ledger, order), block.timestamp)
        );
        vm.prank(agent);
        ledger.confirmDelivery(order, 0);
    }

    function test_confirmDelivery_refusesBadTimesTermsAndCallers(uint40 at) public {
        (ILedger.Order memory order,) = _standardPurchase(fromDelivery);
        bytes32 purchaseId = _purchaseId(ledger, order);
        uint256 purchasedAt = block.timestamp;
        vm.warp(purchasedAt + DAY);
        vm.assume(at != 0 && (at < purchasedAt || at > block.timestamp));
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerInvalidDelivery.selector, purchaseId, at));
        vm.prank(agent);
        ledger.confirmDelivery(order, at);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerNotMerchantAgent.selector, shop, stranger));
        vm.prank(stranger);
        ledger.confirmDelivery(order, 0);
        vm.warp(purchasedAt + 3 * DAY);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerInvalidDelivery.selector, purchaseId, block.timestamp));
        vm.prank(agent);
        ledger.confirmDelivery(order, 0);
        (ILedger.Order memory atPurchase,) = _standardPurchase(fromPurchase);
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerInvalidDelivery.selector, _purchaseId(ledger, atPurchase), block.timestamp)
        );
        vm.prank(owner);
        ledger.confirmDelivery(atPurchase, 0);
    }
}
