"""Every contract error has its Python exception, and reverts decode the same from either chain's form."""

from __future__ import annotations

import inspect

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from web3.exceptions import ContractCustomError, ContractLogicError

from ledger import errors
from ledger.artifacts import ledger_abi, load_artifact
from ledger.revert import RevertDecoder, as_ledger_error, revert_data

ABI = ledger_abi() + load_artifact("LedgerFeedback")["abi"]
"""Every error a deployment can revert with: the ledger's address (entry point and modules) and feedback's."""

RUNTIME_LIBRARY_ERRORS = {"ReentrancyGuardReentrantCall", "SafeERC20FailedOperation", "FailedCall", "InsufficientBalance"}
"""OpenZeppelin errors a call can meet (others in the ABI come from the constructor or unused helpers)."""

ERRORS = [e for e in ABI if e["type"] == "error"]


@pytest.mark.parametrize("entry", [e for e in ERRORS if e["name"].startswith("Ledger")
                                   or e["name"] in RUNTIME_LIBRARY_ERRORS], ids=lambda e: e["name"])
def test_every_contract_error_has_an_exception_class(entry) -> None:
    cls = errors.CONTRACT_ERRORS.get(entry["name"])
    assert cls is not None, f"no Python class for {entry['name']}"
    assert len(cls.fields) == len(entry["inputs"]), entry["name"]
    assert cls.__name__ == entry["name"].removeprefix("Ledger") or not entry["name"].startswith("Ledger")


@pytest.mark.parametrize("entry", [e for e in ERRORS if e["name"] in errors.CONTRACT_ERRORS], ids=lambda e: e["name"])
def test_each_field_is_declared_with_the_type_the_decoder_gives_it(entry) -> None:
    """The class's annotations (what mypy knows of its attributes) name its fields in order, each with what
    ``RevertDecoder`` makes of the error's input: an ``int``, or a ``str`` for an address or 32 bytes."""
    cls = errors.CONTRACT_ERRORS[entry["name"]]
    declared = {name: kind for name, kind in inspect.get_annotations(cls).items() if name not in ("solidity_name", "fields")}
    decoded = {name: "int" if item["type"].startswith(("uint", "int")) else {"address": "str", "bytes32": "str"}[item["type"]]
               for name, item in zip(cls.fields, entry["inputs"])}
    assert list(declared.items()) == list(decoded.items())


def test_every_exception_class_stands_for_an_error_of_the_contracts() -> None:
    names = {e["name"] for e in ERRORS}
    assert RUNTIME_LIBRARY_ERRORS <= names
    assert {"LedgerScoreOutOfRange", "LedgerAlreadyRated", "LedgerTokenNotAccepted"} <= names  # all modules
    stale = sorted(set(errors.CONTRACT_ERRORS) - names)
    assert stale == [], f"exception classes for errors no contract has any more: {stale}"


def test_each_error_has_its_own_selector_across_the_modules() -> None:
    """The modules share one address; an error declared twice must mean the same thing wherever it comes from."""
    signatures: dict[bytes, str] = {}
    for entry in ERRORS:
        signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
        selector = function_signature_to_4byte_selector(signature)
        assert signatures.setdefault(selector, signature) == signature


def test_decode_an_error_of_the_feedback_module() -> None:
    data = function_signature_to_4byte_selector("LedgerScoreOutOfRange(uint8,uint8,uint8)") + encode(
        ["uint8", "uint8", "uint8"], [11, 0, 10])
    error = RevertDecoder(ABI).decode(data)
    assert isinstance(error, errors.ScoreOutOfRange) and (error.score, error.min, error.max) == (11, 0, 10)
    assert "give 0 to 10" in str(error)


def test_decode_the_new_errors_with_their_arguments() -> None:
    purchase_id = b"\2" * 32
    extension = function_signature_to_4byte_selector("LedgerExtensionTooLong(bytes32,uint256,uint256)") + encode(
        ["bytes32", "uint256", "uint256"], [purchase_id, 40, 30])
    error = RevertDecoder(ABI).decode(extension)
    assert isinstance(error, errors.ExtensionTooLong)
    assert (error.purchase_id, error.extension_days, error.max_days) == ("0x" + purchase_id.hex(), 40, 30)
    assert "40 days in all is more than the 30 days allowed" in str(error)
    signature = function_signature_to_4byte_selector("LedgerInvalidOrderSignature(bytes32,address)") + encode(
        ["bytes32", "address"], [purchase_id, "0x" + "00" * 20])
    assert "malformed" in str(RevertDecoder(ABI).decode(signature))
    locked = function_signature_to_4byte_selector("LedgerCreditLocked(uint64,uint256)") + encode(
        ["uint64", "uint256"], [3, 2**256 - 1])
    assert "once it retires all its terms" in str(RevertDecoder(ABI).decode(locked))


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
    other = {"type": "error", "name": "StringTooLong", "inputs": [{"name": "str", "type": "string"}]}  # no class
    data = function_signature_to_4byte_selector("StringTooLong(string)") + encode(["string"], ["Ledger"])
    error = RevertDecoder([*ABI, other]).decode(data)
    assert isinstance(error, errors.ContractReverted) and "StringTooLong('Ledger',)" in str(error)


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


def test_a_revert_decodes_where_anvil_and_hardhat_put_its_data() -> None:
    """anvil answers a reverted call with the revert bytes as the error's data (web3 raises ContractCustomError);
    Hardhat (2.x, EDR) nests them under its own message (web3 raises ContractLogicError with that object): the
    same typed error comes out of both."""
    revert = "0x" + (function_signature_to_4byte_selector("LedgerNotMerchantAgent(uint64,address)") + encode(
        ["uint64", "address"], [1, "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"])).hex()
    anvil = ContractCustomError(revert, data=revert)
    hardhat = ContractLogicError("execution reverted: Error: VM Exception while processing transaction: reverted with an "
                                 f"unrecognized custom error (return data: {revert})", data={
                                     "message": "Error: VM Exception while processing transaction: reverted with an "
                                                f"unrecognized custom error (return data: {revert})", "data": revert})
    for raised in (anvil, hardhat):
        assert revert_data(raised) == bytes.fromhex(revert[2:])
        error = as_ledger_error(raised, RevertDecoder(ABI))
        assert isinstance(error, errors.NotMerchantAgent) and error.merchant_id == 1
    assert revert_data(ContractLogicError("execution reverted: out of gas", data={"message": "out of gas"})) is None


def test_contract_errors_keep_their_arguments_through_pickling() -> None:
    import pickle

    error = errors.RefundExceedsEscrow("0x" + "00" * 32, 5, 3)
    again = pickle.loads(pickle.dumps(error))
    assert again.args_by_name == error.args_by_name and str(again) == str(error)


def test_contract_error_needs_its_arguments() -> None:
    with pytest.raises(TypeError):
        errors.RefundExceedsEscrow(1)
