// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {ShopWallet} from "../../contracts/ShopWallet.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice `buy`: a shop-signed order paid into escrow, once, under the terms it names.
contract BuyTest is LedgerFixture {
    function test_purchaseId_isTheOrdersTypedDigest(uint256 seed, uint256 count) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromDelivery, address(plain)), lines);
        vm.assertEq(ledger.purchaseIdOf(order), _purchaseId(ledger, order), "the contract hashes orders differently");
    }

    function test_buy_paysEscrowInEth(uint256 seed, uint256 count) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        uint256 before = address(ledger).balance;
        bytes32 purchaseId = _buyAs(customer, order, lines, 0);
        vm.assertEq(purchaseId, _purchaseId(ledger, order), "purchase id");
        vm.assertEq(address(ledger).balance - before, order.total, "escrow");
        (, address buyer, uint64 merchantId, uint256 paid) = ledger.purchaseOf(order);
        vm.assertEq(buyer, customer, "buyer");
        vm.assertEq(merchantId, shop, "merchant");
        vm.assertEq(paid, order.total, "paid");
        vm.assertEq(ledger.purchaseState(purchaseId).purchasedAt, block.timestamp, "purchased at");
    }

    function test_buy_recordsWhatArrivedOfAFeeOnTransferToken(uint256 seed, uint256 count) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 1e24);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(feeToken)), lines);
        _buyAs(customer, order, lines, 0);
        (,,, uint256 paid) = ledger.purchaseOf(order);
        vm.assertEq(paid, order.total - order.total * 100 / BPS, "paid is what arrived");
        vm.assertEq(feeToken.balanceOf(address(ledger)), paid, "escrow holds what arrived");
    }

    function test_buy_acceptsATokenWithoutReturnValue(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 2, 1e20);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(noReturn), lines);
        vm.assertEq(noReturn.balanceOf(address(ledger)), order.total, "escrow");
    }

    function test_buy_openOrderStoresTheBuyer(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.customer = address(0);
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        _buyAs(stranger, order, lines, 0);
        (, address buyer,,) = ledger.purchaseOf(order);
        vm.assertEq(buyer, stranger, "the buyer of an open order is who paid");
    }

    function test_buy_signedByAgentWithCompactSignature(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 3, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signCompact(AGENT_KEY, _purchaseId(ledger, order));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
        vm.assertTrue(ledger.purchaseState(_purchaseId(ledger, order)).purchasedAt != 0, "bought");
    }

    /// @notice v3: a contract wallet signs as `abi.encode(wallet, payload)`; a payload the wallet does not accept
    /// is refused as malformed, naming no one.
    function test_buy_signedByAContractWallet() public {
        ShopWallet wallet = _walletAgent();
        ILedgerTypes.LineItem[] memory lines = _lines(1, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _walletSignature(address(wallet), WALLET_KEY, _purchaseId(ledger, order));
        vm.assertEq(signature.length, 96 + 96, "offset, length and the 65-byte payload in three words");
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
        ILedgerTypes.Order memory other = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory forged = _walletSignature(address(wallet), 0xBAD, _purchaseId(ledger, other));
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, other), address(0))
        );
        vm.prank(customer);
        ledger.buy{value: other.total}(other, lines, 0, forged);
    }

    uint256 internal constant WALLET_KEY = 0xBEEF;

    /// @dev A shop wallet (ERC-1271, accepting what `WALLET_KEY` signs) made an agent of the shop.
    function _walletAgent() internal returns (ShopWallet wallet) {
        wallet = new ShopWallet(vm.addr(WALLET_KEY));
        vm.prank(owner);
        ledger.addAgent(shop, address(wallet));
    }

    function test_buy_refusesAnOrderNotSignedByStaff(uint256 key) public {
        key = _bound(key, 1, 1e60);
        vm.assume(key != OWNER_KEY && key != AGENT_KEY);
        ILedgerTypes.LineItem[] memory lines = _lines(key, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        bytes memory signature = _sign(key, purchaseId);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, vm.addr(key))
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesAMalformedSignature(uint8 length) public {
        vm.assume(length != 64 && length != 65 && length <= 20);
        ILedgerTypes.LineItem[] memory lines = _lines(length, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, order), address(0))
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, new bytes(length));
    }

    function test_buy_refusesTheSameOrderTwice(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 2, 1e18);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, address(0), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerPurchaseExists.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesAnExpiredOrder(uint256 late) public {
        late = _bound(late, 1, 365 days);
        ILedgerTypes.LineItem[] memory lines = _lines(late, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        uint256 expiry = block.timestamp + DAY;
        vm.warp(expiry + late);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerOrderExpired.selector, expiry, expiry + late));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesSomeoneElsesOrder(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerNotOrderCustomer.selector, _purchaseId(ledger, order), customer, stranger
            )
        );
        vm.prank(stranger);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesLinesThatDoNotMatch(uint256 seed, uint128 price) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 2, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        price = uint128(_bound(price, 1, 1e18));
        vm.assume(price != lines[0].unitPrice);
        lines[0].unitPrice = price;
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerLinesMismatch.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesBadLineCounts() public {
        ILedgerTypes.LineItem[] memory none = new ILedgerTypes.LineItem[](0);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), none);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerLineCount.selector, 0, 32));
        vm.prank(customer);
        ledger.buy(order, none, 0, "");
        ILedgerTypes.LineItem[] memory lines = _lines(3, 2, 1e18);
        ILedgerTypes.LineItem[] memory fewer = new ILedgerTypes.LineItem[](1);
        fewer[0] = lines[0];
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerLineCount.selector, 1, 32));
        vm.prank(customer);
        ledger.buy(order, fewer, 0, "");
    }

    function test_buy_refusesZeroQuantityZeroTotalAndTooLarge() public {
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("X", 0, 1);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidLine.selector, 0));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
        lines[0] = _line("X", 1, 0);
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(ILedgerErrors.LedgerZeroAmount.selector);
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
        lines[0] = _line("X", 2, type(uint128).max);
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerAmountTooLarge.selector, uint256(type(uint128).max) * 2, type(uint128).max
            )
        );
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesTermsOfAnotherShopRetiredOrMisquoted(uint256 seed) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e18);
        vm.prank(stranger);
        uint64 otherShop = ledger.registerMerchant(stranger);
        vm.prank(stranger);
        uint64 otherTerms = ledger.publishTerms(otherShop, 1, 0, 0, false);
        Quote memory quote = _quote(otherTerms, address(0));
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        order.head = order.head & ~(uint256(type(uint64).max) << 32) | uint256(shop) << 32;
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownTerms.selector, otherTerms));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");

        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        order.payment += 1; // one second more of window than the terms give
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTermsMismatch.selector, fromPurchase));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");

        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.prank(owner);
        ledger.retireTerms(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTermsRetired.selector, fromPurchase));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesAnUnacceptedToken(uint256 seed) public {
        vm.prank(owner);
        ledger.setTokenAccepted(shop, address(plain), false);
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(plain)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTokenNotAccepted.selector, shop, address(plain)));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesAnInvalidReferrer(uint256 which, uint16 bps) public {
        which = _bound(which, 0, 3);
        Quote memory quote = _quote(fromPurchase, address(0));
        address named = [customer, address(ledger), address(0), referrer][which];
        quote.referrer = named;
        quote.referralBps = which == 2 ? uint16(_bound(bps, 1, type(uint16).max)) : which == 3
            ? uint16(_bound(bps, BPS + 1, type(uint16).max))
            : bps;
        ILedgerTypes.LineItem[] memory lines = _lines(which, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidReferrer.selector, named));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesTheWrongPayment(uint256 seed, uint256 value) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        value = _bound(value, 0, 100 ether);
        vm.assume(value != order.total);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerWrongPayment.selector, order.total, value));
        vm.prank(customer);
        ledger.buy{value: value}(order, lines, 0, signature);

        order = _order(ledger, _quote(fromPurchase, address(plain)), lines);
        signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerWrongPayment.selector, 0, 1));
        vm.prank(customer);
        ledger.buy{value: 1}(order, lines, 0, signature);
    }

    function test_buy_refusesATokenThatDeliversNothing() public {
        FeeAll everything = new FeeAll();
        vm.prank(owner);
        ledger.setTokenAccepted(shop, address(everything), true);
        ILedgerTypes.LineItem[] memory lines = _lines(9, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(everything)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(ILedgerErrors.LedgerZeroAmount.selector);
        vm.prank(customer);
        ledger.buy(order, lines, 0, signature);
    }

    function test_receive_refusesPlainEth(uint256 value) public {
        value = _bound(value, 1, 100 ether);
        vm.prank(customer);
        (bool sent,) = address(ledger).call{value: value}("");
        vm.assertFalse(sent, "the ledger took ETH outside a purchase");
    }

    // ------------------------------------------------------------------ contract v3 (issue #20)

    /// @notice One order reference, one purchase per shop: a second order the shop signs with the same
    /// reference (a reloaded checkout) is refused, whatever else differs.
    function test_buy_refusesASecondOrderWithTheSameReference(uint256 seed, uint256 count) public {
        ILedgerTypes.LineItem[] memory lines = _lines(seed, count, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        ILedgerTypes.Order memory first = _order(ledger, quote, lines);
        bytes32 firstId = _buyAs(customer, first, lines, 0);
        vm.assertEq(ledger.purchaseOfOrderRef(shop, quote.orderRef), firstId, "the reference finds its purchase");
        quote.expiry += 1; // a new quote: a new order, a new digest, the same reference
        ILedgerTypes.Order memory again = _order(ledger, quote, lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, again);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerOrderRefUsed.selector, shop, quote.orderRef, firstId));
        vm.prank(customer);
        ledger.buy{value: again.total}(again, lines, 0, signature);
    }

    /// @notice An agent's order carries a referral commission only within its referral mandate and only to a
    /// referrer the owner approved; the owner's own orders may name anyone.
    function test_buy_boundsAnAgentsReferralCommission(uint16 bps) public {
        bps = uint16(_bound(bps, 1, BPS));
        address referrer = vm.addr(0x2EF);
        ILedgerTypes.LineItem[] memory lines = _lines(1, 1, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        (quote.referrer, quote.referralBps) = (referrer, bps);
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        bytes memory byAgent = _signOrder(ledger, AGENT_KEY, order);
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.expectRevert(abi.encodeWithSelector(
            ILedgerErrors.LedgerReferralNotAllowed.selector, purchaseId, agent, referrer, bps, 0));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, byAgent); // no mandate, no approval
        vm.startPrank(owner);
        ledger.setReferralMandate(shop, agent, 500);
        ledger.setReferrerApproved(shop, referrer, true);
        vm.stopPrank();
        if (bps > 500) {
            vm.expectRevert(abi.encodeWithSelector(
                ILedgerErrors.LedgerReferralNotAllowed.selector, purchaseId, agent, referrer, bps, 500));
        }
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, byAgent);
        if (bps > 500) _buyAs(customer, order, lines, 0); // signed by the owner instead: any commission
        vm.assertTrue(ledger.purchaseState(purchaseId).purchasedAt != 0, "bought");
    }

    /// @notice Bits of the packed order no field uses are refused: they are not signed. (v3: the referral word's
    /// low byte is the signer's generation, signed: see `test_buy_theSignerGenerationIsSigned`.)
    function test_buy_refusesBitsNoFieldUses(uint8 which) public {
        ILedgerTypes.LineItem[] memory lines = _lines(2, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        order.head |= uint256(1) << (17 + which % 7);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnusedOrderBits.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    /// @notice None of the ledger's own contracts can be a referrer: none could ever withdraw a commission.
    function test_buy_refusesTheLedgersOwnContractsAsReferrer(uint8 which) public {
        address referrer = [address(ledger), ledger.MODULE(), ledger.FEEDBACK()][which % 3];
        ILedgerTypes.LineItem[] memory lines = _lines(3, 1, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        (quote.referrer, quote.referralBps) = (referrer, 100);
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidReferrer.selector, referrer));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    // ------------------------------------------------------------------ contract v3: signers' generations

    /// @notice The signer's generation is part of what is signed: an order whose generation byte is changed after
    /// signing has another digest, so the signature names someone else and is refused.
    function test_buy_theSignerGenerationIsSigned(uint8 generation) public {
        vm.assume(generation != 0);
        ILedgerTypes.LineItem[] memory lines = _lines(generation, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 signedId = _purchaseId(ledger, order);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(AGENT_KEY, signedId);
        order.referral |= generation;
        bytes32 purchaseId = _purchaseId(ledger, order);
        vm.assertTrue(purchaseId != signedId, "the generation is hashed");
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, ecrecover(purchaseId, v, r, s)
            )
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, abi.encodePacked(r, s, v));
    }

    /// @notice An agent removed and added again cannot sell with what it signed before: an order naming any
    /// earlier stint is stale, one naming the stint it is in is accepted, and while removed it signs nothing.
    function test_buy_refusesAnOrderOfAnAgentsEarlierStint(uint256 stints, uint256 signedIn) public {
        stints = _bound(stints, 1, 20);
        signedIn = _bound(signedIn, 0, stints - 1);
        ILedgerTypes.LineItem[] memory lines = _lines(stints, 2, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.signerGeneration = uint8(signedIn);
        ILedgerTypes.Order memory old = _order(ledger, quote, lines);
        bytes memory oldSignature = _signOrder(ledger, AGENT_KEY, old);
        vm.startPrank(owner);
        for (uint256 k; k < stints; ++k) {
            ledger.removeAgent(shop, agent);
            ledger.addAgent(shop, agent);
        }
        ledger.removeAgent(shop, agent);
        vm.stopPrank();
        vm.assertEq(ledger.staffOf(shop, agent).generation, stints + 1, "a generation a removal");
        quote.signerGeneration = uint8(stints + 1);
        ILedgerTypes.Order memory current = _order(ledger, quote, lines);
        bytes memory signature = _signOrder(ledger, AGENT_KEY, current);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, current), agent)
        );
        vm.prank(customer);
        ledger.buy{value: current.total}(current, lines, 0, signature); // removed: no generation is good

        vm.prank(owner);
        ledger.addAgent(shop, agent);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerStaleOrderSigner.selector, _purchaseId(ledger, old), agent, signedIn, stints + 1
            )
        );
        vm.prank(customer);
        ledger.buy{value: old.total}(old, lines, 0, oldSignature);
        vm.prank(customer);
        ledger.buy{value: current.total}(current, lines, 0, signature);
        vm.assertTrue(ledger.purchaseState(_purchaseId(ledger, current)).purchasedAt != 0, "the current stint sells");
    }

    /// @notice The owner's generation is 0 for good: an order naming another is stale, whoever signs.
    function test_buy_refusesAnOwnersOrderNamingAnotherGeneration(uint8 generation) public {
        vm.assume(generation != 0);
        ILedgerTypes.LineItem[] memory lines = _lines(generation, 1, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.signerGeneration = generation;
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerErrors.LedgerStaleOrderSigner.selector, _purchaseId(ledger, order), owner, generation, 0
            )
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    /// @notice An account is an agent 256 times at most: the 256th stint (generation 255) still sells, a 257th is
    /// refused (its generation would read as 0 in an order's byte and revive the first stint's orders).
    function test_addAgent_refusesA257thStint() public {
        ILedgerTypes.LineItem[] memory lines = _lines(7, 1, 1e18);
        ILedgerTypes.Order memory first = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory firstSignature = _signOrder(ledger, AGENT_KEY, first);
        vm.startPrank(owner);
        for (uint256 k; k < 255; ++k) {
            ledger.removeAgent(shop, agent);
            ledger.addAgent(shop, agent);
        }
        vm.stopPrank();
        vm.assertEq(ledger.staffOf(shop, agent).generation, 255, "the 256th stint");
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.signerGeneration = 255;
        ILedgerTypes.Order memory last = _order(ledger, quote, lines);
        vm.prank(customer);
        ledger.buy{value: last.total}(last, lines, 0, _signOrder(ledger, AGENT_KEY, last));
        vm.startPrank(owner);
        ledger.removeAgent(shop, agent);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerAgentGenerationsUsed.selector, shop, agent));
        ledger.addAgent(shop, agent);
        vm.stopPrank();
        vm.assertTrue(ledger.staffOf(shop, agent).role == ILedgerTypes.Role.None, "not an agent again");
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, first), agent)
        );
        vm.prank(customer);
        ledger.buy{value: first.total}(first, lines, 0, firstSignature);
    }

    // ------------------------------------------------------------------ contract v3: wallet signatures

    /// @notice Any other encoding of a wallet's signature is refused: v2's `wallet ++ payload` (as is, or padded
    /// to whole words), an offset other than 0x40, words after the payload, a length that does not match, an
    /// address word with high bits set.
    function test_buy_refusesAWalletSignatureInAnyOtherEncoding(uint8 how, bytes32 junk) public {
        ShopWallet wallet = _walletAgent();
        ILedgerTypes.LineItem[] memory lines = _lines(how, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        bytes memory payload = _sign(WALLET_KEY, purchaseId);
        bytes memory right = abi.encode(address(wallet), payload);
        bytes memory signature;
        bool decodes = true; // false: abi.decode itself refuses (a revert without data)
        uint256 w = how % 7;
        if (w == 0) {
            signature = bytes.concat(bytes20(address(wallet)), payload); // v2's form, 85 bytes
        } else if (w == 1) {
            signature = bytes.concat(bytes20(address(wallet)), payload, new bytes(43)); // v2's, padded to 128
            decodes = false;
        } else if (w == 2) {
            // the payload one word further on, the offset saying so: decodes, but not the standard encoding
            signature = abi.encodePacked(
                bytes32(uint256(uint160(address(wallet)))), uint256(0x60), junk, uint256(payload.length), payload,
                new bytes(31)
            );
        } else if (w == 3) {
            signature = bytes.concat(right, junk); // a word after the payload
        } else if (w == 4) {
            signature = _slice(right, 0); // a payload length one word short of what follows
            assembly ("memory-safe") {
                mstore(add(signature, 0x60), 33)
            }
        } else if (w == 5) {
            signature = bytes.concat(bytes32(uint256(uint160(address(wallet))) | 1 << 160), _slice(right, 32));
            decodes = false;
        } else {
            signature = _slice(right, 0);
            assembly ("memory-safe") {
                mstore(signature, sub(mload(signature), 32)) // the last word cut off
            }
            decodes = false;
        }
        if (decodes) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(0)));
        } else {
            vm.expectRevert();
        }
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, right); // the standard encoding of the same: accepted
    }

    /// @notice A staff account's address passed off as a wallet, with the account's own signature as payload, is
    /// refused: an account answers no ERC-1271 check. A wallet that is not staff is refused by name.
    function test_buy_refusesAnAccountPassedOffAsAWalletAndAWalletNotStaff(bool ownerAsWallet) public {
        ILedgerTypes.LineItem[] memory lines = _lines(5, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        if (ownerAsWallet) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(0)));
            vm.prank(customer);
            ledger.buy{value: order.total}(order, lines, 0, abi.encode(owner, _sign(OWNER_KEY, purchaseId)));
        } else {
            ShopWallet outsider = new ShopWallet(vm.addr(WALLET_KEY));
            vm.expectRevert(
                abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(outsider))
            );
            vm.prank(customer);
            ledger.buy{value: order.total}(order, lines, 0, _walletSignature(address(outsider), WALLET_KEY, purchaseId));
        }
    }

    /// @notice The padding after a wallet's payload is not read: a signature whose padding bytes are set reads as
    /// the same wallet and payload (one reading, though not one encoding). Harmless: the purchase id is the order's
    /// digest, so the order is bought once whichever encoding comes first.
    function test_buy_walletSignaturePaddingIsNotRead(uint8 dirt) public {
        vm.assume(dirt != 0);
        ShopWallet wallet = _walletAgent();
        ILedgerTypes.LineItem[] memory lines = _lines(dirt, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        bytes memory right = _walletSignature(address(wallet), WALLET_KEY, purchaseId);
        bytes memory padded = _slice(right, 0);
        padded[padded.length - 1] = bytes1(dirt); // the 65-byte payload's last word has 31 bytes of padding
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, padded);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerPurchaseExists.selector, purchaseId));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, right);
    }

    /// @notice A wallet that approved an order's digest on chain (a Safe through SignMessageLib) signs it with an
    /// empty payload, `abi.encode(wallet, "")`, as a customer's wallet signs a return with an empty signature. The
    /// approval is of one digest only, holds only while the wallet is staff, and an account has none to give.
    function test_buy_acceptsAnOrderItsWalletApprovedOnChain(uint8 attack) public {
        ApprovingWallet wallet = new ApprovingWallet();
        vm.prank(owner);
        ledger.addAgent(shop, address(wallet));
        ILedgerTypes.LineItem[] memory lines = _lines(attack, 1, 1e18);
        ILedgerTypes.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        ILedgerTypes.Order memory other = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        wallet.approve(purchaseId);
        bytes memory approved = abi.encode(address(wallet), "");
        vm.assertEq(approved.length, 96, "address, offset and an empty payload's length");
        uint256 a = attack % 4;
        if (a == 0) {
            // the approval of one order, replayed for another
            vm.expectRevert(
                abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, other), address(0))
            );
            vm.prank(customer);
            ledger.buy{value: other.total}(other, lines, 0, approved);
        } else if (a == 1) {
            // an account passed off as a wallet that approved: it has no approvals to ask
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(0)));
            vm.prank(customer);
            ledger.buy{value: order.total}(order, lines, 0, abi.encode(agent, ""));
        } else if (a == 2) {
            // the wallet is no longer staff
            vm.prank(owner);
            ledger.removeAgent(shop, address(wallet));
            vm.expectRevert(
                abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(wallet))
            );
            vm.prank(customer);
            ledger.buy{value: order.total}(order, lines, 0, approved);
            return;
        } else {
            // nothing at all: no signer is named
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidOrderSignature.selector, purchaseId, address(0)));
            vm.prank(customer);
            ledger.buy{value: order.total}(order, lines, 0, "");
        }
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, approved);
        vm.assertTrue(ledger.purchaseState(purchaseId).purchasedAt != 0, "bought with the wallet's approval");
    }

    /// @dev `data` from byte `from` on.
    function _slice(bytes memory data, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(data.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[from + i];
        }
    }
}

/// @notice A token whose `transferFrom` succeeds and moves nothing (a 100 % fee).
contract FeeAll {
    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }

    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }
}

/// @notice A contract wallet that approves digests on chain, as a Safe does through SignMessageLib: its ERC-1271
/// check accepts an empty signature of a digest it approved, and nothing else.
contract ApprovingWallet {
    mapping(bytes32 digest => bool) private _approved;

    /// @notice Approves `digest` (in a Safe, a transaction its owners signed up to the threshold).
    function approve(bytes32 digest) external {
        _approved[digest] = true;
    }

    /// @notice ERC-1271: the magic value for an empty signature of an approved digest, else 0xffffffff.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        return signature.length == 0 && _approved[digest] ? this.isValidSignature.selector : bytes4(0xffffffff);
    }
}
