// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {TestToken} from "../../contracts/TestToken.sol";
import {LedgerKit} from "../utils/LedgerKit.sol";
import {vm} from "../utils/Vm.sol";
import {LedgerHandler} from "./LedgerHandler.sol";

/// @title LedgerInvariants
/// @notice What must hold after every call forge makes to `LedgerHandler` (the same invariants as the Python
/// state machine in tests/fuzz/fuzz_machine.py, which also checks the library and the index against the chain):
/// - per token, the ledger holds at least what it owes (escrow, store credit, payments kept to withdraw, all
///   read from its views), and exactly that plus what was sent to it outright;
/// - per purchase, refunded plus settled never exceeds what was paid (measured by the handler and as the
///   contract's views say), and a settled purchase kept nothing back;
/// - each purchase is in exactly one state (settled, closed, awaiting delivery, open);
/// - no window shrinks: a purchase's deadline never falls below what it was promised before, whoever acts
///   (an extension is never taken back, and a delivery is confirmed as of now);
/// - the contract accepted and refused exactly what the handler worked out it must.
/// - v3: the bonus a purchase owes at settlement is what the handler worked out (and at settlement never more than
///   the merchant keeps); a credit's cash-out date never moves later while it holds something (the handler checks
///   it after every action, and records a breach in `failure`).
contract LedgerInvariants is LedgerKit {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    LedgerHandler internal handler;
    ILedger internal ledger;
    /// @dev The handler's world, read once (the checks run after every call).
    address[5] internal _tokens;

    function setUp() public virtual {
        // The world's ETH, which the handler shares out (forge gives a test contract 2^96 - 1 wei).
        handler = new LedgerHandler{value: 5e27}(_hostile());
        ledger = handler.ledger();
        for (uint256 t; t < 5; ++t) {
            _tokens[t] = handler.tokens(t);
        }
    }

    function _hostile() internal pure virtual returns (bool) {
        return false;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), handler.actions());
    }

    /// @notice The invariants after every call, for the tokens and purchases the call touched. One campaign
    /// checks them all (forge runs a campaign per `invariant_` function).
    function invariant_ledgerKeepsItsBooks() public view {
        _checkBooks(handler.touchedTokens(), handler.touchedPurchases());
    }

    /// @notice The invariants for every token and every purchase, at the end of each run.
    function afterInvariant() public view {
        _checkBooks(type(uint256).max, type(uint256).max);
    }

    /// @dev The money of the tokens in `tokenMask` (bit t: `tokens[t]`), the purchases in `purchaseMask`.
    function _checkBooks(uint256 tokenMask, uint256 purchaseMask) internal view {
        uint256[5] memory owed = handler.owedOutsideEscrow(tokenMask);
        LedgerHandler.Purchase[] memory purchases = handler.allPurchases();
        for (uint256 i; i < purchases.length; ++i) {
            LedgerHandler.Purchase memory seen = purchases[i];
            uint256 t;
            while (_tokens[t] != address(uint160(seen.order.payment >> 96))) ++t;
            bool money = tokenMask >> t & 1 == 1;
            bool own = purchaseMask >> i & 1 == 1;
            if (!money && !own) continue;
            (bytes32 purchaseId,,, uint256 paid) = ledger.purchaseOf(seen.order);
            ILedgerTypes.PurchaseState memory state = ledger.purchaseState(purchaseId);
            if (own) {
                uint256 deadline = ledger.returnDeadline(seen.order);
                _refundedAndSettledNeverExceedPaid(seen, state, paid);
                _pendingBonusAsWorkedOut(seen, purchaseId);
                _inExactlyOneState(seen, state, deadline);
                if (!seen.settledSeen && deadline < seen.floor) _broken("a return window shrank", deadline, seen.floor);
            }
            if (money && state.flags & SETTLED == 0) owed[t] += paid - state.refunded;
        }
        _ledgerHoldsWhatItOwesPerToken(owed, tokenMask);
        _contractDidWhatItMust();
    }

    // ------------------------------------------------------------------ money

    /// @dev Per token, the ledger holds at least what it owes (escrow, credit, payments kept: `owed` comes in
    /// with the escrow, read from the contract's views like the rest), and exactly that plus what was given to it.
    function _ledgerHoldsWhatItOwesPerToken(uint256[5] memory owed, uint256 tokenMask) internal view {
        for (uint256 t; t < 5; ++t) {
            if (tokenMask >> t & 1 == 0) continue;
            address token = _tokens[t];
            uint256 held = token == address(0) ? address(ledger).balance : TestToken(token).balanceOf(address(ledger));
            if (held < owed[t]) _broken("the ledger holds less than it owes", held, owed[t]);
            uint256 due = owed[t] + handler.donated(token);
            if (held != due) _broken("the ledger holds other than it owes and was given", held, due);
        }
    }

    /// @dev Refunded plus settled never exceeds what was paid, by the handler's measure and by the contract's
    /// views (which must agree), and a settled purchase kept nothing back.
    function _refundedAndSettledNeverExceedPaid(
        LedgerHandler.Purchase memory seen,
        ILedgerTypes.PurchaseState memory state,
        uint256 paid
    ) internal pure {
        if (seen.refunded + seen.settled > seen.paid) {
            _broken("refunded and settled more than was paid", seen.refunded + seen.settled, seen.paid);
        }
        if (paid != seen.paid) _broken("the contract's paid is not what arrived", paid, seen.paid);
        if (state.refunded != seen.refunded) {
            _broken("the contract's refunded is not what left to the customer", state.refunded, seen.refunded);
        }
        if (seen.settledSeen && seen.refunded + seen.settled != seen.paid) {
            _broken("settlement left money in escrow", seen.refunded + seen.settled, seen.paid);
        }
    }

    /// @dev v3: the credit bonus a purchase still owes is what the handler worked out from its books (given at
    /// settlement, at most what the merchant keeps: the handler checks that as it settles), none once settled.
    function _pendingBonusAsWorkedOut(LedgerHandler.Purchase memory seen, bytes32 purchaseId) internal view {
        uint256 pending = ledger.pendingBonusOf(purchaseId);
        if (pending != seen.pending) _broken("the bonus owed is not what the handler worked out", pending, seen.pending);
        if (seen.settledSeen && pending != 0) _broken("a settled purchase still owes a bonus", pending, 0);
    }

    // ------------------------------------------------------------------ states and windows

    /// @dev Exactly one of settled, closed, awaiting delivery, open; settled only by a settlement batch.
    function _inExactlyOneState(LedgerHandler.Purchase memory seen, ILedgerTypes.PurchaseState memory state, uint256 deadline)
        internal
        view
    {
        uint256 wait = uint32(seen.order.referral >> 48);
        bool settled = state.flags & SETTLED != 0;
        bool closed = !settled && block.timestamp >= deadline;
        bool awaiting = !settled && !closed && wait != 0 && state.deliveredAfter == 0
            && block.timestamp < state.purchasedAt + wait;
        bool open = !settled && block.timestamp < deadline && !awaiting;
        uint256 states = (settled ? 1 : 0) + (closed ? 1 : 0) + (awaiting ? 1 : 0) + (open ? 1 : 0);
        if (states != 1) _broken("a purchase is in no state or in two", states, 1);
        if (state.purchasedAt == 0) _broken("a purchase the handler made is unknown to the contract", 0, 1);
        if (settled != seen.settledSeen) _broken("settled other than by a settlement batch", settled ? 1 : 0, 0);
    }

    /// @dev Fails the invariant (the cheatcode is called only then: it is costly on every check).
    function _broken(string memory what, uint256 found, uint256 expected) internal pure {
        vm.assertEq(found, expected, what);
    }

    // ------------------------------------------------------------------ behaviour

    function _contractDidWhatItMust() internal view {
        string memory failure = handler.failure();
        if (bytes(failure).length != 0) vm.assertTrue(false, failure);
    }
}

/// @title HostileLedgerInvariants
/// @notice The same invariants in a world that starts hostile (the gas-burning token burning, the shop's payout,
/// a customer and a referrer refusing ETH): its own campaign, which forge runs beside the first on another core.
contract HostileLedgerInvariants is LedgerInvariants {
    function _hostile() internal pure override returns (bool) {
        return true;
    }
}
