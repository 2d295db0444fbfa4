// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 that burns a fee on every transfer, so less arrives than was sent.
contract FeeOnTransferToken is ERC20 {
    /// @notice Thrown when the fee given to the constructor is above 100 %.
    /// @param feeBps The fee given.
    error FeeOnTransferTokenFeeTooHigh(uint256 feeBps);

    /// @notice Fee burnt on each transfer, in basis points.
    uint256 public immutable feeBps;

    /// @notice Creates the token ("Fee Token", "FEE") with the fee every transfer burns.
    /// @param feeBps_ Fee in basis points (100 = 1 %), at most 10 000.
    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        if (feeBps_ > 10_000) revert FeeOnTransferTokenFeeTooHigh(feeBps_);
        feeBps = feeBps_;
    }

    /// @notice Creates `amount` tokens for `to` (no fee on minting).
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Moves tokens; a transfer between holders burns `feeBps` of the amount and delivers the rest.
    /// @dev Mints and burns (either side the zero address) are passed on unchanged.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
