// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {LedgerModule} from "../../../contracts/LedgerModule.sol";
import {LedgerFixture} from "../utils/LedgerFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice The shop's own settings: merchants, payout, tokens, credit bonus and delay, staff, mandates,
/// budgets and terms (`LedgerShops`).
contract ShopsTest is LedgerFixture {
    function test_registerMerchant_countsFromOne(address by, address to) public {
        vm.assume(to != address(0) && to != address(ledger) && by != address(0));
        uint64 count = ledger.merchantCount();
        vm.prank(by);
        uint64 id = ledger.registerMerchant(to);
        vm.assertEq(id, count + 1, "next id");
        ILedgerTypes.Merchant memory found = ledger.merchant(id);
        vm.assertEq(found.owner, by, "owner");
        vm.assertEq(found.payout, to, "payout");
        vm.assertTrue(ledger.staffOf(id, by).role == ILedgerTypes.Role.Owner, "the owner is staff");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, address(0)));
        ledger.registerMerchant(address(0));
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownMerchant.selector, id + 1));
        ledger.merchant(id + 1);
    }

    function test_ownerOnlySettings_refusedToOthers(address caller) public {
        vm.assume(caller != owner);
        bytes memory notOwner = abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantOwner.selector, shop, caller);
        vm.startPrank(caller);
        vm.expectRevert(notOwner);
        ledger.setPayout(shop, caller);
        vm.expectRevert(notOwner);
        ledger.setTokenAccepted(shop, address(plain), false);
        vm.expectRevert(notOwner);
        ledger.setCreditBonus(shop, 1);
        vm.expectRevert(notOwner);
        ledger.setCreditCashOutDelay(shop, 1);
        vm.expectRevert(notOwner);
        ledger.addAgent(shop, stranger);
        vm.expectRevert(notOwner);
        ledger.removeAgent(shop, agent);
        vm.expectRevert(notOwner);
        ledger.setMandate(shop, agent, 1);
        vm.expectRevert(notOwner);
        ledger.setBudget(shop, agent, address(0), 1);
        vm.expectRevert(notOwner);
        ledger.publishTerms(shop, 1, 0, 0, false);
        vm.expectRevert(notOwner);
        ledger.retireTerms(fromPurchase);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownMerchant.selector, 99));
        ledger.setPayout(99, caller);
        vm.stopPrank();
    }

    function test_setPayout_andTokenAccepted(address to, address token, bool accepted) public {
        vm.assume(to != address(0) && to != address(ledger));
        vm.startPrank(owner);
        ledger.setPayout(shop, to);
        vm.assertEq(ledger.merchant(shop).payout, to, "payout");
        if (token == address(0) || token == address(ledger)) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, token));
            ledger.setTokenAccepted(shop, token, accepted);
        } else {
            ledger.setTokenAccepted(shop, token, accepted);
            vm.assertEq(ledger.accepts(shop, token), accepted, "accepted");
        }
        vm.assertTrue(ledger.accepts(shop, address(0)), "ETH always");
        vm.stopPrank();
    }

    function test_setCreditBonus_atMostAllAndDelay(uint16 bonus, uint32 delay) public {
        vm.startPrank(owner);
        if (bonus > BPS) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerFeeTooHigh.selector, bonus, BPS));
            ledger.setCreditBonus(shop, bonus);
        } else {
            ledger.setCreditBonus(shop, bonus);
            vm.assertEq(ledger.merchant(shop).creditBonusBps, bonus, "bonus");
        }
        ledger.setCreditCashOutDelay(shop, delay);
        vm.assertEq(ledger.merchant(shop).creditCashOutDelay, delay, "delay");
        vm.stopPrank();
    }

    function test_agents_addRemoveAndBudgetsVoided(uint256 budget, uint16 days_) public {
        budget = _bound(budget, 1, type(uint128).max);
        days_ = uint16(_bound(days_, 0, 365));
        address helper = address(0x4E19);
        vm.startPrank(owner);
        ledger.addAgent(shop, helper);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerErrors.LedgerAlreadyHasRole.selector, shop, helper, ILedgerTypes.Role.Agent)
        );
        ledger.addAgent(shop, helper);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, address(0)));
        ledger.addAgent(shop, address(0));
        ledger.setBudget(shop, helper, address(plain), budget);
        ledger.setMandate(shop, helper, days_);
        vm.assertEq(ledger.budgetOf(shop, helper, address(plain)), budget, "budget");
        vm.assertEq(ledger.staffOf(shop, helper).maxExtensionDays, days_, "mandate");
        ledger.removeAgent(shop, helper);
        vm.assertEq(ledger.budgetOf(shop, helper, address(plain)), 0, "voided by removal");
        ledger.addAgent(shop, helper);
        vm.assertEq(ledger.budgetOf(shop, helper, address(plain)), 0, "not back with the agent");
        vm.assertEq(ledger.staffOf(shop, helper).generation, 1, "a new generation");
        vm.stopPrank();
    }

    function test_agentSettings_refuseNonAgentsAndTooMuch(address account, uint256 budget, uint16 days_) public {
        vm.assume(account != agent);
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotAnAgent.selector, shop, account));
        ledger.setBudget(shop, account, address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotAnAgent.selector, shop, account));
        ledger.removeAgent(shop, account);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotAnAgent.selector, shop, account));
        ledger.setMandate(shop, account, 1);
        budget = _bound(budget, uint256(type(uint128).max) + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerAmountTooLarge.selector, budget, type(uint128).max));
        ledger.setBudget(shop, agent, address(0), budget);
        days_ = uint16(_bound(days_, 366, type(uint16).max));
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerExtensionTooLong.selector, bytes32(0), days_, 365));
        ledger.setMandate(shop, agent, days_);
        vm.stopPrank();
    }

    function test_publishTerms_andRetire(uint32 window, uint16 fee, uint32 wait, bool back) public {
        vm.startPrank(owner);
        if (fee > BPS) {
            vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerFeeTooHigh.selector, fee, BPS));
            ledger.publishTerms(shop, window, fee, wait, back);
            fee = BPS;
        }
        uint32 active = ledger.merchant(shop).activeTerms;
        uint64 id = ledger.publishTerms(shop, window, fee, wait, back);
        vm.assertEq(id, ledger.termsCount(), "the latest terms");
        ILedgerTypes.Terms memory published = ledger.terms(id);
        vm.assertEq(published.returnWindow, window, "window");
        vm.assertEq(published.deliveryWait, wait, "wait");
        vm.assertEq(published.itemMustBeReturned, back, "item back");
        vm.assertEq(ledger.merchant(shop).activeTerms, active + 1, "active");
        ledger.retireTerms(id);
        vm.assertTrue(ledger.terms(id).retired, "retired");
        vm.assertEq(ledger.merchant(shop).activeTerms, active, "no longer active");
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerTermsRetired.selector, id));
        ledger.retireTerms(id);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownTerms.selector, id + 1));
        ledger.retireTerms(id + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerUnknownTerms.selector, id + 1));
        ledger.terms(id + 1);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ contract v3 (issue #20)

    /// @notice The module runs only through the ledger: at its own address every function refuses.
    function test_module_refusesToRunAtItsOwnAddress() public {
        LedgerModule module = LedgerModule(payable(ledger.MODULE()));
        vm.expectRevert(ILedgerErrors.LedgerModuleCalledDirectly.selector);
        module.registerMerchant(owner);
        vm.expectRevert(ILedgerErrors.LedgerModuleCalledDirectly.selector);
        module.merchantCount();
        vm.assertGt(ledger.merchantCount(), 0, "through the ledger the same code answers");
    }

    /// @notice The ERC-5267 domain is the one orders and return requests are signed in.
    function test_eip712Domain_isTheSigningDomain() public view {
        (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifying,,) =
            ledger.eip712Domain();
        vm.assertEq(uint8(fields), 0x0f, "fields");
        vm.assertEq(
            keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)),
            _domainSeparator(ledger),
            "the domain the kit signs in"
        );
    }

    /// @notice A referral mandate is the owner's to set, at most 100 %; approving referrers likewise.
    function test_setReferralMandate_byTheOwnerUpTo100Percent(uint16 bps) public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantOwner.selector, shop, agent));
        vm.prank(agent);
        ledger.setReferralMandate(shop, agent, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerNotMerchantOwner.selector, shop, agent));
        vm.prank(agent);
        ledger.setReferrerApproved(shop, agent, true);
        vm.startPrank(owner);
        if (bps > BPS) vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerFeeTooHigh.selector, bps, BPS));
        ledger.setReferralMandate(shop, agent, bps);
        if (bps <= BPS) vm.assertEq(ledger.staffOf(shop, agent).maxReferralBps, bps, "set");
        vm.stopPrank();
    }

    /// @notice Neither the native currency's zero address nor the ledger itself can be listed as a token.
    function test_setTokenAccepted_refusesTheLedgerAndZero(bool ledgerItself) public {
        address token = ledgerItself ? address(ledger) : address(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerErrors.LedgerInvalidAddress.selector, token));
        vm.prank(owner);
        ledger.setTokenAccepted(shop, token, true);
    }
}
