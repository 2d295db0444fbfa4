// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer or payout address that rejects ETH until told to accept it.
contract EthRejecter is ContractAccount {
    /// @notice Thrown when ETH arrives while not accepting.
    error EthRejected(uint256 value);

    /// @notice Whether plain ETH transfers are accepted.
    bool public accepting;

    /// @notice Starts or stops accepting ETH.
    function setAccepting(bool value) external {
        accepting = value;
    }

    receive() external payable {
        if (!accepting) revert EthRejected(msg.value);
    }
}
