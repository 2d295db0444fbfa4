// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev A wallet whose receive hook needs real gas (a new storage slot for each payment, as a smart wallet's
/// bookkeeping might), though less than the ledger's stipend: a payout a caller could try to starve.
contract HungryWallet {
    uint256[] public payments;

    receive() external payable {
        payments.push(msg.value);
    }
}
