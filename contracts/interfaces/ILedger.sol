// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILedger
/// @notice Types, errors and events of the purchase-history ledger: merchants, return terms, escrowed
/// purchases, contact moments, automatic refunds and settlement.
/// @dev Identities are addresses; everything said between a shop and a customer is kept off chain and
/// only its hash is recorded here.
interface ILedger {
    // ------------------------------------------------------------------ types

    /// @notice What a merchant account may do.
    enum Role {
        None, // no rights
        Agent, // staff: log contacts, confirm deliveries, goodwill refunds
        Owner // everything an agent may do, plus agents, terms and payout
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

    /// @notice A registered merchant.
    /// @dev Two slots: owner | payout (20 bytes), referralBps (2) and creditBonusBps (2).
    struct Merchant {
        /// @dev Account that registered the merchant; it manages agents, terms and the payout address.
        address owner;
        /// @dev Where settled money is paid.
        address payout;
        /// @dev Commission a referrer earns on what the merchant keeps of a purchase, in basis points.
        uint16 referralBps;
        /// @dev Bonus on refunds taken as store credit, in basis points.
        uint16 creditBonusBps;
    }

    /// @notice Published return terms. Never changed once published; a change is new terms.
    /// @dev One storage slot: merchantId (8 bytes) | returnWindow (4) | restockingFeeBps (2) |
    /// windowFromDelivery (1) | itemMustBeReturned (1) | retired (1).
    struct Terms {
        /// @dev Merchant that published the terms.
        uint64 merchantId;
        /// @dev Seconds during which a purchase may be returned; 0 means no returns.
        uint32 returnWindow;
        /// @dev Part of a returned line's price the merchant keeps, in basis points.
        uint16 restockingFeeBps;
        /// @dev Whether the window starts when the merchant confirms delivery instead of at purchase.
        bool windowFromDelivery;
        /// @dev Whether a return must name a shipment reference (the item goes back) or is refunded as is.
        bool itemMustBeReturned;
        /// @dev Retired terms cannot be used for new purchases; purchases already made keep them.
        bool retired;
    }

    /// @notice One line of a purchase.
    struct LineItem {
        /// @dev Stock-keeping unit, a short product code (no personal data).
        bytes32 sku;
        /// @dev Number of units; at least 1.
        uint32 quantity;
        /// @dev Price of one unit in the smallest unit of the payment token.
        uint128 unitPrice;
    }

    /// @notice Everything agreed at purchase time. Only its hash (the purchase id) is stored; calls
    /// that act on a purchase pass it back and the contract checks it against the hash.
    struct Purchase {
        /// @dev The buyer; the only account that may return the purchase.
        address customer;
        /// @dev Merchant sold to.
        uint64 merchantId;
        /// @dev Terms that applied at purchase time.
        uint64 termsId;
        /// @dev ERC-20 token paid with, or address(0) for the native currency.
        address token;
        /// @dev Amount that actually arrived in escrow (less than `price` for fee-on-transfer tokens).
        uint128 paid;
        /// @dev Sum of quantity times unit price over the lines.
        uint128 price;
        /// @dev Block timestamp of the purchase.
        uint40 purchasedAt;
        /// @dev Copy of the terms' return window, in seconds.
        uint32 returnWindow;
        /// @dev Copy of the terms' restocking fee, in basis points.
        uint16 restockingFeeBps;
        /// @dev Copy of the terms' window start rule.
        bool windowFromDelivery;
        /// @dev Copy of the terms' return shipment rule.
        bool itemMustBeReturned;
        /// @dev keccak256 of the ABI-encoded line items.
        bytes32 linesHash;
        /// @dev The merchant's order reference: a hash, never personal data.
        bytes32 orderRef;
        /// @dev Who referred the customer (address(0) for nobody); paid a commission at settlement.
        address referrer;
        /// @dev Copy of the merchant's referral commission at purchase time, in basis points.
        uint16 referralBps;
    }

    /// @notice What changes over a purchase's life.
    /// @dev One storage slot: refunded (16 bytes) | deliveredAt (5) | returnedLines (4) | windowExtension (4) |
    /// recorded (1) | settled (1); 1 byte free.
    struct PurchaseState {
        /// @dev Total refunded so far, returns and goodwill together.
        uint128 refunded;
        /// @dev When the merchant confirmed delivery, 0 before.
        uint40 deliveredAt;
        /// @dev Bit i is set once line i has been returned (or refunded while the customer keeps it).
        uint32 returnedLines;
        /// @dev Seconds staff added to the return window.
        uint32 windowExtension;
        /// @dev Set when the purchase is recorded, so an id is known to exist.
        bool recorded;
        /// @dev Set once the escrow has been paid out to the merchant.
        bool settled;
    }

    /// @notice Feedback a customer gave about a purchase.
    /// @dev One storage slot: rating (1 byte) | npsGiven (1) | nps (1).
    struct Feedback {
        /// @dev Latest review rating, 1 to 5; 0 while not reviewed.
        uint8 rating;
        /// @dev Whether the net promoter score was given (it may be 0).
        bool npsGiven;
        /// @dev Net promoter score, 0 to 10.
        uint8 nps;
    }

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

    /// @notice Thrown when an address that must be set is the zero address.
    error LedgerZeroAddress();

    /// @notice Thrown when adding an account that already has a role at the merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    /// @param role The role it already has.
    error LedgerAlreadyHasRole(uint64 merchantId, address account, Role role);

    /// @notice Thrown when removing an account that is not an agent of the merchant.
    /// @param merchantId The merchant.
    /// @param account The account.
    error LedgerNotAnAgent(uint64 merchantId, address account);

    /// @notice Thrown when no terms have this id.
    /// @param termsId The id asked for.
    error LedgerUnknownTerms(uint64 termsId);

    /// @notice Thrown when buying under, or retiring, terms that were retired.
    /// @param termsId The retired terms.
    error LedgerTermsRetired(uint64 termsId);

    /// @notice Thrown when a restocking fee is above 100 %.
    /// @param feeBps The fee given.
    /// @param maxBps The highest fee allowed.
    error LedgerFeeTooHigh(uint16 feeBps, uint16 maxBps);

    /// @notice Thrown when a purchase has no lines or more than the contract tracks.
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

    /// @notice Thrown when the native currency sent does not match the price (or is sent with a token).
    /// @param expected Value that had to be sent.
    /// @param sent Value that was sent.
    error LedgerWrongPayment(uint256 expected, uint256 sent);

    /// @notice Thrown when recording a purchase whose id already exists (same details in the same block).
    /// @param purchaseId The id.
    error LedgerPurchaseExists(bytes32 purchaseId);

    /// @notice Thrown when the purchase passed in matches no recorded purchase.
    /// @param purchaseId Hash of the details passed in.
    error LedgerUnknownPurchase(bytes32 purchaseId);

    /// @notice Thrown when the line items passed in are not the ones recorded for the purchase.
    /// @param purchaseId The purchase.
    error LedgerLinesMismatch(bytes32 purchaseId);

    /// @notice Thrown when someone other than the customer tries to return a purchase.
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
    /// @param deadline First second at which returns are no longer accepted.
    /// @param timestamp Current block time.
    error LedgerReturnWindowClosed(bytes32 purchaseId, uint256 deadline, uint256 timestamp);

    /// @notice Thrown when settling a purchase whose return window is still open.
    /// @param purchaseId The purchase.
    /// @param deadline First second at which the purchase can be settled.
    /// @param timestamp Current block time.
    error LedgerReturnWindowOpen(bytes32 purchaseId, uint256 deadline, uint256 timestamp);

    /// @notice Thrown when settling a purchase whose window starts at delivery before delivery was confirmed.
    /// @param purchaseId The purchase.
    error LedgerAwaitingDelivery(bytes32 purchaseId);

    /// @notice Thrown when confirming a delivery twice.
    /// @param purchaseId The purchase.
    /// @param deliveredAt When delivery was confirmed.
    error LedgerAlreadyDelivered(bytes32 purchaseId, uint256 deliveredAt);

    /// @notice Thrown when the terms require the item to come back and the return names no shipment.
    /// @param purchaseId The purchase.
    error LedgerShipmentRequired(bytes32 purchaseId);

    /// @notice Thrown when settling a purchase that was already settled.
    /// @param purchaseId The purchase.
    error LedgerAlreadySettled(bytes32 purchaseId);

    /// @notice Thrown when a refund asks for more than the purchase still holds in escrow.
    /// @param purchaseId The purchase.
    /// @param requested Amount asked for.
    /// @param available Amount still in escrow.
    error LedgerRefundExceedsEscrow(bytes32 purchaseId, uint256 requested, uint256 available);

    /// @notice Thrown when a contact moment is dated in the future.
    /// @param occurredAt Time given.
    /// @param timestamp Current block time.
    error LedgerTimeInFuture(uint256 occurredAt, uint256 timestamp);

    /// @notice Thrown when withdrawing with no deferred payment waiting.
    /// @param token The token (address(0) for the native currency).
    /// @param account The account that called.
    error LedgerNothingToWithdraw(address token, address account);

    /// @notice Thrown when an agent's refund goes past its goodwill budget, or it acts without a mandate.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token of the budget.
    /// @param requested Amount asked for.
    /// @param available What is left of the budget.
    error LedgerBudgetExceeded(uint64 merchantId, address agent, address token, uint256 requested, uint256 available);

    /// @notice Thrown when a window extension would pass the longest window the contract tracks.
    /// @param purchaseId The purchase.
    /// @param extension The total extension asked for, in seconds.
    error LedgerExtensionTooLong(bytes32 purchaseId, uint256 extension);

    /// @notice Thrown when a purchase would spend more store credit than the customer holds at the merchant.
    /// @param merchantId The merchant.
    /// @param token The token of the credit.
    /// @param requested Credit asked for.
    /// @param available Credit held.
    error LedgerInsufficientCredit(uint64 merchantId, address token, uint256 requested, uint256 available);

    /// @notice Thrown when a customer names itself as its own referrer.
    /// @param customer The customer.
    error LedgerSelfReferral(address customer);

    /// @notice Thrown when a rating or score is outside its scale.
    /// @param score The score given.
    /// @param min The lowest score allowed.
    /// @param max The highest score allowed.
    error LedgerScoreOutOfRange(uint8 score, uint8 min, uint8 max);

    /// @notice Thrown when a score that may be given once is given again.
    /// @param subject The purchase id (NPS) or contact key (CSAT) already rated.
    error LedgerAlreadyRated(bytes32 subject);

    /// @notice Thrown when a signed request is submitted after its deadline.
    /// @param deadline Last second the request was valid.
    /// @param timestamp Current block time.
    error LedgerSignatureExpired(uint256 deadline, uint256 timestamp);

    /// @notice Thrown when a signed return request was not signed by the purchase's customer for this
    /// contract, chain and nonce (a forgery, a replay, or a request meant for another deployment).
    /// @param purchaseId The purchase.
    /// @param customer The account whose signature was expected.
    error LedgerInvalidSignature(bytes32 purchaseId, address customer);

    // ------------------------------------------------------------------ events

    /// @notice Emitted when a merchant is registered.
    /// @param merchantId New merchant id.
    /// @param owner Account that registered it.
    /// @param payout Where settled money goes.
    event MerchantRegistered(uint64 indexed merchantId, address indexed owner, address payout);

    /// @notice Emitted when a merchant's payout address changes.
    /// @param merchantId The merchant.
    /// @param payout New payout address.
    event PayoutChanged(uint64 indexed merchantId, address payout);

    /// @notice Emitted when an agent is added to a merchant.
    /// @param merchantId The merchant.
    /// @param agent The new agent.
    event AgentAdded(uint64 indexed merchantId, address indexed agent);

    /// @notice Emitted when an agent is removed from a merchant.
    /// @param merchantId The merchant.
    /// @param agent The removed agent.
    event AgentRemoved(uint64 indexed merchantId, address indexed agent);

    /// @notice Emitted when a merchant publishes return terms.
    /// @param termsId New terms id.
    /// @param merchantId The merchant.
    /// @param terms The terms as stored.
    event TermsPublished(uint64 indexed termsId, uint64 indexed merchantId, Terms terms);

    /// @notice Emitted when terms are retired for new purchases.
    /// @param termsId The terms.
    /// @param merchantId The merchant.
    event TermsRetired(uint64 indexed termsId, uint64 indexed merchantId);

    /// @notice Emitted when a purchase is paid into escrow.
    /// @param purchaseId keccak256 of the ABI-encoded purchase.
    /// @param merchantId The merchant.
    /// @param customer The buyer.
    /// @param purchase Everything agreed, as hashed into the id.
    /// @param lines The line items, as hashed into `purchase.linesHash`.
    event PurchaseRecorded(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed customer,
        Purchase purchase,
        LineItem[] lines
    );

    /// @notice Emitted when the merchant confirms delivery.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param deliveredAt Block time of the confirmation.
    event DeliveryConfirmed(bytes32 indexed purchaseId, uint64 indexed merchantId, uint40 deliveredAt);

    /// @notice Emitted when a customer returns lines and is refunded automatically.
    /// @param purchaseId The purchase.
    /// @param customer The customer.
    /// @param lineMask Bit mask of the lines returned.
    /// @param refund Amount refunded (line prices less the restocking fee).
    /// @param shipmentRef Hash of the return shipment reference, zero when the item stays with the customer.
    event ItemsReturned(
        bytes32 indexed purchaseId, address indexed customer, uint32 lineMask, uint256 refund, bytes32 shipmentRef
    );

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

    /// @notice Emitted when staff extend a purchase's return window.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param agent Account that extended it.
    /// @param extension Total seconds added to the window so far.
    /// @param reason Why.
    event WindowExtended(
        bytes32 indexed purchaseId, uint64 indexed merchantId, address indexed agent, uint32 extension, Reason reason
    );

    /// @notice Emitted when a merchant sets an agent's goodwill budget in a token.
    /// @param merchantId The merchant.
    /// @param agent The agent.
    /// @param token The token (address(0) for the native currency).
    /// @param amount The budget now left to use.
    event BudgetSet(uint64 indexed merchantId, address indexed agent, address indexed token, uint256 amount);

    /// @notice Emitted when what was not refunded is paid out: the referral commission to the referrer,
    /// the rest to the merchant.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param payout Address the merchant is paid at.
    /// @param amount Amount paid to the merchant.
    /// @param referrer The referrer (address(0) for none).
    /// @param commission Amount paid to the referrer.
    event Settled(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address payout,
        uint256 amount,
        address indexed referrer,
        uint256 commission
    );

    /// @notice Emitted when a customer takes store credit instead of money for returned lines.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant the credit is good at.
    /// @param customer The customer.
    /// @param lineMask Bit mask of the lines returned.
    /// @param amount Credit for the lines (what a money refund would have paid).
    /// @param bonus The merchant's bonus on top, out of what it would have kept of the purchase.
    event CreditIssued(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed customer,
        uint32 lineMask,
        uint256 amount,
        uint256 bonus
    );

    /// @notice Emitted when store credit pays (part of) a purchase.
    /// @param purchaseId The new purchase.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param amount Credit spent.
    event CreditSpent(bytes32 indexed purchaseId, uint64 indexed merchantId, address indexed customer, uint256 amount);

    /// @notice Emitted when a merchant sets its bonus on refunds taken as store credit.
    /// @param merchantId The merchant.
    /// @param creditBonusBps The bonus, in basis points of the credited amount.
    event CreditBonusSet(uint64 indexed merchantId, uint16 creditBonusBps);

    /// @notice Emitted when a merchant sets its referral commission for new purchases.
    /// @param merchantId The merchant.
    /// @param referralBps The commission, in basis points of what the merchant keeps.
    event ReferralCommissionSet(uint64 indexed merchantId, uint16 referralBps);

    /// @notice Emitted when a contact moment is logged.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param purchaseId The purchase it was about, or zero.
    /// @param loggedBy Agent (or the customer itself) that logged it.
    /// @param channel How they were in touch.
    /// @param kind What it was about.
    /// @param occurredAt When it happened.
    /// @param contentHash Hash of the conversation, kept off chain.
    event ContactLogged(
        uint64 indexed merchantId,
        address indexed customer,
        bytes32 indexed purchaseId,
        address loggedBy,
        Channel channel,
        ContactKind kind,
        uint40 occurredAt,
        bytes32 contentHash
    );

    /// @notice Emitted when a customer reviews a purchase (again: the new review replaces the old one).
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param rating 1 to 5.
    /// @param textHash Hash of the review text, kept off chain.
    /// @param replaced Whether it replaces an earlier review of the same purchase.
    event ReviewPosted(
        bytes32 indexed purchaseId,
        uint64 indexed merchantId,
        address indexed customer,
        uint8 rating,
        bytes32 textHash,
        bool replaced
    );

    /// @notice Emitted when a customer gives a purchase its net promoter score.
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param score 0 to 10.
    event NpsGiven(bytes32 indexed purchaseId, uint64 indexed merchantId, address indexed customer, uint8 score);

    /// @notice Emitted when a customer rates a contact moment (customer satisfaction).
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param contentHash The contact's content hash, as logged in `ContactLogged`.
    /// @param score 1 to 5.
    event ContactRated(uint64 indexed merchantId, address indexed customer, bytes32 indexed contentHash, uint8 score);

    /// @notice Emitted when a payment could not be pushed and was kept for its recipient to withdraw.
    /// @param token The token (address(0) for the native currency).
    /// @param recipient Who is owed.
    /// @param amount Amount kept.
    event PaymentDeferred(address indexed token, address indexed recipient, uint256 amount);

    /// @notice Emitted when a deferred payment is withdrawn.
    /// @param token The token (address(0) for the native currency).
    /// @param account Who was owed.
    /// @param to Where it was sent.
    /// @param amount Amount sent.
    event Withdrawn(address indexed token, address indexed account, address to, uint256 amount);
}
