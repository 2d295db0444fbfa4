// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 that burns a fee on every transfer, so less arrives than was sent.
contract FeeOnTransferToken is ERC20 {
    /// @notice Fee burnt on each transfer, in basis points.
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    /// @notice Creates `amount` tokens for `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Transfers between holders lose `feeBps` of the amount to a burn.
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
