// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A token whose balances change on their own: holders own shares, and a balance is the shares times
/// an index anyone can move (a rebase), as with staking or elastic-supply tokens.
contract RebasingToken {
    /// @notice Thrown when a holder has too little.
    /// @param holder The holder.
    /// @param balance What it holds.
    /// @param needed What the move needed.
    error RebasingTokenBalance(address holder, uint256 balance, uint256 needed);
    /// @notice Thrown when a spender's allowance is too small.
    /// @param allowance What the spender may still move.
    /// @param needed What the move needed.
    error RebasingTokenAllowance(uint256 allowance, uint256 needed);

    /// @notice Emitted on every move of tokens.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice Emitted when an allowance is set.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    uint256 private constant _ONE = 1e18;

    /// @notice Tokens per share, scaled by 1e18.
    uint256 public index = _ONE;
    /// @notice Allowances, in tokens.
    mapping(address holder => mapping(address spender => uint256)) public allowance;
    /// @dev Shares of each holder.
    mapping(address holder => uint256) private _shares;

    /// @notice A holder's balance: its shares at today's index.
    /// @param holder The holder.
    function balanceOf(address holder) public view returns (uint256) {
        return _shares[holder] * index / _ONE;
    }

    /// @notice Sets the index: every balance changes by the same factor.
    /// @param newIndex Tokens per share, scaled by 1e18.
    function rebase(uint256 newIndex) external {
        index = newIndex;
    }

    /// @notice Creates `amount` tokens for `to`.
    /// @param to Who receives them.
    /// @param amount How many.
    function mint(address to, uint256 amount) external {
        _shares[to] += amount * _ONE / index;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Lets `spender` move up to `amount` of the caller's tokens.
    /// @param spender The spender.
    /// @param amount The allowance.
    /// @return Always true.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice Moves `amount` from the caller to `to`.
    /// @param to The recipient.
    /// @param amount How many.
    /// @return Always true (a move it cannot make reverts).
    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice Moves `amount` from `from` to `to` out of the caller's allowance.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param amount How many.
    /// @return Always true (a move it cannot make reverts).
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert RebasingTokenAllowance(allowed, amount);
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 held = balanceOf(from);
        if (held < amount) revert RebasingTokenBalance(from, held, amount);
        uint256 shares = amount * _ONE / index;
        _shares[from] -= shares;
        _shares[to] += shares;
        emit Transfer(from, to, amount);
    }
}
