// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 whose `transfer` burns all the gas it is given while `burning` is on (`transferFrom`,
/// which a purchase uses, works as usual): the griefer's token that once blocked a shop's settlement.
contract GasBurningToken is ERC20 {
    /// @notice Whether `transfer` burns all its gas instead of transferring.
    bool public burning;

    /// @notice Creates the token (18 decimals, no supply).
    constructor() ERC20("Gas Burner", "BURN") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Starts or stops burning gas in `transfer`.
    /// @param value True to burn.
    function setBurning(bool value) external {
        burning = value;
    }

    /// @notice Transfers as usual, or burns all the gas given while `burning` is on.
    /// @param to The recipient.
    /// @param value How many (smallest units).
    /// @return Whether it transferred.
    function transfer(address to, uint256 value) public override returns (bool) {
        if (burning) {
            assembly ("memory-safe") {
                invalid()
            }
        }
        return super.transfer(to, value);
    }
}
