// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../contracts/interfaces/ILedger.sol";

/// @notice The ledger functions the test contracts call by name (ILedger declares only types, errors and events).
interface ILedgerActions {
    /// @notice See `Ledger.returnItems`.
    function returnItems(
        ILedger.Order calldata order,
        ILedger.LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external returns (uint256 refund);

    /// @notice See `Ledger.withdraw`.
    function withdraw(address token, address to) external;
}
