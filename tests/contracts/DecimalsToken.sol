// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A plain ERC-20 with the decimals it is made with: few (USDC's 6, GUSD's 2) or many (YAM-V2's 24).
contract DecimalsToken is ERC20 {
    uint8 private immutable _DECIMALS;

    /// @notice Creates the token ("Decimals Token", "DEC", no supply).
    /// @param decimals_ Its decimals.
    constructor(uint8 decimals_) ERC20("Decimals Token", "DEC") {
        _DECIMALS = decimals_;
    }

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice The decimals it was made with.
    function decimals() public view override returns (uint8) {
        return _DECIMALS;
    }
}
