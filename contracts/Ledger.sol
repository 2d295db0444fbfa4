// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {LedgerBase} from "./base/LedgerBase.sol";
import {LedgerFeedback} from "./LedgerFeedback.sol";
import {ILedgerPurchases} from "./interfaces/ILedgerFeedback.sol";
import {Orders} from "./libraries/Orders.sol";

/// @title Ledger
/// @notice Purchase history a shop and its customers agree on. A purchase is an order the shop signed,
/// paid into escrow under return terms fixed in the order; inside the return window the customer is
/// refunded by the contract itself, with nobody's approval; after it, anyone can settle what was kept to
/// the merchant. Staff act within mandates the owner sets; store credit can always be cashed out in the end.
/// @dev The entry point and the money: it holds every purchase's escrow and runs the frequent calls
/// (buy, return, settle, contact) itself. Any other call goes on, one delegatecall away, to `LedgerModule`
/// (shops, staff and terms; goodwill, window extensions, store credit), which runs on this contract's storage.
/// `ILedger` declares every function of this address, the entry point's and the module's. A purchase is one
/// slot of state keyed by the order's EIP-712 digest; calls that act on a purchase pass the order back and the
/// contract hashes it again.
contract Ledger is LedgerBase, Proxy {
    using SafeERC20 for IERC20;
    using Orders for Order;

    /// @notice Largest number of lines in one order.
    uint256 public constant MAX_LINES = _MAX_LINES;

    /// @notice Basis points in 100 %.
    uint16 public constant BPS = _BPS;

    /// @notice Most days a purchase's return window can be extended by, in all.
    uint16 public constant MAX_EXTENSION_DAYS = _MAX_EXTENSION_DAYS;

    /// @notice EIP-712 type of a signed return request; the customer signs it, anyone may submit it.
    bytes32 public constant RETURN_REQUEST_TYPEHASH = _RETURN_REQUEST_TYPEHASH;

    /// @notice The module that gets the calls this contract does not implement (`LedgerModule`).
    address public immutable MODULE;

    /// @notice The feedback contract (reviews and scores of this ledger's purchases), made with the ledger.
    address public immutable FEEDBACK;

    /// @dev Sums a settlement batch pays: to a merchant (`merchantId` set) or to a referrer.
    struct Due {
        uint64 merchantId;
        address to;
        address token;
        uint256 amount;
        bytes32 key;
    }

    /// @dev Tags the transient slots where a settlement batch finds its sums: slot `keccak256(tag, merchant,
    /// recipient, token)` holds the sum's place in the batch plus one, so each purchase finds its two sums at a
    /// flat cost, however many merchants and referrers the batch pays (cleared before the batch ends).
    bytes32 private constant _DUE_TAG = keccak256("Ledger.settle.due");

    /// @dev The bits of the packed order no field uses (`ILedgerTypes.Order`): head bits 17-23 (the rest of the
    /// `itemMustBeReturned` byte).
    uint256 private constant _UNUSED_HEAD_BITS = 0xFE << 16;

    /// @notice Deploys the ledger in front of its modules.
    /// @param module The `LedgerModule`.
    constructor(address module) {
        MODULE = module;
        FEEDBACK = address(new LedgerFeedback(ILedgerPurchases(address(this))));
    }

    // ------------------------------------------------------------------ purchases

    /// @notice Buys an order the merchant's owner or one of its agents signed, paying into escrow.
    /// @dev For an ERC-20 token the caller must have approved this contract for what is due; what actually
    /// arrives is recorded as paid. For the native currency `msg.value` must equal what is due.
    /// @param order The order, as signed.
    /// @param lines Its line items (they must hash to `order.linesHash` and add up to `order.total`).
    /// @param credit Store credit at this merchant to pay with (in the order's token); the rest is paid as usual.
    /// @param signature The staff signature: from an account 64 bytes (EIP-2098 r, vs) or 65 (r, s, v); from a
    /// contract wallet `abi.encode(wallet, payload)`, with what its ERC-1271 `isValidSignature` accepts as
    /// payload (at least 96 bytes, so never read as an account's).
    /// @return purchaseId The order's digest, the new purchase's id.
    function buy(Order calldata order, LineItem[] calldata lines, uint256 credit, bytes calldata signature)
        external
        payable
        nonReentrant
        returns (bytes32 purchaseId)
    {
        purchaseId = _open(order, lines, credit, signature);
        _collectRest(purchaseId, order, credit);
    }

    /// @notice Exchanges lines of the caller's purchase for a new order from the same shop in the same token,
    /// in one transaction ("here is a new one"): the lines are returned as by `returnItems` (inside the window,
    /// restocking fee and all), and what that refunds pays the new order without leaving escrow (the part paid
    /// with store credit as credit, first); the caller pays any difference (as for `buy`) or gets what is left
    /// over back. The new purchase has its own return window under its own terms.
    /// @param order The order of the purchase returned, as bought.
    /// @param lines Its line items (may be empty as for `returnItems`).
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @param newOrder The new order, signed by the shop's staff as for `buy`.
    /// @param newLines Its line items.
    /// @param signature The staff signature of the new order (as for `buy`).
    /// @return newPurchaseId The new purchase's id.
    function exchange(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef,
        Order calldata newOrder,
        LineItem[] calldata newLines,
        bytes calldata signature
    ) external payable nonReentrant returns (bytes32 newPurchaseId) {
        (bytes32 purchaseId, uint256 money, uint256 asCredit) = _returnForExchange(order, lines, lineMask, shipmentRef);
        if (newOrder.merchantId() != order.merchantId() || newOrder.token() != order.token()) {
            revert LedgerExchangeMismatch(purchaseId, _digest(newOrder));
        }
        newPurchaseId = _buyWithRefund(newOrder, newLines, signature, money, asCredit);
        emit Exchanged(purchaseId, newPurchaseId, money + asCredit);
    }

    /// @notice Records that the merchant delivered, now, a purchase whose window runs from delivery: the
    /// window starts now and runs its full length. Once, and only before the longest wait is over (after it
    /// the window already runs). Owner or agent. A delivery cannot be dated back: a confirmation never
    /// leaves the customer less than the terms' full window from the moment it is given.
    /// @param order The order, as bought.
    function confirmDelivery(Order calldata order) external {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        uint64 merchantId = order.merchantId();
        _checkAgent(merchantId);
        PurchaseState memory current = state;
        _checkActive(purchaseId, order, current);
        uint256 wait = order.deliveryWait();
        if (wait == 0 || current.deliveredAfter != 0 || block.timestamp >= current.purchasedAt + wait) {
            revert LedgerInvalidDelivery(purchaseId, block.timestamp);
        }
        state.deliveredAfter = uint32(block.timestamp - current.purchasedAt + 1);
        emit DeliveryConfirmed(purchaseId, merchantId, uint40(block.timestamp));
    }

    /// @notice Returns some or all lines of the caller's purchase inside the return window and pays the
    /// refund (line prices less the restocking fee) straight from escrow; the part paid with store credit
    /// comes back as credit.
    /// @param order The order, as bought.
    /// @param lines Its line items; may be empty when returning every line of a purchase with none returned yet.
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @return refund Amount refunded.
    function returnItems(Order calldata order, LineItem[] calldata lines, uint32 lineMask, bytes32 shipmentRef)
        external
        nonReentrant
        returns (uint256 refund)
    {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkCustomer(purchaseId, order, state);
        return _returnItems(purchaseId, order, state, lines, lineMask, shipmentRef);
    }

    /// @notice Returns lines on the customer's behalf with its EIP-712 signature, so a customer without gas
    /// can be refunded: anyone may submit; the refund goes to the customer.
    /// @param order The order, as bought.
    /// @param lines Its line items (may be empty as for `returnItems`).
    /// @param request What the customer signed (with the purchase id, see `RETURN_REQUEST_TYPEHASH`).
    /// @param signature The customer's signature of the request (ECDSA, or ERC-1271 for a contract).
    /// @return refund Amount refunded.
    function returnItemsBySig(
        Order calldata order,
        LineItem[] calldata lines,
        ReturnRequest calldata request,
        bytes calldata signature
    ) external nonReentrant returns (uint256 refund) {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkReturnRequest(purchaseId, _buyerOf(purchaseId, order, state.flags), request, signature);
        return _returnItems(purchaseId, order, state, lines, request.lineMask, request.shipmentRef);
    }

    /// @notice Cancels a nonce the caller signed a request with (or may), so that request can never be used.
    /// @param nonce The nonce.
    function cancelNonce(uint256 nonce) external {
        _useNonce(msg.sender, nonce);
        emit NonceCancelled(msg.sender, nonce);
    }

    /// @notice Pays what was not refunded to each merchant for purchases whose return window has closed,
    /// summed per merchant and per referrer. Passes over (with `SettlementSkipped`) what it cannot settle,
    /// so a purchase settled by someone else in the meantime does not undo the batch. Anyone may call it.
    /// @param orders The orders, as bought.
    /// @return settled How many purchases were settled.
    function settle(Order[] calldata orders) external nonReentrant returns (uint256 settled) {
        Due[] memory dues = new Due[](orders.length * 2);
        uint256 dueCount;
        for (uint256 i; i < orders.length; ++i) {
            Order calldata order = orders[i];
            bytes32 purchaseId = _digest(order);
            PurchaseState storage state = _purchases[purchaseId];
            PurchaseState memory current = state;
            (bool ready, SkipReason skip) = _settleable(order, current);
            if (!ready) {
                emit SettlementSkipped(purchaseId, skip);
                continue;
            }
            uint256 kept = _inEscrow(current, _paidOf(purchaseId, order, current.flags));
            if (current.flags & _BONUS_PENDING != 0) kept = _creditPendingBonus(purchaseId, order, current, kept);
            uint256 commission = kept * order.referralBps() / _BPS;
            state.flags = current.flags | _SETTLED;
            ++settled;
            emit Settled(purchaseId, order.merchantId(), order.referrer(), kept - commission, commission);
            dueCount = _addDue(dues, dueCount, order.merchantId(), address(0), order.token(), kept - commission);
            dueCount = _addDue(dues, dueCount, 0, order.referrer(), order.token(), commission);
        }
        for (uint256 i; i < dueCount; ++i) {
            Due memory due = dues[i];
            bytes32 key = due.key;
            assembly ("memory-safe") {
                tstore(key, 0)
            }
            if (due.merchantId != 0) _payMerchant(due.merchantId, due.token, due.amount);
            else _pay(due.token, due.to, due.amount);
        }
    }

    // ------------------------------------------------------------------ contacts

    /// @notice Logs a contact moment: the merchant's owner or an agent logs one with a customer, or a
    /// customer logs its own (`customer` is the caller). Nothing is stored: it is an event.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param purchaseId The purchase it was about, or zero.
    /// @param channel How they were in touch.
    /// @param kind What it was about.
    /// @param occurredAt When it happened; 0 means now.
    /// @param contentHash Hash of the conversation, kept off chain.
    function logContact(
        uint64 merchantId,
        address customer,
        bytes32 purchaseId,
        Channel channel,
        ContactKind kind,
        uint40 occurredAt,
        bytes32 contentHash
    ) external {
        if (customer == address(0)) revert LedgerInvalidAddress(customer);
        bool byStaff = customer != msg.sender;
        if (byStaff) _checkAgent(merchantId);
        if (occurredAt == 0) {
            occurredAt = uint40(block.timestamp);
            if (!byStaff) _registeredAt(merchantId);
        } else {
            if (occurredAt > block.timestamp) revert LedgerTimeInFuture(occurredAt, block.timestamp);
            uint256 since = _registeredAt(merchantId);
            if (occurredAt < since) revert LedgerTimeBeforeShop(occurredAt, since);
        }
        emit ContactLogged(merchantId, customer, purchaseId, msg.sender, channel, kind, occurredAt, contentHash);
    }

    /// @dev When the merchant was registered; reverts for an unknown merchant.
    function _registeredAt(uint64 merchantId) private view returns (uint256 since) {
        since = _merchants[merchantId].registeredAt;
        // slither-disable-next-line incorrect-equality (zero means no such merchant, not a balance)
        if (since == 0) revert LedgerUnknownMerchant(merchantId);
    }

    // ------------------------------------------------------------------ money owed

    /// @notice Sends the caller's deferred payments in `token` to `to`.
    /// @param token The token (address(0) for the native currency).
    /// @param to Where to send them.
    function withdraw(address token, address to) external nonReentrant {
        _checkRecipient(to);
        uint256 amount = _deferred[token][msg.sender];
        if (amount == 0) revert LedgerNothingToWithdraw(token, msg.sender);
        delete _deferred[token][msg.sender];
        emit Withdrawn(token, msg.sender, to, amount);
        _send(token, to, amount);
    }

    /// @notice Sends a merchant's deferred payments in `token` to its current payout address (which may
    /// have changed since they were deferred). Anyone may call it.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function withdrawMerchant(uint64 merchantId, address token) external nonReentrant {
        uint256 amount = _merchantDeferred[merchantId][token];
        address payout = _merchants[merchantId].payout;
        if (amount == 0) revert LedgerNothingToWithdraw(token, payout);
        delete _merchantDeferred[merchantId][token];
        emit Withdrawn(token, payout, payout, amount);
        _send(token, payout, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice The changing state of a purchase (all zero for an order not bought).
    /// @param purchaseId The purchase.
    function purchaseState(bytes32 purchaseId) external view returns (PurchaseState memory) {
        return _purchases[purchaseId];
    }

    /// @notice The purchase a shop's order reference was paid with; zero while it was not.
    /// @param merchantId The merchant.
    /// @param orderRef The order reference (a hash of the shop's order number).
    function purchaseOfOrderRef(uint64 merchantId, bytes32 orderRef) external view returns (bytes32) {
        return _orderRefs[merchantId][orderRef];
    }

    /// @notice The id a purchase of `order` has: the order's EIP-712 digest.
    /// @param order The order.
    function purchaseIdOf(Order calldata order) external view returns (bytes32) {
        return _digest(order);
    }

    /// @notice A purchase's id, buyer, merchant and what was paid; reverts when the order was not bought.
    /// @param order The order, as bought.
    function purchaseOf(Order calldata order)
        external
        view
        returns (bytes32 purchaseId, address customer, uint64 merchantId, uint256 paid)
    {
        PurchaseState storage state;
        (purchaseId, state) = _load(order);
        uint8 flags = state.flags;
        return (purchaseId, _buyerOf(purchaseId, order, flags), order.merchantId(), _paidOf(purchaseId, order, flags));
    }

    /// @notice The first second at which returns are no longer accepted and settlement may happen.
    /// @param order The order, as bought.
    function returnDeadline(Order calldata order) external view returns (uint256) {
        (, PurchaseState storage state) = _load(order);
        return _deadline(order, state);
    }

    /// @notice What returning `lineMask` would refund now, with the same checks as `returnItems` but for
    /// the caller and the window.
    /// @param order The order, as bought.
    /// @param lines Its line items (may be empty as for `returnItems`).
    /// @param lineMask Bit i set returns line i.
    function quoteReturn(Order calldata order, LineItem[] calldata lines, uint32 lineMask)
        external
        view
        returns (uint256)
    {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        PurchaseState memory current = state;
        uint256 paid = _paidOf(purchaseId, order, current.flags);
        return _quoteReturn(purchaseId, order, current, lines, lineMask, paid);
    }

    /// @notice Payments kept for an account because pushing them failed.
    /// @param token The token (address(0) for the native currency).
    /// @param account The account.
    function deferredBalance(address token, address account) external view returns (uint256) {
        return _deferred[token][account];
    }

    /// @notice The EIP-712 domain orders and return requests are signed in (ERC-5267).
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
        )
    {
        return (hex"0f", _NAME, _VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @notice Whether a signed request's nonce was used or cancelled.
    /// @param account The signer.
    /// @param nonce The nonce.
    function nonceUsed(address account, uint256 nonce) external view returns (bool) {
        return _nonces[account][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    // ------------------------------------------------------------------ internal: orders

    /// @dev Checks what an order says against the chain and the caller: expiry, customer, lines, terms,
    /// token and referrer.
    function _checkOrder(bytes32 purchaseId, Order calldata order, LineItem[] calldata lines) private view {
        // Bits of the packed order that no field uses are not hashed: set, they would make the purchase's event
        // say something the shop never signed.
        if (order.head & _UNUSED_HEAD_BITS != 0) {
            revert LedgerUnusedOrderBits(purchaseId);
        }
        if (block.timestamp > order.expiry()) revert LedgerOrderExpired(order.expiry(), block.timestamp);
        address customer = order.customer();
        if (customer != address(0) && customer != msg.sender) {
            revert LedgerNotOrderCustomer(purchaseId, customer, msg.sender);
        }
        uint256 count = lines.length;
        if (count == 0 || count > _MAX_LINES || count != order.lineCount()) revert LedgerLineCount(count, _MAX_LINES);
        // slither-disable-next-line uninitialized-local (a sum: starts at zero on purpose)
        uint256 total;
        for (uint256 i; i < count; ++i) {
            if (lines[i].quantity == 0) revert LedgerInvalidLine(i);
            total += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        if (total == 0) revert LedgerZeroAmount();
        if (total > type(uint128).max) revert LedgerAmountTooLarge(total, type(uint128).max);
        if (total != order.total || Orders.hashLines(lines) != order.linesHash) {
            revert LedgerLinesMismatch(purchaseId);
        }

        uint64 termsId = order.termsId();
        Terms memory applied = _terms[termsId];
        if (applied.merchantId != order.merchantId()) revert LedgerUnknownTerms(termsId);
        if (applied.retired) revert LedgerTermsRetired(termsId);
        if (
            applied.returnWindow != order.returnWindow() || applied.restockingFeeBps != order.restockingFeeBps()
                || applied.deliveryWait != order.deliveryWait()
                || applied.itemMustBeReturned != order.itemMustBeReturned()
        ) revert LedgerTermsMismatch(termsId);

        address token = order.token();
        if (token != address(0) && !_accepts[applied.merchantId][token]) {
            revert LedgerTokenNotAccepted(applied.merchantId, token);
        }
        address referrer = order.referrer();
        // The ledger's own contracts can never withdraw: a commission to one would be stuck for good.
        if (
            referrer == address(this) || referrer == MODULE || referrer == FEEDBACK || referrer == msg.sender
                || (referrer == address(0) ? order.referralBps() != 0 : order.referralBps() > _BPS)
        ) revert LedgerInvalidReferrer(referrer);
    }

    /// @dev The buying half of an exchange: the order is paid with the returned lines' credit part (as credit)
    /// and money part (still in escrow) first, the caller pays the rest, and what is left over goes back.
    function _buyWithRefund(
        Order calldata order,
        LineItem[] calldata lines,
        bytes calldata signature,
        uint256 money,
        uint256 asCredit
    ) private returns (bytes32 purchaseId) {
        uint256 total = order.total;
        uint256 credit = asCredit < total ? asCredit : total;
        purchaseId = _open(order, lines, credit, signature);
        uint256 applied = money < total - credit ? money : total - credit;
        _collectRest(purchaseId, order, credit + applied);
        if (money != applied) _pay(order.token(), msg.sender, money - applied);
    }

    /// @dev Checks an order and opens its purchase for the caller, paying `credit` of it with the caller's store
    /// credit; the rest is collected by `_collectRest`.
    function _open(Order calldata order, LineItem[] calldata lines, uint256 credit, bytes calldata signature)
        private
        returns (bytes32 purchaseId)
    {
        purchaseId = _digest(order);
        uint64 merchantId = order.merchantId();
        _checkOrder(purchaseId, order, lines);
        _checkOrderSigner(purchaseId, order, merchantId, signature);
        if (_purchases[purchaseId].purchasedAt != 0) revert LedgerPurchaseExists(purchaseId);
        _useOrderRef(purchaseId, merchantId, order.orderRef);

        // slither-disable-next-line uninitialized-local (no flags until set just below)
        uint8 flags;
        if (order.customer() == address(0)) {
            flags = _BUYER_STORED;
            _buyers[purchaseId] = msg.sender;
        }
        if (credit != 0) {
            flags |= _CREDIT_USED;
            _spendCredit(purchaseId, merchantId, order, credit);
        }
        _purchases[purchaseId] = PurchaseState({
            refunded: 0,
            purchasedAt: uint40(block.timestamp),
            deliveredAfter: 0,
            returnedLines: 0,
            extensionDays: 0,
            flags: flags
        });
        _emitPurchase(purchaseId, order, lines);
    }

    /// @dev Collects what is still due for a purchase just opened, `inEscrow` of it being there already (store
    /// credit, or what an exchange's return moved), and records what arrived when less did.
    function _collectRest(bytes32 purchaseId, Order calldata order, uint256 inEscrow) private {
        uint256 paid = _collect(order.token(), order.total - inEscrow) + inEscrow;
        if (paid != order.total) {
            PurchaseState storage state = _purchases[purchaseId];
            state.flags |= _PAID_STORED;
            _paidShort[purchaseId] = paid;
            emit PaidShort(purchaseId, paid);
        }
    }

    /// @dev Marks the shop's order reference paid, once per shop: a checkout that signs the same order number
    /// twice (a reloaded page, a second tab) gets one purchase, not two. A zero reference marks nothing.
    function _useOrderRef(bytes32 purchaseId, uint64 merchantId, bytes32 orderRef) private {
        if (orderRef == bytes32(0)) return;
        bytes32 earlier = _orderRefs[merchantId][orderRef];
        if (earlier != bytes32(0)) revert LedgerOrderRefUsed(merchantId, orderRef, earlier);
        _orderRefs[merchantId][orderRef] = purchaseId;
    }

    /// @dev Emits the purchase with everything needed to pass its order back.
    function _emitPurchase(bytes32 purchaseId, Order calldata order, LineItem[] calldata lines) private {
        emit PurchaseRecorded(
            purchaseId, order.merchantId(), msg.sender, order.head, order.payment, order.referral, order.orderRef, lines
        );
    }

    /// @dev Reverts unless the merchant's owner or an agent signed the order, in the staff generation the order
    /// names: an account's signature (64-byte EIP-2098 or 65-byte), or a contract wallet's
    /// `abi.encode(wallet, payload)` (at least 96 bytes, a whole number of words) with what its ERC-1271 check
    /// accepts as payload. An agent's order carries referral commission only within the agent's mandate, to a
    /// referrer the owner approved: an agent sets prices, but does not divert revenue to a wallet of its own.
    function _checkOrderSigner(bytes32 purchaseId, Order calldata order, uint64 merchantId, bytes calldata signature)
        private
        view
    {
        // slither-disable-next-line uninitialized-local (stays zero for a malformed signature: refused below)
        address signer;
        // slither-disable-next-line uninitialized-local (stays false for a malformed signature: refused below)
        bool valid;
        if (signature.length == 64) {
            // slither-disable-next-line unused-return (every error comes with signer zero, checked below)
            (signer,,) = ECDSA.tryRecover(purchaseId, bytes32(signature[:32]), bytes32(signature[32:]));
            valid = signer != address(0);
        } else if (signature.length == 65) {
            // slither-disable-next-line unused-return (every error comes with signer zero, checked below)
            (signer,,) = ECDSA.tryRecoverCalldata(purchaseId, signature);
            valid = signer != address(0);
        } else if (signature.length > 95 && signature.length % 32 == 0) {
            (address wallet, bytes memory payload) = abi.decode(signature, (address, bytes));
            // Exactly the two values in the standard encoding, so one signature has one reading.
            uint256 padding = (32 - payload.length % 32) % 32;
            if (uint256(bytes32(signature[32:64])) == 64 && signature.length == 96 + payload.length + padding) {
                valid = SignatureChecker.isValidERC1271SignatureNow(wallet, purchaseId, payload);
                // Not a wallet's signature (or not this wallet's): report it as malformed, naming no one.
                if (valid) signer = wallet;
            }
        }
        Staff memory staff = _staff[merchantId][signer];
        if (!valid || staff.role == Role.None) revert LedgerInvalidOrderSignature(purchaseId, signer);
        if (staff.generation != order.signerGeneration()) {
            revert LedgerStaleOrderSigner(purchaseId, signer, order.signerGeneration(), staff.generation);
        }
        uint256 commission = order.referralBps();
        if (staff.role == Role.Agent && commission != 0) {
            address referrer = order.referrer();
            uint256 allowed = _approvedReferrers[merchantId][referrer] ? staff.maxReferralBps : 0;
            if (commission > allowed) {
                revert LedgerReferralNotAllowed(purchaseId, signer, referrer, commission, allowed);
            }
        }
    }

    // ------------------------------------------------------------------ internal: purchases

    /// @dev The refund and its bookkeeping, once the caller's right to return has been checked.
    function _returnItems(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState storage state,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) private returns (uint256 refund) {
        (uint256 due, uint256 paid, PurchaseState memory current) =
            _takeBack(purchaseId, order, state, lines, lineMask, shipmentRef);
        refund = due;
        state.refunded = current.refunded + uint128(refund);
        state.returnedLines = current.returnedLines;
        emit ItemsReturned(purchaseId, lineMask, refund, shipmentRef);
        _refund(purchaseId, order, current.flags, refund, paid);
    }

    /// @dev The return half of an exchange, for the caller's purchase: the lines are booked returned and the
    /// part of the refund paid with store credit is given back as credit; returns the money part, which stays
    /// in escrow for the new order, and the credit part.
    function _returnForExchange(Order calldata order, LineItem[] calldata lines, uint32 lineMask, bytes32 shipmentRef)
        private
        returns (bytes32 purchaseId, uint256 money, uint256 asCredit)
    {
        PurchaseState storage state;
        (purchaseId, state) = _load(order);
        _checkCustomer(purchaseId, order, state);
        (uint256 due, uint256 paid, PurchaseState memory current) =
            _takeBack(purchaseId, order, state, lines, lineMask, shipmentRef);
        state.refunded = current.refunded + uint128(due);
        state.returnedLines = current.returnedLines;
        emit ItemsReturned(purchaseId, lineMask, due, shipmentRef);
        money = _refundCredit(purchaseId, order, current.flags, msg.sender, due, paid);
        asCredit = due - money;
    }

    /// @dev Whether a purchase can be settled now, and if not, why.
    function _settleable(Order calldata order, PurchaseState memory state)
        private
        view
        returns (bool ready, SkipReason reason)
    {
        if (state.purchasedAt == 0) return (false, SkipReason.Unknown);
        if (state.flags & _SETTLED != 0) return (false, SkipReason.AlreadySettled);
        if (block.timestamp >= _deadline(order, state)) return (true, reason);
        uint256 wait = order.deliveryWait();
        if (wait != 0 && state.deliveredAfter == 0 && block.timestamp < state.purchasedAt + wait) {
            return (false, SkipReason.AwaitingDelivery);
        }
        return (false, SkipReason.WindowOpen);
    }

    // ------------------------------------------------------------------ internal: money

    /// @dev Gives a settling purchase's credit bonus still owed, out of what the merchant keeps (at most that),
    /// as credit to the buyer; returns what the merchant keeps after it.
    function _creditPendingBonus(bytes32 purchaseId, Order calldata order, PurchaseState memory state, uint256 kept)
        private
        returns (uint256)
    {
        uint256 bonus = _pendingBonus[purchaseId];
        delete _pendingBonus[purchaseId];
        if (bonus > kept) bonus = kept;
        // slither-disable-next-line incorrect-equality (nothing left to give is skipped, not a balance test)
        if (bonus == 0) return kept;
        address buyer = _buyerOf(purchaseId, order, state.flags);
        _purchases[purchaseId].refunded = state.refunded + uint128(bonus);
        emit BonusCredited(purchaseId, order.merchantId(), buyer, bonus);
        _addCredit(order.merchantId(), buyer, order.token(), bonus, 0);
        return kept - bonus;
    }

    /// @dev Takes store credit for a purchase, the bonus part first, and records what it was.
    function _spendCredit(bytes32 purchaseId, uint64 merchantId, Order calldata order, uint256 credit) private {
        if (credit > order.total) revert LedgerWrongPayment(order.total, credit);
        Credit storage held = _credit[merchantId][msg.sender][order.token()];
        Credit memory current = held;
        if (credit > current.amount) revert LedgerInsufficientCredit(merchantId, order.token(), credit, current.amount);
        uint256 bonus = current.amount - current.cash;
        uint256 cash = credit > bonus ? credit - bonus : 0;
        held.amount = current.amount - uint128(credit);
        held.cash = current.cash - uint128(cash);
        _creditUsed[purchaseId] = CreditUsed(uint128(credit), uint128(cash));
        emit CreditSpent(purchaseId, merchantId, msg.sender, credit, cash);
    }

    /// @dev Takes `due` from the caller in `token`; returns what arrived (less than `due` for a
    /// fee-on-transfer token), never more than `due`: a token whose balance rises by more (one that lies about
    /// balances, or mints on transfer) gives its buyer no claim on other purchases' escrow in that token.
    function _collect(address token, uint256 due) private returns (uint256) {
        if (token == address(0)) {
            if (msg.value != due) revert LedgerWrongPayment(due, msg.value);
            return due;
        }
        if (msg.value != 0) revert LedgerWrongPayment(0, msg.value);
        // slither-disable-next-line incorrect-equality (nothing due, all paid from escrow or credit: no transfer)
        if (due == 0) return 0;
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), due);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        // slither-disable-next-line incorrect-equality (nothing arrived is exactly zero: refused on purpose)
        if (received == 0) revert LedgerZeroAmount();
        return received < due ? received : due;
    }

    /// @dev Adds `amount` for `to` (a referrer) or merchant `merchantId` in `token` to a batch's sums, found
    /// through transient storage (`_DUE_TAG`).
    function _addDue(Due[] memory dues, uint256 count, uint64 merchantId, address to, address token, uint256 amount)
        private
        returns (uint256)
    {
        // slither-disable-next-line incorrect-equality (a zero sum is skipped, not compared with a balance)
        if (amount == 0) return count;
        bytes32 key = keccak256(abi.encode(_DUE_TAG, merchantId, to, token));
        uint256 place;
        assembly ("memory-safe") {
            place := tload(key)
        }
        if (place != 0) {
            dues[place - 1].amount += amount;
            return count;
        }
        dues[count] = Due(merchantId, to, token, amount, key);
        assembly ("memory-safe") {
            tstore(key, add(count, 1))
        }
        return count + 1;
    }

    /// @dev Reverts unless `buyer` signed `request` for the purchase in time with a fresh nonce, which it uses up.
    function _checkReturnRequest(
        bytes32 purchaseId,
        address buyer,
        ReturnRequest calldata request,
        bytes calldata signature
    ) private {
        if (block.timestamp > request.deadline) revert LedgerSignatureExpired(request.deadline, block.timestamp);
        _useNonce(buyer, request.nonce);
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _RETURN_REQUEST_TYPEHASH,
                    purchaseId,
                    request.lineMask,
                    request.shipmentRef,
                    request.nonce,
                    request.deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(buyer, digest, signature)) {
            revert LedgerInvalidSignature(purchaseId, buyer);
        }
    }

    /// @dev Marks a nonce of `account` used; reverts when it already was.
    function _useNonce(address account, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _nonces[account][nonce >> 8];
        if (bits & bit != 0) revert LedgerNonceUsed(account, nonce);
        _nonces[account][nonce >> 8] = bits | bit;
    }

    /// @dev Where calls this contract does not implement go: the module.
    function _implementation() internal view override returns (address) {
        return MODULE;
    }
}
