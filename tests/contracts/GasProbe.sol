// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev Calls whose gas grows with an argument while their call data stays the same length: the bulk path
/// estimates gas for a few calls of a shape, and one that needs more must still go through.
contract GasProbe {
    uint256[] public slots;

    function fill(uint256 count) external {
        for (uint256 i; i < count; ++i) slots.push(i);
    }
}
