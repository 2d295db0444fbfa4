// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer that, whenever it is paid, repeats an armed call (its return) and tries to withdraw.
/// @dev The re-entry is expensive (the armed call is read back from storage), so with the ledger's gas
/// stipend for pushed payments it runs out of gas and the refund is deferred; a withdrawal then pays with
/// all the gas, and the re-entrant calls meet the reentrancy guard.
contract ReentrantCustomer is ContractAccount {
    /// @notice How many re-entrant calls were tried.
    uint8 public reentryAttempts;
    /// @notice Whether any re-entrant call went through.
    bool public reentrySucceeded;
    /// @notice Selector of the last error a re-entrant call got back.
    bytes4 public lastErrorSelector;

    address private _target;
    bytes private _armed;

    /// @notice Sets the call to repeat on `target` when paid.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _armed = data;
    }

    receive() external payable {
        if (reentryAttempts != 0) return;
        reentryAttempts = 2;
        _try(_armed);
        _try(abi.encodeWithSignature("withdraw(address,address)", address(0), address(this)));
    }

    function _try(bytes memory data) private {
        (bool ok, bytes memory result) = _target.call(data);
        if (ok) {
            reentrySucceeded = true;
        } else if (result.length >= 4) {
            lastErrorSelector = bytes4(result);
        }
    }
}
