// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedgerTypes} from "./ILedger.sol";

/// @title ILedgerFeedback
/// @notice Errors and events of the ledger's feedback module: verified-purchase reviews, net promoter
/// scores and contact satisfaction scores.
interface ILedgerFeedback {
    /// @notice Feedback a customer gave about a purchase.
    /// @dev One slot: rating (1 byte) | npsGiven (1) | nps (1).
    struct Feedback {
        /// @dev Latest review rating, 1 to 5; 0 while not reviewed.
        uint8 rating;
        /// @dev Whether the net promoter score was given (it may be 0).
        bool npsGiven;
        /// @dev Net promoter score, 0 to 10.
        uint8 nps;
    }

    /// @notice Thrown when someone other than a purchase's customer gives feedback on it.
    /// @param purchaseId The purchase.
    /// @param caller The account that called.
    error LedgerNotCustomer(bytes32 purchaseId, address caller);

    /// @notice Thrown when a rating or score is outside its scale.
    /// @param score The value given.
    /// @param min Lowest allowed.
    /// @param max Highest allowed.
    error LedgerScoreOutOfRange(uint8 score, uint8 min, uint8 max);

    /// @notice Thrown when a purchase's net promoter score or a contact's satisfaction score is given twice.
    /// @param subject The purchase id, or the key of the contact rated.
    error LedgerAlreadyRated(bytes32 subject);

    /// @notice Emitted when a customer reviews a purchase (again: the new review replaces the old one).
    /// @param purchaseId The purchase.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param rating 1 to 5.
    /// @param textHash Hash of the review text (salted when guessable), kept off chain.
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

    /// @notice Emitted when a customer rates a contact moment the merchant's staff logged with it.
    /// @param merchantId The merchant.
    /// @param customer The customer.
    /// @param contentHash The contact's content hash, as logged in `ContactLogged`.
    /// @param score 1 to 5.
    event ContactRated(uint64 indexed merchantId, address indexed customer, bytes32 indexed contentHash, uint8 score);
}

/// @title ILedgerPurchases
/// @notice The part of the ledger the feedback module reads.
interface ILedgerPurchases {
    /// @notice A purchase's id, buyer, merchant and what was paid; reverts when the order was not bought.
    /// @param order The order, as bought.
    function purchaseOf(ILedgerTypes.Order calldata order)
        external
        view
        returns (bytes32 purchaseId, address customer, uint64 merchantId, uint256 paid);
}
