// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Store credit: `returnItemsForCredit` (with the shop's bonus), spending it in `buy`, and
/// `cashOutCredit` (its money part, once the shop stops trading or its delay has passed).
contract CreditTest is LedgerFixture {
    /// @notice v3: the bonus given now is what the shop is sure to keep (escrow left beyond what the lines still
    /// returnable could take back, their share less the restocking fee); the rest is owed at settlement.
    function test_returnItemsForCredit_addsTheRefundPlusTheBonusItIsSureToKeep(uint256 seed, uint256 count, uint16 bonusBps)
        public
    {
        bonusBps = uint16(_bound(bonusBps, 0, BPS));
        vm.prank(owner);
        ledger.setCreditBonus(shop, bonusBps);
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(0), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        uint256 due = ledger.quoteReturn(order, lines, 1);
        uint256 price = uint256(lines[0].quantity) * lines[0].unitPrice;
        vm.assertEq(due, price - price * 500 / BPS, "the quote: the line less the restocking fee");
        uint256 bonus = due * bonusBps / BPS;
        uint256 rest = order.total - due;
        uint256 open;
        for (uint256 i = 1; i < lines.length; ++i) {
            open += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        uint256 sure = rest > open - open * 500 / BPS ? rest - (open - open * 500 / BPS) : 0;
        uint256 now_ = bonus < sure ? bonus : sure;
        vm.expectEmit(address(ledger));
        emit ILedgerEvents.CreditIssued(purchaseId, shop, customer, 1, due, now_, bonus - now_);
        vm.prank(customer);
        uint256 credited = ledger.returnItemsForCredit(order, lines, 1, bytes32(0));
        vm.assertEq(credited, due + now_, "credit: the refund and the bonus the shop is sure to keep");
        ILedgerTypes.Credit memory held = ledger.creditOf(shop, customer, address(0));
        vm.assertEq(held.amount, credited, "credit held");
        vm.assertEq(held.cash, due, "its money part");
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(purchaseId);
        vm.assertEq(state.refunded, credited, "refunded");
        vm.assertEq(ledger.pendingBonusOf(purchaseId), bonus - now_, "the rest owed at settlement");
        vm.assertEq(state.flags & BONUS_PENDING != 0, bonus != now_, "flag 16 while a bonus is owed");
    }

    function test_returnItemsForCredit_refusedToAnotherAccount() public {
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotCustomer.selector, _purchaseId(ledger, order), stranger));
        vm.prank(stranger);
        ledger.returnItemsForCredit(order, lines, 1, bytes32(0));
    }

    function test_buy_spendsCreditBonusFirst(uint128 amount, uint256 share) public {
        amount = uint128(_bound(amount, 100, 100 ether));
        vm.prank(owner);
        ledger.setCreditBonus(shop, 2_000);
        _giveCredit(address(0), amount);
        ILedgerTypes.Credit memory held = ledger.creditOf(shop, customer, address(0));
        uint256 credit = _bound(share, 1, held.amount);
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("SHOE", 1, uint128(held.amount));
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _buyAs(customer, order, lines, credit);
        uint256 bonus = held.amount - held.cash;
        uint256 cash = credit > bonus ? credit - bonus : 0;
        ILedgerTypes.CreditUsed memory used = ledger.creditUsedOf(purchaseId);
        vm.assertEq(used.amount, credit, "credit used");
        vm.assertEq(used.cash, cash, "its money part: what is left after the bonus");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, held.amount - credit, "credit left");

        _returnSplitsCreditAndMoney(order, lines, credit);
    }

    /// @dev Returning a purchase paid partly with credit gives the credit part back as credit, the rest as money.
    function _returnSplitsCreditAndMoney(ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines, uint256 credit)
        internal
    {
        uint256 creditBefore = ledger.creditOf(shop, customer, address(0)).amount;
        uint256 before = customer.balance;
        vm.prank(customer);
        uint256 refund = ledger.returnItems(order, lines, 1, bytes32(0));
        uint256 money = refund * (order.total - credit) / order.total;
        vm.assertEq(customer.balance - before, money, "money part");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount - creditBefore, refund - money, "credit part");
    }

    function test_buy_refusesMoreCreditThanHeldOrThanTheTotal(uint128 amount) public {
        amount = uint128(_bound(amount, 1, 100 ether));
        _giveCredit(address(0), amount);
        uint256 held = ledger.creditOf(shop, customer, address(0)).amount;
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("SHOE", 1, uint128(held + 1));
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInsufficientCredit.selector, shop, address(0), held + 1, held)
        );
        vm.prank(customer);
        ledger.buy(order, lines, held + 1, signature);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerWrongPayment.selector, held + 1, held + 2));
        vm.prank(customer);
        ledger.buy(order, lines, held + 2, signature);
    }

    function test_buy_paidWhollyWithCreditInAToken(uint128 amount) public {
        amount = uint128(_bound(amount, 1, 1e24));
        _giveCredit(address(plain), amount);
        uint256 held = ledger.creditOf(shop, customer, address(plain)).amount;
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("SHOE", 1, uint128(held));
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(plain)), lines);
        uint256 before = plain.balanceOf(customer);
        _buyAs(customer, order, lines, held);
        vm.assertEq(plain.balanceOf(customer), before, "nothing paid in money");
        (,,, uint256 paid) = ledger.purchaseOf(order);
        vm.assertEq(paid, held, "paid");
    }

    function test_cashOutCredit_afterTheDelay(uint128 amount, uint32 delay, uint256 wait) public {
        amount = uint128(_bound(amount, 1, 100 ether));
        delay = uint32(_bound(delay, 1, 365 days));
        vm.prank(owner);
        ledger.setCreditCashOutDelay(shop, delay);
        vm.prank(owner);
        ledger.setCreditBonus(shop, 1_000);
        _giveCredit(address(0), amount);
        ILedgerTypes.Credit memory held = ledger.creditOf(shop, customer, address(0));
        vm.assertEq(held.cashableAt, block.timestamp + delay, "the date is fixed at issue");
        wait = _bound(wait, 0, 2 * uint256(delay));
        vm.warp(block.timestamp + wait);
        if (wait < delay) {
            vm.expectRevert(
                abi.encodeWithSelector(ILedgerErrors.LedgerCreditLocked.selector, shop, uint256(held.cashableAt))
            );
            vm.prank(customer);
            ledger.cashOutCredit(shop, address(0));
            return;
        }
        uint256 before = customer.balance;
        uint256 payoutBefore = payout.balance;
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
        vm.assertEq(customer.balance - before, held.cash, "the money part to the customer");
        vm.assertEq(payout.balance - payoutBefore, held.amount - held.cash, "the bonus back to the shop");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, 0, "no credit left");
    }

    function test_cashOutCredit_lockedWithoutDelayUntilTheShopStopsTrading(uint128 amount) public {
        amount = uint128(_bound(amount, 1, 100 ether));
        _giveCredit(address(0), amount);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerCreditLocked.selector, shop, uint256(type(uint40).max)));
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
        vm.startPrank(owner);
        ledger.retireTerms(fromPurchase);
        ledger.retireTerms(fromDelivery);
        ledger.retireTerms(finalSale);
        vm.stopPrank();
        uint256 before = customer.balance;
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
        vm.assertEq(customer.balance - before, ledger.creditOf(shop, customer, address(0)).cash + amount - amount * 500 / BPS, "cashed out");
    }

    function test_cashOutCredit_refusedWithoutCredit(address anyone) public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNothingToWithdraw.selector, address(0), anyone));
        vm.prank(anyone);
        ledger.cashOutCredit(shop, address(0));
    }
}
