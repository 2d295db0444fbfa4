// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../../contracts/interfaces/ILedger.sol";

/// @title ILedgerFull
/// @notice Every external function of a deployed ledger: `Ledger` itself and the modules it reaches by
/// delegatecall (`LedgerShops`, then `LedgerService`), as one interface to call the entry point with.
/// @dev The contracts declare no such interface (the modules' functions reach `Ledger` through its
/// fallback); the tests keep this copy, and a call whose signature drifts fails loudly (no module has it).
interface ILedgerFull is ILedger {
    // ---------------------------------------------------------------- Ledger
    function buy(Order calldata order, LineItem[] calldata lines, uint256 credit, bytes calldata signature)
        external
        payable
        returns (bytes32 purchaseId);
    function confirmDelivery(Order calldata order, uint40 deliveredAt) external;
    function returnItems(Order calldata order, LineItem[] calldata lines, uint32 lineMask, bytes32 shipmentRef)
        external
        returns (uint256 refund);
    function returnItemsBySig(
        Order calldata order,
        LineItem[] calldata lines,
        ReturnRequest calldata request,
        bytes calldata signature
    ) external returns (uint256 refund);
    function cancelNonce(uint256 nonce) external;
    function settle(Order[] calldata orders) external returns (uint256 settled);
    function logContact(
        uint64 merchantId,
        address customer,
        bytes32 purchaseId,
        Channel channel,
        ContactKind kind,
        uint40 occurredAt,
        bytes32 contentHash
    ) external;
    function withdraw(address token, address to) external;
    function withdrawMerchant(uint64 merchantId, address token) external;
    function purchaseState(bytes32 purchaseId) external view returns (PurchaseState memory);
    function purchaseIdOf(Order calldata order) external view returns (bytes32);
    function purchaseOf(Order calldata order)
        external
        view
        returns (bytes32 purchaseId, address customer, uint64 merchantId, uint256 paid);
    function returnDeadline(Order calldata order) external view returns (uint256);
    function quoteReturn(Order calldata order, LineItem[] calldata lines, uint32 lineMask)
        external
        view
        returns (uint256);
    function deferredBalance(address token, address account) external view returns (uint256);
    function nonceUsed(address account, uint256 nonce) external view returns (bool);
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        );

    // ---------------------------------------------------------------- LedgerShops
    function registerMerchant(address payout) external returns (uint64 merchantId);
    function setPayout(uint64 merchantId, address payout) external;
    function setTokenAccepted(uint64 merchantId, address token, bool accepted) external;
    function setCreditBonus(uint64 merchantId, uint16 creditBonusBps) external;
    function setCreditCashOutDelay(uint64 merchantId, uint32 delay) external;
    function addAgent(uint64 merchantId, address agent) external;
    function removeAgent(uint64 merchantId, address agent) external;
    function setMandate(uint64 merchantId, address agent, uint16 maxExtensionDays) external;
    function setBudget(uint64 merchantId, address agent, address token, uint256 amount) external;
    function publishTerms(
        uint64 merchantId,
        uint32 returnWindow,
        uint16 restockingFeeBps,
        uint32 deliveryWait,
        bool itemMustBeReturned
    ) external returns (uint64 termsId);
    function retireTerms(uint64 termsId) external;
    function merchantCount() external view returns (uint64);
    function merchant(uint64 merchantId) external view returns (Merchant memory);
    function staffOf(uint64 merchantId, address account) external view returns (Staff memory);
    function accepts(uint64 merchantId, address token) external view returns (bool);
    function termsCount() external view returns (uint64);
    function terms(uint64 termsId) external view returns (Terms memory);
    function budgetOf(uint64 merchantId, address agent, address token) external view returns (uint256);
    function merchantDeferredBalance(uint64 merchantId, address token) external view returns (uint256);

    // ---------------------------------------------------------------- LedgerService
    function goodwillRefund(Order calldata order, uint256 amount, Reason reason, bytes32 note) external;
    function refundWithoutReturn(Order calldata order, LineItem[] calldata lines, uint32 lineMask, Reason reason)
        external;
    function extendWindow(Order calldata order, uint16 extraDays, Reason reason) external;
    function setWindowExtension(Order calldata order, uint16 extensionDays, Reason reason) external;
    function returnItemsForCredit(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external returns (uint256 credited);
    function cashOutCredit(uint64 merchantId, address token) external;
    function creditOf(uint64 merchantId, address customer, address token) external view returns (Credit memory);
    function creditUsedOf(bytes32 purchaseId) external view returns (CreditUsed memory);
}
