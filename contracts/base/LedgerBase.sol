// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ILedgerErrors, ILedgerEvents} from "../interfaces/ILedger.sol";
import {Orders} from "../libraries/Orders.sol";

/// @title LedgerBase
/// @notice The storage and shared rules of the ledger's entry point and its module. `Ledger` is the entry
/// point; calls it does not implement go on, by delegatecall, to `LedgerModule`, which inherits this same
/// base, so both read and write one storage (the ledger's) and the module holds no money of its own.
/// @dev Both inherit exactly `LedgerBase` first, so the storage layout is the same in each. The base declares
/// no external function: what the ledger's address answers is the entry point's functions and the module's,
/// and no selector is in both (`ILedger` lists them all).
abstract contract LedgerBase is ILedgerErrors, ILedgerEvents, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using Orders for Order;

    /// @dev Largest number of lines in one order (one bit each in `PurchaseState.returnedLines`).
    uint256 internal constant _MAX_LINES = 32;

    /// @dev Basis points in 100 %.
    uint16 internal constant _BPS = 10_000;

    /// @dev Most days a purchase's return window can be extended by, in all.
    uint16 internal constant _MAX_EXTENSION_DAYS = 365;

    /// @dev EIP-712 type of a signed return request; the customer signs it, anyone may submit it.
    bytes32 internal constant _RETURN_REQUEST_TYPEHASH = keccak256(
        "ReturnRequest(bytes32 purchaseId,uint32 lineMask,bytes32 shipmentRef,uint256 nonce,uint256 deadline)"
    );

    /// @dev The EIP-712 domain: name "Ledger", version "3", the chain, and the address that runs the code
    /// (for the module, the ledger that delegates to it).
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    string internal constant _NAME = "Ledger";
    string internal constant _VERSION = "3";

    /// @dev `PurchaseState.flags` bits.
    uint8 internal constant _SETTLED = 1;
    uint8 internal constant _BUYER_STORED = 2;
    uint8 internal constant _PAID_STORED = 4;
    uint8 internal constant _CREDIT_USED = 8;
    uint8 internal constant _BONUS_PENDING = 16;

    /// @dev Gas given to a recipient of the native currency, and to a token's `transfer` when the contract
    /// pushes a payment: enough for wallets that log or forward and for ordinary tokens, small enough that a
    /// recipient or token that burns gas cannot make a batch run out. A failed push is kept to withdraw.
    uint256 internal constant _PUSH_GAS = 50_000;
    uint256 internal constant _TOKEN_PUSH_GAS = 100_000;

    // Slither checks each module on its own, so a variable a module reads but only another module (or a write
    // through a storage pointer) sets is reported as never initialized: each such one is marked with its writer.

    /// @dev Number of merchants registered; ids run from 1.
    // slither-disable-next-line uninitialized-state (written by LedgerModule.registerMerchant)
    uint64 internal _merchantCount;
    /// @dev Number of terms published; ids run from 1.
    uint64 internal _termsCount;

    /// @dev Registered merchants.
    // slither-disable-next-line uninitialized-state (written by LedgerModule)
    mapping(uint64 merchantId => Merchant) internal _merchants;
    /// @dev Who may act for each merchant, with its mandate (the owner is stored here too).
    mapping(uint64 merchantId => mapping(address account => Staff)) internal _staff;
    /// @dev ERC-20 tokens each merchant accepts (the native currency is always accepted).
    // slither-disable-next-line uninitialized-state (written by LedgerModule.setTokenAccepted)
    mapping(uint64 merchantId => mapping(address token => bool)) internal _accepts;
    /// @dev What each agent may still refund without asking, per token, valid for one generation of the agent.
    mapping(uint64 merchantId => mapping(address agent => mapping(address token => Budget))) internal _budgets;
    /// @dev Published terms, one slot each.
    // slither-disable-next-line uninitialized-state (written by LedgerModule.publishTerms)
    mapping(uint64 termsId => Terms) internal _terms;
    /// @dev The changing state of each purchase, one slot each; the details are the order.
    mapping(bytes32 purchaseId => PurchaseState) internal _purchases;
    /// @dev The buyer of an order that named no customer.
    // slither-disable-next-line uninitialized-state (written by Ledger.buy)
    mapping(bytes32 purchaseId => address) internal _buyers;
    /// @dev What arrived for a purchase when it was less than the order's total.
    // slither-disable-next-line uninitialized-state (written by Ledger.buy)
    mapping(bytes32 purchaseId => uint256) internal _paidShort;
    /// @dev Store credit a purchase was paid with.
    // slither-disable-next-line uninitialized-state (written by Ledger._spendCredit)
    mapping(bytes32 purchaseId => CreditUsed) internal _creditUsed;
    /// @dev Store credit each customer holds at each merchant, per token (backed by escrow moved here).
    mapping(uint64 merchantId => mapping(address customer => mapping(address token => Credit))) internal _credit;
    /// @dev Payments to accounts whose push failed, waiting for their recipient to withdraw them.
    mapping(address token => mapping(address account => uint256)) internal _deferred;
    /// @dev Payments to merchants' payouts whose push failed, sent later to the payout of the day.
    mapping(uint64 merchantId => mapping(address token => uint256)) internal _merchantDeferred;
    /// @dev Used or cancelled nonces of signed requests, 256 to a word.
    mapping(address account => mapping(uint256 word => uint256 bits)) internal _nonces;
    /// @dev The purchase each shop's order reference was paid with: one order reference, one purchase.
    mapping(uint64 merchantId => mapping(bytes32 orderRef => bytes32 purchaseId)) internal _orderRefs;
    /// @dev A credit bonus owed at settlement, beyond what the merchant was sure to keep when credit was taken.
    // slither-disable-next-line uninitialized-state (written by LedgerModule.returnItemsForCredit)
    mapping(bytes32 purchaseId => uint256) internal _pendingBonus;
    /// @dev Referrers the owner lets its agents name in the orders they sign.
    // slither-disable-next-line uninitialized-state (written by LedgerModule.setReferrerApproved)
    mapping(uint64 merchantId => mapping(address referrer => bool)) internal _approvedReferrers;

    /// @dev An agent's goodwill budget in one token. One slot: amount (16 bytes) | generation (4).
    struct Budget {
        uint128 amount;
        uint32 generation;
    }

    /// @notice Refuses plain transfers of the native currency: money comes in only with a purchase, so
    /// nothing can arrive that no one owns.
    receive() external payable {
        revert LedgerWrongPayment(0, msg.value);
    }

    // ------------------------------------------------------------------ shared rules

    /// @dev Reverts unless the caller owns the merchant (telling an unknown merchant apart).
    function _checkOwner(uint64 merchantId) internal view {
        if (_staff[merchantId][msg.sender].role != Role.Owner) {
            if (_merchants[merchantId].owner == address(0)) revert LedgerUnknownMerchant(merchantId);
            revert LedgerNotMerchantOwner(merchantId, msg.sender);
        }
    }

    /// @dev Reverts unless the caller is the merchant's owner or one of its agents.
    function _checkAgent(uint64 merchantId) internal view {
        if (_staff[merchantId][msg.sender].role == Role.None) {
            if (_merchants[merchantId].owner == address(0)) revert LedgerUnknownMerchant(merchantId);
            revert LedgerNotMerchantAgent(merchantId, msg.sender);
        }
    }

    /// @dev An agent's staff record; reverts for an account that is not an agent.
    function _staffAgent(uint64 merchantId, address agent) internal view returns (Staff storage staff) {
        staff = _staff[merchantId][agent];
        if (staff.role != Role.Agent) revert LedgerNotAnAgent(merchantId, agent);
    }

    /// @dev Reverts for an address money could be sent to and never come out: zero or this contract.
    function _checkRecipient(address account) internal view {
        if (account == address(0) || account == address(this)) revert LedgerInvalidAddress(account);
    }

    /// @dev The order's EIP-712 digest in this ledger's domain: the purchase id.
    function _digest(Order calldata order) internal view returns (bytes32) {
        return _hashTypedDataV4(order.structHash());
    }

    /// @dev The domain separator worked out at deployment, for the contract deployed (the entry point); the
    /// module, running at the ledger's address, works it out each time (`_domainSeparatorV4`).
    bytes32 private immutable _CACHED_DOMAIN_SEPARATOR;
    address private immutable _CACHED_THIS;
    uint256 private immutable _CACHED_CHAIN_ID;

    /// @notice Works out the EIP-712 domain separator of the contract being deployed, once.
    constructor() {
        _CACHED_THIS = address(this);
        _CACHED_CHAIN_ID = block.chainid;
        _CACHED_DOMAIN_SEPARATOR = _buildDomainSeparator();
    }

    /// @dev The EIP-712 digest of a struct hash in this ledger's domain.
    function _hashTypedDataV4(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparatorV4(), structHash);
    }

    /// @dev This ledger's EIP-712 domain separator: the one worked out at deployment while the code runs at the
    /// address and chain it was worked out for (as OpenZeppelin's `EIP712` caches it), else worked out anew.
    function _domainSeparatorV4() internal view returns (bytes32) {
        if (address(this) == _CACHED_THIS && block.chainid == _CACHED_CHAIN_ID) return _CACHED_DOMAIN_SEPARATOR;
        return _buildDomainSeparator();
    }

    /// @dev The EIP-712 domain separator for the address running the code, on this chain.
    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256(bytes(_NAME)), keccak256(bytes(_VERSION)), block.chainid, address(this))
        );
    }

    /// @dev Hashes the order passed in and finds its purchase; reverts when the order was not bought.
    function _load(Order calldata order) internal view returns (bytes32 purchaseId, PurchaseState storage state) {
        purchaseId = _digest(order);
        state = _purchases[purchaseId];
        if (state.purchasedAt == 0) revert LedgerUnknownPurchase(purchaseId);
    }

    /// @dev Who bought the purchase.
    function _buyerOf(bytes32 purchaseId, Order calldata order, uint8 flags) internal view returns (address) {
        // slither-disable-next-line incorrect-equality (a bit of the purchase's flags, not a balance)
        return flags & _BUYER_STORED == 0 ? order.customer() : _buyers[purchaseId];
    }

    /// @dev What arrived in escrow for the purchase, credit included.
    function _paidOf(bytes32 purchaseId, Order calldata order, uint8 flags) internal view returns (uint256) {
        return flags & _PAID_STORED == 0 ? order.total : _paidShort[purchaseId];
    }

    /// @dev Reverts unless the caller bought the purchase; returns the buyer.
    function _checkCustomer(bytes32 purchaseId, Order calldata order, PurchaseState storage state)
        internal
        view
        returns (address buyer)
    {
        buyer = _buyerOf(purchaseId, order, state.flags);
        if (msg.sender != buyer) revert LedgerNotCustomer(purchaseId, msg.sender);
    }

    /// @dev Reverts for a purchase that is settled or has every line returned: nothing is left to act on.
    function _checkActive(bytes32 purchaseId, Order calldata order, PurchaseState memory state) internal pure {
        if (state.flags & _SETTLED != 0) revert LedgerAlreadySettled(purchaseId);
        uint32 all = _allLines(order.lineCount());
        if (state.returnedLines == all) revert LedgerAlreadyReturned(purchaseId, all);
    }

    /// @dev Checks a return inside the window; returns what is due for the lines, what was paid, and the
    /// state with the lines marked returned, for the caller to write with the refund.
    function _takeBack(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState storage state,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) internal view returns (uint256 due, uint256 paid, PurchaseState memory current) {
        current = state;
        paid = _paidOf(purchaseId, order, current.flags);
        due = _quoteReturn(purchaseId, order, current, lines, lineMask, paid);
        uint256 deadline = _deadline(order, current);
        if (block.timestamp >= deadline) revert LedgerReturnWindowClosed(purchaseId, deadline, block.timestamp);
        if (shipmentRef == bytes32(0) && order.itemMustBeReturned()) revert LedgerShipmentRequired(purchaseId);
        current.returnedLines |= lineMask;
    }

    /// @dev Refund for returning `lineMask`: the lines' share of what was paid, less the restocking fee,
    /// capped at what is left in escrow.
    function _quoteReturn(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState memory state,
        LineItem[] calldata lines,
        uint32 lineMask,
        uint256 paid
    ) internal pure returns (uint256) {
        uint256 share = _linesShare(purchaseId, order, state, lines, lineMask, paid);
        uint256 refund = share - share * order.restockingFeeBps() / _BPS;
        uint256 available = _inEscrow(state, paid);
        return refund < available ? refund : available;
    }

    /// @dev The share of what was paid that lines not yet returned stand for, after checking the selection.
    /// Without lines, the selection must be every line of a purchase with none returned: the share is all.
    function _linesShare(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState memory state,
        LineItem[] calldata lines,
        uint32 lineMask,
        uint256 paid
    ) internal pure returns (uint256) {
        uint256 count = order.lineCount();
        if (lineMask == 0 || (count < 32 && lineMask >> count != 0)) {
            revert LedgerInvalidLineSelection(purchaseId, lineMask, count);
        }
        uint32 again = state.returnedLines & lineMask;
        if (again != 0) revert LedgerAlreadyReturned(purchaseId, again);
        if (lines.length == 0) {
            if (lineMask != _allLines(count) || state.returnedLines != 0) revert LedgerLinesMismatch(purchaseId);
            return paid;
        }
        if (Orders.hashLines(lines) != order.linesHash) revert LedgerLinesMismatch(purchaseId);
        return _maskPrice(lines, lineMask) * paid / order.total;
    }

    /// @dev The list price of the lines in `lineMask` (lines checked against the order by the caller).
    function _maskPrice(LineItem[] calldata lines, uint32 lineMask) internal pure returns (uint256 price) {
        for (uint256 i; i < lines.length; ++i) {
            if ((uint256(lineMask) >> i) & 1 == 1) price += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
    }

    /// @dev The mask with a bit for each of `count` lines.
    function _allLines(uint256 count) internal pure returns (uint32) {
        return uint32((1 << count) - 1);
    }

    /// @dev First second at which returns close and settlement opens. Without returns that is the
    /// purchase itself; a window from delivery starts at the confirmed delivery or after the longest wait.
    function _deadline(Order calldata order, PurchaseState memory state) internal pure returns (uint256) {
        uint256 window = order.returnWindow();
        if (window == 0) return state.purchasedAt;
        uint256 start = state.purchasedAt;
        uint256 wait = order.deliveryWait();
        if (wait != 0) start += state.deliveredAfter != 0 ? state.deliveredAfter - 1 : wait;
        return start + window + uint256(state.extensionDays) * 1 days;
    }

    /// @dev What a purchase still holds in escrow.
    function _inEscrow(PurchaseState memory state, uint256 paid) internal pure returns (uint256) {
        return state.flags & _SETTLED != 0 ? 0 : paid - state.refunded;
    }

    /// @dev Gives `amount` of a purchase back to its buyer: the part paid with store credit as credit (with
    /// its money part), the rest as money.
    function _refund(bytes32 purchaseId, Order calldata order, uint8 flags, uint256 amount, uint256 paid) internal {
        address buyer = _buyerOf(purchaseId, order, flags);
        uint256 money = _refundCredit(purchaseId, order, flags, buyer, amount, paid);
        if (money != 0) _pay(order.token(), buyer, money);
    }

    /// @dev Gives the part of `amount` paid with store credit back to `buyer` as credit (with its money part);
    /// returns the rest, the money part.
    function _refundCredit(
        bytes32 purchaseId,
        Order calldata order,
        uint8 flags,
        address buyer,
        uint256 amount,
        uint256 paid
    ) internal returns (uint256 money) {
        money = _cashShare(purchaseId, flags, amount, paid);
        if (money != amount) {
            uint256 asCredit = amount - money;
            _addCredit(order.merchantId(), buyer, order.token(), asCredit, _creditCashBack(purchaseId, asCredit));
        }
    }

    /// @dev The part of `amount` that stands for money paid (not store credit), rounded down.
    function _cashShare(bytes32 purchaseId, uint8 flags, uint256 amount, uint256 paid) internal view returns (uint256) {
        // slither-disable-next-line incorrect-equality (a bit of the purchase's flags, not a balance)
        if (flags & _CREDIT_USED == 0) return amount;
        return amount * (paid - _creditUsed[purchaseId].amount) / paid;
    }

    /// @dev The money part of `asCredit` given back as credit for a purchase paid with credit, rounded down.
    function _creditCashBack(bytes32 purchaseId, uint256 asCredit) internal view returns (uint256) {
        // slither-disable-next-line incorrect-equality (no credit part means none to split, not a balance test)
        if (asCredit == 0) return 0;
        CreditUsed memory used = _creditUsed[purchaseId];
        return asCredit * used.cash / used.amount;
    }

    /// @dev Adds store credit, of which `cash` is money the customer paid, cashable from the shop's delay from
    /// now; credit already held keeps its date when that is earlier (added credit never moves it later).
    function _addCredit(uint64 merchantId, address customer, address token, uint256 amount, uint256 cash) internal {
        Credit storage held = _credit[merchantId][customer][token];
        Credit memory current = held;
        uint256 delay = _merchants[merchantId].creditCashOutDelay;
        uint40 cashableAt = delay == 0 ? type(uint40).max : uint40(block.timestamp + delay);
        held.amount = current.amount + uint128(amount);
        held.cash = current.cash + uint128(cash);
        if (current.amount == 0 || cashableAt < current.cashableAt) held.cashableAt = cashableAt;
    }

    /// @dev Pushes a payment to a merchant's payout; when that fails it is kept in the merchant's name.
    function _payMerchant(uint64 merchantId, address token, uint256 amount) internal {
        if (!_push(token, _merchants[merchantId].payout, amount)) {
            _merchantDeferred[merchantId][token] += amount;
            emit MerchantPaymentDeferred(merchantId, token, amount);
        }
    }

    /// @dev Pushes a payment; when the recipient rejects it (or a token refuses it or runs out of its gas)
    /// the amount is kept for the recipient to withdraw, so one bad address or token never blocks anyone.
    function _pay(address token, address to, uint256 amount) internal {
        if (!_push(token, to, amount)) {
            _deferred[token][to] += amount;
            emit PaymentDeferred(token, to, amount);
        }
    }

    /// @dev Sends with bounded gas; false when the recipient or token refused. A call is given at most 63/64
    /// of the gas left, so a caller could pick a gas limit that starves the push and have the payment deferred:
    /// when so little is left after a failed push that the recipient may not have had its full stipend, the
    /// transaction reverts instead.
    function _push(address token, address to, uint256 amount) internal returns (bool sent) {
        sent = _tryPush(token, to, amount);
        if (!sent && gasleft() < (token == address(0) ? _PUSH_GAS : _TOKEN_PUSH_GAS) / 63) {
            revert LedgerGasTooLowForPayment(to);
        }
    }

    /// @dev Sends with bounded gas and reads at most one word of what the recipient or token returns.
    function _tryPush(address token, address to, uint256 amount) private returns (bool sent) {
        if (token == address(0)) {
            assembly ("memory-safe") {
                sent := call(_PUSH_GAS, to, amount, 0, 0, 0, 0)
            }
            return sent;
        }
        bytes memory data = abi.encodeCall(IERC20.transfer, (to, amount));
        assembly ("memory-safe") {
            mstore(0, 0)
            sent := call(_TOKEN_PUSH_GAS, token, 0, add(data, 0x20), mload(data), 0, 0x20)
            // Success means no return data from a contract (old tokens) or a first word of exactly 1.
            switch returndatasize()
            case 0 { sent := and(sent, gt(extcodesize(token), 0)) }
            default { sent := and(sent, and(gt(returndatasize(), 0x1f), eq(mload(0), 1))) }
        }
    }

    /// @dev Sends with all the gas there is, reverting when that fails: for withdrawals the recipient asked for.
    function _send(address token, address to, uint256 amount) internal {
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }
}
