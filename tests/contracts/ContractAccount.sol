// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A contract account (a smart wallet, in short) that makes any call it is told to make.
abstract contract ContractAccount {
    /// @notice Calls `target` with `data` and the value sent; a revert is passed on as it came.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return result What the call returned.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
