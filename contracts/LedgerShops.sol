// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";
import {LedgerBase} from "./base/LedgerBase.sol";

/// @title LedgerShops
/// @notice The ledger's module for shops: merchants, their staff and mandates, the tokens they accept and
/// the return terms they publish.
/// @dev Runs only by delegatecall from `Ledger`, on the ledger's storage; what it does not implement goes on
/// to `LedgerService`. Called directly it would act on its own empty storage, which holds no money.
contract LedgerShops is LedgerBase, Proxy {
    /// @dev The module that gets the calls this one does not implement.
    address private immutable _SERVICE;

    /// @notice Deploys the module in front of the service module.
    /// @param service The `LedgerService` module.
    constructor(address service) {
        _SERVICE = service;
    }

    // ------------------------------------------------------------------ merchants

    /// @notice Registers a merchant owned by the caller.
    /// @param payout Where settled money is paid.
    /// @return merchantId The new merchant's id.
    function registerMerchant(address payout) external returns (uint64 merchantId) {
        _checkRecipient(payout);
        merchantId = ++_merchantCount;
        _merchants[merchantId].owner = msg.sender;
        _merchants[merchantId].payout = payout;
        _staff[merchantId][msg.sender].role = Role.Owner;
        emit MerchantRegistered(merchantId, msg.sender, payout);
    }

    /// @notice Changes where a merchant's settled money is paid. Owner only.
    /// @param merchantId The merchant.
    /// @param payout New payout address.
    function setPayout(uint64 merchantId, address payout) external {
        _checkOwner(merchantId);
        _checkRecipient(payout);
        _merchants[merchantId].payout = payout;
        emit PayoutChanged(merchantId, payout);
    }

    /// @notice Starts or stops accepting an ERC-20 token for new orders. Owner only.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param accepted Whether it is accepted.
    function setTokenAccepted(uint64 merchantId, address token, bool accepted) external {
        _checkOwner(merchantId);
        if (token == address(0) || token == address(this)) revert LedgerInvalidAddress(token);
        _accepts[merchantId][token] = accepted;
        emit TokenAccepted(merchantId, token, accepted);
    }

    /// @notice Sets the bonus customers get on top when they take store credit instead of money, in basis
    /// points of the money part; it comes out of what the merchant would keep of the purchase. Owner only.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, at most 10,000 (100 %).
    function setCreditBonus(uint64 merchantId, uint16 creditBonusBps) external {
        _checkOwner(merchantId);
        if (creditBonusBps > BPS) revert LedgerFeeTooHigh(creditBonusBps, BPS);
        _merchants[merchantId].creditBonusBps = creditBonusBps;
        emit CreditBonusSet(merchantId, creditBonusBps);
    }

    /// @notice Sets after how long since credit was last issued customers may cash out its money part
    /// while the shop still trades (0: only once the shop has no active terms). Owner only.
    /// @param merchantId The merchant.
    /// @param delay Seconds.
    function setCreditCashOutDelay(uint64 merchantId, uint32 delay) external {
        _checkOwner(merchantId);
        _merchants[merchantId].creditCashOutDelay = delay;
        emit CreditCashOutDelaySet(merchantId, delay);
    }

    /// @notice Lets an account act as staff for a merchant, with no budget and no extension mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The account.
    function addAgent(uint64 merchantId, address agent) external {
        _checkOwner(merchantId);
        _checkRecipient(agent);
        Staff storage staff = _staff[merchantId][agent];
        if (staff.role != Role.None) revert LedgerAlreadyHasRole(merchantId, agent, staff.role);
        staff.role = Role.Agent;
        emit AgentAdded(merchantId, agent);
    }

    /// @notice Takes an agent's rights away, with its budgets and mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    function removeAgent(uint64 merchantId, address agent) external {
        _checkOwner(merchantId);
        Staff storage staff = _staffAgent(merchantId, agent);
        staff.role = Role.None;
        staff.maxExtensionDays = 0;
        // Budgets are kept per token and cannot be listed: bumping the generation voids them all.
        ++staff.generation;
        emit AgentRemoved(merchantId, agent);
    }

    /// @notice Sets how many days, in all, an agent may add to one purchase's return window. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxExtensionDays The limit, at most `MAX_EXTENSION_DAYS`.
    function setMandate(uint64 merchantId, address agent, uint16 maxExtensionDays) external {
        _checkOwner(merchantId);
        if (maxExtensionDays > MAX_EXTENSION_DAYS) {
            revert LedgerExtensionTooLong(bytes32(0), maxExtensionDays, MAX_EXTENSION_DAYS);
        }
        _staffAgent(merchantId, agent).maxExtensionDays = maxExtensionDays;
        emit MandateSet(merchantId, agent, maxExtensionDays);
    }

    /// @notice Sets what an agent may still refund in a token without asking (0 revokes). Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget.
    function setBudget(uint64 merchantId, address agent, address token, uint256 amount) external {
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
    ) external returns (uint64 termsId) {
        _checkOwner(merchantId);
        if (restockingFeeBps > BPS) revert LedgerFeeTooHigh(restockingFeeBps, BPS);
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
    function retireTerms(uint64 termsId) external {
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
    function merchantCount() external view returns (uint64) {
        return _merchantCount;
    }

    /// @notice A merchant; reverts for an unknown id.
    /// @param merchantId The merchant.
    function merchant(uint64 merchantId) external view returns (Merchant memory) {
        Merchant memory found = _merchants[merchantId];
        if (found.owner == address(0)) revert LedgerUnknownMerchant(merchantId);
        return found;
    }

    /// @notice An account's role and mandate at a merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    function staffOf(uint64 merchantId, address account) external view returns (Staff memory) {
        return _staff[merchantId][account];
    }

    /// @notice Whether a merchant accepts a token for new orders (the native currency always).
    /// @param merchantId The merchant.
    /// @param token The token.
    function accepts(uint64 merchantId, address token) external view returns (bool) {
        return token == address(0) || _accepts[merchantId][token];
    }

    /// @notice Number of terms published (ids run from 1).
    function termsCount() external view returns (uint64) {
        return _termsCount;
    }

    /// @notice Published terms; reverts for an unknown id.
    /// @param termsId The terms.
    function terms(uint64 termsId) external view returns (Terms memory) {
        Terms memory found = _terms[termsId];
        if (found.merchantId == 0) revert LedgerUnknownTerms(termsId);
        return found;
    }

    /// @notice What an agent may still refund in a token without asking.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    function budgetOf(uint64 merchantId, address agent, address token) external view returns (uint256) {
        Budget memory budget = _budgets[merchantId][agent][token];
        Staff memory staff = _staff[merchantId][agent];
        return staff.role == Role.Agent && budget.generation == staff.generation ? budget.amount : 0;
    }

    /// @notice Payments kept for a merchant because pushing them to its payout failed.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function merchantDeferredBalance(uint64 merchantId, address token) external view returns (uint256) {
        return _merchantDeferred[merchantId][token];
    }

    /// @dev Where calls this module does not implement go: the service module.
    function _implementation() internal view override returns (address) {
        return _SERVICE;
    }
}
