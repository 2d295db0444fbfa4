// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 whose `transfer` and `transferFrom` answer false instead of reverting: while `refusing`,
/// they move nothing and return false (as ZRX does on failure); while `lying`, they move the tokens and still
/// return false (as Tether Gold does on success). Anyone may switch, as the owner of an upgradable token could.
contract FalseReturnToken is ERC20 {
    /// @notice Whether transfers move nothing and return false.
    bool public refusing;
    /// @notice Whether transfers move the tokens and return false.
    bool public lying;

    /// @notice Creates the token ("False Token", "FALSE", 18 decimals, no supply).
    constructor() ERC20("False Token", "FALSE") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets how transfers answer.
    /// @param refusing_ Move nothing and return false.
    /// @param lying_ Move and return false.
    function setAnswers(bool refusing_, bool lying_) external {
        refusing = refusing_;
        lying = lying_;
    }

    /// @notice Moves tokens, or not, and answers as set.
    function transfer(address to, uint256 value) public override returns (bool) {
        if (refusing) return false;
        return super.transfer(to, value) && !lying;
    }

    /// @notice Moves tokens out of an allowance, or not, and answers as set.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (refusing) return false;
        return super.transferFrom(from, to, value) && !lying;
    }
}
