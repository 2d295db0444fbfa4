// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedgerTypes} from "./interfaces/ILedger.sol";
import {ILedgerFeedback, ILedgerPurchases} from "./interfaces/ILedgerFeedback.sol";

/// @title LedgerFeedback
/// @notice Verified-purchase feedback: a customer reviews and scores only a purchase the ledger holds
/// (every purchase is an order its shop signed), and rates contact moments. Kept apart from the ledger,
/// which it only reads.
/// @dev Contact moments are events only (to stay cheap), so this contract cannot see that a rated contact
/// was logged: a rating is keyed to its caller, and readers count it only against a matching
/// `ContactLogged` event that the merchant's staff logged.
contract LedgerFeedback is ILedgerFeedback {
    /// @notice The ledger whose purchases are reviewed.
    ILedgerPurchases public immutable LEDGER;

    /// @dev Reviews and net promoter scores, one slot a purchase (written only when feedback is given).
    mapping(bytes32 purchaseId => Feedback) private _feedback;
    /// @dev Contact moments a customer rated, keyed by hash(merchant, customer, content hash).
    mapping(bytes32 contactKey => bool) private _contactRated;

    /// @notice Deploys the module for one ledger.
    /// @param ledger The ledger.
    constructor(ILedgerPurchases ledger) {
        LEDGER = ledger;
    }

    /// @notice Reviews one of the caller's purchases; a later review replaces the earlier one.
    /// @param order The purchase's order, as bought.
    /// @param rating 1 to 5.
    /// @param textHash Hash of the review text, kept off chain.
    function review(ILedgerTypes.Order calldata order, uint8 rating, bytes32 textHash) external {
        (bytes32 purchaseId, uint64 merchantId) = _ownPurchase(order);
        _checkScore(rating, 1, 5);
        Feedback storage feedback = _feedback[purchaseId];
        bool replaced = feedback.rating != 0;
        feedback.rating = rating;
        emit ReviewPosted(purchaseId, merchantId, msg.sender, rating, textHash, replaced);
    }

    /// @notice Gives one of the caller's purchases its net promoter score, once.
    /// @param order The purchase's order, as bought.
    /// @param score 0 (would not recommend) to 10 (would recommend).
    function giveNps(ILedgerTypes.Order calldata order, uint8 score) external {
        (bytes32 purchaseId, uint64 merchantId) = _ownPurchase(order);
        _checkScore(score, 0, 10);
        Feedback storage feedback = _feedback[purchaseId];
        if (feedback.npsGiven) revert LedgerAlreadyRated(purchaseId);
        feedback.npsGiven = true;
        feedback.nps = score;
        emit NpsGiven(purchaseId, merchantId, msg.sender, score);
    }

    /// @notice Rates a contact moment the caller had with a merchant (customer satisfaction), once.
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

    /// @notice The review rating and net promoter score given for a purchase.
    /// @param purchaseId The purchase.
    function feedbackOf(bytes32 purchaseId) external view returns (Feedback memory) {
        return _feedback[purchaseId];
    }

    /// @dev The purchase's id and merchant, after checking with the ledger that the caller bought it.
    function _ownPurchase(ILedgerTypes.Order calldata order) private view returns (bytes32 purchaseId, uint64 merchantId) {
        address customer;
        // slither-disable-next-line unused-return (what was paid plays no part in feedback)
        (purchaseId, customer, merchantId,) = LEDGER.purchaseOf(order);
        if (customer != msg.sender) revert LedgerNotCustomer(purchaseId, msg.sender);
    }

    /// @dev Reverts unless `min <= score <= max`.
    function _checkScore(uint8 score, uint8 min, uint8 max) private pure {
        if (score < min || score > max) revert LedgerScoreOutOfRange(score, min, max);
    }
}
