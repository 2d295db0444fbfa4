// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {Ledger} from "../../../contracts/Ledger.sol";
import {LedgerModule} from "../../../contracts/LedgerModule.sol";
import {LedgerFeedback} from "../../../contracts/LedgerFeedback.sol";
import {vm} from "./Vm.sol";

/// @title LedgerKit
/// @notice What every Solidity test of the ledger needs, and nothing about any one test: deploying a ledger
/// with its modules, packing orders as `ILedgerTypes.Order` documents them, hashing them again independently of
/// `Orders.structHash`, and signing orders and return requests with `vm.sign`.
/// @dev Written against contract v3 (orders name their signer's staff generation; wallet signatures are
/// `abi.encode(wallet, payload)`). For a new contract version, this file and `ILedger.sol` are where
/// the order layout, the EIP-712 types and the deployment change; the tests and the handler call only these.
abstract contract LedgerKit {
    /// @notice EIP-712 type of an order, spelled out here rather than imported, so a change in the contract
    /// shows up as a test failure.
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(uint64 merchantId,uint64 termsId,address customer,address token,uint256 total,bytes32 linesHash,"
        "uint8 lineCount,bytes32 orderRef,uint40 expiry,address referrer,uint16 referralBps,uint32 returnWindow,"
        "uint16 restockingFeeBps,uint32 deliveryWait,bool itemMustBeReturned,uint8 signerGeneration)"
    );
    bytes32 internal constant RETURN_REQUEST_TYPEHASH = keccak256(
        "ReturnRequest(bytes32 purchaseId,uint32 lineMask,bytes32 shipmentRef,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    uint256 internal constant DAY = 1 days;
    uint16 internal constant BPS = 10_000;
    uint8 internal constant SETTLED = 1;
    uint8 internal constant BONUS_PENDING = 16;

    /// @notice What an order says besides its lines and its terms (which are read from the chain).
    struct Quote {
        uint64 merchantId;
        uint64 termsId;
        address customer;
        address token;
        address referrer;
        uint16 referralBps;
        uint40 expiry;
        bytes32 orderRef;
        /// @dev The staff generation of the account that signs (`Staff.generation`, at most 255).
        uint8 signerGeneration;
    }

    // ------------------------------------------------------------------ deployment

    /// @notice A ledger as `ledger.client.Ledger.deploy` makes one: the module, then the entry point in front
    /// of it, which makes the feedback contract that reads it.
    function _deployLedger() internal returns (ILedger ledger, LedgerFeedback feedback) {
        LedgerModule module = new LedgerModule();
        ledger = ILedger(payable(address(new Ledger(address(module)))));
        feedback = LedgerFeedback(ledger.FEEDBACK());
        vm.label(address(ledger), "ledger");
        vm.label(address(feedback), "feedback");
    }

    // ------------------------------------------------------------------ orders

    /// @notice The order for `quote` and `lines`, under the terms the chain has for `quote.termsId`.
    function _order(ILedger ledger, Quote memory quote, ILedgerTypes.LineItem[] memory lines)
        internal
        view
        returns (ILedgerTypes.Order memory order)
    {
        ILedgerTypes.Terms memory terms = ledger.terms(quote.termsId);
        uint256 total;
        for (uint256 i; i < lines.length; ++i) {
            total += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        order.head = uint256(uint160(quote.customer)) << 96 | uint256(quote.merchantId) << 32
            | uint256(lines.length) << 24 | (terms.itemMustBeReturned ? uint256(1) : 0) << 16 | terms.restockingFeeBps;
        order.payment =
            uint256(uint160(quote.token)) << 96 | uint256(quote.termsId) << 32 | uint256(terms.returnWindow);
        order.referral = uint256(uint160(quote.referrer)) << 96 | uint256(quote.referralBps) << 80
            | uint256(terms.deliveryWait) << 48 | uint256(quote.expiry) << 8 | quote.signerGeneration;
        order.total = total;
        order.linesHash = keccak256(abi.encode(lines));
        order.orderRef = quote.orderRef;
    }

    /// @notice One line of `quantity` units at `unitPrice`.
    function _line(bytes32 sku, uint32 quantity, uint128 unitPrice) internal pure returns (ILedgerTypes.LineItem memory) {
        return ILedgerTypes.LineItem(sku, quantity, unitPrice);
    }

    /// @notice The order's EIP-712 struct hash from its fields, with `abi.encode` (the contract does it in
    /// assembly from the packed words: the two must agree).
    function _orderStructHash(ILedgerTypes.Order memory order) internal pure returns (bytes32) {
        bytes memory first = abi.encode(
            ORDER_TYPEHASH,
            uint64(order.head >> 32), // merchantId
            uint64(order.payment >> 32), // termsId
            address(uint160(order.head >> 96)), // customer
            address(uint160(order.payment >> 96)), // token
            order.total,
            order.linesHash,
            uint8(order.head >> 24), // lineCount
            order.orderRef
        );
        bytes memory second = abi.encode(
            uint40(order.referral >> 8), // expiry
            address(uint160(order.referral >> 96)), // referrer
            uint16(order.referral >> 80), // referralBps
            uint32(order.payment), // returnWindow
            uint16(order.head), // restockingFeeBps
            uint32(order.referral >> 48), // deliveryWait
            uint8(order.head >> 16) & 1 != 0, // itemMustBeReturned
            uint8(order.referral) // signerGeneration
        );
        return keccak256(bytes.concat(first, second));
    }

    /// @notice The ledger's EIP-712 domain separator, from its name, version, chain and address.
    function _domainSeparator(ILedger ledger) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Ledger"), keccak256("3"), block.chainid, address(ledger))
        );
    }

    /// @notice The EIP-712 digest of `structHash` in the ledger's domain.
    function _typedDigest(ILedger ledger, bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(ledger), structHash));
    }

    /// @notice A purchase's id: its order's digest, worked out here.
    function _purchaseId(ILedger ledger, ILedgerTypes.Order memory order) internal view returns (bytes32) {
        return _typedDigest(ledger, _orderStructHash(order));
    }

    // ------------------------------------------------------------------ signatures

    /// @notice A 65-byte (r, s, v) signature of `digest` by `key`.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @notice A 64-byte EIP-2098 (r, vs) signature of `digest` by `key`.
    function _signCompact(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 vs) = vm.signCompact(key, digest);
        return abi.encodePacked(r, vs);
    }

    /// @notice The staff signature of an order by `key`.
    function _signOrder(ILedger ledger, uint256 key, ILedgerTypes.Order memory order)
        internal
        view
        returns (bytes memory)
    {
        return _sign(key, _purchaseId(ledger, order));
    }

    /// @notice A contract wallet's staff signature: `abi.encode(wallet, payload)`, the payload being what the
    /// wallet's ERC-1271 `isValidSignature` accepts (here its signer's 65-byte signature of `digest`).
    function _walletSignature(address wallet, uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        return abi.encode(wallet, _sign(key, digest));
    }

    /// @notice The customer's signature by `key` of a return request for `purchaseId`.
    function _signReturn(ILedger ledger, uint256 key, bytes32 purchaseId, ILedgerTypes.ReturnRequest memory request)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                RETURN_REQUEST_TYPEHASH,
                purchaseId,
                request.lineMask,
                request.shipmentRef,
                request.nonce,
                request.deadline
            )
        );
        return _sign(key, _typedDigest(ledger, structHash));
    }

    // ------------------------------------------------------------------ reading

    /// @notice What a purchase still holds in escrow, from the contract's views.
    function _inEscrow(ILedger ledger, ILedgerTypes.Order memory order) internal view returns (uint256) {
        (bytes32 purchaseId,,, uint256 paid) = ledger.purchaseOf(order);
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(purchaseId);
        return state.flags & SETTLED != 0 ? 0 : paid - state.refunded;
    }

    /// @notice `value` brought into `[low, high]` (fuzzed inputs are spread over the whole range first).
    function _bound(uint256 value, uint256 low, uint256 high) internal pure returns (uint256) {
        if (value >= low && value <= high) return value;
        return low + value % (high - low + 1);
    }
}
