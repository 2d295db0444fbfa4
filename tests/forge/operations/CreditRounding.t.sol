// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @title The credit bonus and the rounding of lines returned one by one
/// @notice The credit bonus given at once comes only out of what the shop is sure to keep: escrow beyond the most
/// the still-returnable lines could take back. Each line returned on its own is refunded
/// `share_i - floor(share_i * fee / BPS)`, and the floors of the parts add up to less than the floor of the whole,
/// so the contract allows a wei a line on top (`LedgerModule._sureToKeep`): without it, the bonus would eat up to
/// a wei a line of a later line's refund (found by this suite on contract v3 before release).
contract CreditBonusRounding is LedgerFixture {
    /// @notice Three lines (100, 10 and 10 wei), a 5 % restocking fee and a 100 % bonus. Line one for credit:
    /// 95 wei. Together the other two could take back 20 - floor(1.0) = 19, but each on its own is refunded
    /// 10 - floor(0.5) = 10: with the wei a line allowed, the bonus leaves enough in escrow for both in full.
    function test_returnItemsForCredit_bonusNeverCutsALaterLinesRefund() public {
        _lastLineRefundedInFull(100, 10, 2);
    }

    /// @notice The same for any prices and open lines, whatever the shop's fee: each line returned after a credit
    /// return with a bonus is refunded its full quote (share less fee), the last one too.
    function test_returnItemsForCredit_bonusNeverCutsALaterLinesRefund_fuzz(
        uint128 first,
        uint128 price,
        uint256 open
    ) public {
        _lastLineRefundedInFull(uint128(_bound(first, 1, 1e18)), uint128(_bound(price, 1, 1e6)), _bound(open, 2, 8));
    }

    function _lastLineRefundedInFull(uint128 first, uint128 price, uint256 open) internal {
        vm.prank(owner);
        ledger.setCreditBonus(shop, BPS);
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1 + open);
        lines[0] = _line("FIRST", 1, first);
        for (uint256 i = 1; i <= open; ++i) {
            lines[i] = _line(bytes32(i), 1, price);
        }
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(0), lines); // 5 % restocking fee
        vm.prank(customer);
        ledger.returnItemsForCredit(order, lines, 1, bytes32(0));
        for (uint256 i = 1; i <= open; ++i) {
            uint32 mask = uint32(1 << i);
            uint256 due = uint256(price) - uint256(price) * 500 / BPS;
            vm.prank(customer);
            vm.assertEq(ledger.returnItems(order, lines, mask, bytes32(0)), due, "a later line refunded less than due");
        }
    }
}
