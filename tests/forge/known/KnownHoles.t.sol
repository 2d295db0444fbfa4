// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @title Known holes of contract v3 (wip), kept failing on purpose
/// @notice `./dev.sh test` leaves this folder out (`--no-match-path 'tests/forge/known/*'`); run it with
/// `node_modules/.bin/forge test --match-path 'tests/forge/known/*'`. Each test states the rule the contract
/// should keep and fails while it does not; when the contract is mended, the test moves to tests/forge/operations.
///
/// The credit bonus given at once is meant to come only out of what the shop is sure to keep: escrow beyond "the
/// most the still-returnable lines could take back". `LedgerModule._sureToKeep` works that most out on the open
/// lines together, `share - floor(share * fee / BPS)`, but each line returned on its own is refunded
/// `share_i - floor(share_i * fee / BPS)`, and the floors of the parts add up to less than the floor of the
/// whole: returned one by one the open lines take back more, up to 1 wei a line less one. The bonus given at once
/// is that much too large, and the last line returned is refunded that much less than its quote (capped at what
/// is left in escrow): the bonus eats into another line's refund, what the v3 rule was made to stop.
contract CreditBonusRoundingHole is LedgerFixture {
    /// @notice Three lines (100, 10 and 10 wei), a 5 % restocking fee and a 100 % bonus. Line one for credit:
    /// 95 wei; the other two, together, can take back 20 - floor(1.0) = 19, so 6 wei are "sure" and given as bonus;
    /// escrow keeps 19. Each line on its own is refunded 10 - floor(0.5) = 10: the second gets 10, the third only 9.
    function test_returnItemsForCredit_bonusNeverCutsALaterLinesRefund_KNOWN_HOLE() public {
        _lastLineRefundedInFull(100, 10, 2);
    }

    /// @notice The same for any prices and open lines, whatever the shop's fee: each line returned after a credit
    /// return with a bonus is refunded its full quote (share less fee), the last one too.
    function test_returnItemsForCredit_bonusNeverCutsALaterLinesRefund_fuzz_KNOWN_HOLE(
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
