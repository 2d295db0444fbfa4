// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ContractAccount} from "./ContractAccount.sol";

/// @notice A customer that is a smart wallet: it buys and returns through `execute`, takes payments, and
/// signs by ERC-1271 with the key of its one signer (so a relayer can submit its signed returns).
contract WalletCustomer is ContractAccount, IERC1271 {
    /// @notice The account whose signatures the wallet accepts.
    address public immutable SIGNER;

    /// @notice Creates the wallet for one signer.
    /// @param signer The account whose signatures the wallet accepts.
    constructor(address signer) {
        SIGNER = signer;
    }

    /// @notice Takes payments.
    receive() external payable virtual {}

    /// @notice ERC-1271: the magic value when `SIGNER` signed `hash` (65-byte r, s, v), else 0xffffffff.
    /// @param hash The signed digest.
    /// @param signature The signature.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(hash, signature);
        bool valid = error == ECDSA.RecoverError.NoError && signer == SIGNER;
        return valid ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
