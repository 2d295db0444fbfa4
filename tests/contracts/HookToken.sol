// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice The hooks an ERC-777-style token calls.
interface ITokenHooks {
    /// @notice Called on the sender before its tokens move.
    function tokensToSend(address operator, address from, address to, uint256 amount) external;

    /// @notice Called on the recipient after tokens moved to it.
    function tokensReceived(address operator, address from, address to, uint256 amount) external;
}

/// @notice An ERC-20 with ERC-777-style hooks: a holder that registers is called, with all the gas there is,
/// before it sends and after it receives (ERC-777 uses the ERC-1820 registry; here the holder registers
/// with the token itself). A hook that reverts makes the transfer revert.
contract HookToken is ERC20 {
    /// @notice Holders whose hooks are called.
    mapping(address holder => bool) public hooked;

    /// @notice Creates the token (18 decimals, no supply).
    constructor() ERC20("Hook Token", "HOOK") {}

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many (smallest units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Starts or stops calling the caller's hooks.
    /// @param value True to be called.
    function registerHooks(bool value) external {
        hooked[msg.sender] = value;
    }

    /// @notice Moves tokens, calling the sender's hook before and the recipient's after.
    function _update(address from, address to, uint256 value) internal override {
        if (hooked[from]) ITokenHooks(from).tokensToSend(msg.sender, from, to, value);
        super._update(from, to, value);
        if (hooked[to]) ITokenHooks(to).tokensReceived(msg.sender, from, to, value);
    }
}
