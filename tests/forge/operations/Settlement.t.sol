// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {EthRejecter} from "../../contracts/EthRejecter.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice `settle` (what was kept, to the shop and its referrer, once the window has closed), and the
/// payments kept when a push fails: `withdraw` and `withdrawMerchant`.
contract SettlementTest is LedgerFixture {
    function _referred(address token, address to, uint16 bps, ILedgerTypes.LineItem[] memory lines)
        internal
        returns (ILedgerTypes.Order memory order)
    {
        Quote memory quote = _quote(fromPurchase, token);
        quote.referrer = to;
        quote.referralBps = bps;
        order = _order(ledger, quote, lines);
        _buyAs(customer, order, lines, 0);
    }

    function test_settle_paysTheShopAndTheReferrerAfterTheWindow(uint256 seed, uint16 bps, uint256 refund) public {
        bps = uint16(_bound(bps, 0, BPS));
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 3, 10 ether);
        ILedgerTypes.Order memory order = _referred(address(0), referrer, bps, lines);
        refund = _bound(refund, 0, order.total);
        if (refund != 0) {
            vm.prank(owner);
            ledger.goodwillRefund(order, refund, ILedgerTypes.Reason.Other, "");
        }
        ILedgerTypes.Order[] memory batch = _one(order);
        vm.assertEq(ledger.settle(batch), 0, "nothing settles while the window is open");
        vm.warp(ledger.returnDeadline(order));
        uint256 kept = order.total - refund;
        uint256 commission = kept * bps / BPS;
        uint256 payoutBefore = payout.balance;
        uint256 referrerBefore = referrer.balance;
        vm.prank(stranger);
        vm.assertEq(ledger.settle(batch), 1, "settled");
        vm.assertEq(payout.balance - payoutBefore, kept - commission, "the shop's part");
        vm.assertEq(referrer.balance - referrerBefore, commission, "the referrer's part");
        vm.assertEq(_inEscrow(ledger, order), 0, "nothing left in escrow");
        vm.assertEq(ledger.settle(batch), 0, "settled once");
    }

    function test_settle_sumsABatchAndSkipsWhatItCannotSettle(uint256 seed) public {
        ILedgerTypes.Order[] memory batch = new ILedgerTypes.Order[](5);
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 2, 1 ether);
        batch[0] = _referred(address(plain), referrer, 100, lines);
        batch[1] = _referred(address(plain), referrer, 200, lines);
        batch[2] = _referred(address(0), address(0), 0, lines);
        (batch[3],) = _standardPurchase(fromDelivery); // awaiting delivery
        batch[4] = _order(ledger, _quote(fromPurchase, address(0)), lines); // never bought
        vm.warp(block.timestamp + 3 * DAY);
        uint256 before = plain.balanceOf(payout);
        vm.assertEq(ledger.settle(batch), 3, "three closed purchases settled");
        uint256 total = batch[0].total;
        vm.assertEq(plain.balanceOf(payout) - before, 2 * total - total * 100 / BPS - total * 200 / BPS, "summed");
        vm.assertEq(ledger.purchaseState(_purchaseId(ledger, batch[3])).flags & SETTLED, 0, "awaiting delivery");
        vm.warp(block.timestamp + 2 * DAY - 1);
        vm.assertEq(ledger.settle(_one(batch[3])), 0, "the window from the longest wait is still open");
    }

    function test_settle_keepsWhatARejectingPayoutOrReferrerRefuses(uint256 seed) public {
        EthRejecter shopWallet = new EthRejecter();
        vm.prank(owner);
        ledger.setPayout(shop, address(shopWallet));
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 10 ether);
        ILedgerTypes.Order memory order = _referred(address(0), address(rejecter), 1_000, lines);
        vm.warp(ledger.returnDeadline(order));
        ledger.settle(_one(order));
        uint256 commission = order.total * 1_000 / BPS;
        vm.assertEq(ledger.deferredBalance(address(0), address(rejecter)), commission, "kept for the referrer");
        vm.assertEq(ledger.merchantDeferredBalance(shop, address(0)), order.total - commission, "kept for the shop");

        vm.expectRevert();
        ledger.withdrawMerchant(shop, address(0)); // the payout still refuses ETH
        vm.prank(owner);
        ledger.setPayout(shop, payout);
        uint256 before = payout.balance;
        vm.prank(stranger);
        ledger.withdrawMerchant(shop, address(0));
        vm.assertEq(payout.balance - before, order.total - commission, "to the payout of the day");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNothingToWithdraw.selector, address(0), payout));
        ledger.withdrawMerchant(shop, address(0));

        vm.prank(address(rejecter));
        ledger.withdraw(address(0), stranger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNothingToWithdraw.selector, address(0), address(rejecter)));
        vm.prank(address(rejecter));
        ledger.withdraw(address(0), stranger);
    }

    function test_settle_deferresAGasBurningTokensPayment(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e24);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(gasBurner), lines);
        gasBurner.setBurning(true);
        vm.warp(ledger.returnDeadline(order));
        vm.assertEq(ledger.settle(_one(order)), 1, "the batch goes through");
        vm.assertEq(ledger.merchantDeferredBalance(shop, address(gasBurner)), order.total, "kept for the shop");
        gasBurner.setBurning(false);
        ledger.withdrawMerchant(shop, address(gasBurner));
        vm.assertEq(gasBurner.balanceOf(payout), order.total, "withdrawn once the token behaves");
    }

    function test_withdraw_refusesAnInvalidRecipient(uint256 which) public {
        address to = _bound(which, 0, 1) == 0 ? address(0) : address(ledger);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, to));
        vm.prank(customer);
        ledger.withdraw(address(0), to);
    }

    function test_settle_revertsWhenTheGasLeftCouldStarveAPush() public {
        ILedgerTypes.LineItem[] memory lines = _lines(5, 1, 1e18);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(gasBurner), lines);
        gasBurner.setBurning(true);
        vm.warp(ledger.returnDeadline(order));
        bool starved;
        for (uint256 gas = 60_000; gas < 140_000; gas += 2_000) {
            (bool ok, bytes memory data) =
                address(ledger).call{gas: gas}(abi.encodeCall(ledger.settle, (_one(order))));
            if (!ok && data.length >= 4 && bytes4(data) == ILedgerErrors.LedgerGasTooLowForPayment.selector) {
                starved = true;
                break;
            }
        }
        vm.assertTrue(starved, "some gas limit makes the push fail for want of gas and the call revert");
        vm.assertEq(ledger.merchantDeferredBalance(shop, address(gasBurner)), 0, "nothing deferred by starving");
    }
}
