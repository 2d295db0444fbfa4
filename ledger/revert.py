"""Turn a revert, as either chain reports it, into the library's exception for that contract error.

The embedded chain raises ``eth_tester``'s ``TransactionFailed`` holding the printed form of the revert
bytes; a JSON-RPC node makes web3.py raise ``ContractCustomError`` (or ``ContractLogicError``) with the
data as hex (anvil), or with an object that holds it one level deeper (Hardhat). All end up as the same
decoded ``ContractError`` subclass.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from .errors import CONTRACT_ERRORS, ContractReverted, LedgerError, NodeError

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


def _abi_type(entry: dict[str, Any]) -> str:
    kind: str = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _python(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


class RevertDecoder:
    """Knows the custom errors of one ABI and decodes revert data into our exceptions."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for entry in abi:
            if entry["type"] != "error":
                continue
            types = [_abi_type(item) for item in entry["inputs"]]
            selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
            self._errors[selector] = (entry["name"], types)

    def names(self) -> list[str]:
        """The Solidity names of the errors known."""
        return [name for name, _ in self._errors.values()]

    def decode(self, data: bytes) -> LedgerError:
        """The exception that revert ``data`` stands for."""
        selector, payload = data[:4], data[4:]
        if selector in self._errors:
            name, types = self._errors[selector]
            values = [_python(v, t) for v, t in zip(decode(types, payload), types)]
            error_class = CONTRACT_ERRORS.get(name)
            if error_class is not None:
                return error_class(*values)
            return ContractReverted(data, f"{name}{tuple(values)}")
        if selector == _ERROR_STRING:
            return ContractReverted(data, decode(["string"], payload)[0])
        if selector == _PANIC:
            return ContractReverted(data, f"panic 0x{decode(['uint256'], payload)[0]:02x}")
        return ContractReverted(data)


def revert_data(error: BaseException) -> bytes | None:
    """The raw revert bytes carried by an exception from web3.py or eth-tester, if it carries any."""
    data = getattr(error, "data", None)
    if isinstance(data, dict):  # Hardhat's error data: {"message": "...VM Exception...", "data": "0x<revert>"}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    message = str(error.args[0]) if error.args else ""
    match = re.search(r"execution reverted(?::\s*(b(['\"]).*\2))?\s*$", message, re.S)
    if match:
        return ast.literal_eval(match.group(1)) if match.group(1) else b""
    return None


def as_ledger_error(error: BaseException, decoder: RevertDecoder) -> BaseException:
    """Our exception for a revert or a node that stopped answering; other exceptions come back unchanged."""
    if isinstance(error, LedgerError):
        return error
    if isinstance(error, requests.exceptions.ConnectionError):
        return NodeError(f"the node stopped answering ({error.__class__.__name__}): start it again or check the URL")
    data = revert_data(error)
    if data is None:
        return error
    return decoder.decode(data)


@contextmanager
def mapped_errors(decoder: RevertDecoder) -> Iterator[None]:
    """Raise our exception in place of a revert or a lost node inside the block."""
    try:
        yield
    except Exception as error:
        mapped = as_ledger_error(error, decoder)
        if mapped is error:
            raise
        raise mapped from error
