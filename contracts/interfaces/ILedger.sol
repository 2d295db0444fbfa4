// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILedgerTypes
/// @notice The types of the purchase-history ledger: merchants and their staff mandates, return terms,
/// shop-signed orders paid into escrow, purchases, store credit, contact moments and settlement.
/// @dev Identities are addresses; everything said between a shop and a customer is kept off chain and
/// only its hash is recorded here.
interface ILedgerTypes {
    // ------------------------------------------------------------------ types

    /// @notice What a merchant account may do.
    enum Role {
        None, // no rights
        Agent, // staff: sign orders, log contacts, confirm deliveries, goodwill within its mandate
        Owner // everything an agent may do, plus agents, mandates, terms, tokens and payout
    }

    /// @notice How a customer and a merchant were in touch.
    enum Channel {
        Phone,
        Email,
        Chat,
        Messaging,
        Video,
        Chatbot,
        InStore,
        Social
    }

    /// @notice What a contact moment was about.
    enum ContactKind {
        Question,
        Complaint,
        ReturnHelp,
        Feedback,
        OrderStatus,
        Delivery,
        Other
    }

    /// @notice Why staff used their goodwill mandate.
    enum Reason {
        Other,
        LateDelivery,
        Damaged,
        WrongItem,
        ServiceRecovery,
        Loyalty
    }

    /// @notice Why a settlement batch passed over a purchase.
    enum SkipReason {
        Unknown, // no purchase has this order
        AlreadySettled,
        WindowOpen,
        AwaitingDelivery
    }

    /// @notice A registered merchant.
    /// @dev Two slots: owner (20 bytes) | activeTerms (4) | creditCashOutDelay (4); payout (20) | creditBonusBps (2) |
    /// registeredAt (5).
    struct Merchant {
        /// @dev Account that registered the merchant; it manages staff, terms, tokens and the payout address.
        address owner;
        /// @dev Terms published and not retired; while 0, customers may cash out the money part of their credit.
        uint32 activeTerms;
        /// @dev Seconds after credit is issued from which the customer may cash it out even while the shop
        /// trades; 0 means only once the shop has no active terms. Fixed into each credit as it is issued.
        uint32 creditCashOutDelay;
        /// @dev Where settled money is paid.
        address payout;
        /// @dev Bonus on refunds taken as store credit, in basis points of the money part.
        uint16 creditBonusBps;
        /// @dev Block time of the registration: no contact moment is dated before it.
        uint40 registeredAt;
    }

    /// @notice An account's standing at a merchant, with its mandate.
    /// @dev One slot: role (1 byte) | generation (4) | maxExtensionDays (2) | maxReferralBps (2).
    struct Staff {
        /// @dev What the account may do.
        Role role;
        /// @dev Bumped when an agent is removed, so the budgets it held and the orders it signed are void if it
        /// is added again (an order names its signer's generation; an account is an agent at most 256 times).
        uint32 generation;
        /// @dev For an agent: most days it may add, in all, to one purchase's return window.
        uint16 maxExtensionDays;
        /// @dev For an agent: the most referral commission an order it signs may carry, in basis points, and
        /// only to a referrer the owner approved (0: its orders carry none).
        uint16 maxReferralBps;
    }

    /// @notice Published return terms. Never changed once published; a change is new terms.
    /// @dev One slot: merchantId (8 bytes) | returnWindow (4) | restockingFeeBps (2) | deliveryWait (4) |
    /// itemMustBeReturned (1) | retired (1).
    struct Terms {
        /// @dev Merchant that published the terms.
        uint64 merchantId;
        /// @dev Seconds during which a purchase may be returned; 0 means no returns.
        uint32 returnWindow;
        /// @dev Part of a returned line's price the merchant keeps, in basis points.
        uint16 restockingFeeBps;
        /// @dev 0: the window starts at purchase. Otherwise it starts at the delivery the merchant confirms,
        /// or, if it never does, this many seconds after the purchase (the longest wait for delivery).
        uint32 deliveryWait;
        /// @dev Whether a return must name a shipment reference (the item goes back) or is refunded as is.
        bool itemMustBeReturned;
        /// @dev Retired terms cannot be used for new orders; purchases already made keep them.
        bool retired;
    }

    /// @notice One line of an order.
    struct LineItem {
        /// @dev Stock-keeping unit, a short product code (no personal data).
        bytes32 sku;
        /// @dev Number of units; at least 1.
        uint32 quantity;
        /// @dev Price of one unit in the smallest unit of the payment token.
        uint128 unitPrice;
    }

    /// @notice An order the shop signed (EIP-712 `Order`, see `ORDER_TYPEHASH`), packed into six words so
    /// that every call acting on the purchase passes it back cheaply. The purchase id is the order's
    /// EIP-712 digest, so an order is bought once.
    struct Order {
        /// @dev customer (bits 96-255; zero: anyone may buy) | merchantId (32-95) | lineCount (24-31) |
        /// itemMustBeReturned (16-23) | restockingFeeBps (0-15).
        uint256 head;
        /// @dev token (bits 96-255; zero: the native currency) | termsId (32-95) | returnWindow (0-31).
        uint256 payment;
        /// @dev referrer (bits 96-255; zero: none) | referralBps (80-95) | deliveryWait (48-79) | expiry (8-47) |
        /// signerGeneration (0-7: the staff generation of the account that signs, `Staff.generation`).
        uint256 referral;
        /// @dev Sum of quantity times unit price over the lines.
        uint256 total;
        /// @dev keccak256 of the ABI-encoded line items.
        bytes32 linesHash;
        /// @dev The shop's order reference: a hash, never personal data.
        bytes32 orderRef;
    }

    /// @notice A return the customer signed for anyone to submit (EIP-712 `ReturnRequest`, which also
    /// names the purchase id).
    struct ReturnRequest {
        /// @dev Bit i set returns line i.
        uint32 lineMask;
        /// @dev Hash of the return shipment reference; required when the item must come back.
        bytes32 shipmentRef;
        /// @dev Any number the customer has not used or cancelled (see `cancelNonce`).
        uint256 nonce;
        /// @dev Last second the request may be submitted.
        uint256 deadline;
    }

    /// @notice What changes over a purchase's life.
    /// @dev One slot: refunded (16 bytes) | purchasedAt (5) | deliveredAfter (4) | returnedLines (4) |
    /// extensionDays (2) | flags (1).
    struct PurchaseState {
        /// @dev Total refunded so far (returns, goodwill and credit together).
        uint128 refunded;
        /// @dev Block time of the purchase; 0 while the order has not been bought.
        uint40 purchasedAt;
        /// @dev Seconds from purchase to confirmed delivery, plus one; 0 while not confirmed.
        uint32 deliveredAfter;
        /// @dev Bit i is set once line i has been returned (or refunded while the customer keeps it).
        uint32 returnedLines;
        /// @dev Days staff added to the return window.
        uint16 extensionDays;
        /// @dev SETTLED (1), BUYER_STORED (2: an open order, buyer in `buyerOf`), PAID_STORED (4: less arrived
        /// than the total, see `paidOf`), CREDIT_USED (8: see `creditUsedOf`), BONUS_PENDING (16: a credit bonus
        /// is paid at settlement, see `pendingBonusOf`).
        uint8 flags;
    }

    /// @notice Store credit a customer holds at a merchant in one token.
    /// @dev Two slots: amount (16 bytes) | cash (16); cashableAt (5).
    struct Credit {
        /// @dev Credit held, bonus included.
        uint128 amount;
        /// @dev The part of `amount` that is money the customer paid (the rest is bonus); at most `amount`.
        uint128 cash;
        /// @dev From when the customer may cash the credit out while the shop trades: fixed when credit is
        /// issued (the shop's delay then), never later for credit added since (added credit joins the earlier
        /// date); `type(uint40).max` while the shop gave no delay (then only once it has no active terms).
        uint40 cashableAt;
    }

    /// @notice Store credit a purchase was paid with.
    /// @dev One slot: amount (16 bytes) | cash (16).
    struct CreditUsed {
        /// @dev Credit spent on the purchase.
        uint128 amount;
        /// @dev The money part of it.
        uint128 cash;
    }
}

/// @title ILedgerErrors
/// @notice Every error of the ledger's own rules (entry point and module), EIP-6093 style: a domain prefix and
/// what was expected.
/// @dev The OpenZeppelin code the ledger uses may also revert with its own errors, not declared again here:
/// `ReentrancyGuardReentrantCall()`, `FailedCall()` and `InsufficientBalance(uint256,uint256)` (sending the
/// native currency) and `SafeERC20FailedOperation(address)` (a token's transfer).
interface ILedgerErrors is ILedgerTypes {
    // ------------------------------------------------------------------ errors

    /// @notice Thrown when no merchant has this id.
    /// @param merchantId The id asked for.
    error LedgerUnknownMerchant(uint64 merchantId);

    /// @notice Thrown when an owner-only merchant action is called by another account.
    /// @param merchantId The merchant.
    /// @param caller The account that called.
    error LedgerNotMerchantOwner(uint64 merchantId, address caller);

    /// @notice Thrown when a staff action is called by an account that is neither owner nor agent.
    /// @param merchantId The merchant.
    /// @param caller The account that called.
    error LedgerNotMerchantAgent(uint64 merchantId, address caller);

    /// @notice Thrown when an address that must be set is the zero address or this contract.
    /// @param account The address given.
    error LedgerInvalidAddress(address account);

    /// @notice Thrown when adding an account that already has a role at the merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    /// @param role The role it already has.
    error LedgerAlreadyHasRole(uint64 merchantId, address account, Role role);

    /// @notice Thrown when an agent-only setting names an account that is not an agent of the merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    error LedgerNotAnAgent(uint64 merchantId, address account);

    /// @notice Thrown when no terms have this id.
    /// @param termsId The id asked for.
    error LedgerUnknownTerms(uint64 termsId);

    /// @notice Thrown when buying under, or retiring, terms that were retired.
    /// @param termsId The retired terms.
    error LedgerTermsRetired(uint64 termsId);

    /// @notice Thrown when an order's copy of its terms is not what the terms say.
    /// @param termsId The terms named.
    error LedgerTermsMismatch(uint64 termsId);

    /// @notice Thrown when a fee or commission is above 100 %.
    /// @param feeBps The value given.
    /// @param maxBps The highest value allowed.
    error LedgerFeeTooHigh(uint16 feeBps, uint16 maxBps);

    /// @notice Thrown when an order has no lines, more than the contract tracks, or a count other than stated.
    /// @param count Number of lines given.
    /// @param maxLines Largest number allowed.
    error LedgerLineCount(uint256 count, uint256 maxLines);

    /// @notice Thrown when a line has a quantity of zero.
    /// @param index Position of the line.
    error LedgerInvalidLine(uint256 index);

    /// @notice Thrown when an amount that must be positive is zero.
    error LedgerZeroAmount();

    /// @notice Thrown when an amount does not fit in 128 bits.
    /// @param amount The amount.
    /// @param maxAmount The largest amount allowed.
    error LedgerAmountTooLarge(uint256 amount, uint256 maxAmount);

    /// @notice Thrown when the native currency sent does not match what is due (or is sent with a token).
    /// @param expected Value that had to be sent.
    /// @param sent Value that was sent.
    error LedgerWrongPayment(uint256 expected, uint256 sent);

    /// @notice Thrown when an order is paid with a token the merchant does not accept.
    /// @param merchantId The merchant.
    /// @param token The token.
    error LedgerTokenNotAccepted(uint64 merchantId, address token);

    /// @notice Thrown when an order's signature is not from the merchant's owner or one of its agents.
    /// @param purchaseId The order's digest.
    /// @param signer Who signed it (zero when the signature is malformed).
    error LedgerInvalidOrderSignature(bytes32 purchaseId, address signer);

    /// @notice Thrown when an order names a staff generation its signer no longer has: the agent was removed
    /// since it signed (and maybe added again), so what it signed before is void.
    /// @param purchaseId The order's digest.
    /// @param signer Who signed it.
    /// @param signedGeneration The generation the order names.
    /// @param generation The signer's generation now.
    error LedgerStaleOrderSigner(bytes32 purchaseId, address signer, uint256 signedGeneration, uint256 generation);

    /// @notice Thrown when an account that was an agent of the merchant 256 times is added again: orders name a
    /// signer's generation in one byte, so a 257th stint could revive orders of the first.
    /// @param merchantId The merchant.
    /// @param agent The account.
    error LedgerAgentGenerationsUsed(uint64 merchantId, address agent);

    /// @notice Thrown when an exchange's new order is from another shop or in another token than the purchase.
    /// @param purchaseId The purchase returned.
    /// @param newPurchaseId The new order's digest.
    error LedgerExchangeMismatch(bytes32 purchaseId, bytes32 newPurchaseId);

    /// @notice Thrown when an order is bought after its expiry.
    /// @param expiry Last second the order could be bought.
    /// @param timestamp Block time.
    error LedgerOrderExpired(uint256 expiry, uint256 timestamp);

    /// @notice Thrown when an order made out to one customer is bought by another account.
    /// @param purchaseId The order's digest.
    /// @param customer The customer named in the order.
    /// @param caller The account that called.
    error LedgerNotOrderCustomer(bytes32 purchaseId, address customer, address caller);

    /// @notice Thrown when an order sets bits of its packed words that no field uses (and the signature does not
    /// cover).
    /// @param purchaseId The order's digest.
    error LedgerUnusedOrderBits(bytes32 purchaseId);

    /// @notice Thrown when an order's lines do not add up to its total or do not hash to its lines hash.
    /// @param purchaseId The order's digest.
    error LedgerLinesMismatch(bytes32 purchaseId);

    /// @notice Thrown when an order names its buyer, or one of the ledger's own contracts (which can never
    /// withdraw a commission), as referrer, or a commission without a referrer.
    /// @param referrer The referrer named.
    error LedgerInvalidReferrer(address referrer);

    /// @notice Thrown when an order an agent signed carries more referral commission than the owner lets that
    /// agent grant, or names a referrer the owner has not approved.
    /// @param purchaseId The order's digest.
    /// @param agent The agent that signed it.
    /// @param referrer The referrer named.
    /// @param referralBps The commission the order carries.
    /// @param maxReferralBps The most the agent may grant (0 for a referrer the owner has not approved).
    error LedgerReferralNotAllowed(
        bytes32 purchaseId, address agent, address referrer, uint256 referralBps, uint256 maxReferralBps
    );

    /// @notice Thrown when an order was already bought.
    /// @param purchaseId The order's digest.
    error LedgerPurchaseExists(bytes32 purchaseId);

    /// @notice Thrown when another order with the same order reference of the same shop was already bought:
    /// one order reference, one purchase.
    /// @param merchantId The merchant.
    /// @param orderRef The order reference.
    /// @param purchaseId The purchase it was paid with.
    error LedgerOrderRefUsed(uint64 merchantId, bytes32 orderRef, bytes32 purchaseId);

    /// @notice Thrown when the order passed in matches no purchase.
    /// @param purchaseId The order's digest.
    error LedgerUnknownPurchase(bytes32 purchaseId);

    /// @notice Thrown when someone other than the customer tries to act as the customer of a purchase.
    /// @param purchaseId The purchase.
    /// @param caller The account that called.
    error LedgerNotCustomer(bytes32 purchaseId, address caller);

    /// @notice Thrown when a return names no line or a line the purchase does not have.
    /// @param purchaseId The purchase.
    /// @param lineMask Bit mask of the lines asked for.
    /// @param lineCount Number of lines in the purchase.
    error LedgerInvalidLineSelection(bytes32 purchaseId, uint32 lineMask, uint256 lineCount);

    /// @notice Thrown when a return names lines that were already returned.
    /// @param purchaseId The purchase.
    /// @param lineMask Bit mask of the lines asked for that were already returned.
    error LedgerAlreadyReturned(bytes32 purchaseId, uint32 lineMask);

    /// @notice Thrown when a return comes at or after the end of the return window.
    /// @param purchaseId The purchase.
    /// @param deadline First second at which returns were no longer accepted.
    /// @param timestamp Block time of the attempt.
    error LedgerReturnWindowClosed(bytes32 purchaseId, uint256 deadline, uint256 timestamp);

    /// @notice Thrown when the terms of a purchase allow no returns (its window cannot be extended either).
    /// @param purchaseId The purchase.
    error LedgerNoReturns(bytes32 purchaseId);

    /// @notice Thrown when delivery is confirmed twice, for terms whose window does not start at delivery,
    /// or once the longest wait is over.
    /// @param purchaseId The purchase.
    /// @param deliveredAt When the confirmation was given (a delivery is recorded as of then).
    error LedgerInvalidDelivery(bytes32 purchaseId, uint256 deliveredAt);

    /// @notice Thrown when a return of an item that must come back names no shipment.
    /// @param purchaseId The purchase.
    error LedgerShipmentRequired(bytes32 purchaseId);

    /// @notice Thrown when acting on a purchase that was already settled, or has nothing left to act on.
    /// @param purchaseId The purchase.
    error LedgerAlreadySettled(bytes32 purchaseId);

    /// @notice Thrown when a goodwill refund asks for more than the purchase still holds.
    /// @param purchaseId The purchase.
    /// @param requested Amount asked for.
    /// @param available Amount still in escrow.
    error LedgerRefundExceedsEscrow(bytes32 purchaseId, uint256 requested, uint256 available);

    /// @notice Thrown when a contact moment is dated in the future.
    /// @param occurredAt The time given.
    /// @param timestamp Block time.
    error LedgerTimeInFuture(uint256 occurredAt, uint256 timestamp);

    /// @notice Thrown when a contact moment is dated before the merchant was registered.
    /// @param occurredAt The time given.
    /// @param registeredAt When the merchant was registered.
    error LedgerTimeBeforeShop(uint256 occurredAt, uint256 registeredAt);

    /// @notice Thrown when nothing is owed to withdraw.
    /// @param token The token.
    /// @param account The account.
    error LedgerNothingToWithdraw(address token, address account);

    /// @notice Thrown when an agent asks for more than its goodwill budget in the token allows.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token.
    /// @param requested Amount asked for.
    /// @param available Budget left.
    error LedgerBudgetExceeded(uint64 merchantId, address agent, address token, uint256 requested, uint256 available);

    /// @notice Thrown when a window extension goes past what the caller's mandate or the contract allows.
    /// @param purchaseId The purchase.
    /// @param extensionDays The total extension asked for, in days.
    /// @param maxDays The most allowed.
    error LedgerExtensionTooLong(bytes32 purchaseId, uint256 extensionDays, uint256 maxDays);

    /// @notice Thrown when the owner sets a window's extension to no more days than it has: an extension
    /// given is never taken back.
    /// @param purchaseId The purchase.
    /// @param extensionDays The total extension asked for, in days.
    /// @param currentDays The days the window is extended by now.
    error LedgerExtensionNotLonger(bytes32 purchaseId, uint256 extensionDays, uint256 currentDays);

    /// @notice Thrown when the ledger's module is called at its own address instead of through the ledger.
    error LedgerModuleCalledDirectly();

    /// @notice Thrown when a customer spends more store credit than it holds at the merchant.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param requested Credit asked for.
    /// @param available Credit held.
    error LedgerInsufficientCredit(uint64 merchantId, address token, uint256 requested, uint256 available);

    /// @notice Thrown when credit is cashed out while the shop still trades, still accepts the token, and the
    /// credit's cash-out date has not come.
    /// @param merchantId The merchant.
    /// @param availableAt First second at which it may be cashed out (`type(uint40).max`: once the shop stops).
    error LedgerCreditLocked(uint64 merchantId, uint256 availableAt);

    /// @notice Thrown when a signed request is submitted after its deadline.
    /// @param deadline The request's deadline.
    /// @param timestamp Block time.
    error LedgerSignatureExpired(uint256 deadline, uint256 timestamp);

    /// @notice Thrown when a return request was not signed by the purchase's customer.
    /// @param purchaseId The purchase.
    /// @param customer The customer whose signature was expected.
    error LedgerInvalidSignature(bytes32 purchaseId, address customer);

    /// @notice Thrown when a signed request's nonce was used or cancelled.
    /// @param account The signer.
    /// @param nonce The nonce.
    error LedgerNonceUsed(address account, uint256 nonce);

    /// @notice Thrown when a payment could not be pushed because the transaction's gas limit left too little
    /// for it: the payment is not deferred then, so no caller can choose to hold a recipient's money back.
    /// @param to The recipient.
    error LedgerGasTooLowForPayment(address to);
}

/// @title ILedgerEvents
/// @notice Every event the ledger's address emits (entry point and module), each keyed by an indexed id.
interface ILedgerEvents is ILedgerTypes {
    // ------------------------------------------------------------------ events

    /// @notice Emitted when a merchant registers.
    /// @param merchantId The new merchant.
    /// @param owner Its owner.
    /// @param payout Where its settled money is paid.
    event MerchantRegistered(uint64 indexed merchantId, address indexed owner, address payout);

    /// @notice Emitted when a merchant changes its payout address.
    /// @param merchantId The merchant.
    /// @param payout The new payout address.
    event PayoutChanged(uint64 indexed merchantId, address payout);

    /// @notice Emitted when a merchant starts or stops accepting a token.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param accepted Whether new orders may be paid with it.
    event TokenAccepted(uint64 indexed merchantId, address indexed token, bool accepted);

    /// @notice Emitted when an agent is added.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    event AgentAdded(uint64 indexed merchantId, address indexed agent);

    /// @notice Emitted when an agent is removed; its budgets and mandate go with it.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    event AgentRemoved(uint64 indexed merchantId, address indexed agent);

    /// @notice Emitted when the owner sets how many days an agent may add to one purchase's window.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxExtensionDays The limit.
    event MandateSet(uint64 indexed merchantId, address indexed agent, uint16 maxExtensionDays);

    /// @notice Emitted when the owner sets the most referral commission an order an agent signs may carry.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxReferralBps The limit, in basis points.
    event ReferralMandateSet(uint64 indexed merchantId, address indexed agent, uint16 maxReferralBps);

    /// @notice Emitted when the owner approves a referrer for the orders its agents sign, or withdraws it.
    /// @param merchantId The merchant.
    /// @param referrer The referrer.
    /// @param approved Whether agents may name it.
    event ReferrerApproved(uint64 indexed merchantId, address indexed referrer, bool approved);

    /// @notice Emitted when a merchant sets an agent's goodwill budget in a token.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget now left to use.
    event BudgetSet(uint64 indexed merchantId, address indexed agent, address indexed token, uint256 amount);

    /// @notice Emitted when return terms are published.
    /// @param termsId The new terms.
    /// @param merchantId The merchant.
    /// @param terms What they say.
    event TermsPublished(uint64 indexed termsId, uint64 indexed merchantId, Terms terms);

    /// @notice Emitted when terms are retired for new orders.
    /// @param termsId The terms.
    /// @param merchantId The merchant.
    event TermsRetired(uint64 indexed termsId, uint64 indexed merchantId);

    /// @notice Emitted when a shop-signed order is bought and paid into escrow. With the lines, the three
    /// packed words and the order reference are the whole order (its total and lines hash follow from the
    /// lines), so any client can pass it back.
    /// @param purchaseId The order's EIP-712 digest.
    /// @param merchantId The merchant.
    /// @param customer The buyer.
    /// @param head The order's `head` word (its customer is zero for an order anyone could buy).
    /// @param payment The order's `payment` word.
    /// @param referral The order's `referral` word.
    /// @param orderRef The order reference.
    /// @param lines The line items.
    event PurchaseRecorded(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed customer,
        uint256 head,
        uint256 payment,
        uint256 referral,
        bytes32 orderRef,
        LineItem[] lines
    );

    /// @notice Emitted at purchase when less than the total arrived (a fee-on-transfer token).
    /// @param purchaseId The purchase.
    /// @param paid What arrived in escrow, credit included.
    event PaidShort(bytes32 indexed purchaseId, uint256 paid);

    /// @notice Emitted at purchase when store credit pays part of it.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param amount Credit spent.
    /// @param cash The money part of the credit spent (the rest was bonus).
    event CreditSpent(
        bytes32 indexed purchaseId, uint64 indexed merchantId, address indexed customer, uint256 amount, uint256 cash
    );

    /// @notice Emitted when the merchant confirms delivery.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param deliveredAt When it was delivered.
    event DeliveryConfirmed(bytes32 indexed purchaseId, uint64 indexed merchantId, uint40 deliveredAt);

    /// @notice Emitted when a customer returns lines and is refunded automatically.
    /// @param purchaseId The purchase.
    /// @param lineMask Bit mask of the lines returned.
    /// @param refund Amount refunded: paid in money, or as store credit for the part paid with credit.
    /// @param shipmentRef Hash of the return shipment reference, zero when the item stays with the customer.
    event ItemsReturned(bytes32 indexed purchaseId, uint32 lineMask, uint256 refund, bytes32 shipmentRef);

    /// @notice Emitted when a customer takes store credit instead of money for returned lines.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant the credit is good at.
    /// @param customer The customer.
    /// @param lineMask Bit mask of the lines returned.
    /// @param amount Credit for the lines (what a money refund would have paid).
    /// @param bonus The merchant's bonus given now, out of what it is sure to keep of the purchase (restocking
    /// fees, beyond what the lines still returnable could take back).
    /// @param bonusAtSettlement The rest of the bonus, given as credit when the purchase settles, out of what the
    /// merchant keeps then (`BonusCredited`).
    /// @param shipmentRef Hash of the return shipment reference, zero when the item stays with the customer (as in
    /// `ItemsReturned`: the shop matches the parcel by it).
    event CreditIssued(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed customer,
        uint32 lineMask,
        uint256 amount,
        uint256 bonus,
        uint256 bonusAtSettlement,
        bytes32 shipmentRef
    );

    /// @notice Emitted when a purchase settles with a credit bonus still owed: the bonus is added to the
    /// customer's credit out of what the merchant keeps (at most that).
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant the credit is good at.
    /// @param customer The customer.
    /// @param bonus The bonus credited.
    event BonusCredited(bytes32 indexed purchaseId, uint64 indexed merchantId, address indexed customer, uint256 bonus);

    /// @notice Emitted when lines of a purchase are exchanged for a new order from the same shop: what their
    /// return refunds (`ItemsReturned`) pays the new purchase (`PurchaseRecorded`) without leaving escrow.
    /// @param purchaseId The purchase returned.
    /// @param newPurchaseId The new purchase.
    /// @param value What the return refunded, all of it applied to the new purchase or paid back.
    event Exchanged(bytes32 indexed purchaseId, bytes32 indexed newPurchaseId, uint256 value);

    /// @notice Emitted when staff refund a customer out of escrow as a goodwill gesture.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param agent Account that gave the refund.
    /// @param amount Amount refunded.
    /// @param lineMask Lines the customer keeps with this refund (no return needed), or 0 for a plain refund.
    /// @param reason Why.
    /// @param note Hash of a note, kept off chain.
    event GoodwillRefunded(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed agent,
        uint256 amount,
        uint32 lineMask,
        Reason reason,
        bytes32 note
    );

    /// @notice Emitted when staff change how long a purchase's return window is extended.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param agent Account that changed it.
    /// @param extensionDays Total days now added to the window.
    /// @param reason Why.
    event WindowExtended(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed agent,
        uint16 extensionDays,
        Reason reason
    );

    /// @notice Emitted for each purchase a settlement pays out: the referral commission to the referrer,
    /// the rest to the merchant (both summed per batch before they are sent).
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param amount Amount for the merchant.
    /// @param referrer The referrer (address(0) for none).
    /// @param commission Amount for the referrer.
    event Settled(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed referrer,
        uint256 amount,
        uint256 commission
    );

    /// @notice Emitted when a settlement batch passes over a purchase it cannot settle.
    /// @param purchaseId The purchase (the order's digest).
    /// @param reason Why.
    event SettlementSkipped(bytes32 indexed purchaseId, SkipReason reason);

    /// @notice Emitted when a merchant sets its bonus on refunds taken as store credit.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, in basis points of the credited money.
    event CreditBonusSet(uint64 indexed merchantId, uint16 creditBonusBps);

    /// @notice Emitted when a merchant sets after how long its customers may cash out store credit.
    /// @param merchantId The merchant.
    /// @param delay Seconds after credit was last issued; 0 means only once the shop has no active terms.
    event CreditCashOutDelaySet(uint64 indexed merchantId, uint32 delay);

    /// @notice Emitted when a customer takes the money part of its store credit out.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param token The token.
    /// @param cash Paid to the customer.
    /// @param bonus The bonus part, given back to the merchant.
    event CreditCashedOut(
        uint64 indexed merchantId, address indexed customer, address indexed token, uint256 cash, uint256 bonus
    );

    /// @notice Emitted when a contact moment is logged.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param purchaseId The purchase it was about, or zero.
    /// @param loggedBy The merchant's owner or agent, or the customer itself.
    /// @param channel How they were in touch.
    /// @param kind What it was about.
    /// @param occurredAt When it happened.
    /// @param contentHash Hash of the conversation (salted when guessable), kept off chain.
    event ContactLogged(
        uint64 indexed merchantId,
        address indexed customer,
        bytes32 purchaseId,
        address loggedBy,
        Channel channel,
        ContactKind kind,
        uint40 occurredAt,
        bytes32 contentHash
    );

    /// @notice Emitted when a customer cancels an unused signed request.
    /// @param account The signer.
    /// @param nonce The nonce cancelled.
    event NonceCancelled(address indexed account, uint256 nonce);

    /// @notice Emitted when a payment to an account could not be pushed and was kept for it to withdraw.
    /// @param token The token (address(0) for the native currency).
    /// @param recipient Who is owed.
    /// @param amount Amount kept.
    event PaymentDeferred(address indexed token, address indexed recipient, uint256 amount);

    /// @notice Emitted when a payment to a merchant's payout could not be pushed and was kept for the
    /// merchant, to be sent to whatever payout address it has then.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param amount Amount kept.
    event MerchantPaymentDeferred(uint64 indexed merchantId, address indexed token, uint256 amount);

    /// @notice Emitted when a deferred payment is withdrawn.
    /// @param token The token (address(0) for the native currency).
    /// @param account Who was owed (the merchant's payout for a merchant's payments).
    /// @param to Where it was sent.
    /// @param amount Amount sent.
    event Withdrawn(address indexed token, address indexed account, address to, uint256 amount);
}

/// @title ILedger
/// @notice Every external function of the ledger's address: those the entry point `Ledger` runs itself and
/// those it passes, by one delegatecall, to `LedgerModule`. A test holds that the two contracts' ABIs add up
/// to exactly this interface, with no selector in both.
/// @dev Identities are addresses; everything said between a shop and a customer is kept off chain and only
/// its hash is recorded here.
interface ILedger is ILedgerErrors, ILedgerEvents {
    // ------------------------------------------------------------------ functions: the entry point (Ledger)

    /// @notice Largest number of lines in one order.
    function MAX_LINES() external view returns (uint256);

    /// @notice Basis points in 100 %.
    function BPS() external view returns (uint16);

    /// @notice Most days a purchase's return window can be extended by, in all.
    function MAX_EXTENSION_DAYS() external view returns (uint16);

    /// @notice EIP-712 type of a signed return request; the customer signs it, anyone may submit it.
    function RETURN_REQUEST_TYPEHASH() external view returns (bytes32);

    /// @notice The module that gets the calls the entry point does not implement (`LedgerModule`).
    function MODULE() external view returns (address);

    /// @notice The feedback contract (reviews and scores of this ledger's purchases), made with the ledger.
    function FEEDBACK() external view returns (address);

    /// @notice Buys an order the merchant's owner or one of its agents signed, paying into escrow.
    /// @param order The order, as signed.
    /// @param lines Its line items (they must hash to `order.linesHash` and add up to `order.total`).
    /// @param credit Store credit at this merchant to pay with (in the order's token); the rest is paid as usual.
    /// @param signature The staff signature: from an account 64 bytes (EIP-2098 r, vs) or 65 (r, s, v); from a
    /// contract wallet `abi.encode(wallet, payload)`, with what its ERC-1271 `isValidSignature` accepts as
    /// payload (at least 96 bytes, so never read as an account's).
    /// @return purchaseId The order's digest, the new purchase's id.
    function buy(
        Order calldata order,
        LineItem[] calldata lines,
        uint256 credit,
        bytes calldata signature
    ) external payable returns (bytes32 purchaseId);

    /// @notice Exchanges lines of the caller's purchase for a new order from the same shop in the same token,
    /// in one transaction: the lines are returned as by `returnItems`, and what that refunds pays the new order
    /// without leaving escrow (the part paid with store credit as credit, first); the caller pays any difference
    /// (as for `buy`) or gets what is left over back. The new purchase has its own return window.
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
    ) external payable returns (bytes32 newPurchaseId);

    /// @notice Records that the merchant delivered, now, a purchase whose window runs from delivery: the
    /// window starts now and runs its full length. Once, and only before the longest wait is over (after it
    /// the window already runs). Owner or agent. A delivery cannot be dated back: a confirmation never
    /// leaves the customer less than the terms' full window from the moment it is given.
    /// @param order The order, as bought.
    function confirmDelivery(Order calldata order) external;

    /// @notice Returns some or all lines of the caller's purchase inside the return window and pays the
    /// refund (line prices less the restocking fee) straight from escrow; the part paid with store credit
    /// comes back as credit.
    /// @param order The order, as bought.
    /// @param lines Its line items; may be empty when returning every line of a purchase with none returned yet.
    /// @param lineMask Bit i set returns line i.
    /// @param shipmentRef Hash of the return shipment reference; required when the item must come back.
    /// @return refund Amount refunded.
    function returnItems(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask,
        bytes32 shipmentRef
    ) external returns (uint256 refund);

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
    ) external returns (uint256 refund);

    /// @notice Cancels a nonce the caller signed a request with (or may), so that request can never be used.
    /// @param nonce The nonce.
    function cancelNonce(uint256 nonce) external;

    /// @notice Pays what was not refunded to each merchant for purchases whose return window has closed,
    /// summed per merchant and per referrer. Passes over (with `SettlementSkipped`) what it cannot settle,
    /// so a purchase settled by someone else in the meantime does not undo the batch. Anyone may call it.
    /// @param orders The orders, as bought.
    /// @return settled How many purchases were settled.
    function settle(Order[] calldata orders) external returns (uint256 settled);

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
    ) external;

    /// @notice Sends the caller's deferred payments in `token` to `to`.
    /// @param token The token (address(0) for the native currency).
    /// @param to Where to send them.
    function withdraw(address token, address to) external;

    /// @notice Sends a merchant's deferred payments in `token` to its current payout address (which may
    /// have changed since they were deferred). Anyone may call it.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function withdrawMerchant(uint64 merchantId, address token) external;

    /// @notice The changing state of a purchase (all zero for an order not bought).
    /// @param purchaseId The purchase.
    function purchaseState(bytes32 purchaseId) external view returns (PurchaseState memory);

    /// @notice The purchase a shop's order reference was paid with; zero while it was not.
    /// @param merchantId The merchant.
    /// @param orderRef The order reference (a hash of the shop's order number).
    function purchaseOfOrderRef(uint64 merchantId, bytes32 orderRef) external view returns (bytes32);

    /// @notice The id a purchase of `order` has: the order's EIP-712 digest.
    /// @param order The order.
    function purchaseIdOf(Order calldata order) external view returns (bytes32);

    /// @notice A purchase's id, buyer, merchant and what was paid; reverts when the order was not bought.
    /// @param order The order, as bought.
    function purchaseOf(
        Order calldata order
    ) external view returns (bytes32 purchaseId, address customer, uint64 merchantId, uint256 paid);

    /// @notice The first second at which returns are no longer accepted and settlement may happen.
    /// @param order The order, as bought.
    function returnDeadline(Order calldata order) external view returns (uint256);

    /// @notice What returning `lineMask` would refund now, with the same checks as `returnItems` but for
    /// the caller and the window.
    /// @param order The order, as bought.
    /// @param lines Its line items (may be empty as for `returnItems`).
    /// @param lineMask Bit i set returns line i.
    function quoteReturn(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask
    ) external view returns (uint256);

    /// @notice Payments kept for an account because pushing them failed.
    /// @param token The token (address(0) for the native currency).
    /// @param account The account.
    function deferredBalance(address token, address account) external view returns (uint256);

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
        );

    /// @notice Whether a signed request's nonce was used or cancelled.
    /// @param account The signer.
    /// @param nonce The nonce.
    function nonceUsed(address account, uint256 nonce) external view returns (bool);


    // ------------------------------------------------------------------ functions: the module (LedgerModule)

    /// @notice Registers a merchant owned by the caller.
    /// @param payout Where settled money is paid.
    /// @return merchantId The new merchant's id.
    function registerMerchant(address payout) external returns (uint64 merchantId);

    /// @notice Changes where a merchant's settled money is paid. Owner only.
    /// @param merchantId The merchant.
    /// @param payout New payout address.
    function setPayout(uint64 merchantId, address payout) external;

    /// @notice Starts or stops accepting an ERC-20 token for new orders. Owner only.
    /// @param merchantId The merchant.
    /// @param token The token.
    /// @param accepted Whether it is accepted.
    function setTokenAccepted(uint64 merchantId, address token, bool accepted) external;

    /// @notice Sets the bonus customers get on top when they take store credit instead of money, in basis
    /// points of the money part; it comes out of what the merchant would keep of the purchase. Owner only.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, at most 10,000 (100 %).
    function setCreditBonus(uint64 merchantId, uint16 creditBonusBps) external;

    /// @notice Sets after how long since credit was last issued customers may cash out its money part
    /// while the shop still trades (0: only once the shop has no active terms). Owner only.
    /// @param merchantId The merchant.
    /// @param delay Seconds.
    function setCreditCashOutDelay(uint64 merchantId, uint32 delay) external;

    /// @notice Lets an account act as staff for a merchant, with no budget and no extension mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The account.
    function addAgent(uint64 merchantId, address agent) external;

    /// @notice Takes an agent's rights away, with its budgets and mandate. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    function removeAgent(uint64 merchantId, address agent) external;

    /// @notice Sets how many days, in all, an agent may add to one purchase's return window. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxExtensionDays The limit, at most `MAX_EXTENSION_DAYS`.
    function setMandate(uint64 merchantId, address agent, uint16 maxExtensionDays) external;

    /// @notice Sets the most referral commission an order the agent signs may carry (always to a referrer the
    /// owner approved, `setReferrerApproved`); 0, the default, lets its orders carry none. Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param maxReferralBps The limit, at most 10,000 (100 %).
    function setReferralMandate(uint64 merchantId, address agent, uint16 maxReferralBps) external;

    /// @notice Lets the shop's agents name `referrer` in the orders they sign, or no longer. The owner's own
    /// orders may name anyone. Owner only.
    /// @param merchantId The merchant.
    /// @param referrer The referrer.
    /// @param approved Whether agents may name it.
    function setReferrerApproved(uint64 merchantId, address referrer, bool approved) external;

    /// @notice Sets what an agent may still refund in a token without asking (0 revokes). Owner only.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget.
    function setBudget(uint64 merchantId, address agent, address token, uint256 amount) external;

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
    ) external returns (uint64 termsId);

    /// @notice Stops terms from being used for new orders. Purchases already made keep them. Owner only.
    /// @param termsId The terms.
    function retireTerms(uint64 termsId) external;

    /// @notice Number of merchants registered (ids run from 1).
    function merchantCount() external view returns (uint64);

    /// @notice A merchant; reverts for an unknown id.
    /// @param merchantId The merchant.
    function merchant(uint64 merchantId) external view returns (Merchant memory);

    /// @notice An account's role and mandate at a merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    function staffOf(uint64 merchantId, address account) external view returns (Staff memory);

    /// @notice Whether the shop's agents may name `referrer` in the orders they sign.
    /// @param merchantId The merchant.
    /// @param referrer The referrer.
    function referrerApproved(uint64 merchantId, address referrer) external view returns (bool);

    /// @notice Whether a merchant accepts a token for new orders (the native currency always).
    /// @param merchantId The merchant.
    /// @param token The token.
    function accepts(uint64 merchantId, address token) external view returns (bool);

    /// @notice Number of terms published (ids run from 1).
    function termsCount() external view returns (uint64);

    /// @notice Published terms; reverts for an unknown id.
    /// @param termsId The terms.
    function terms(uint64 termsId) external view returns (Terms memory);

    /// @notice What an agent may still refund in a token without asking.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    function budgetOf(uint64 merchantId, address agent, address token) external view returns (uint256);

    /// @notice Payments kept for a merchant because pushing them to its payout failed.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function merchantDeferredBalance(uint64 merchantId, address token) external view returns (uint256);

    /// @notice Refunds a customer out of what is still in escrow for a purchase, at any time before
    /// settlement. The owner may refund freely; an agent within its goodwill budget for the token.
    /// @param order The order, as bought.
    /// @param amount Amount to refund.
    /// @param reason Why.
    /// @param note Hash of a note, kept off chain.
    function goodwillRefund(Order calldata order, uint256 amount, Reason reason, bytes32 note) external;

    /// @notice Refunds lines while the customer keeps them ("keep it"): their share of what was paid, no
    /// restocking fee, no return needed; the lines count as returned. Owner, or an agent within its budget.
    /// @param order The order, as bought.
    /// @param lines Its line items.
    /// @param lineMask Bit i set refunds line i.
    /// @param reason Why.
    function refundWithoutReturn(
        Order calldata order,
        LineItem[] calldata lines,
        uint32 lineMask,
        Reason reason
    ) external;

    /// @notice Adds days to one purchase's open return window: an agent up to its mandate's days per
    /// purchase (counting what was added before), the owner up to `MAX_EXTENSION_DAYS`. Never for terms
    /// without returns, and never once the window has closed (see `setWindowExtension`).
    /// @param order The order, as bought.
    /// @param extraDays Days to add.
    /// @param reason Why.
    function extendWindow(Order calldata order, uint16 extraDays, Reason reason) external;

    /// @notice Sets the days added to a purchase's return window to more than they are, up to
    /// `MAX_EXTENSION_DAYS`: reopens a closed window, or extends an open one without a mandate. Never fewer:
    /// an extension given is the customer's, and no one takes it back. Owner only.
    /// @param order The order, as bought.
    /// @param extensionDays Total days added to the window.
    /// @param reason Why.
    function setWindowExtension(Order calldata order, uint16 extensionDays, Reason reason) external;

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
    ) external returns (uint256 credited);

    /// @notice Takes the money part of the caller's store credit at a merchant out, once the shop has no
    /// active terms or its stated delay since the credit was last issued has passed. The bonus part goes
    /// back to the merchant.
    /// @param merchantId The merchant.
    /// @param token The token (address(0) for the native currency).
    function cashOutCredit(uint64 merchantId, address token) external;

    /// @notice Store credit a customer holds at a merchant, in a token.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param token The token (address(0) for the native currency).
    function creditOf(uint64 merchantId, address customer, address token) external view returns (Credit memory);

    /// @notice Store credit a purchase was paid with.
    /// @param purchaseId The purchase.
    function creditUsedOf(bytes32 purchaseId) external view returns (CreditUsed memory);

    /// @notice The credit bonus a purchase still owes its customer, given when it settles (out of what the
    /// merchant keeps then, at most that).
    /// @param purchaseId The purchase.
    function pendingBonusOf(bytes32 purchaseId) external view returns (uint256);
}
