// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../contracts/interfaces/ILedger.sol";

/// @notice The ledger functions a contract account calls in the tests.
interface ILedgerActions {
    function buy(uint64 termsId, address token, ILedger.LineItem[] calldata lines, bytes32 orderRef)
        external
        payable
        returns (bytes32);
    function returnItems(
        ILedger.Purchase calldata purchase,
        ILedger.LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external returns (uint256);
    function registerMerchant(address payout) external returns (uint64);
    function withdraw(address token, address to) external;
}

/// @notice A contract account that buys, returns, registers a merchant and withdraws on a ledger.
abstract contract LedgerUser {
    /// @notice Buys on `ledger`, forwarding the value sent.
    function buy(address ledger, uint64 termsId, ILedger.LineItem[] calldata lines, bytes32 orderRef)
        external
        payable
        returns (bytes32)
    {
        return ILedgerActions(ledger).buy{value: msg.value}(termsId, address(0), lines, orderRef);
    }

    /// @notice Returns lines of a purchase this contract made.
    function returnItems(
        address ledger,
        ILedger.Purchase calldata purchase,
        ILedger.LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external virtual returns (uint256) {
        return ILedgerActions(ledger).returnItems(purchase, lines, lineMask, shipmentRef);
    }

    /// @notice Registers a merchant owned by this contract.
    function registerMerchant(address ledger, address payout) external returns (uint64) {
        return ILedgerActions(ledger).registerMerchant(payout);
    }

    /// @notice Withdraws this contract's deferred payments to `to`.
    function withdraw(address ledger, address token, address to) external {
        ILedgerActions(ledger).withdraw(token, to);
    }
}
