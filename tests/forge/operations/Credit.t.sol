// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Store credit: `returnItemsForCredit` (with the shop's bonus), spending it in `buy`, and
/// `cashOutCredit` (its money part, once the shop stops trading or its delay has passed).
contract CreditTest is LedgerFixture {
    /// @dev A return shipment's hash: the shop matches the parcel by it, for credit as for money.
    bytes32 private constant _PARCEL = keccak256("PARCEL-1");

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
        // a wei a line while any is open: each line's fee rounds down on its own
        uint256 owed = lines.length == 1 ? 0 : open - open * 500 / BPS + lines.length;
        uint256 sure = rest > owed ? rest - owed : 0;
        uint256 now_ = bonus < sure ? bonus : sure;
        vm.expectEmit(address(ledger));
        emit ILedgerEvents.CreditIssued(purchaseId, shop, customer, 1, due, now_, bonus - now_, _PARCEL);
        vm.prank(customer);
        uint256 credited = ledger.returnItemsForCredit(order, lines, 1, _PARCEL);
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

    // ------------------------------------------------------------------ contract v3: the bonus at settlement

    /// @notice The example of the v3 rule: two 1 ETH lines, no restocking fee, a 10 % bonus. Line one for credit,
    /// line two for money: line two pays 1.0, not 0.9 (v2 gave the bonus out of line two's refund). The bonus is
    /// owed at settlement, where the shop keeps nothing of this purchase: none is paid.
    function test_returnItemsForCredit_twoLinesTenPercent_lineTwoStillPaysInFull() public {
        _twoOneEthLines(1_000);
    }

    /// @notice The same with a 100 % bonus.
    function test_returnItemsForCredit_twoLinesAllBonus_lineTwoStillPaysInFull() public {
        _twoOneEthLines(BPS);
    }

    /// @notice The same for any bonus.
    function test_returnItemsForCredit_twoLinesAnyBonus_lineTwoStillPaysInFull(uint16 bonusBps) public {
        _twoOneEthLines(uint16(_bound(bonusBps, 0, BPS)));
    }

    function _twoOneEthLines(uint16 bonusBps) internal {
        vm.startPrank(owner);
        ledger.setCreditBonus(shop, bonusBps);
        uint64 noFee = ledger.publishTerms(shop, uint32(3 * DAY), 0, 0, false);
        vm.stopPrank();
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](2);
        lines[0] = _line("ONE", 1, 1 ether);
        lines[1] = _line("TWO", 1, 1 ether);
        ILedgerTypes.Order memory order = _purchase(noFee, address(0), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.prank(customer);
        vm.assertEq(ledger.returnItemsForCredit(order, lines, 1, bytes32(0)), 1 ether, "line one: its price, no bonus yet");
        vm.assertEq(ledger.pendingBonusOf(purchaseId), 1 ether * uint256(bonusBps) / BPS, "the bonus owed at settlement");
        uint256 before = customer.balance;
        vm.prank(customer);
        vm.assertEq(ledger.returnItems(order, lines, 2, bytes32(0)), 1 ether, "line two: 1.0");
        vm.assertEq(customer.balance - before, 1 ether, "paid 1.0");
        vm.warp(ledger.returnDeadline(order));
        uint256 payoutBefore = payout.balance;
        ledger.settle(_one(order));
        vm.assertEq(payout.balance, payoutBefore, "the shop kept nothing");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, 1 ether, "no bonus out of nothing");
        vm.assertEq(ledger.pendingBonusOf(purchaseId), 0, "nothing owed after settlement");
        vm.assertEq(ledger.purchaseState(purchaseId).refunded, 2 ether, "refunded: what was paid, no more");
    }

    /// @notice At settlement the bonus still owed is given as credit out of what the merchant keeps, never more,
    /// whatever happened to the purchase since (money returns, goodwill): the merchant is paid the rest.
    function test_settle_paysThePendingBonusAtMostWhatTheMerchantKeeps(
        uint256 seed,
        uint256 count,
        uint16 fee,
        uint16 bonusBps,
        uint32 forCredit,
        uint32 forMoney,
        uint256 goodwill
    ) public {
        fee = uint16(_bound(fee, 0, BPS));
        bonusBps = uint16(_bound(bonusBps, 1, BPS));
        vm.startPrank(owner);
        ledger.setCreditBonus(shop, bonusBps);
        uint64 terms = ledger.publishTerms(shop, uint32(3 * DAY), fee, 0, false);
        vm.stopPrank();
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedgerTypes.Order memory order = _purchase(terms, address(0), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        uint32 all = uint32((1 << lines.length) - 1);
        forCredit = uint32(_bound(forCredit, 1, all));
        vm.prank(customer);
        ledger.returnItemsForCredit(order, lines, forCredit, bytes32(0));
        forMoney &= all & ~forCredit;
        if (forMoney != 0) {
            vm.prank(customer);
            ledger.returnItems(order, lines, forMoney, bytes32(0));
        }
        goodwill = _bound(goodwill, 0, _inEscrow(ledger, order));
        if (goodwill != 0) {
            vm.prank(owner);
            ledger.goodwillRefund(order, goodwill, ILedgerTypes.Reason.Other, "");
        }
        uint256 pending = ledger.pendingBonusOf(purchaseId);
        uint256 kept = _inEscrow(ledger, order);
        uint256 bonus = pending < kept ? pending : kept;
        uint256 creditBefore = ledger.creditOf(shop, customer, address(0)).amount;
        uint256 refundedBefore = ledger.purchaseState(purchaseId).refunded;
        uint256 payoutBefore = payout.balance;
        vm.warp(ledger.returnDeadline(order));
        if (bonus != 0) {
            vm.expectEmit(address(ledger));
            emit ILedgerEvents.BonusCredited(purchaseId, shop, customer, bonus);
        }
        vm.assertEq(ledger.settle(_one(order)), 1, "settled");
        vm.assertLe(bonus, kept, "the bonus at settlement is at most what the merchant keeps");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount - creditBefore, bonus, "the bonus as credit");
        vm.assertEq(payout.balance - payoutBefore, kept - bonus, "the merchant gets the rest");
        vm.assertEq(ledger.purchaseState(purchaseId).refunded, refundedBefore + bonus, "the bonus counts as refunded");
        vm.assertLe(refundedBefore + bonus, order.total, "refunded never more than paid");
        vm.assertEq(ledger.pendingBonusOf(purchaseId), 0, "nothing owed after settlement");
    }

    // ------------------------------------------------------------------ contract v3: the cash-out date

    /// @notice A credit's cash-out date is fixed when it is issued: later credit (a 1-wei goodwill refund of a
    /// purchase paid with credit, a new credit return) joins it, and the owner raising the delay afterwards
    /// moves nothing; at the date the customer cashes out.
    function test_cashOutCredit_theDateIsNotMovedByLaterCreditOrAHigherDelay(uint32 delay, uint256 later, uint32 raised)
        public
    {
        delay = uint32(_bound(delay, 2, 30 days));
        later = _bound(later, 1, delay - 1);
        raised = uint32(_bound(raised, delay, type(uint32).max));
        vm.prank(owner);
        ledger.setCreditCashOutDelay(shop, delay);
        _giveCredit(address(0), 1 ether);
        uint256 date = block.timestamp + delay;
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, date, "fixed at issue");

        // the customer spends part of its credit on a purchase, which the shop then refunds by 1 wei as goodwill
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("SOCK", 1, 0.5 ether);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        _buyAs(customer, order, lines, 0.5 ether);
        vm.warp(block.timestamp + later);
        uint256 held = ledger.creditOf(shop, customer, address(0)).amount;
        vm.prank(owner);
        ledger.goodwillRefund(order, 1, ILedgerTypes.Reason.ServiceRecovery, "");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).amount, held + 1, "1 wei more credit");
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, date, "the date did not move");

        vm.prank(owner);
        ledger.setCreditCashOutDelay(shop, raised);
        _giveCredit(address(0), 1); // new credit under the raised delay joins the earlier date
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, date, "still the first date");

        vm.warp(date - 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerCreditLocked.selector, shop, date));
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
        vm.warp(date);
        ILedgerTypes.Credit memory credit = ledger.creditOf(shop, customer, address(0));
        uint256 before = customer.balance;
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
        vm.assertEq(customer.balance - before, credit.cash, "cashed out at the date");
    }

    /// @notice Credit issued while the shop gave no delay is locked (only until it stops trading); credit issued
    /// once it gives one brings the date forward to that credit's date, never back.
    function test_cashOutCredit_aDelayGivenLaterBringsTheDateForward(uint32 delay) public {
        delay = uint32(_bound(delay, 1, 365 days));
        _giveCredit(address(0), 1 ether);
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, type(uint40).max, "no date without a delay");
        vm.prank(owner);
        ledger.setCreditCashOutDelay(shop, delay);
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, type(uint40).max, "a delay set moves nothing");
        _giveCredit(address(0), 1);
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, block.timestamp + delay, "joined the earlier");
        vm.prank(owner);
        ledger.setCreditCashOutDelay(shop, 0);
        _giveCredit(address(0), 1);
        vm.assertEq(ledger.creditOf(shop, customer, address(0)).cashableAt, block.timestamp + delay, "never later");
    }

    /// @notice Credit in a token the shop no longer accepts could not be spent: it is cashable at once, whatever
    /// its date; in the native currency (always accepted) it is not.
    function test_cashOutCredit_anUnlistedTokensCreditAtOnce(uint128 amount) public {
        amount = uint128(_bound(amount, 1, 1e24));
        vm.prank(owner);
        ledger.setCreditBonus(shop, 1_000);
        _giveCredit(address(plain), amount);
        _giveCredit(address(0), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerCreditLocked.selector, shop, uint256(type(uint40).max)));
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(plain));
        vm.prank(owner);
        ledger.setTokenAccepted(shop, address(plain), false);
        ILedgerTypes.Credit memory held = ledger.creditOf(shop, customer, address(plain));
        uint256 before = plain.balanceOf(customer);
        uint256 payoutBefore = plain.balanceOf(payout);
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(plain));
        vm.assertEq(plain.balanceOf(customer) - before, held.cash, "the money part at once");
        vm.assertEq(plain.balanceOf(payout) - payoutBefore, held.amount - held.cash, "the bonus back to the shop");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerCreditLocked.selector, shop, uint256(type(uint40).max)));
        vm.prank(customer);
        ledger.cashOutCredit(shop, address(0));
    }
}
