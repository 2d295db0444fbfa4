// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer or payout address that burns all the gas it is given when paid ETH.
contract GasGuzzler is ContractAccount {
    /// @notice Spins until the gas runs out.
    receive() external payable {
        while (true) {}
    }
}
