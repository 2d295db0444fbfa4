// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A token in the style of early USDT: `transfer`, `transferFrom` and `approve` return nothing.
contract NoReturnToken {
    /// @notice Thrown when a holder has too little.
    /// @param holder The holder.
    /// @param balance What it holds.
    /// @param needed What the move needed.
    error NoReturnTokenBalance(address holder, uint256 balance, uint256 needed);
    /// @notice Thrown when a spender's allowance is too small.
    /// @param holder The holder.
    /// @param spender The spender.
    /// @param allowance What the spender may still move.
    /// @param needed What the move needed.
    error NoReturnTokenAllowance(address holder, address spender, uint256 allowance, uint256 needed);

    /// @notice Emitted on every move of tokens.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice Emitted when an allowance is set.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Token balances.
    mapping(address holder => uint256) public balanceOf;
    /// @notice Allowances.
    mapping(address holder => mapping(address spender => uint256)) public allowance;

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Lets `spender` move up to `amount` of the caller's tokens. Returns nothing.
    /// @param spender The spender.
    /// @param amount The new allowance.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    /// @notice Moves `amount` from the caller to `to`. Returns nothing.
    /// @param to The recipient.
    /// @param amount How many.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice Moves `amount` from `from` to `to` out of the caller's allowance. Returns nothing.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param amount How many.
    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert NoReturnTokenAllowance(from, msg.sender, allowed, amount);
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    /// @notice Moves `amount` from `from` to `to`, reverting when `from` holds too little.
    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert NoReturnTokenBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
