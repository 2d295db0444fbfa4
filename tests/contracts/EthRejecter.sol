// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer, merchant or payout address that rejects plain ETH until told to accept it, and
/// counts the payments it accepted (so a test can tell one summed transfer from several).
/// @dev It acts on the ledger through `execute`, so a ledger revert comes back unchanged.
contract EthRejecter is ContractAccount {
    /// @notice Thrown when ETH arrives while not accepting.
    /// @param value The ETH sent.
    error EthRejected(uint256 value);

    /// @notice Whether plain ETH transfers are accepted.
    bool public accepting;

    /// @notice Number of plain ETH transfers accepted.
    uint256 public payments;

    /// @notice Starts or stops accepting ETH.
    /// @param value True to accept.
    function setAccepting(bool value) external {
        accepting = value;
    }

    /// @notice Rejects ETH unless `accepting`; counts what it accepts.
    receive() external payable {
        if (!accepting) revert EthRejected(msg.value);
        ++payments;
    }
}
