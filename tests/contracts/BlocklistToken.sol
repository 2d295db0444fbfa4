// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 with an admin's blocklist (as USDC and USDT have): a blocked address can neither send nor
/// receive. Anyone may block here.
contract BlocklistToken is ERC20 {
    /// @notice Thrown on a transfer from or to a blocked address.
    /// @param account The blocked address.
    error BlocklistTokenBlocked(address account);

    /// @notice Blocked addresses.
    mapping(address account => bool) public blocked;

    /// @notice Creates the token ("Blocklist Token", "BLOCK", 18 decimals, no supply).
    constructor() ERC20("Blocklist Token", "BLOCK") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blocks or unblocks an address.
    /// @param account The address.
    /// @param value True to block.
    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    /// @notice Moves tokens unless either side is blocked.
    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert BlocklistTokenBlocked(from);
        if (blocked[to]) revert BlocklistTokenBlocked(to);
        super._update(from, to, value);
    }
}
