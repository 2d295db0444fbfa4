// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 that burns a flat fee out of every transfer between holders (as in d-xo/weird-erc20's
/// `TransferFee`): the recipient gets the amount less the fee, and a transfer smaller than the fee reverts.
/// Anyone may change the fee, as the owner of an upgradable token could.
contract FlatFeeToken is ERC20 {
    /// @notice Thrown when a transfer is smaller than the fee.
    /// @param value What was to be moved.
    /// @param fee The fee.
    error FlatFeeTokenBelowFee(uint256 value, uint256 fee);

    /// @notice Fee burnt on each transfer, in smallest units.
    uint256 public fee;

    /// @notice Creates the token ("Flat Fee Token", "FLAT", 6 decimals) with its fee.
    /// @param fee_ The fee, in smallest units.
    constructor(uint256 fee_) ERC20("Flat Fee Token", "FLAT") {
        fee = fee_;
    }

    /// @notice Creates `amount` tokens for `to` (no fee on minting).
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the fee.
    /// @param fee_ The new fee, in smallest units.
    function setFee(uint256 fee_) external {
        fee = fee_;
    }

    /// @notice 6, as for most fiat-backed tokens.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Moves tokens; a transfer between holders burns the fee out of the amount.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        if (value < fee) revert FlatFeeTokenBelowFee(value, fee);
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
