// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../contracts/interfaces/ILedger.sol";
import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer that, the first time it is paid, repeats an armed call (its return) on the ledger
/// and tries to withdraw, recording whether either re-entrant call went through.
/// @dev The armed call is kept as raw calldata and replayed with one low-level call. Its cost depends on
/// whether that storage is warm: armed by `attack` (same transaction as the return) the re-entry fits in
/// the ledger's 50 000 gas stipend and meets the reentrancy guard inside the refund push; armed by `arm`
/// in an earlier transaction with a long enough call (a return passing a few lines), the cold reads run out
/// of gas, the refund is deferred, and the re-entry happens later, with all the gas, during `withdraw`.
contract ReentrantCustomer is ContractAccount {
    /// @notice How many re-entrant calls were tried (0 before the first payment, then 2).
    uint8 public reentryAttempts;
    /// @notice Whether any re-entrant call went through.
    bool public reentrySucceeded;
    /// @notice Selector of the last error a re-entrant call got back.
    bytes4 public lastErrorSelector;

    /// @dev Ledger the armed call goes to (packed into one slot with the three counters above).
    address private _target;
    /// @dev Calldata of the armed call.
    bytes private _armed;

    /// @notice Sets the call to repeat on `target` when paid.
    /// @param target The ledger.
    /// @param data Calldata to replay.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _armed = data;
    }

    /// @notice Arms a return of `mask` (no shipment reference) and makes it, so the refund push re-enters.
    /// @param ledger The ledger.
    /// @param order The purchase's order, as bought.
    /// @param lines Its line items, as bought.
    /// @param mask Bit i set returns line i.
    /// @return refund Amount the ledger refunded (pushed, or deferred if the push failed).
    function attack(address ledger, ILedger.Order calldata order, ILedger.LineItem[] calldata lines, uint32 mask)
        external
        returns (uint256 refund)
    {
        _target = ledger;
        _armed = abi.encodeCall(ILedger.returnItems, (order, lines, mask, bytes32(0)));
        return ILedger(ledger).returnItems(order, lines, mask, bytes32(0));
    }

    /// @notice Accepts ETH; on the first payment tries the armed call and a withdrawal once each.
    receive() external payable {
        if (reentryAttempts != 0) return;
        reentryAttempts = 2;
        _try(_armed);
        _try(abi.encodeCall(ILedger.withdraw, (address(0), address(this))));
    }

    /// @notice Calls the ledger with `data` and records the outcome instead of reverting.
    function _try(bytes memory data) private {
        (bool ok, bytes memory result) = _target.call(data);
        if (ok) {
            reentrySucceeded = true;
        } else if (result.length >= 4) {
            lastErrorSelector = bytes4(result);
        }
    }
}
