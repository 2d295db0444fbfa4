// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Reads many balances and views in one call, so a test can compare everything it watches before and
/// after a transaction with two requests instead of dozens.
contract StateProbe {
    /// @notice A view to read: the contract and the calldata.
    struct Read {
        address target;
        bytes data;
    }

    /// @notice The native balance of each holder, then each token's `balanceOf` each holder, then what each
    /// read returned (a failed read returns its revert data, marked by a leading 0xff byte).
    /// @param holders The accounts whose balances are read.
    /// @param tokens The ERC-20 tokens whose balances of `holders` are read.
    /// @param reads The views to call.
    /// @return balances Native balances, then token balances token by token.
    /// @return results What each view returned.
    function read(address[] calldata holders, address[] calldata tokens, Read[] calldata reads)
        external
        view
        returns (uint256[] memory balances, bytes[] memory results)
    {
        balances = new uint256[](holders.length * (1 + tokens.length));
        for (uint256 i; i < holders.length; ++i) {
            balances[i] = holders[i].balance;
            for (uint256 t; t < tokens.length; ++t) {
                (, bytes memory out) = tokens[t].staticcall(abi.encodeWithSignature("balanceOf(address)", holders[i]));
                balances[holders.length * (1 + t) + i] = abi.decode(out, (uint256));
            }
        }
        results = new bytes[](reads.length);
        for (uint256 i; i < reads.length; ++i) {
            (bool ok, bytes memory out) = reads[i].target.staticcall(reads[i].data);
            results[i] = ok ? out : abi.encodePacked(bytes1(0xff), out);
        }
    }
}
