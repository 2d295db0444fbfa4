// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedgerTypes} from "../interfaces/ILedger.sol";

/// @title Orders
/// @notice Reads the fields packed into an `ILedgerTypes.Order` and hashes it as the EIP-712 `Order` the shop signs.
/// @dev The bit layout is documented on `ILedgerTypes.Order`; the Python library packs orders the same way.
library Orders {
    /// @notice EIP-712 type of an order; the shop's owner or an agent signs it.
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(uint64 merchantId,uint64 termsId,address customer,address token,uint256 total,bytes32 linesHash,"
        "uint8 lineCount,bytes32 orderRef,uint40 expiry,address referrer,uint16 referralBps,uint32 returnWindow,"
        "uint16 restockingFeeBps,uint32 deliveryWait,bool itemMustBeReturned,uint8 signerGeneration)"
    );

    /// @dev Flag bits of the `itemMustBeReturned` byte in `head`.
    uint256 private constant _ITEM_BACK = 1;

    /// @notice The customer the order is made out to; zero when anyone may buy it.
    function customer(ILedgerTypes.Order calldata order) internal pure returns (address) {
        return address(uint160(order.head >> 96));
    }

    /// @notice The merchant that sells.
    function merchantId(ILedgerTypes.Order calldata order) internal pure returns (uint64) {
        return uint64(order.head >> 32);
    }

    /// @notice Number of lines.
    function lineCount(ILedgerTypes.Order calldata order) internal pure returns (uint256) {
        return uint8(order.head >> 24);
    }

    /// @notice Whether a return must name a shipment reference.
    function itemMustBeReturned(ILedgerTypes.Order calldata order) internal pure returns (bool) {
        return uint8(order.head >> 16) & _ITEM_BACK != 0;
    }

    /// @notice Restocking fee in basis points.
    function restockingFeeBps(ILedgerTypes.Order calldata order) internal pure returns (uint16) {
        return uint16(order.head);
    }

    /// @notice Token paid with; zero for the native currency.
    function token(ILedgerTypes.Order calldata order) internal pure returns (address) {
        return address(uint160(order.payment >> 96));
    }

    /// @notice The terms the order was made under.
    function termsId(ILedgerTypes.Order calldata order) internal pure returns (uint64) {
        return uint64(order.payment >> 32);
    }

    /// @notice Seconds during which the purchase may be returned; 0 means no returns.
    function returnWindow(ILedgerTypes.Order calldata order) internal pure returns (uint32) {
        return uint32(order.payment);
    }

    /// @notice Who earns a commission at settlement; zero for nobody.
    function referrer(ILedgerTypes.Order calldata order) internal pure returns (address) {
        return address(uint160(order.referral >> 96));
    }

    /// @notice The referrer's commission in basis points of what the merchant keeps.
    function referralBps(ILedgerTypes.Order calldata order) internal pure returns (uint16) {
        return uint16(order.referral >> 80);
    }

    /// @notice 0 when the window starts at purchase, else the longest wait for delivery in seconds.
    function deliveryWait(ILedgerTypes.Order calldata order) internal pure returns (uint32) {
        return uint32(order.referral >> 48);
    }

    /// @notice Last second at which the order may be bought.
    function expiry(ILedgerTypes.Order calldata order) internal pure returns (uint40) {
        return uint40(order.referral >> 8);
    }

    /// @notice The staff generation of the account that signed (`ILedgerTypes.Staff.generation`).
    function signerGeneration(ILedgerTypes.Order calldata order) internal pure returns (uint8) {
        return uint8(order.referral);
    }

    /// @notice The EIP-712 struct hash of the order: what the shop signs, within the ledger's domain.
    /// @dev Written out word by word: this runs on every call that acts on a purchase, and the high-level
    /// `abi.encode` of seventeen values costs several times more in memory copies.
    function structHash(ILedgerTypes.Order calldata order) internal pure returns (bytes32 hash) {
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let head := calldataload(order)
            let payment := calldataload(add(order, 0x20))
            let referral := calldataload(add(order, 0x40))
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), and(shr(32, head), 0xffffffffffffffff)) // merchantId
            mstore(add(m, 0x40), and(shr(32, payment), 0xffffffffffffffff)) // termsId
            mstore(add(m, 0x60), shr(96, head)) // customer
            mstore(add(m, 0x80), shr(96, payment)) // token
            mstore(add(m, 0xa0), calldataload(add(order, 0x60))) // total
            mstore(add(m, 0xc0), calldataload(add(order, 0x80))) // linesHash
            mstore(add(m, 0xe0), and(shr(24, head), 0xff)) // lineCount
            mstore(add(m, 0x100), calldataload(add(order, 0xa0))) // orderRef
            mstore(add(m, 0x120), and(shr(8, referral), 0xffffffffff)) // expiry
            mstore(add(m, 0x140), shr(96, referral)) // referrer
            mstore(add(m, 0x160), and(shr(80, referral), 0xffff)) // referralBps
            mstore(add(m, 0x180), and(payment, 0xffffffff)) // returnWindow
            mstore(add(m, 0x1a0), and(head, 0xffff)) // restockingFeeBps
            mstore(add(m, 0x1c0), and(shr(48, referral), 0xffffffff)) // deliveryWait
            mstore(add(m, 0x1e0), and(shr(16, head), _ITEM_BACK)) // itemMustBeReturned
            mstore(add(m, 0x200), and(referral, 0xff)) // signerGeneration
            hash := keccak256(m, 0x220)
        }
    }

    /// @notice keccak256 of the ABI-encoded lines, as `keccak256(abi.encode(lines))` gives it, hashed
    /// straight from calldata (the caller reads every line through Solidity, which checks its fields).
    function hashLines(ILedgerTypes.LineItem[] calldata lines) internal pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            let size := mul(lines.length, 0x60)
            mstore(m, 0x20)
            mstore(add(m, 0x20), lines.length)
            calldatacopy(add(m, 0x40), lines.offset, size)
            hash := keccak256(m, add(size, 0x40))
        }
    }
}
