// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 an admin can pause (as BNB and ZIL can): while paused every transfer reverts. Anyone may
/// pause it here.
contract PausableToken is ERC20 {
    /// @notice Thrown on a transfer while paused.
    error PausableTokenPaused();

    /// @notice Whether transfers are paused.
    bool public paused;

    /// @notice Creates the token ("Pausable Token", "PAUSE", 18 decimals, no supply).
    constructor() ERC20("Pausable Token", "PAUSE") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Pauses or unpauses transfers.
    /// @param value True to pause.
    function setPaused(bool value) external {
        paused = value;
    }

    /// @notice Moves tokens unless paused (mints always).
    function _update(address from, address to, uint256 value) internal override {
        if (paused && from != address(0)) revert PausableTokenPaused();
        super._update(from, to, value);
    }
}
