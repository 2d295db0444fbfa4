// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 that reverts on the transfers some tokens refuse: of zero value (as LEND did), to the
/// sender itself, and (as every OpenZeppelin token) to the zero address.
contract StrictToken is ERC20 {
    /// @notice Thrown on a transfer of nothing.
    error StrictTokenZeroValue();
    /// @notice Thrown on a transfer to the sender itself.
    /// @param account The sender and recipient.
    error StrictTokenToSelf(address account);

    /// @notice Creates the token ("Strict Token", "STRICT", 18 decimals, no supply).
    constructor() ERC20("Strict Token", "STRICT") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Moves tokens, refusing a move of nothing or to the sender (mints and burns pass).
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            if (value == 0) revert StrictTokenZeroValue();
            if (from == to) revert StrictTokenToSelf(from);
        }
        super._update(from, to, value);
    }
}
