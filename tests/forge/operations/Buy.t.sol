// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger} from "../../../contracts/interfaces/ILedger.sol";
import {WalletCustomer} from "../../contracts/WalletCustomer.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice `buy`: a shop-signed order paid into escrow, once, under the terms it names.
contract BuyTest is LedgerFixture {
    function test_purchaseId_isTheOrdersTypedDigest(uint256 seed, uint256 count) public {
        ILedger.LineItem[] memory lines = _lines(seed, count, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromDelivery, address(plain)), lines);
        vm.assertEq(ledger.purchaseIdOf(order), _purchaseId(ledger, order), "the contract hashes orders differently");
    }

    function test_buy_paysEscrowInEth(uint256 seed, uint256 count) public {
        ILedger.LineItem[] memory lines = _lines(seed, count, 10 ether);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
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
        ILedger.LineItem[] memory lines = _lines(seed, count, 1e24);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(feeToken)), lines);
        _buyAs(customer, order, lines, 0);
        (,,, uint256 paid) = ledger.purchaseOf(order);
        vm.assertEq(paid, order.total - order.total * 100 / BPS, "paid is what arrived");
        vm.assertEq(feeToken.balanceOf(address(ledger)), paid, "escrow holds what arrived");
    }

    function test_buy_acceptsATokenWithoutReturnValue(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 2, 1e20);
        ILedger.Order memory order = _purchase(fromPurchase, address(noReturn), lines);
        vm.assertEq(noReturn.balanceOf(address(ledger)), order.total, "escrow");
    }

    function test_buy_openOrderStoresTheBuyer(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 1, 1e18);
        Quote memory quote = _quote(fromPurchase, address(0));
        quote.customer = address(0);
        ILedger.Order memory order = _order(ledger, quote, lines);
        _buyAs(stranger, order, lines, 0);
        (, address buyer,,) = ledger.purchaseOf(order);
        vm.assertEq(buyer, stranger, "the buyer of an open order is who paid");
    }

    function test_buy_signedByAgentWithCompactSignature(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 3, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signCompact(AGENT_KEY, _purchaseId(ledger, order));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
        vm.assertTrue(ledger.purchaseState(_purchaseId(ledger, order)).purchasedAt != 0, "bought");
    }

    function test_buy_signedByAContractWallet() public {
        WalletCustomer wallet = new WalletCustomer(vm.addr(0xBEEF));
        vm.prank(owner);
        ledger.addAgent(shop, address(wallet));
        ILedger.LineItem[] memory lines = _lines(1, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = bytes.concat(bytes20(address(wallet)), _sign(0xBEEF, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
        bytes memory forged = bytes.concat(bytes20(address(wallet)), _sign(0xBAD, _purchaseId(ledger, order)));
        ILedger.Order memory other = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, other), address(0))
        );
        vm.prank(customer);
        ledger.buy{value: other.total}(other, lines, 0, forged);
    }

    function test_buy_refusesAnOrderNotSignedByStaff(uint256 key) public {
        key = _bound(key, 1, 1e60);
        vm.assume(key != OWNER_KEY && key != AGENT_KEY);
        ILedger.LineItem[] memory lines = _lines(key, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes32 purchaseId = _purchaseId(ledger, order);
        bytes memory signature = _sign(key, purchaseId);
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerInvalidOrderSignature.selector, purchaseId, vm.addr(key))
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesAMalformedSignature(uint8 length) public {
        vm.assume(length != 64 && length != 65 && length <= 20);
        ILedger.LineItem[] memory lines = _lines(length, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(
            abi.encodeWithSelector(ILedger.LedgerInvalidOrderSignature.selector, _purchaseId(ledger, order), address(0))
        );
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, new bytes(length));
    }

    function test_buy_refusesTheSameOrderTwice(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 2, 1e18);
        ILedger.Order memory order = _purchase(fromPurchase, address(0), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerPurchaseExists.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesAnExpiredOrder(uint256 late) public {
        late = _bound(late, 1, 365 days);
        ILedger.LineItem[] memory lines = _lines(late, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        uint256 expiry = block.timestamp + DAY;
        vm.warp(expiry + late);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerOrderExpired.selector, expiry, expiry + late));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesSomeoneElsesOrder(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedger.LedgerNotOrderCustomer.selector, _purchaseId(ledger, order), customer, stranger
            )
        );
        vm.prank(stranger);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesLinesThatDoNotMatch(uint256 seed, uint128 price) public {
        ILedger.LineItem[] memory lines = _lines(seed, 2, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        price = uint128(_bound(price, 1, 1e18));
        vm.assume(price != lines[0].unitPrice);
        lines[0].unitPrice = price;
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerLinesMismatch.selector, _purchaseId(ledger, order)));
        vm.prank(customer);
        ledger.buy{value: order.total}(order, lines, 0, signature);
    }

    function test_buy_refusesBadLineCounts() public {
        ILedger.LineItem[] memory none = new ILedger.LineItem[](0);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), none);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerLineCount.selector, 0, 32));
        vm.prank(customer);
        ledger.buy(order, none, 0, "");
        ILedger.LineItem[] memory lines = _lines(3, 2, 1e18);
        ILedger.LineItem[] memory fewer = new ILedger.LineItem[](1);
        fewer[0] = lines[0];
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerLineCount.selector, 1, 32));
        vm.prank(customer);
        ledger.buy(order, fewer, 0, "");
    }

    function test_buy_refusesZeroQuantityZeroTotalAndTooLarge() public {
        ILedger.LineItem[] memory lines = new ILedger.LineItem[](1);
        lines[0] = _line("X", 0, 1);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerInvalidLine.selector, 0));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
        lines[0] = _line("X", 1, 0);
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(ILedger.LedgerZeroAmount.selector);
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
        lines[0] = _line("X", 2, type(uint128).max);
        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedger.LedgerAmountTooLarge.selector, uint256(type(uint128).max) * 2, type(uint128).max
            )
        );
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesTermsOfAnotherShopRetiredOrMisquoted(uint256 seed) public {
        ILedger.LineItem[] memory lines = _lines(seed, 1, 1e18);
        vm.prank(stranger);
        uint64 otherShop = ledger.registerMerchant(stranger);
        vm.prank(stranger);
        uint64 otherTerms = ledger.publishTerms(otherShop, 1, 0, 0, false);
        Quote memory quote = _quote(otherTerms, address(0));
        ILedger.Order memory order = _order(ledger, quote, lines);
        order.head = order.head & ~(uint256(type(uint64).max) << 32) | uint256(shop) << 32;
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerUnknownTerms.selector, otherTerms));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");

        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        order.payment += 1; // one second more of window than the terms give
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerTermsMismatch.selector, fromPurchase));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");

        order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        vm.prank(owner);
        ledger.retireTerms(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerTermsRetired.selector, fromPurchase));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesAnUnacceptedToken(uint256 seed) public {
        vm.prank(owner);
        ledger.setTokenAccepted(shop, address(plain), false);
        ILedger.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(plain)), lines);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerTokenNotAccepted.selector, shop, address(plain)));
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
        ILedger.LineItem[] memory lines = _lines(which, 1, 1e18);
        ILedger.Order memory order = _order(ledger, quote, lines);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerInvalidReferrer.selector, named));
        vm.prank(customer);
        ledger.buy(order, lines, 0, "");
    }

    function test_buy_refusesTheWrongPayment(uint256 seed, uint256 value) public {
        ILedger.LineItem[] memory lines = _lines(seed, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(0)), lines);
        value = _bound(value, 0, 100 ether);
        vm.assume(value != order.total);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerWrongPayment.selector, order.total, value));
        vm.prank(customer);
        ledger.buy{value: value}(order, lines, 0, signature);

        order = _order(ledger, _quote(fromPurchase, address(plain)), lines);
        signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(abi.encodeWithSelector(ILedger.LedgerWrongPayment.selector, 0, 1));
        vm.prank(customer);
        ledger.buy{value: 1}(order, lines, 0, signature);
    }

    function test_buy_refusesATokenThatDeliversNothing() public {
        FeeAll everything = new FeeAll();
        vm.prank(owner);
        ledger.setTokenAccepted(shop, address(everything), true);
        ILedger.LineItem[] memory lines = _lines(9, 1, 1e18);
        ILedger.Order memory order = _order(ledger, _quote(fromPurchase, address(everything)), lines);
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        vm.expectRevert(ILedger.LedgerZeroAmount.selector);
        vm.prank(customer);
        ledger.buy(order, lines, 0, signature);
    }

    function test_receive_refusesPlainEth(uint256 value) public {
        value = _bound(value, 1, 100 ether);
        vm.prank(customer);
        (bool sent,) = address(ledger).call{value: value}("");
        vm.assertFalse(sent, "the ledger took ETH outside a purchase");
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
