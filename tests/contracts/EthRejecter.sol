// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../contracts/interfaces/ILedger.sol";
import {ContractAccount} from "./ContractAccount.sol";

/// @notice The ledger functions the test contracts call (ILedger itself declares only types, errors and events).
interface ILedgerActions {
    /// @notice See `Ledger.registerMerchant`.
    function registerMerchant(address payout) external returns (uint64 merchantId);

    /// @notice See `Ledger.buy`.
    function buy(uint64 termsId, address token, ILedger.LineItem[] calldata lines, bytes32 orderRef)
        external
        payable
        returns (bytes32 purchaseId);

    /// @notice See `Ledger.returnItems`.
    function returnItems(
        ILedger.Purchase calldata purchase,
        ILedger.LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external returns (uint256 refund);

    /// @notice See `Ledger.withdraw`.
    function withdraw(address token, address to) external;
}

/// @notice A customer, merchant or payout address that rejects plain ETH until told to accept it.
/// @dev Every ledger call is forwarded as is, so a ledger revert comes back unchanged.
contract EthRejecter is ContractAccount {
    /// @notice Thrown when ETH arrives while not accepting.
    /// @param value The ETH sent.
    error EthRejected(uint256 value);

    /// @notice Whether plain ETH transfers are accepted.
    bool public accepting;

    /// @notice Starts or stops accepting ETH.
    /// @param value True to accept.
    function setAccepting(bool value) external {
        accepting = value;
    }

    /// @notice Registers a merchant owned by this contract.
    /// @param ledger The ledger.
    /// @param payout Where settled money is paid.
    /// @return merchantId The new merchant's id.
    function registerMerchant(address ledger, address payout) external returns (uint64 merchantId) {
        return ILedgerActions(ledger).registerMerchant(payout);
    }

    /// @notice Buys with ETH (the value sent is forwarded); this contract is the customer.
    /// @param ledger The ledger.
    /// @param termsId Return terms that apply.
    /// @param lines What is bought.
    /// @param orderRef The merchant's order reference.
    /// @return purchaseId Id of the new purchase.
    function buy(address ledger, uint64 termsId, ILedger.LineItem[] calldata lines, bytes32 orderRef)
        external
        payable
        returns (bytes32 purchaseId)
    {
        return ILedgerActions(ledger).buy{value: msg.value}(termsId, address(0), lines, orderRef);
    }

    /// @notice Returns lines of a purchase this contract made.
    /// @param ledger The ledger.
    /// @param p The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param mask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference, or zero.
    /// @return refund Amount refunded (pushed, or deferred when this contract rejects it).
    function returnItems(
        address ledger,
        ILedger.Purchase calldata p,
        ILedger.LineItem[] calldata lines,
        uint32 mask,
        bytes32 shipmentRef
    ) external returns (uint256 refund) {
        return ILedgerActions(ledger).returnItems(p, lines, mask, shipmentRef);
    }

    /// @notice Withdraws this contract's deferred payments in `token` to `to`.
    /// @param ledger The ledger.
    /// @param token The token (address(0) for ETH).
    /// @param to Where to send them.
    function withdraw(address ledger, address token, address to) external {
        ILedgerActions(ledger).withdraw(token, to);
    }

    /// @notice Accepts ETH only while `accepting` is set.
    receive() external payable {
        if (!accepting) revert EthRejected(msg.value);
    }
}
