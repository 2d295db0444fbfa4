// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {ILedgerFeedback} from "../../../contracts/interfaces/ILedgerFeedback.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Verified-purchase feedback (`LedgerFeedback`: review, NPS, CSAT) and contact moments
/// (`Ledger.logContact`).
contract FeedbackTest is LedgerFixture {
    function test_review_byTheBuyerOnlyAndReplaced(uint8 rating, uint8 again) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        rating = uint8(_bound(rating, 1, 5));
        again = uint8(_bound(again, 1, 5));
        vm.prank(customer);
        feedback.review(order, rating, "great");
        vm.assertEq(feedback.feedbackOf(purchaseId).rating, rating, "rating");
        vm.expectEmit(address(feedback));
        emit ILedgerFeedback.ReviewPosted(purchaseId, shop, customer, again, "better", true);
        vm.prank(customer);
        feedback.review(order, again, "better");
        vm.assertEq(feedback.feedbackOf(purchaseId).rating, again, "replaced");
        vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerNotCustomer.selector, purchaseId, stranger));
        vm.prank(stranger);
        feedback.review(order, rating, "");
    }

    function test_review_refusesOutOfRangeAndUnboughtOrders(uint8 rating) public {
        vm.assume(rating == 0 || rating > 5);
        (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines) = _standardPurchase(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerScoreOutOfRange.selector, rating, 1, 5));
        vm.prank(customer);
        feedback.review(order, rating, "");
        ILedgerTypes.Order memory unbought = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownPurchase.selector, _purchaseId(ledger, unbought)));
        vm.prank(customer);
        feedback.review(unbought, 5, "");
    }

    function test_giveNps_onceInRange(uint8 score) public {
        (ILedgerTypes.Order memory order,) = _standardPurchase(fromPurchase);
        bytes32 purchaseId = _purchaseId(ledger, order);
        if (score > 10) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerScoreOutOfRange.selector, score, 0, 10));
            vm.prank(customer);
            feedback.giveNps(order, score);
            return;
        }
        vm.prank(customer);
        feedback.giveNps(order, score);
        ILedgerFeedback.Feedback memory given = feedback.feedbackOf(purchaseId);
        vm.assertTrue(given.npsGiven, "given");
        vm.assertEq(given.nps, score, "score");
        vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerAlreadyRated.selector, purchaseId));
        vm.prank(customer);
        feedback.giveNps(order, score);
        vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerNotCustomer.selector, purchaseId, stranger));
        vm.prank(stranger);
        feedback.giveNps(order, score);
    }

    function test_rateContact_oncePerContactInRange(uint8 score, bytes32 content) public {
        bytes32 key = keccak256(abi.encode(shop, customer, content));
        if (score == 0 || score > 5) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerScoreOutOfRange.selector, score, 1, 5));
            vm.prank(customer);
            feedback.rateContact(shop, content, score);
            return;
        }
        vm.expectEmit(address(feedback));
        emit ILedgerFeedback.ContactRated(shop, customer, content, score);
        vm.prank(customer);
        feedback.rateContact(shop, content, score);
        vm.expectRevert(abi.encodeWithSelector(ILedgerFeedback.LedgerAlreadyRated.selector, key));
        vm.prank(customer);
        feedback.rateContact(shop, content, score);
    }

    function test_logContact_byStaffOrTheCustomer(uint40 occurredAt, bytes32 content, uint8 channel) public {
        ILedgerTypes.Channel via = ILedgerTypes.Channel(_bound(channel, 0, 7));
        uint256 registeredAt = ledger.merchant(shop).registeredAt;
        vm.warp(block.timestamp + 30 days);
        // 0 (now), or any moment since the shop was registered
        occurredAt = occurredAt % 5 == 0 ? 0 : uint40(_bound(occurredAt, registeredAt, block.timestamp));
        vm.expectEmit(address(ledger));
        emit ILedgerEvents.ContactLogged(
            shop, customer, bytes32(0), agent, via, ILedgerTypes.ContactKind.Question,
            occurredAt == 0 ? uint40(block.timestamp) : occurredAt, content
        );
        vm.prank(agent);
        ledger.logContact(shop, customer, bytes32(0), via, ILedgerTypes.ContactKind.Question, occurredAt, content);
        vm.prank(customer);
        ledger.logContact(shop, customer, bytes32(0), via, ILedgerTypes.ContactKind.Complaint, 0, content);
    }

    function test_logContact_refusesStrangersFutureTimesAndUnknownShops(uint40 later) public {
        later = uint40(_bound(later, block.timestamp + 1, type(uint40).max));
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantAgent.selector, shop, stranger));
        vm.prank(stranger);
        ledger.logContact(shop, customer, 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, 0, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTimeInFuture.selector, later, block.timestamp));
        vm.prank(agent);
        ledger.logContact(shop, customer, 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, later, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, address(0)));
        vm.prank(agent);
        ledger.logContact(shop, address(0), 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, 0, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownMerchant.selector, 0));
        vm.prank(customer);
        ledger.logContact(0, customer, 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, 0, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownMerchant.selector, 7));
        vm.prank(customer);
        ledger.logContact(7, customer, 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, 0, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownMerchant.selector, 7));
        vm.prank(stranger);
        ledger.logContact(7, customer, 0, ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Other, 0, "");
    }

    /// @notice v3: a contact moment cannot be dated before the shop was registered, by staff or by the customer;
    /// the moment of registration itself is fine. A shop registered later has its own date.
    function test_logContact_refusesMomentsBeforeTheShop(uint40 before, uint256 later, bool byCustomer) public {
        uint256 registeredAt = ledger.merchant(shop).registeredAt;
        vm.assertEq(registeredAt, 1_800_000_000, "the registration's block time");
        later = _bound(later, 1, 365 days);
        vm.warp(registeredAt + later);
        before = uint40(_bound(before, 1, registeredAt - 1));
        address caller = byCustomer ? customer : agent;
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTimeBeforeShop.selector, before, registeredAt));
        vm.prank(caller);
        ledger.logContact(shop, customer, 0, ILedgerTypes.Channel.Phone, ILedgerTypes.ContactKind.Other, before, "");
        vm.prank(caller);
        ledger.logContact(
            shop, customer, 0, ILedgerTypes.Channel.Phone, ILedgerTypes.ContactKind.Other, uint40(registeredAt), ""
        );
        vm.prank(stranger);
        uint64 newer = ledger.registerMerchant(stranger);
        vm.assertEq(ledger.merchant(newer).registeredAt, block.timestamp, "registered now");
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerTimeBeforeShop.selector, block.timestamp - 1, block.timestamp)
        );
        vm.prank(customer);
        ledger.logContact(
            newer, customer, 0, ILedgerTypes.Channel.Phone, ILedgerTypes.ContactKind.Other, uint40(block.timestamp - 1), ""
        );
    }
}
