"""The deployment file: where the ledger and its feedback module live, on which chain, since which block.

A local chain can go back (a node restarted from an older save, or from none): the file then names a
block the chain no longer has, or has with other contents, and possibly an address with no code or with
another deployment's. ``Deployment.check`` finds each case and says so, before anything is read or sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from eth_typing import ChecksumAddress

from .codec import hex_of
from .errors import DeploymentError, WrongChain
from .validate import address

if TYPE_CHECKING:
    from .chain import Chain

DEFAULT_PATH = Path("deployment.json")


@dataclass(frozen=True)
class Deployment:
    """A deployed ledger contract."""

    address: str
    """The ledger (its entry point; the shops and service modules sit behind it)."""
    chain_id: int
    block_number: int
    """Block of the deployment; queries read events from there on."""
    feedback: str
    """The feedback module (reviews, NPS, CSAT)."""
    sources_hash: str = ""
    """Hash of the sources of the artifacts that were deployed."""
    block_hash: str = ""
    """Hash of the deployment's block: tells the same chain from one that went back and grew again (empty
    in files written before it was recorded)."""

    def check(self, chain: Chain) -> None:
        """Refuse a chain this deployment is not on: another chain id, a chain that went back before the
        deployment (shorter, or its block replaced), or no contract at the addresses."""
        actual = chain.chain_id
        if actual != self.chain_id:
            raise WrongChain(self.chain_id, actual)
        went_back = "the chain went back (a node restarted from an older save, or from none)"
        head = chain.w3.eth.block_number
        if head < self.block_number:
            raise DeploymentError(
                f"the chain is at block {head}, before block {self.block_number} the ledger was deployed in: "
                f"{went_back}; deploy again, or connect to the node that has it")
        if self.block_hash:
            found = hex_of(chain.w3.eth.get_block(self.block_number)["hash"])
            if found != self.block_hash:
                raise DeploymentError(
                    f"block {self.block_number} is no longer the block the ledger was deployed in ({found[:10]}… "
                    f"instead of {self.block_hash[:10]}…): {went_back}, and what is at {self.address} now is not "
                    "this deployment; deploy again, or use the deployment file of the new one")
        for contract in (self.address, self.feedback):  # checksummed: read by ``load``, or from web3's contracts
            if not chain.w3.eth.get_code(cast(ChecksumAddress, contract)):
                raise DeploymentError(
                    f"no contract at {contract} on chain {actual}: {went_back}, or this is another node; deploy again")

    def save(self, path: Path = DEFAULT_PATH) -> Path:
        """Write the file (creating its folder) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Deployment:
        """Read a deployment file; ``DeploymentError`` says what is wrong with it."""
        path = Path(path)
        if not path.is_file():
            raise DeploymentError(f"no deployment recorded at {path}: deploy first (`ledger deploy`) or give the file")
        try:
            data = json.loads(path.read_text())
            return cls(
                address=address(data["address"], "deployment address"),
                chain_id=_whole(data["chain_id"], "chain_id"),
                block_number=_whole(data["block_number"], "block_number"),
                feedback=address(data["feedback"], "feedback module address"),
                sources_hash=str(data.get("sources_hash", "")),
                block_hash=_hash(data.get("block_hash", "")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise DeploymentError(
                f"{path} is not a valid deployment file ({error}): deploy again to write a new one"
            ) from error


def _hash(value: object) -> str:
    if value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise ValueError(f"block_hash must be a 32-byte hex hash, not {value!r}")
    return value.lower()


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value
