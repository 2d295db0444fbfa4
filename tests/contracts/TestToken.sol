// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A plain ERC-20 anyone can mint, for tests.
contract TestToken is ERC20 {
    /// @notice Creates the token with its name and symbol (18 decimals, no supply).
    /// @param name The token's name.
    /// @param symbol The token's symbol.
    constructor(string memory name, string memory symbol) ERC20(name, symbol) {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
