// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LedgerBase} from "./base/LedgerBase.sol";
import {Orders} from "./libraries/Orders.sol";

/// @title LedgerService
/// @notice The ledger's module for customer service: goodwill refunds and "keep it" refunds within an
/// agent's budget, return-window extensions within its mandate, and store credit (returns for credit and
/// cashing it out).
/// @dev Runs only by delegatecall from `Ledger` (through `LedgerShops`), on the ledger's storage. Called
/// directly it would act on its own empty storage, which holds no money.
contract LedgerService is LedgerBase {
    using Orders for Order;

    // ------------------------------------------------------------------ staff mandates

    /// @notice Refunds a customer out of what is still in escrow for a purchase, at any time before
    /// settlement. The owner may refund freely; an agent within its goodwill budget for the token.
    /// @param order The order, as bought.
    /// @param amount Amount to refund.
    /// @param reason Why.
    /// @param note Hash of a note, kept off chain.
    function goodwillRefund(Order calldata order, uint256 amount, Reason reason, bytes32 note) external nonReentrant {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _useMandate(order.merchantId(), order.token(), amount);
        _goodwill(purchaseId, order, state, amount, 0, reason, note);
    }

    /// @notice Refunds lines while the customer keeps them ("keep it"): their share of what was paid, no
    /// restocking fee, no return needed; the lines count as returned. Owner, or an agent within its budget.
    /// @param order The order, as bought.
    /// @param lines Its line items.
    /// @param lineMask Bit i set refunds line i.
    /// @param reason Why.
    function refundWithoutReturn(Order calldata order, LineItem[] calldata lines, uint32 lineMask, Reason reason)
        external
        nonReentrant
    {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        PurchaseState memory current = state;
        uint256 paid = _paidOf(purchaseId, order, current.flags);
        uint256 amount = _linesShare(purchaseId, order, current, lines, lineMask, paid);
        uint256 available = _inEscrow(current, paid);
        if (amount > available) amount = available;
        _useMandate(order.merchantId(), order.token(), amount);
        state.returnedLines = current.returnedLines | lineMask;
        _goodwill(purchaseId, order, state, amount, lineMask, reason, bytes32(0));
    }

    /// @notice Adds days to one purchase's open return window: an agent up to its mandate's days per
    /// purchase (counting what was added before), the owner up to `MAX_EXTENSION_DAYS`. Never for terms
    /// without returns, and never once the window has closed (see `setWindowExtension`).
    /// @param order The order, as bought.
    /// @param extraDays Days to add.
    /// @param reason Why.
    function extendWindow(Order calldata order, uint16 extraDays, Reason reason) external {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        Staff memory staff = _staff[order.merchantId()][msg.sender];
        if (staff.role == Role.None) _checkAgent(order.merchantId());
        PurchaseState memory current = state;
        _checkActive(purchaseId, order, current);
        if (order.returnWindow() == 0) revert LedgerNoReturns(purchaseId);
        if (extraDays == 0) revert LedgerZeroAmount();
        uint256 deadline = _deadline(order, current);
        if (block.timestamp >= deadline) revert LedgerReturnWindowClosed(purchaseId, deadline, block.timestamp);
        uint256 limit = staff.role == Role.Owner ? MAX_EXTENSION_DAYS : staff.maxExtensionDays;
        _setExtension(purchaseId, order, state, uint256(current.extensionDays) + extraDays, limit, reason);
    }

    /// @notice Sets the days added to a purchase's return window to more than they are, up to
    /// `MAX_EXTENSION_DAYS`: reopens a closed window, or extends an open one without a mandate. Never fewer:
    /// an extension given is the customer's, and no one takes it back. Owner only.
    /// @param order The order, as bought.
    /// @param extensionDays Total days added to the window.
    /// @param reason Why.
    function setWindowExtension(Order calldata order, uint16 extensionDays, Reason reason) external {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkOwner(order.merchantId());
        PurchaseState memory current = state;
        _checkActive(purchaseId, order, current);
        if (extensionDays <= current.extensionDays) {
            revert LedgerExtensionNotLonger(purchaseId, extensionDays, current.extensionDays);
        }
        _setExtension(purchaseId, order, state, extensionDays, MAX_EXTENSION_DAYS, reason);
    }

    // ------------------------------------------------------------------ store credit

    /// @notice Returns lines of the caller's purchase inside the window for store credit at the same
    /// merchant instead of money, plus the merchant's bonus on the money part, out of what it would keep.
    /// @param order The order, as bought.
    /// @param lines Its line items (may be empty as for `returnItems`).
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @return credited Credit added, bonus included.
    function returnItemsForCredit(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external nonReentrant returns (uint256 credited) {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkCustomer(purchaseId, order, state);
        (uint256 amount, uint256 paid, PurchaseState memory current) =
            _takeBack(purchaseId, order, state, lines, lineMask, shipmentRef);
        credited = _issueCredit(purchaseId, order, state, current, amount, paid, lineMask);
    }

    /// @notice Takes the money part of the caller's store credit at a merchant out, once the shop has no
    /// active terms or its stated delay since the credit was last issued has passed. The bonus part goes
    /// back to the merchant.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function cashOutCredit(uint64 merchantId, address token) external nonReentrant {
        Credit memory held = _credit[merchantId][msg.sender][token];
        if (held.amount == 0) revert LedgerNothingToWithdraw(token, msg.sender);
        Merchant storage shop = _merchants[merchantId];
        if (shop.activeTerms != 0) {
            uint256 delay = shop.creditCashOutDelay;
            uint256 availableAt = delay == 0 ? type(uint256).max : held.issuedAt + delay;
            if (block.timestamp < availableAt) revert LedgerCreditLocked(merchantId, availableAt);
        }
        delete _credit[merchantId][msg.sender][token];
        uint256 bonus = held.amount - held.cash;
        emit CreditCashedOut(merchantId, msg.sender, token, held.cash, bonus);
        if (held.cash != 0) _pay(token, msg.sender, held.cash);
        if (bonus != 0) _payMerchant(merchantId, token, bonus);
    }

    /// @notice Store credit a customer holds at a merchant, in a token.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param token The token (address(0) for the native currency).
    function creditOf(uint64 merchantId, address customer, address token) external view returns (Credit memory) {
        return _credit[merchantId][customer][token];
    }

    /// @notice Store credit a purchase was paid with.
    /// @param purchaseId The purchase.
    function creditUsedOf(bytes32 purchaseId) external view returns (CreditUsed memory) {
        return _creditUsed[purchaseId];
    }

    // ------------------------------------------------------------------ internal

    /// @dev Checks the caller may act for the merchant and, for an agent, takes `amount` from its budget.
    function _useMandate(uint64 merchantId, address token, uint256 amount) private {
        Staff memory staff = _staff[merchantId][msg.sender];
        if (staff.role == Role.Owner) return;
        if (staff.role == Role.None) _checkAgent(merchantId);
        Budget storage budget = _budgets[merchantId][msg.sender][token];
        Budget memory held = budget;
        uint256 available = held.generation == staff.generation ? held.amount : 0;
        if (amount > available) revert LedgerBudgetExceeded(merchantId, msg.sender, token, amount, available);
        budget.amount = uint128(available - amount);
    }

    /// @dev Sets a purchase's total extension within `limit` days.
    function _setExtension(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState storage state,
        uint256 extensionDays,
        uint256 limit,
        Reason reason
    ) private {
        if (order.returnWindow() == 0) revert LedgerNoReturns(purchaseId);
        if (limit > MAX_EXTENSION_DAYS) limit = MAX_EXTENSION_DAYS;
        if (extensionDays > limit) revert LedgerExtensionTooLong(purchaseId, extensionDays, limit);
        state.extensionDays = uint16(extensionDays);
        emit WindowExtended(purchaseId, order.merchantId(), msg.sender, uint16(extensionDays), reason);
    }

    /// @dev Pays a goodwill refund out of the purchase's escrow.
    function _goodwill(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState storage state,
        uint256 amount,
        uint32 lineMask,
        Reason reason,
        bytes32 note
    ) private {
        if (amount == 0) revert LedgerZeroAmount();
        PurchaseState memory current = state;
        uint256 paid = _paidOf(purchaseId, order, current.flags);
        uint256 available = _inEscrow(current, paid);
        if (amount > available) revert LedgerRefundExceedsEscrow(purchaseId, amount, available);
        state.refunded = current.refunded + uint128(amount);
        emit GoodwillRefunded(purchaseId, order.merchantId(), msg.sender, amount, lineMask, reason, note);
        _refund(purchaseId, order, current.flags, amount, paid);
    }

    /// @dev Books `amount` returned as store credit for the caller (the buyer), with the merchant's bonus on
    /// the money part; returns the credit added.
    function _issueCredit(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState storage state,
        PurchaseState memory current,
        uint256 amount,
        uint256 paid,
        uint32 lineMask
    ) private returns (uint256 credited) {
        uint256 cash = _cashShare(purchaseId, current.flags, amount, paid);
        uint256 bonus = _creditBonus(order, current, amount, paid, cash);
        credited = amount + bonus;
        state.refunded = current.refunded + uint128(credited);
        state.returnedLines = current.returnedLines;
        emit CreditIssued(purchaseId, order.merchantId(), msg.sender, lineMask, amount, bonus);
        cash += _creditCashBack(purchaseId, amount - cash);
        _addCredit(order.merchantId(), msg.sender, order.token(), credited, cash);
    }

    /// @dev The merchant's bonus on `cash` taken as credit, capped at what it would keep of the purchase.
    function _creditBonus(Order calldata order, PurchaseState memory state, uint256 amount, uint256 paid, uint256 cash)
        private
        view
        returns (uint256)
    {
        uint256 bonus = cash * _merchants[order.merchantId()].creditBonusBps / BPS;
        uint256 keptByMerchant = paid - state.refunded - amount;
        return bonus < keptByMerchant ? bonus : keptByMerchant;
    }
}
