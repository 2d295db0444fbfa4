"""A real Safe (1.4.1, from npm ``@safe-global/safe-contracts``' build artifacts) for the tests: the singleton,
the proxy factory, the ``CompatibilityFallbackHandler`` and ``SignMessageLib`` deployed on a test chain, a Safe
made with them, its owners' ERC-1271 signatures, its transactions and its approvals of a hash on chain."""

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
    sign_message_lib: Any
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

    def approve(self, sender: LocalAccount, digest: bytes, signers: int | None = None) -> Any:
        """Have the Safe approve ``digest`` on chain, as the Safe app's on-chain signing does: a transaction of
        ``signers`` owners (the threshold by default) delegate-calls ``SignMessageLib.signMessage``, which marks
        the Safe's message hash of it signed; its ERC-1271 check then accepts an empty signature of ``digest``."""
        data = self.sign_message_lib.functions.signMessage(digest)._encode_transaction_data()
        return self.execute(sender, self.sign_message_lib.address, bytes.fromhex(data[2:]), delegate=True,
                            signers=signers)

    def call(self, sender: LocalAccount, function: Any, value: int = 0) -> Any:
        """Have the Safe make a contract call (a web3 function), as ``execute`` does."""
        return self.execute(sender, function.address, bytes.fromhex(function._encode_transaction_data()[2:]), value)

    def execute(self, sender: LocalAccount, to: str, data: bytes, value: int = 0, delegate: bool = False,
                signers: int | None = None) -> Any:
        """Have the Safe call (or with ``delegate`` delegate-call) ``to``, ``signers`` of its owners signing (the
        threshold by default), ``sender`` paying the gas; the receipt."""
        nonce, operation = self.contract.functions.nonce().call(), int(delegate)
        tx_hash = self.contract.functions.getTransactionHash(to, value, data, operation, 0, 0, 0, ZERO, ZERO,
                                                             nonce).call()
        signatures = self._signatures(bytes(tx_hash), signers)
        receipt = send(self.chain, sender, self.contract.functions.execTransaction(
            to, value, data, operation, 0, 0, 0, ZERO, ZERO, signatures))
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
    sign_message_lib = deploy_contract(chain, deployer, artifact("libraries/SignMessageLib.sol/SignMessageLib"))
    factory = deploy_contract(chain, deployer, artifact("proxies/SafeProxyFactory.sol/SafeProxyFactory"))
    handler = deploy_contract(chain, deployer,
                              artifact("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler"))
    owners = sorted(owners, key=lambda owner: int(owner.address, 16))
    setup = singleton.functions.setup([o.address for o in owners], threshold, ZERO, b"", handler.address, ZERO, 0,
                                      ZERO)._encode_transaction_data()
    receipt = send(chain, deployer, factory.functions.createProxyWithNonce(singleton.address, setup, 0))
    (created,) = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)  # the Safe's own: SafeSetup
    address = created.args.proxy
    w3 = chain.w3
    return Safe(chain, w3.eth.contract(address=address, abi=artifact("Safe.sol/Safe")["abi"]),
                w3.eth.contract(address=address, abi=handler.abi), sign_message_lib, owners, threshold)

