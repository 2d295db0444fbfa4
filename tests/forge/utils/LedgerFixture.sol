// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerFeedback} from "../../../contracts/LedgerFeedback.sol";
import {TestToken} from "../../contracts/TestToken.sol";
import {FeeOnTransferToken} from "../../contracts/FeeOnTransferToken.sol";
import {NoReturnToken} from "../../contracts/NoReturnToken.sol";
import {GasBurningToken} from "../../contracts/GasBurningToken.sol";
import {EthRejecter} from "../../contracts/EthRejecter.sol";
import {LedgerKit} from "./LedgerKit.sol";
import {vm} from "./Vm.sol";

/// @title LedgerFixture
/// @notice The world of the per-operation fuzz tests: one ledger, one shop (owner, an agent with a budget and a
/// mandate, a payout), a customer and a stranger with keys, the plain and hostile test tokens the shop
/// accepts, and three terms: returns from purchase, returns from delivery (the item must come back), no returns.
abstract contract LedgerFixture is LedgerKit {
    ILedger internal ledger;
    LedgerFeedback internal feedback;

    uint256 internal constant OWNER_KEY = 0xA11CE;
    uint256 internal constant AGENT_KEY = 0xA6E17;
    uint256 internal constant CUSTOMER_KEY = 0xC05703E4;
    uint256 internal constant STRANGER_KEY = 0x57A26E4;
    address internal owner = vm.addr(OWNER_KEY);
    address internal agent = vm.addr(AGENT_KEY);
    address internal customer = vm.addr(CUSTOMER_KEY);
    address internal stranger = vm.addr(STRANGER_KEY);
    address internal payout = address(0xFA1D);
    address internal referrer = address(0x2EFE22E2);

    uint64 internal shop;
    /// @dev Terms: 3-day window from purchase, 5 % restocking fee.
    uint64 internal fromPurchase;
    /// @dev Terms: 2-day window from delivery (at most 3 days' wait), the item must come back.
    uint64 internal fromDelivery;
    /// @dev Terms: a final sale.
    uint64 internal finalSale;

    TestToken internal plain;
    FeeOnTransferToken internal feeToken;
    NoReturnToken internal noReturn;
    GasBurningToken internal gasBurner;
    EthRejecter internal rejecter;

    uint256 internal constant AGENT_BUDGET = 1 ether;
    uint16 internal constant AGENT_DAYS = 5;
    uint256 private _orders;

    function setUp() public virtual {
        vm.warp(1_800_000_000);
        (ledger, feedback) = _deployLedger();
        plain = new TestToken("Test Dollar", "TUSD");
        feeToken = new FeeOnTransferToken(100);
        noReturn = new NoReturnToken();
        gasBurner = new GasBurningToken();
        rejecter = new EthRejecter();

        vm.startPrank(owner);
        shop = ledger.registerMerchant(payout);
        fromPurchase = ledger.publishTerms(shop, uint32(3 * DAY), 500, 0, false);
        fromDelivery = ledger.publishTerms(shop, uint32(2 * DAY), 0, uint32(3 * DAY), true);
        finalSale = ledger.publishTerms(shop, 0, 0, 0, false);
        ledger.setTokenAccepted(shop, address(plain), true);
        ledger.setTokenAccepted(shop, address(feeToken), true);
        ledger.setTokenAccepted(shop, address(noReturn), true);
        ledger.setTokenAccepted(shop, address(gasBurner), true);
        ledger.addAgent(shop, agent);
        ledger.setMandate(shop, agent, AGENT_DAYS);
        ledger.setBudget(shop, agent, address(0), AGENT_BUDGET);
        ledger.setBudget(shop, agent, address(plain), AGENT_BUDGET);
        vm.stopPrank();

        address[3] memory holders = [customer, stranger, address(rejecter)];
        for (uint256 i; i < holders.length; ++i) {
            vm.deal(holders[i], 1_000 ether);
            plain.mint(holders[i], 1e30);
            feeToken.mint(holders[i], 1e30);
            noReturn.mint(holders[i], 1e30);
            gasBurner.mint(holders[i], 1e30);
            vm.startPrank(holders[i]);
            plain.approve(address(ledger), type(uint256).max);
            feeToken.approve(address(ledger), type(uint256).max);
            noReturn.approve(address(ledger), type(uint256).max);
            gasBurner.approve(address(ledger), type(uint256).max);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ building orders

    /// @notice Lines from fuzzed numbers: `count` lines (1-4) with quantities 1-3 and prices up to `maxPrice`.
    function _lines(uint256 seed, uint256 count, uint256 maxPrice) internal pure returns (ILedgerTypes.LineItem[] memory) {
        count = _bound(count, 1, 4);
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](count);
        for (uint256 i; i < count; ++i) {
            uint256 word = uint256(keccak256(abi.encode(seed, i)));
            lines[i] = _line(bytes32(i + 1), uint32(1 + word % 3), uint128(_bound(word >> 8, 1, maxPrice)));
        }
        return lines;
    }

    /// @notice A quote of the shop under `termsId` for the customer, in `token`, valid a day, no referrer.
    function _quote(uint64 termsId, address token) internal returns (Quote memory) {
        return Quote({
            merchantId: shop,
            termsId: termsId,
            customer: customer,
            token: token,
            referrer: address(0),
            referralBps: 0,
            expiry: uint40(block.timestamp + DAY),
            orderRef: bytes32(++_orders),
            signerGeneration: 0
        });
    }

    /// @notice `buyer` buys `order` (signed by the owner) paying `credit` in store credit and the rest in
    /// its token (ETH sent along when the token is the native currency).
    function _buyAs(address buyer, ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines, uint256 credit)
        internal
        returns (bytes32 purchaseId)
    {
        bytes memory signature = _signOrder(ledger, OWNER_KEY, order);
        uint256 value = address(uint160(order.payment >> 96)) == address(0) ? order.total - credit : 0;
        vm.prank(buyer);
        purchaseId = ledger.buy{value: value}(order, lines, credit, signature);
    }

    /// @notice The customer buys a fresh order of `lines` under `termsId` in `token`.
    function _purchase(uint64 termsId, address token, ILedgerTypes.LineItem[] memory lines)
        internal
        returns (ILedgerTypes.Order memory order)
    {
        order = _order(ledger, _quote(termsId, token), lines);
        _buyAs(customer, order, lines, 0);
    }

    /// @notice A purchase of two lines (1 × 1 ether, 2 × 0.25 ether) in ETH under `termsId`.
    function _standardPurchase(uint64 termsId)
        internal
        returns (ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines)
    {
        lines = new ILedgerTypes.LineItem[](2);
        lines[0] = _line("COAT", 1, 1 ether);
        lines[1] = _line("HAT", 2, 0.25 ether);
        order = _purchase(termsId, address(0), lines);
    }

    /// @notice Store credit for the customer: it buys `amount` under `fromPurchase` and returns it for credit.
    function _giveCredit(address token, uint128 amount) internal {
        ILedgerTypes.LineItem[] memory lines = new ILedgerTypes.LineItem[](1);
        lines[0] = _line("GIFT", 1, amount);
        ILedgerTypes.Order memory order = _purchase(fromPurchase, token, lines);
        vm.prank(customer);
        ledger.returnItemsForCredit(order, lines, 1, bytes32(0));
    }

    /// @notice `account`'s balance of `token` (address(0): ETH).
    function _balance(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : TestToken(token).balanceOf(account);
    }

    function _one(ILedgerTypes.Order memory order) internal pure returns (ILedgerTypes.Order[] memory orders) {
        orders = new ILedgerTypes.Order[](1);
        orders[0] = order;
    }
}
