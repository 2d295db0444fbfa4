"""A real Safe (1.4.1, from npm ``@safe-global/safe-contracts``' build artifacts) for the tests: the singleton,
the proxy factory and the ``CompatibilityFallbackHandler`` deployed on a test chain, a Safe made with them,
its owners' ERC-1271 signatures and its transactions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from ledger.chain import Chain
from tests.support.world import deploy_contract, send

ARTIFACTS = Path(__file__).parents[2] / "node_modules/@safe-global/safe-contracts/build/artifacts/contracts"
ZERO = "0x" + "00" * 20


@cache
def artifact(path: str) -> dict[str, Any]:
    """A Safe build artifact, such as ``proxies/SafeProxyFactory.sol/SafeProxyFactory``."""
    return json.loads((ARTIFACTS / f"{path}.json").read_text())


@dataclass
class Safe:
    """A deployed Safe: its contract (the Safe's ABI and, through its fallback, the handler's), its owners
    (sorted by address, as ``checkSignatures`` wants their signatures) and how many must sign."""

    chain: Chain
    contract: Any
    handler: Any
    owners: list[LocalAccount]
    threshold: int

    @property
    def address(self) -> str:
        return self.contract.address

    def sign(self, digest: bytes, signers: int | None = None) -> bytes:
        """The Safe's ERC-1271 signature of ``digest``: ``signers`` owners (the threshold by default) sign the
        Safe's own message hash of it, as its ``CompatibilityFallbackHandler`` checks."""
        message_hash = self.handler.functions.getMessageHash(digest).call()
        return self._signatures(bytes(message_hash), signers)

    def execute(self, sender: LocalAccount, to: str, data: bytes, value: int = 0) -> Any:
        """Have the Safe call ``to`` (its owners sign, ``sender`` pays the gas); the receipt."""
        nonce = self.contract.functions.nonce().call()
        tx_hash = self.contract.functions.getTransactionHash(to, value, data, 0, 0, 0, 0, ZERO, ZERO, nonce).call()
        signatures = self._signatures(bytes(tx_hash))
        receipt = send(self.chain, sender, self.contract.functions.execTransaction(
            to, value, data, 0, 0, 0, 0, ZERO, ZERO, signatures))
        assert receipt["status"] == 1
        success = self.contract.events.ExecutionSuccess().process_receipt(receipt, errors=DISCARD)  # the rest: ours
        assert success, "the Safe's call failed (ExecutionFailure)"
        return receipt

    def _signatures(self, digest: bytes, signers: int | None = None) -> bytes:
        chosen = self.owners[: self.threshold if signers is None else signers]
        return b"".join(bytes(Account.unsafe_sign_hash(digest, owner.key).signature) for owner in chosen)


def deploy_safe(chain: Chain, deployer: LocalAccount, owners: list[LocalAccount], threshold: int) -> Safe:
    """Deploy the Safe contracts and make a Safe of ``owners`` with ``threshold``."""
    singleton = deploy_contract(chain, deployer, artifact("Safe.sol/Safe"))
    factory = deploy_contract(chain, deployer, artifact("proxies/SafeProxyFactory.sol/SafeProxyFactory"))
    handler = deploy_contract(chain, deployer,
                              artifact("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler"))
    owners = sorted(owners, key=lambda owner: int(owner.address, 16))
    setup = singleton.functions.setup([o.address for o in owners], threshold, ZERO, b"", handler.address, ZERO, 0,
                                      ZERO)._encode_transaction_data()
    receipt = send(chain, deployer, factory.functions.createProxyWithNonce(singleton.address, setup, 0))
    (created,) = factory.events.ProxyCreation().process_receipt(receipt)
    address = created.args.proxy
    w3 = chain.w3
    return Safe(chain, w3.eth.contract(address=address, abi=artifact("Safe.sol/Safe")["abi"]),
                w3.eth.contract(address=address, abi=handler.abi), owners, threshold)

