// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 with USDT's approval race protection: an allowance that is not zero can only be set to
/// zero, not changed to another amount.
contract ApprovalRaceToken is ERC20 {
    /// @notice Thrown when a non-zero allowance is changed to another non-zero amount.
    /// @param allowance The allowance now.
    /// @param value The allowance asked for.
    error ApprovalRaceTokenNonZeroAllowance(uint256 allowance, uint256 value);

    /// @notice Creates the token ("Race Token", "RACE", 18 decimals, no supply).
    constructor() ERC20("Race Token", "RACE") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets an allowance: to zero always, to another amount only from zero.
    function approve(address spender, uint256 value) public override returns (bool) {
        uint256 current = allowance(msg.sender, spender);
        if (value != 0 && current != 0) revert ApprovalRaceTokenNonZeroAllowance(current, value);
        return super.approve(spender, value);
    }
}
