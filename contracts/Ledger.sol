// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ILedger} from "./interfaces/ILedger.sol";

/// @title Ledger
/// @notice Purchase history a shop and its customers agree on. Purchases are paid into escrow under
/// return terms fixed at purchase time; inside the return window the customer is refunded by the
/// contract itself, with nobody's approval; after it, anyone can settle what was kept to the merchant.
/// @dev A purchase is stored as one slot of state keyed by the hash of its details; calls that act on a
/// purchase pass the details back (as emitted in `PurchaseRecorded`) and the contract checks the hash.
contract Ledger is ILedger, ReentrancyGuardTransient, EIP712, Nonces {
    using SafeERC20 for IERC20;

    /// @notice Largest number of lines in one purchase (one bit each in `PurchaseState.returnedLines`).
    uint256 public constant MAX_LINES = 32;

    /// @notice Basis points in 100 %.
    uint16 public constant BPS = 10_000;

    /// @notice EIP-712 type of a signed return request; the customer signs it, anyone may submit it.
    bytes32 public constant RETURN_REQUEST_TYPEHASH = keccak256(
        "ReturnRequest(bytes32 purchaseId,uint32 lineMask,bytes32 shipmentRef,uint256 nonce,uint256 deadline)"
    );

    /// @dev Gas given to a recipient of the native currency. Enough for wallets that log or forward,
    /// small enough that a recipient that burns gas cannot make a batch settlement run out.
    uint256 private constant _PUSH_GAS = 50_000;

    /// @dev Number of merchants registered; ids run from 1.
    uint64 private _merchantCount;

    /// @dev Number of terms published; ids run from 1.
    uint64 private _termsCount;

    /// @dev Registered merchants.
    mapping(uint64 merchantId => Merchant) private _merchants;
    /// @dev Who may act for each merchant (the owner is stored here too, so one read checks staff).
    mapping(uint64 merchantId => mapping(address account => Role)) private _roles;
    /// @dev Published terms, one slot each.
    mapping(uint64 termsId => Terms) private _terms;
    /// @dev The changing state of each purchase, one slot each; the details live in the id (a hash).
    mapping(bytes32 purchaseId => PurchaseState) private _purchases;
    /// @dev Payments whose push failed, waiting for their recipient to withdraw them.
    mapping(address token => mapping(address account => uint256)) private _deferred;
    /// @dev What each agent may still refund without asking, per token.
    mapping(uint64 merchantId => mapping(address agent => mapping(address token => uint256))) private _budgets;
    /// @dev Store credit each customer holds at each merchant, per token (backed by escrow moved here).
    mapping(uint64 merchantId => mapping(address customer => mapping(address token => uint256))) private _credit;
    /// @dev Reviews and net promoter scores, one slot a purchase (written only when feedback is given).
    mapping(bytes32 purchaseId => Feedback) private _feedback;
    /// @dev Contact moments a customer rated, keyed by hash(merchant, customer, content hash).
    mapping(bytes32 contactKey => bool) private _contactRated;

    /// @notice Sets the EIP-712 domain (name "Ledger", version "1", this chain and address).
    constructor() EIP712("Ledger", "1") {}

    // ------------------------------------------------------------------ merchants

    /// @notice Registers a merchant owned by the caller.
    /// @param payout Where settled money is paid.
    /// @return merchantId The new merchant's id.
    function registerMerchant(address payout) external returns (uint64 merchantId) {
        if (payout == address(0)) revert LedgerZeroAddress();
        merchantId = ++_merchantCount;
        _merchants[merchantId] = Merchant({owner: msg.sender, payout: payout, referralBps: 0, creditBonusBps: 0});
        _roles[merchantId][msg.sender] = Role.Owner;
        emit MerchantRegistered(merchantId, msg.sender, payout);
    }

    /// @notice Changes where a merchant's settled money is paid. Owner only.
    /// @param merchantId The merchant.
    /// @param payout New payout address.
    function setPayout(uint64 merchantId, address payout) external {
        _checkOwner(merchantId);
        if (payout == address(0)) revert LedgerZeroAddress();
        _merchants[merchantId].payout = payout;
        emit PayoutChanged(merchantId, payout);
    }

    /// @notice Sets the commission referrers earn on new purchases, in basis points of what the
    /// merchant keeps after returns. Purchases already made keep the commission they were made with.
    /// Owner only.
    /// @param merchantId The merchant.
    /// @param referralBps The commission, at most 10,000 (100 %).
    function setReferralCommission(uint64 merchantId, uint16 referralBps) external {
        _checkOwner(merchantId);
        if (referralBps > BPS) revert LedgerFeeTooHigh(referralBps, BPS);
        _merchants[merchantId].referralBps = referralBps;
        emit ReferralCommissionSet(merchantId, referralBps);
    }

    /// @notice Sets the bonus customers get on top when they take store credit instead of money, in basis
    /// points; it comes out of what the merchant would keep of the returned purchase. Owner only.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, at most 10,000 (100 %).
    function setCreditBonus(uint64 merchantId, uint16 creditBonusBps) external {
        _checkOwner(merchantId);
        if (creditBonusBps > BPS) revert LedgerFeeTooHigh(creditBonusBps, BPS);
        _merchants[merchantId].creditBonusBps = creditBonusBps;
        emit CreditBonusSet(merchantId, creditBonusBps);
    }

    /// @notice Lets an account act as staff for a merchant. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The account.
    function addAgent(uint64 merchantId, address agent) external {
        _checkOwner(merchantId);
        if (agent == address(0)) revert LedgerZeroAddress();
        Role current = _roles[merchantId][agent];
        if (current != Role.None) revert LedgerAlreadyHasRole(merchantId, agent, current);
        _roles[merchantId][agent] = Role.Agent;
        emit AgentAdded(merchantId, agent);
    }

    /// @notice Takes an agent's rights away. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    function removeAgent(uint64 merchantId, address agent) external {
        _checkOwner(merchantId);
        if (_roles[merchantId][agent] != Role.Agent) revert LedgerNotAnAgent(merchantId, agent);
        delete _roles[merchantId][agent];
        emit AgentRemoved(merchantId, agent);
    }

    // ------------------------------------------------------------------ terms

    /// @notice Publishes return terms for new purchases. Owner only.
    /// @param merchantId The merchant.
    /// @param returnWindow Seconds during which a purchase may be returned; 0 means no returns.
    /// @param restockingFeeBps Part of a returned line's price the merchant keeps, in basis points.
    /// @param windowFromDelivery Whether the window starts at confirmed delivery instead of at purchase.
    /// @param itemMustBeReturned Whether a return must name a shipment reference.
    /// @return termsId The new terms' id.
    function publishTerms(
        uint64 merchantId,
        uint32 returnWindow,
        uint16 restockingFeeBps,
        bool windowFromDelivery,
        bool itemMustBeReturned
    ) external returns (uint64 termsId) {
        _checkOwner(merchantId);
        if (restockingFeeBps > BPS) revert LedgerFeeTooHigh(restockingFeeBps, BPS);
        termsId = ++_termsCount;
        Terms memory published = Terms({
            merchantId: merchantId,
            returnWindow: returnWindow,
            restockingFeeBps: restockingFeeBps,
            windowFromDelivery: windowFromDelivery,
            itemMustBeReturned: itemMustBeReturned,
            retired: false
        });
        _terms[termsId] = published;
        emit TermsPublished(termsId, merchantId, published);
    }

    /// @notice Stops terms from being used for new purchases. Purchases already made keep them. Owner only.
    /// @param termsId The terms.
    function retireTerms(uint64 termsId) external {
        Terms storage stored = _terms[termsId];
        uint64 merchantId = stored.merchantId;
        if (merchantId == 0) revert LedgerUnknownTerms(termsId);
        _checkOwner(merchantId);
        if (stored.retired) revert LedgerTermsRetired(termsId);
        stored.retired = true;
        emit TermsRetired(termsId, merchantId);
    }

    // ------------------------------------------------------------------ purchases

    /// @notice Buys from the merchant that published `termsId`, paying into escrow.
    /// @dev For an ERC-20 token the caller must have approved this contract for the price; what actually
    /// arrives is recorded as paid. For the native currency `msg.value` must equal the price.
    /// @param termsId Return terms that apply.
    /// @param token ERC-20 token to pay with, or address(0) for the native currency.
    /// @param lines What is bought (1 to MAX_LINES lines).
    /// @param orderRef The merchant's order reference (a hash).
    /// @param referrer Who referred the customer, or address(0).
    /// @param credit Store credit at this merchant to pay with (in `token`); the rest is paid as usual.
    /// @return purchaseId Id of the new purchase.
    function buy(
        uint64 termsId,
        address token,
        LineItem[] calldata lines,
        bytes32 orderRef,
        address referrer,
        uint256 credit
    ) external payable nonReentrant returns (bytes32 purchaseId) {
        Terms memory applied = _terms[termsId];
        if (applied.merchantId == 0) revert LedgerUnknownTerms(termsId);
        if (applied.retired) revert LedgerTermsRetired(termsId);
        if (referrer == msg.sender) revert LedgerSelfReferral(msg.sender);
        uint256 price = _priceOf(lines);
        uint256 paid = _collect(token, price, applied.merchantId, credit);

        Purchase memory purchase = Purchase({
            customer: msg.sender,
            merchantId: applied.merchantId,
            termsId: termsId,
            token: token,
            paid: uint128(paid),
            price: uint128(price),
            purchasedAt: uint40(block.timestamp),
            returnWindow: applied.returnWindow,
            restockingFeeBps: applied.restockingFeeBps,
            windowFromDelivery: applied.windowFromDelivery,
            itemMustBeReturned: applied.itemMustBeReturned,
            linesHash: keccak256(abi.encode(lines)),
            orderRef: orderRef,
            referrer: referrer,
            // The merchant's slot is read only when someone referred the customer.
            referralBps: referrer == address(0) ? 0 : _merchants[applied.merchantId].referralBps
        });
        purchaseId = keccak256(abi.encode(purchase));
        PurchaseState storage state = _purchases[purchaseId];
        if (state.recorded) revert LedgerPurchaseExists(purchaseId);
        state.recorded = true;
        emit PurchaseRecorded(purchaseId, applied.merchantId, msg.sender, purchase, lines);
        if (credit != 0) emit CreditSpent(purchaseId, applied.merchantId, msg.sender, credit);
    }

    /// @notice Records that the merchant delivered a purchase; starts windows that run from delivery.
    /// Owner or agent.
    /// @param purchase The purchase, as recorded.
    function confirmDelivery(Purchase calldata purchase) external {
        (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
        _checkAgent(purchase.merchantId);
        if (state.deliveredAt != 0) revert LedgerAlreadyDelivered(purchaseId, state.deliveredAt);
        state.deliveredAt = uint40(block.timestamp);
        emit DeliveryConfirmed(purchaseId, purchase.merchantId, uint40(block.timestamp));
    }

    /// @notice Returns some or all lines of the caller's purchase inside the return window and pays the
    /// refund (line prices less the restocking fee) straight from escrow.
    /// @param purchase The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @return refund Amount refunded.
    function returnItems(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external nonReentrant returns (uint256 refund) {
        _checkCustomer(purchase);
        return _returnItems(purchase, lines, lineMask, shipmentRef);
    }

    /// @notice Returns lines on the customer's behalf with its EIP-712 signature, so a customer without
    /// gas can be refunded: anyone (the merchant, a relayer) may submit; the refund goes to the customer.
    /// @param purchase The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @param deadline Last second the request may be submitted.
    /// @param signature The customer's signature of the `ReturnRequest` (ECDSA, or ERC-1271 for a contract).
    /// @return refund Amount refunded.
    function returnItemsBySig(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant returns (uint256 refund) {
        if (block.timestamp > deadline) revert LedgerSignatureExpired(deadline, block.timestamp);
        _checkReturnSignature(purchase, lineMask, shipmentRef, deadline, signature);
        return _returnItems(purchase, lines, lineMask, shipmentRef);
    }

    /// @notice Returns lines of the caller's purchase inside the window for store credit at the same
    /// merchant instead of money, plus the merchant's bonus out of what it would keep of the purchase.
    /// @param purchase The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @return credited Credit added, bonus included.
    function returnItemsForCredit(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external nonReentrant returns (uint256 credited) {
        _checkCustomer(purchase);
        (bytes32 purchaseId, PurchaseState storage state, uint256 amount) =
            _takeBack(purchase, lines, lineMask, shipmentRef);
        uint256 bonus = amount * _merchants[purchase.merchantId].creditBonusBps / BPS;
        uint256 keptByMerchant = _inEscrow(purchase, state) - amount;
        if (bonus > keptByMerchant) bonus = keptByMerchant;
        credited = amount + bonus;
        state.refunded += uint128(credited);
        _credit[purchase.merchantId][msg.sender][purchase.token] += credited;
        emit CreditIssued(purchaseId, purchase.merchantId, msg.sender, lineMask, amount, bonus);
    }

    /// @notice Refunds a customer out of what is still in escrow for a purchase, at any time before
    /// settlement. The owner may refund freely; an agent within its goodwill budget for the token.
    /// @param purchase The purchase, as recorded.
    /// @param amount Amount to refund.
    /// @param reason Why.
    /// @param note Hash of a note, kept off chain.
    function goodwillRefund(Purchase calldata purchase, uint256 amount, Reason reason, bytes32 note)
        external
        nonReentrant
    {
        (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
        _useMandate(purchase, amount);
        _goodwill(purchaseId, purchase, state, amount, 0, reason, note);
    }

    /// @notice Refunds lines while the customer keeps them ("keep it"): their share of what was paid, no
    /// restocking fee, no return needed; the lines count as returned. Owner, or an agent within its budget.
    /// @param purchase The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param lineMask Bit i set refunds line i.
    /// @param reason Why.
    function refundWithoutReturn(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        Reason reason
    ) external nonReentrant {
        (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
        PurchaseState memory current = state;
        uint256 amount = _linesShare(purchaseId, purchase, current, lines, lineMask);
        uint256 available = _inEscrow(purchase, current);
        if (amount > available) amount = available;
        _useMandate(purchase, amount);
        state.returnedLines = current.returnedLines | lineMask;
        _goodwill(purchaseId, purchase, state, amount, lineMask, reason, bytes32(0));
    }

    /// @notice Adds time to one purchase's return window. Owner, or an agent holding a goodwill budget
    /// in the purchase's token.
    /// @param purchase The purchase, as recorded.
    /// @param extraSeconds Seconds to add.
    /// @param reason Why.
    function extendWindow(Purchase calldata purchase, uint32 extraSeconds, Reason reason) external {
        (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
        _useMandate(purchase, 0);
        if (state.settled) revert LedgerAlreadySettled(purchaseId);
        uint256 extension = uint256(state.windowExtension) + extraSeconds;
        if (extension > type(uint32).max) revert LedgerExtensionTooLong(purchaseId, extension);
        state.windowExtension = uint32(extension);
        emit WindowExtended(purchaseId, purchase.merchantId, msg.sender, uint32(extension), reason);
    }

    /// @notice Sets what an agent may still refund in a token without asking (0 revokes the mandate).
    /// Top it up, lower it or revoke it at any time. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget.
    function setBudget(uint64 merchantId, address agent, address token, uint256 amount) external {
        _checkOwner(merchantId);
        if (_roles[merchantId][agent] != Role.Agent) revert LedgerNotAnAgent(merchantId, agent);
        _budgets[merchantId][agent][token] = amount;
        emit BudgetSet(merchantId, agent, token, amount);
    }

    /// @notice Pays what was not refunded to each merchant, for purchases whose return window has closed.
    /// Anyone may call it.
    /// @param purchases The purchases, as recorded.
    function settle(Purchase[] calldata purchases) external nonReentrant {
        for (uint256 i; i < purchases.length; ++i) {
            Purchase calldata purchase = purchases[i];
            (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
            PurchaseState memory current = state;
            if (current.settled) revert LedgerAlreadySettled(purchaseId);
            if (purchase.windowFromDelivery && current.deliveredAt == 0) revert LedgerAwaitingDelivery(purchaseId);
            uint256 deadline = _deadline(purchase, current);
            if (block.timestamp < deadline) revert LedgerReturnWindowOpen(purchaseId, deadline, block.timestamp);

            uint256 kept = purchase.paid - current.refunded;
            uint256 commission = kept * purchase.referralBps / BPS;
            address payout = _merchants[purchase.merchantId].payout;
            state.settled = true;
            emit Settled(purchaseId, purchase.merchantId, payout, kept - commission, purchase.referrer, commission);
            if (commission != 0) _pay(purchase.token, purchase.referrer, commission);
            if (kept != commission) _pay(purchase.token, payout, kept - commission);
        }
    }

    // ------------------------------------------------------------------ feedback

    /// @notice Reviews one of the caller's purchases; a later review replaces the earlier one.
    /// @param purchase The purchase, as recorded.
    /// @param rating 1 to 5.
    /// @param textHash Hash of the review text, kept off chain.
    function review(Purchase calldata purchase, uint8 rating, bytes32 textHash) external {
        bytes32 purchaseId = _loadOwn(purchase);
        _checkScore(rating, 1, 5);
        Feedback storage feedback = _feedback[purchaseId];
        bool replaced = feedback.rating != 0;
        feedback.rating = rating;
        emit ReviewPosted(purchaseId, purchase.merchantId, msg.sender, rating, textHash, replaced);
    }

    /// @notice Gives one of the caller's purchases its net promoter score, once.
    /// @param purchase The purchase, as recorded.
    /// @param score 0 (would not recommend) to 10 (would recommend).
    function giveNps(Purchase calldata purchase, uint8 score) external {
        bytes32 purchaseId = _loadOwn(purchase);
        _checkScore(score, 0, 10);
        Feedback storage feedback = _feedback[purchaseId];
        if (feedback.npsGiven) revert LedgerAlreadyRated(purchaseId);
        feedback.npsGiven = true;
        feedback.nps = score;
        emit NpsGiven(purchaseId, purchase.merchantId, msg.sender, score);
    }

    /// @notice Rates a contact moment the caller had with a merchant (customer satisfaction), once.
    /// @dev Contact moments are events only (to stay cheap), so the contract cannot see that the contact
    /// was logged: the rating is keyed to the caller, and readers count it only against a matching
    /// `ContactLogged` event.
    /// @param merchantId The merchant.
    /// @param contentHash The contact's content hash, as logged.
    /// @param score 1 to 5.
    function rateContact(uint64 merchantId, bytes32 contentHash, uint8 score) external {
        _checkScore(score, 1, 5);
        bytes32 key = keccak256(abi.encode(merchantId, msg.sender, contentHash));
        if (_contactRated[key]) revert LedgerAlreadyRated(key);
        _contactRated[key] = true;
        emit ContactRated(merchantId, msg.sender, contentHash, score);
    }

    // ------------------------------------------------------------------ contacts

    /// @notice Logs a contact moment with a customer. Owner or agent.
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
        _checkAgent(merchantId);
        if (customer == address(0)) revert LedgerZeroAddress();
        emit ContactLogged(
            merchantId, customer, purchaseId, msg.sender, channel, kind, _contactTime(occurredAt), contentHash
        );
    }

    /// @notice Logs a contact moment from the customer's side; the caller is the customer.
    /// @param merchantId The merchant.
    /// @param purchaseId The purchase it was about, or zero.
    /// @param channel How they were in touch.
    /// @param kind What it was about.
    /// @param occurredAt When it happened; 0 means now.
    /// @param contentHash Hash of the conversation, kept off chain.
    function logOwnContact(
        uint64 merchantId,
        bytes32 purchaseId,
        Channel channel,
        ContactKind kind,
        uint40 occurredAt,
        bytes32 contentHash
    ) external {
        if (merchantId == 0 || merchantId > _merchantCount) revert LedgerUnknownMerchant(merchantId);
        emit ContactLogged(
            merchantId, msg.sender, purchaseId, msg.sender, channel, kind, _contactTime(occurredAt), contentHash
        );
    }

    // ------------------------------------------------------------------ deferred payments

    /// @notice Sends the caller's deferred payments in `token` to `to`.
    /// @param token The token (address(0) for the native currency).
    /// @param to Where to send them.
    function withdraw(address token, address to) external nonReentrant {
        if (to == address(0)) revert LedgerZeroAddress();
        uint256 amount = _deferred[token][msg.sender];
        if (amount == 0) revert LedgerNothingToWithdraw(token, msg.sender);
        delete _deferred[token][msg.sender];
        emit Withdrawn(token, msg.sender, to, amount);
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
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

    /// @notice What an account may do at a merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    function roleOf(uint64 merchantId, address account) external view returns (Role) {
        return _roles[merchantId][account];
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

    /// @notice The changing state of a purchase (all zero for an unknown id).
    /// @param purchaseId The purchase.
    function purchaseState(bytes32 purchaseId) external view returns (PurchaseState memory) {
        return _purchases[purchaseId];
    }

    /// @notice The id a purchase has: keccak256 of its ABI encoding.
    /// @param purchase The purchase.
    function purchaseIdOf(Purchase calldata purchase) external pure returns (bytes32) {
        return keccak256(abi.encode(purchase));
    }

    /// @notice The first second at which returns are no longer accepted and settlement may happen;
    /// type(uint256).max while a window that runs from delivery waits for delivery.
    /// @param purchase The purchase, as recorded.
    function returnDeadline(Purchase calldata purchase) external view returns (uint256) {
        (, PurchaseState storage state) = _load(purchase);
        return _deadline(purchase, state);
    }

    /// @notice What returning `lineMask` would refund now, with the same checks as `returnItems` but
    /// for the caller and the window.
    /// @param purchase The purchase, as recorded.
    /// @param lines Its line items, as recorded.
    /// @param lineMask Bit i set returns line i.
    function quoteReturn(Purchase calldata purchase, LineItem[] calldata lines, uint32 lineMask)
        external
        view
        returns (uint256)
    {
        (bytes32 purchaseId, PurchaseState storage state) = _load(purchase);
        return _quoteReturn(purchaseId, purchase, state, lines, lineMask);
    }

    /// @notice Store credit a customer holds at a merchant, in a token.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param token The token (address(0) for the native currency).
    function creditOf(uint64 merchantId, address customer, address token) external view returns (uint256) {
        return _credit[merchantId][customer][token];
    }

    /// @notice What an agent may still refund in a token without asking.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    function budgetOf(uint64 merchantId, address agent, address token) external view returns (uint256) {
        return _budgets[merchantId][agent][token];
    }

    /// @notice The review rating and net promoter score given for a purchase.
    /// @param purchaseId The purchase.
    function feedbackOf(bytes32 purchaseId) external view returns (Feedback memory) {
        return _feedback[purchaseId];
    }

    /// @notice Payments kept for an account because pushing them failed.
    /// @param token The token (address(0) for the native currency).
    /// @param account The account.
    function deferredBalance(address token, address account) external view returns (uint256) {
        return _deferred[token][account];
    }

    // ------------------------------------------------------------------ internal

    /// @dev Reverts unless the caller owns the merchant (telling an unknown merchant apart).
    function _checkOwner(uint64 merchantId) private view {
        if (_roles[merchantId][msg.sender] != Role.Owner) {
            if (_merchants[merchantId].owner == address(0)) revert LedgerUnknownMerchant(merchantId);
            revert LedgerNotMerchantOwner(merchantId, msg.sender);
        }
    }

    /// @dev Reverts unless the caller is the merchant's owner or one of its agents.
    function _checkAgent(uint64 merchantId) private view {
        if (_roles[merchantId][msg.sender] == Role.None) {
            if (_merchants[merchantId].owner == address(0)) revert LedgerUnknownMerchant(merchantId);
            revert LedgerNotMerchantAgent(merchantId, msg.sender);
        }
    }

    /// @dev The refund and its bookkeeping, once the caller's right to return has been checked.
    function _returnItems(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) private returns (uint256 refund) {
        (bytes32 purchaseId, PurchaseState storage state, uint256 due) = _takeBack(purchase, lines, lineMask, shipmentRef);
        refund = due;
        state.refunded += uint128(refund);
        emit ItemsReturned(purchaseId, purchase.customer, lineMask, refund, shipmentRef);
        if (refund != 0) _pay(purchase.token, purchase.customer, refund);
    }

    /// @dev Checks a return inside the window and marks the lines returned; returns what is due for them.
    function _takeBack(
        Purchase calldata purchase,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) private returns (bytes32 purchaseId, PurchaseState storage state, uint256 due) {
        (purchaseId, state) = _load(purchase);
        PurchaseState memory current = state;
        due = _quoteReturn(purchaseId, purchase, current, lines, lineMask);
        uint256 deadline = _deadline(purchase, current);
        if (block.timestamp >= deadline) revert LedgerReturnWindowClosed(purchaseId, deadline, block.timestamp);
        if (purchase.itemMustBeReturned && shipmentRef == bytes32(0)) revert LedgerShipmentRequired(purchaseId);
        state.returnedLines = current.returnedLines | lineMask;
    }

    /// @dev Takes payment for a purchase: `credit` from the customer's store credit at the merchant, the
    /// rest in `token`; returns what arrived in all (for a fee-on-transfer token, less than the price).
    function _collect(address token, uint256 price, uint64 merchantId, uint256 credit) private returns (uint256 paid) {
        if (credit != 0) {
            if (credit > price) revert LedgerWrongPayment(price, credit);
            uint256 held = _credit[merchantId][msg.sender][token];
            if (credit > held) revert LedgerInsufficientCredit(merchantId, token, credit, held);
            _credit[merchantId][msg.sender][token] = held - credit;
        }
        uint256 due = price - credit;
        if (token == address(0)) {
            if (msg.value != due) revert LedgerWrongPayment(due, msg.value);
            return price;
        }
        if (msg.value != 0) revert LedgerWrongPayment(0, msg.value);
        if (due == 0) return price;
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), due);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert LedgerZeroAmount();
        paid = received + credit;
        if (paid > type(uint128).max) revert LedgerAmountTooLarge(paid, type(uint128).max);
    }

    /// @dev Reverts unless the customer signed this return request with its next nonce, which it uses up.
    function _checkReturnSignature(
        Purchase calldata purchase,
        uint32 lineMask,
        bytes32 shipmentRef,
        uint256 deadline,
        bytes calldata signature
    ) private {
        bytes32 purchaseId = keccak256(abi.encode(purchase));
        bytes32 structHash = keccak256(
            abi.encode(RETURN_REQUEST_TYPEHASH, purchaseId, lineMask, shipmentRef, _useNonce(purchase.customer), deadline)
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(purchase.customer, _hashTypedDataV4(structHash), signature)) {
            revert LedgerInvalidSignature(purchaseId, purchase.customer);
        }
    }

    /// @dev Reverts unless the caller is the purchase's customer.
    function _checkCustomer(Purchase calldata purchase) private view {
        if (msg.sender != purchase.customer) revert LedgerNotCustomer(keccak256(abi.encode(purchase)), msg.sender);
    }

    /// @dev Like `_load`, and the caller must be the purchase's customer.
    function _loadOwn(Purchase calldata purchase) private view returns (bytes32 purchaseId) {
        (purchaseId,) = _load(purchase);
        _checkCustomer(purchase);
    }

    /// @dev Reverts unless `min <= score <= max`.
    function _checkScore(uint8 score, uint8 min, uint8 max) private pure {
        if (score < min || score > max) revert LedgerScoreOutOfRange(score, min, max);
    }

    /// @dev Hashes the purchase passed in and finds its state; reverts when no such purchase was recorded.
    function _load(Purchase calldata purchase) private view returns (bytes32 purchaseId, PurchaseState storage) {
        purchaseId = keccak256(abi.encode(purchase));
        PurchaseState storage state = _purchases[purchaseId];
        if (!state.recorded) revert LedgerUnknownPurchase(purchaseId);
        return (purchaseId, state);
    }

    /// @dev Sum of the lines' prices, checked to fit the 128-bit amounts of a purchase.
    function _priceOf(LineItem[] calldata lines) private pure returns (uint256 price) {
        if (lines.length == 0 || lines.length > MAX_LINES) revert LedgerLineCount(lines.length, MAX_LINES);
        for (uint256 i; i < lines.length; ++i) {
            if (lines[i].quantity == 0) revert LedgerInvalidLine(i);
            price += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        if (price == 0) revert LedgerZeroAmount();
        if (price > type(uint128).max) revert LedgerAmountTooLarge(price, type(uint128).max);
    }

    /// @dev Refund for returning `lineMask`: the lines' share of what was paid, less the restocking fee,
    /// capped at what is left in escrow.
    function _quoteReturn(
        bytes32 purchaseId,
        Purchase calldata purchase,
        PurchaseState memory state,
        LineItem[] calldata lines,
        uint32 lineMask
    ) private pure returns (uint256) {
        uint256 share = _linesShare(purchaseId, purchase, state, lines, lineMask);
        uint256 refund = share - share * purchase.restockingFeeBps / BPS;
        uint256 available = _inEscrow(purchase, state);
        return refund < available ? refund : available;
    }

    /// @dev The share of what was paid that lines not yet returned stand for, after checking the lines.
    function _linesShare(
        bytes32 purchaseId,
        Purchase calldata purchase,
        PurchaseState memory state,
        LineItem[] calldata lines,
        uint32 lineMask
    ) private pure returns (uint256) {
        if (keccak256(abi.encode(lines)) != purchase.linesHash) revert LedgerLinesMismatch(purchaseId);
        if (lineMask == 0 || (lines.length < 32 && lineMask >> lines.length != 0)) {
            revert LedgerInvalidLineSelection(purchaseId, lineMask, lines.length);
        }
        uint32 again = state.returnedLines & lineMask;
        if (again != 0) revert LedgerAlreadyReturned(purchaseId, again);

        uint256 linesPrice;
        for (uint256 i; i < lines.length; ++i) {
            if ((uint256(lineMask) >> i) & 1 == 1) linesPrice += uint256(lines[i].quantity) * lines[i].unitPrice;
        }
        return linesPrice * purchase.paid / purchase.price;
    }

    /// @dev First second at which returns close and settlement opens.
    function _deadline(Purchase calldata purchase, PurchaseState memory state) private pure returns (uint256) {
        uint256 window = uint256(purchase.returnWindow) + state.windowExtension;
        // No window means no returns at all, delivered or not.
        if (!purchase.windowFromDelivery || window == 0) return purchase.purchasedAt + window;
        if (state.deliveredAt == 0) return type(uint256).max;
        return state.deliveredAt + window;
    }

    /// @dev Checks the caller may act for the purchase's merchant and, for an agent, takes `amount` from
    /// its budget in the purchase's token (an agent needs a budget even to extend a window).
    function _useMandate(Purchase calldata purchase, uint256 amount) private {
        Role role = _roles[purchase.merchantId][msg.sender];
        if (role == Role.Owner) return;
        if (role == Role.None) _checkAgent(purchase.merchantId);
        uint256 available = _budgets[purchase.merchantId][msg.sender][purchase.token];
        if (available == 0 || amount > available) {
            revert LedgerBudgetExceeded(purchase.merchantId, msg.sender, purchase.token, amount, available);
        }
        _budgets[purchase.merchantId][msg.sender][purchase.token] = available - amount;
    }

    /// @dev Pays a goodwill refund out of the purchase's escrow.
    function _goodwill(
        bytes32 purchaseId,
        Purchase calldata purchase,
        PurchaseState storage state,
        uint256 amount,
        uint32 lineMask,
        Reason reason,
        bytes32 note
    ) private {
        if (amount == 0) revert LedgerZeroAmount();
        uint256 available = _inEscrow(purchase, state);
        if (amount > available) revert LedgerRefundExceedsEscrow(purchaseId, amount, available);
        state.refunded += uint128(amount);
        emit GoodwillRefunded(purchaseId, purchase.merchantId, msg.sender, amount, lineMask, reason, note);
        _pay(purchase.token, purchase.customer, amount);
    }

    /// @dev What a purchase still holds in escrow.
    function _inEscrow(Purchase calldata purchase, PurchaseState memory state) private pure returns (uint256) {
        return state.settled ? 0 : purchase.paid - state.refunded;
    }

    /// @dev The time of a contact moment: now when not given, never in the future.
    function _contactTime(uint40 occurredAt) private view returns (uint40) {
        if (occurredAt == 0) return uint40(block.timestamp);
        if (occurredAt > block.timestamp) revert LedgerTimeInFuture(occurredAt, block.timestamp);
        return occurredAt;
    }

    /// @dev Pushes a payment; when the recipient rejects it (or a token refuses it) the amount is kept
    /// for the recipient to withdraw, so one bad address never blocks anyone else.
    function _pay(address token, address to, uint256 amount) private {
        bool sent;
        if (token == address(0)) {
            (sent,) = to.call{value: amount, gas: _PUSH_GAS}("");
        } else {
            sent = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!sent) {
            _deferred[token][to] += amount;
            emit PaymentDeferred(token, to, amount);
        }
    }
}
