"""Every contract error has its Python exception, and reverts decode the same from either chain's form."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from ledger import errors
from ledger.build import load_artifact
from ledger.revert import RevertDecoder, revert_data

ABI = load_artifact("Ledger")["abi"]


RUNTIME_LIBRARY_ERRORS = {"ReentrancyGuardReentrantCall", "SafeERC20FailedOperation", "FailedCall", "InsufficientBalance"}
"""OpenZeppelin errors a call can meet (others in the ABI come from the constructor or unused helpers)."""


def test_every_contract_error_has_an_exception_class() -> None:
    names = {e["name"] for e in ABI if e["type"] == "error"}
    assert RUNTIME_LIBRARY_ERRORS <= names
    for entry in (e for e in ABI if e["type"] == "error" and (e["name"].startswith("Ledger")
                                                               or e["name"] in RUNTIME_LIBRARY_ERRORS)):
        cls = errors.CONTRACT_ERRORS.get(entry["name"])
        assert cls is not None, f"no Python class for {entry['name']}"
        assert len(cls.fields) == len(entry["inputs"]), entry["name"]
        assert cls.__name__ == entry["name"].removeprefix("Ledger") or not entry["name"].startswith("Ledger")


def test_decode_carries_the_arguments_and_a_readable_message() -> None:
    purchase_id = bytes(range(32))
    data = function_signature_to_4byte_selector("LedgerReturnWindowClosed(bytes32,uint256,uint256)") + encode(
        ["bytes32", "uint256", "uint256"], [purchase_id, 1_798_120_800, 1_798_380_000]
    )
    error = RevertDecoder(ABI).decode(data)
    assert isinstance(error, errors.ReturnWindowClosed) and isinstance(error, ValueError)
    assert error.purchase_id == "0x" + purchase_id.hex()
    assert (error.deadline, error.timestamp) == (1_798_120_800, 1_798_380_000)
    assert str(error) == (
        "the return window of purchase 0x00010203… closed on 2026-12-24 14:00 UTC, 3 days ago: "
        "ask the merchant for a goodwill refund"
    )


def test_decode_addresses_come_back_checksummed() -> None:
    data = function_signature_to_4byte_selector("LedgerNotCustomer(bytes32,address)") + encode(
        ["bytes32", "address"], [b"\1" * 32, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"]
    )
    error = RevertDecoder(ABI).decode(data)
    assert isinstance(error, errors.NotCustomer) and isinstance(error, PermissionError)
    assert error.caller == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_decode_an_error_without_a_class_names_it() -> None:
    data = function_signature_to_4byte_selector("InvalidAccountNonce(address,uint256)") + encode(
        ["address", "uint256"], ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8", 3]
    )
    error = RevertDecoder(ABI).decode(data)
    assert isinstance(error, errors.ContractReverted) and "InvalidAccountNonce" in str(error)


def test_decode_unknown_selector_and_string_reverts() -> None:
    unknown = RevertDecoder(ABI).decode(bytes.fromhex("deadbeef"))
    assert isinstance(unknown, errors.ContractReverted) and unknown.data == bytes.fromhex("deadbeef")
    text = RevertDecoder(ABI).decode(function_signature_to_4byte_selector("Error(string)") + encode(["string"], ["no"]))
    assert isinstance(text, errors.ContractReverted) and "(no)" in str(text)
    panic = RevertDecoder(ABI).decode(function_signature_to_4byte_selector("Panic(uint256)") + encode(["uint256"], [17]))
    assert "panic 0x11" in str(panic)


def test_revert_data_from_eth_tester_and_json_rpc_forms() -> None:
    assert revert_data(Exception("execution reverted: b'\\x12\\x34'")) == b"\x12\x34"
    assert revert_data(Exception("execution reverted")) == b""

    class RpcError(Exception):
        data = "0x1234"

    assert revert_data(RpcError("reverted")) == b"\x12\x34"
    assert revert_data(ConnectionError("refused")) is None


def test_contract_errors_keep_their_arguments_through_pickling() -> None:
    import pickle

    error = errors.RefundExceedsEscrow("0x" + "00" * 32, 5, 3)
    again = pickle.loads(pickle.dumps(error))
    assert again.args_by_name == error.args_by_name and str(again) == str(error)


def test_contract_error_needs_its_arguments() -> None:
    with pytest.raises(TypeError):
        errors.RefundExceedsEscrow(1)
