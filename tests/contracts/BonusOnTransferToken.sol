// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 that mints the recipient a bonus on every transfer between holders, so more arrives than
/// was sent: a listed token whose balance rises by more than what was due.
contract BonusOnTransferToken is ERC20 {
    /// @notice Creates the token ("Bonus Token", "BON").
    constructor() ERC20("Bonus Token", "BON") {}

    /// @notice Creates `amount` tokens for `to` (no bonus on minting).
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Moves tokens; a transfer between holders also mints the recipient as much again.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && to != address(0)) super._update(address(0), to, value);
    }
}
