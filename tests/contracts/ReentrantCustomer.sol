// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LedgerUser} from "./LedgerUser.sol";
import {ILedger} from "../../contracts/interfaces/ILedger.sol";

/// @notice A customer that, whenever it is paid, tries to return the same lines again and to withdraw again.
/// @dev The re-entry is expensive (the return call is read back from storage), so with the ledger's gas
/// stipend for pushed payments it runs out of gas and the refund is deferred; the withdrawal then pays
/// with all the gas, and the re-entrant calls meet the reentrancy guard.
contract ReentrantCustomer is LedgerUser {
    /// @notice How many re-entrant calls were tried.
    uint8 public reentryAttempts;
    /// @notice Whether any re-entrant call went through.
    bool public reentrySucceeded;
    /// @notice Selector of the last error a re-entrant call got back.
    bytes4 public lastErrorSelector;

    address private _ledger;
    bytes private _returnCall;

    /// @notice Returns lines, and arms `receive` to try the same return again while being paid.
    function returnItems(
        address ledger,
        ILedger.Purchase calldata purchase,
        ILedger.LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external override returns (uint256 refund) {
        _ledger = ledger;
        _returnCall = abi.encodeWithSignature(
            "returnItems((address,uint64,uint64,address,uint128,uint128,uint40,uint32,uint16,bool,bool,bytes32,bytes32),(bytes32,uint32,uint128)[],uint32,bytes32)",
            purchase,
            lines,
            lineMask,
            shipmentRef
        );
        (bool ok, bytes memory result) = ledger.call(_returnCall);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        refund = abi.decode(result, (uint256));
    }

    receive() external payable {
        if (reentryAttempts != 0) return;
        reentryAttempts = 2;
        _try(_returnCall);
        _try(abi.encodeWithSignature("withdraw(address,address)", address(0), address(this)));
    }

    function _try(bytes memory data) private {
        (bool ok, bytes memory result) = _ledger.call(data);
        if (ok) {
            reentrySucceeded = true;
        } else if (result.length >= 4) {
            lastErrorSelector = bytes4(result);
        }
    }
}
