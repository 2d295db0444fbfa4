// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {WalletCustomer} from "./WalletCustomer.sol";

/// @notice A smart-wallet customer that, whenever it is paid in ETH or a token with hooks calls it (ERC-777
/// style, on sending and on receiving), replays every call it was armed with on the ledger, and records
/// each outcome instead of reverting.
/// @dev Replaying many armed calls reads much cold storage: inside a push with bounded gas that runs out and
/// the push fails (the payment is kept for it); with all the gas (a withdrawal, or a token's `transferFrom`
/// during its own purchase) every call is tried.
contract HostileCustomer is WalletCustomer {
    /// @notice One re-entrant call tried.
    struct Attempt {
        /// @dev Selector of the function called.
        bytes4 selector;
        /// @dev Whether it went through.
        bool succeeded;
        /// @dev Selector of the error it got back (zero when none).
        bytes4 error;
    }

    /// @dev The ledger the armed calls go to.
    address private _target;
    /// @dev Calldata of each armed call.
    bytes[] private _armed;
    /// @dev Set while replaying, so a payment made during a replay does not start another.
    bool private _replaying;
    /// @dev Every re-entrant call tried, in order.
    Attempt[] private _attempts;

    /// @notice Creates the wallet for one signer.
    /// @param signer The account whose signatures the wallet accepts.
    constructor(address signer) WalletCustomer(signer) {}

    /// @notice Sets the calls to replay on `target` whenever paid (an empty list disarms).
    /// @param target The ledger.
    /// @param calls Calldata of each call.
    function arm(address target, bytes[] calldata calls) external {
        _target = target;
        delete _armed;
        for (uint256 i; i < calls.length; ++i) {
            _armed.push(calls[i]);
        }
    }

    /// @notice Every re-entrant call tried so far.
    function attempts() external view returns (Attempt[] memory) {
        return _attempts;
    }

    /// @notice Takes ETH, replaying the armed calls first.
    receive() external payable override {
        _replay();
    }

    /// @notice ERC-777-style hook a token calls on the sender before moving its tokens.
    function tokensToSend(address, address, address, uint256) external {
        _replay();
    }

    /// @notice ERC-777-style hook a token calls on the recipient after moving tokens to it.
    function tokensReceived(address, address, address, uint256) external {
        _replay();
    }

    /// @dev Tries each armed call once and records what happened.
    function _replay() private {
        if (_replaying) return;
        _replaying = true;
        for (uint256 i; i < _armed.length; ++i) {
            bytes memory data = _armed[i];
            (bool ok, bytes memory result) = _target.call(data);
            _attempts.push(Attempt(bytes4(data), ok, result.length >= 4 ? bytes4(result) : bytes4(0)));
        }
        _replaying = false;
    }
}
