// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {LedgerBase} from "./base/LedgerBase.sol";
import {Orders} from "./libraries/Orders.sol";

/// @title LedgerModule
/// @notice The ledger's module: shops (merchants, their staff and mandates, the tokens they accept, the return
/// terms they publish) and customer service (goodwill and "keep it" refunds within an agent's budget,
/// return-window extensions within its mandate, store credit).
/// @dev Runs only by delegatecall from `Ledger`, on the ledger's storage, one hop from the entry point: every
/// external function is `onlyDelegated`, so a call at the module's own address (where the storage is empty
/// and no money is held) is refused.
contract LedgerModule is LedgerBase {
    using Orders for Order;

    /// @dev The module's own address, fixed at deployment: under delegatecall `address(this)` is the ledger's.
    address private immutable _SELF = address(this);

    /// @dev Refuses a call made to the module itself rather than through the ledger (as Uniswap v4's
    /// `NoDelegateCall` and OpenZeppelin's `onlyProxy` tell the two apart).
    modifier onlyDelegated() {
        if (address(this) == _SELF) revert LedgerModuleCalledDirectly();
        _;
    }

    // ------------------------------------------------------------------ merchants

    /// @notice Registers a merchant owned by the caller.
    /// @param payout Where settled money is paid.
    /// @return merchantId The new merchant's id.
    function registerMerchant(address payout) external onlyDelegated returns (uint64 merchantId) {
        _checkRecipient(payout);
        merchantId = ++_merchantCount;
        _merchants[merchantId].owner = msg.sender;
        _merchants[merchantId].payout = payout;
        _merchants[merchantId].registeredAt = uint40(block.timestamp);
        _staff[merchantId][msg.sender].role = Role.Owner;
        emit MerchantRegistered(merchantId, msg.sender, payout);
    }

    /// @notice Changes where a merchant's settled money is paid. Owner only.
    /// @param merchantId The merchant.
    /// @param payout New payout address.
    function setPayout(uint64 merchantId, address payout) external onlyDelegated {
        _checkOwner(merchantId);
        _checkRecipient(payout);
        _merchants[merchantId].payout = payout;
        emit PayoutChanged(merchantId, payout);
    }

    /// @notice Starts or stops accepting an ERC-20 token for new orders. Owner only.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param accepted Whether it is accepted.
    function setTokenAccepted(uint64 merchantId, address token, bool accepted) external onlyDelegated {
        _checkOwner(merchantId);
        if (token == address(0) || token == address(this)) revert LedgerInvalidAddress(token);
        _accepts[merchantId][token] = accepted;
        emit TokenAccepted(merchantId, token, accepted);
    }

    /// @notice Sets the bonus customers get on top when they take store credit instead of money, in basis
    /// points of the money part; it comes out of what the merchant keeps of the purchase: at once what it is
    /// sure to keep, the rest when the purchase settles. Owner only.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, at most 10,000 (100 %).
    function setCreditBonus(uint64 merchantId, uint16 creditBonusBps) external onlyDelegated {
        _checkOwner(merchantId);
        if (creditBonusBps > _BPS) revert LedgerFeeTooHigh(creditBonusBps, _BPS);
        _merchants[merchantId].creditBonusBps = creditBonusBps;
        emit CreditBonusSet(merchantId, creditBonusBps);
    }

    /// @notice Sets after how long from its issue customers may cash out the money part of store credit
    /// while the shop still trades (0: only once the shop has no active terms). Applies to credit issued from
    /// now on: credit already held keeps its date. Owner only.
    /// @param merchantId The merchant.
    /// @param delay Seconds.
    function setCreditCashOutDelay(uint64 merchantId, uint32 delay) external onlyDelegated {
        _checkOwner(merchantId);
        _merchants[merchantId].creditCashOutDelay = delay;
        emit CreditCashOutDelaySet(merchantId, delay);
    }

    /// @notice Lets an account act as staff for a merchant, with no budget and no extension mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The account.
    function addAgent(uint64 merchantId, address agent) external onlyDelegated {
        _checkOwner(merchantId);
        _checkRecipient(agent);
        Staff storage staff = _staff[merchantId][agent];
        if (staff.role != Role.None) revert LedgerAlreadyHasRole(merchantId, agent, staff.role);
        if (staff.generation > type(uint8).max) revert LedgerAgentGenerationsUsed(merchantId, agent);
        staff.role = Role.Agent;
        emit AgentAdded(merchantId, agent);
    }

    /// @notice Takes an agent's rights away, with its budgets and mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    function removeAgent(uint64 merchantId, address agent) external onlyDelegated {
        _checkOwner(merchantId);
        Staff storage staff = _staffAgent(merchantId, agent);
        staff.role = Role.None;
        staff.maxExtensionDays = 0;
        staff.maxReferralBps = 0;
        // Budgets are kept per token and cannot be listed: bumping the generation voids them all.
        ++staff.generation;
        emit AgentRemoved(merchantId, agent);
    }

    /// @notice Sets how many days, in all, an agent may add to one purchase's return window. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxExtensionDays The limit, at most `MAX_EXTENSION_DAYS`.
    function setMandate(uint64 merchantId, address agent, uint16 maxExtensionDays) external onlyDelegated {
        _checkOwner(merchantId);
        if (maxExtensionDays > _MAX_EXTENSION_DAYS) {
            revert LedgerExtensionTooLong(bytes32(0), maxExtensionDays, _MAX_EXTENSION_DAYS);
        }
        _staffAgent(merchantId, agent).maxExtensionDays = maxExtensionDays;
        emit MandateSet(merchantId, agent, maxExtensionDays);
    }

    /// @notice Sets the most referral commission an order the agent signs may carry (always to a referrer the
    /// owner approved, `setReferrerApproved`); 0, the default, lets its orders carry none. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxReferralBps The limit, at most 10,000 (100 %).
    function setReferralMandate(uint64 merchantId, address agent, uint16 maxReferralBps) external onlyDelegated {
        _checkOwner(merchantId);
        if (maxReferralBps > _BPS) revert LedgerFeeTooHigh(maxReferralBps, _BPS);
        _staffAgent(merchantId, agent).maxReferralBps = maxReferralBps;
        emit ReferralMandateSet(merchantId, agent, maxReferralBps);
    }

    /// @notice Lets the shop's agents name `referrer` in the orders they sign, or no longer. The owner's own
    /// orders may name anyone. Owner only.
    /// @param merchantId The merchant.
    /// @param referrer The referrer.
    /// @param approved Whether agents may name it.
    function setReferrerApproved(uint64 merchantId, address referrer, bool approved) external onlyDelegated {
        _checkOwner(merchantId);
        _checkRecipient(referrer);
        _approvedReferrers[merchantId][referrer] = approved;
        emit ReferrerApproved(merchantId, referrer, approved);
    }

    /// @notice Sets what an agent may still refund in a token without asking (0 revokes). Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget.
    function setBudget(uint64 merchantId, address agent, address token, uint256 amount) external onlyDelegated {
        _checkOwner(merchantId);
        uint32 generation = _staffAgent(merchantId, agent).generation;
        if (amount > type(uint128).max) revert LedgerAmountTooLarge(amount, type(uint128).max);
        _budgets[merchantId][agent][token] = Budget(uint128(amount), generation);
        emit BudgetSet(merchantId, agent, token, amount);
    }

    // ------------------------------------------------------------------ terms

    /// @notice Publishes return terms for new orders. Owner only.
    /// @param merchantId The merchant.
    /// @param returnWindow Seconds during which a purchase may be returned; 0 means no returns.
    /// @param restockingFeeBps Part of a returned line's price the merchant keeps, in basis points.
    /// @param deliveryWait 0: the window starts at purchase; otherwise it starts at confirmed delivery, or
    /// this many seconds after the purchase if delivery is never confirmed.
    /// @param itemMustBeReturned Whether a return must name a shipment reference.
    /// @return termsId The new terms' id.
    function publishTerms(
        uint64 merchantId,
        uint32 returnWindow,
        uint16 restockingFeeBps,
        uint32 deliveryWait,
        bool itemMustBeReturned
    ) external onlyDelegated returns (uint64 termsId) {
        _checkOwner(merchantId);
        if (restockingFeeBps > _BPS) revert LedgerFeeTooHigh(restockingFeeBps, _BPS);
        termsId = ++_termsCount;
        Terms memory published = Terms({
            merchantId: merchantId,
            returnWindow: returnWindow,
            restockingFeeBps: restockingFeeBps,
            deliveryWait: deliveryWait,
            itemMustBeReturned: itemMustBeReturned,
            retired: false
        });
        _terms[termsId] = published;
        ++_merchants[merchantId].activeTerms;
        emit TermsPublished(termsId, merchantId, published);
    }

    /// @notice Stops terms from being used for new orders. Purchases already made keep them. Owner only.
    /// @param termsId The terms.
    function retireTerms(uint64 termsId) external onlyDelegated {
        Terms storage stored = _terms[termsId];
        uint64 merchantId = stored.merchantId;
        if (merchantId == 0) revert LedgerUnknownTerms(termsId);
        _checkOwner(merchantId);
        if (stored.retired) revert LedgerTermsRetired(termsId);
        stored.retired = true;
        --_merchants[merchantId].activeTerms;
        emit TermsRetired(termsId, merchantId);
    }

    // ------------------------------------------------------------------ views

    /// @notice Number of merchants registered (ids run from 1).
    function merchantCount() external view onlyDelegated returns (uint64) {
        return _merchantCount;
    }

    /// @notice A merchant; reverts for an unknown id.
    /// @param merchantId The merchant.
    function merchant(uint64 merchantId) external view onlyDelegated returns (Merchant memory) {
        Merchant memory found = _merchants[merchantId];
        if (found.owner == address(0)) revert LedgerUnknownMerchant(merchantId);
        return found;
    }

    /// @notice An account's role and mandate at a merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    function staffOf(uint64 merchantId, address account) external view onlyDelegated returns (Staff memory) {
        return _staff[merchantId][account];
    }

    /// @notice Whether the shop's agents may name `referrer` in the orders they sign.
    /// @param merchantId The merchant.
    /// @param referrer The referrer.
    function referrerApproved(uint64 merchantId, address referrer) external view onlyDelegated returns (bool) {
        return _approvedReferrers[merchantId][referrer];
    }

    /// @notice Whether a merchant accepts a token for new orders (the native currency always).
    /// @param merchantId The merchant.
    /// @param token The token.
    function accepts(uint64 merchantId, address token) external view onlyDelegated returns (bool) {
        return token == address(0) || _accepts[merchantId][token];
    }

    /// @notice Number of terms published (ids run from 1).
    function termsCount() external view onlyDelegated returns (uint64) {
        return _termsCount;
    }

    /// @notice Published terms; reverts for an unknown id.
    /// @param termsId The terms.
    function terms(uint64 termsId) external view onlyDelegated returns (Terms memory) {
        Terms memory found = _terms[termsId];
        if (found.merchantId == 0) revert LedgerUnknownTerms(termsId);
        return found;
    }

    /// @notice What an agent may still refund in a token without asking.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    function budgetOf(uint64 merchantId, address agent, address token)
        external
        view
        onlyDelegated
        returns (uint256)
    {
        Budget memory budget = _budgets[merchantId][agent][token];
        Staff memory staff = _staff[merchantId][agent];
        return staff.role == Role.Agent && budget.generation == staff.generation ? budget.amount : 0;
    }

    /// @notice Payments kept for a merchant because pushing them to its payout failed.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function merchantDeferredBalance(uint64 merchantId, address token)
        external
        view
        onlyDelegated
        returns (uint256)
    {
        return _merchantDeferred[merchantId][token];
    }

    // ------------------------------------------------------------------ staff mandates

    /// @notice Refunds a customer out of what is still in escrow for a purchase, at any time before
    /// settlement. The owner may refund freely; an agent within its goodwill budget for the token.
    /// @param order The order, as bought.
    /// @param amount Amount to refund.
    /// @param reason Why.
    /// @param note Hash of a note, kept off chain.
    function goodwillRefund(Order calldata order, uint256 amount, Reason reason, bytes32 note)
        external
        onlyDelegated
        nonReentrant
    {
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
        onlyDelegated
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
    function extendWindow(Order calldata order, uint16 extraDays, Reason reason) external onlyDelegated {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        Staff memory staff = _staff[order.merchantId()][msg.sender];
        if (staff.role == Role.None) _checkAgent(order.merchantId());
        PurchaseState memory current = state;
        _checkActive(purchaseId, order, current);
        if (order.returnWindow() == 0) revert LedgerNoReturns(purchaseId);
        if (extraDays == 0) revert LedgerZeroAmount();
        uint256 deadline = _deadline(order, current);
        if (block.timestamp >= deadline) revert LedgerReturnWindowClosed(purchaseId, deadline, block.timestamp);
        uint256 limit = staff.role == Role.Owner ? _MAX_EXTENSION_DAYS : staff.maxExtensionDays;
        _setExtension(purchaseId, order, state, uint256(current.extensionDays) + extraDays, limit, reason);
    }

    /// @notice Sets the days added to a purchase's return window to more than they are, up to
    /// `MAX_EXTENSION_DAYS`: reopens a closed window, or extends an open one without a mandate. Never fewer:
    /// an extension given is the customer's, and no one takes it back. Owner only.
    /// @param order The order, as bought.
    /// @param extensionDays Total days added to the window.
    /// @param reason Why.
    function setWindowExtension(Order calldata order, uint16 extensionDays, Reason reason) external onlyDelegated {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkOwner(order.merchantId());
        PurchaseState memory current = state;
        _checkActive(purchaseId, order, current);
        if (extensionDays <= current.extensionDays) {
            revert LedgerExtensionNotLonger(purchaseId, extensionDays, current.extensionDays);
        }
        _setExtension(purchaseId, order, state, extensionDays, _MAX_EXTENSION_DAYS, reason);
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
    ) external onlyDelegated nonReentrant returns (uint256 credited) {
        (bytes32 purchaseId, PurchaseState storage state) = _load(order);
        _checkCustomer(purchaseId, order, state);
        (uint256 amount, uint256 paid, PurchaseState memory current) =
            _takeBack(purchaseId, order, state, lines, lineMask, shipmentRef);
        credited = _issueCredit(purchaseId, order, current, lines, amount, paid, lineMask, shipmentRef);
    }

    /// @notice Takes the money part of the caller's store credit at a merchant out: once the credit's cash-out
    /// date has come (fixed when it was issued), the shop has no active terms, or the shop no longer accepts the
    /// token (so the credit could not be spent). The bonus part goes back to the merchant.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function cashOutCredit(uint64 merchantId, address token) external onlyDelegated nonReentrant {
        Credit memory held = _credit[merchantId][msg.sender][token];
        if (held.amount == 0) revert LedgerNothingToWithdraw(token, msg.sender);
        if (
            block.timestamp < held.cashableAt && _merchants[merchantId].activeTerms != 0
                && (token == address(0) || _accepts[merchantId][token])
        ) revert LedgerCreditLocked(merchantId, held.cashableAt);
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
    function creditOf(uint64 merchantId, address customer, address token)
        external
        view
        onlyDelegated
        returns (Credit memory)
    {
        return _credit[merchantId][customer][token];
    }

    /// @notice Store credit a purchase was paid with.
    /// @param purchaseId The purchase.
    function creditUsedOf(bytes32 purchaseId) external view onlyDelegated returns (CreditUsed memory) {
        return _creditUsed[purchaseId];
    }

    /// @notice The credit bonus a purchase still owes its customer, given when it settles (out of what the
    /// merchant keeps then, at most that).
    /// @param purchaseId The purchase.
    function pendingBonusOf(bytes32 purchaseId) external view onlyDelegated returns (uint256) {
        return _pendingBonus[purchaseId];
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
    /// the money part: now what the merchant is sure to keep, the rest owed at settlement; returns the credit
    /// added now. `current` has the returned lines marked and the refunds before this one.
    function _issueCredit(
        bytes32 purchaseId,
        Order calldata order,
        PurchaseState memory current,
        LineItem[] calldata lines,
        uint256 amount,
        uint256 paid,
        uint32 lineMask,
        bytes32 shipmentRef
    ) private returns (uint256 credited) {
        uint256 cash = _cashShare(purchaseId, current.flags, amount, paid);
        uint256 bonus = cash * _merchants[order.merchantId()].creditBonusBps / _BPS;
        uint256 now_ = _sureToKeep(order, current, lines, amount, paid);
        if (bonus < now_) now_ = bonus;
        credited = amount + now_;
        _book(purchaseId, current, credited, bonus != now_);
        if (bonus != now_) {
            _pendingBonus[purchaseId] += bonus - now_;
        }
        emit CreditIssued(
            purchaseId, order.merchantId(), msg.sender, lineMask, amount, now_, bonus - now_, shipmentRef
        );
        cash += _creditCashBack(purchaseId, amount - cash);
        _addCredit(order.merchantId(), msg.sender, order.token(), credited, cash);
    }

    /// @dev Writes a credit return into the purchase: what it refunded, the lines now returned and, while part of
    /// its bonus waits for settlement, the flag that says so.
    function _book(bytes32 purchaseId, PurchaseState memory current, uint256 credited, bool bonusPending) private {
        PurchaseState storage state = _purchases[purchaseId];
        state.refunded = current.refunded + uint128(credited);
        state.returnedLines = current.returnedLines;
        if (bonusPending) state.flags = current.flags | _BONUS_PENDING;
    }

    /// @dev What the merchant is sure to keep of a purchase once `amount` is refunded: what escrow still holds
    /// beyond the most the lines still returnable can take back (their share less the restocking fee, and a wei
    /// a line for the rounding of lines returned one by one, whose fees round down each).
    function _sureToKeep(
        Order calldata order,
        PurchaseState memory current,
        LineItem[] calldata lines,
        uint256 amount,
        uint256 paid
    ) private pure returns (uint256 left) {
        left = paid - current.refunded - amount;
        uint32 open = _allLines(order.lineCount()) & ~current.returnedLines;
        if (open != 0) {
            uint256 share = _maskPrice(lines, open) * paid / order.total;
            // slither-disable-next-line divide-before-multiply (the fee on the share rounded down, as a return works it)
            uint256 owed = share - share * order.restockingFeeBps() / _BPS + lines.length;
            left = left > owed ? left - owed : 0;
        }
    }
}
