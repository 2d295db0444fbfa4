"""The deployment file: where the ledger and its feedback module live, on which chain, since which block.

A project keeps one file per chain (``chains/CHAIN-ID/deployment.json`` in ``.ledger/``, its index and journal
beside it): deploying on another chain never touches the file of the first. A file that records a deployment
is never replaced without being asked (``make_room``).

A file can stop matching the chain it names, and ``Deployment.check`` says which way before anything is read or
sent: another chain (its id differs); the same id but a new chain (its first block differs: the node was reset,
or restarted without its state, or is another node such as brownie's throwaway one); the same chain gone back
(restarted from an older save: the deployment's block is missing or replaced); or a file from elsewhere (its
block is there, yet no contract at its addresses, or a feedback module of another ledger).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from eth_typing import ChecksumAddress, HexStr
from eth_utils import keccak

from .codec import hex_of
from .errors import DeploymentError, LedgerError, WrongChain
from .revert import revert_data
from .validate import address

if TYPE_CHECKING:
    from .chain import Chain

FILE_NAME = "deployment.json"
_LEDGER_CALL = HexStr("0x" + keccak(text="LEDGER()")[:4].hex())
"""The call of the feedback module's ``LEDGER()``: the ledger it belongs to."""
DEFAULT_PATH = Path(FILE_NAME)


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
    genesis_hash: str = ""
    """Hash of the chain's first block: tells the chain deployed on from a new one with the same id (a node
    reset, or restarted without its state: anvil and hardhat always have id 31337); empty in older files."""

    def check(self, chain: Chain) -> None:
        """Refuse a chain this deployment is not on, naming the cause: another chain id, a new chain with the
        same id, a chain that went back before the deployment (shorter, or its block replaced), or a file from
        elsewhere (no contract at the addresses although the deployment's block is there, or a feedback module
        of another ledger)."""
        actual = chain.chain_id
        if actual != self.chain_id:
            raise WrongChain(self.chain_id, actual)
        if self.genesis_hash:
            genesis = hex_of(chain.w3.eth.get_block(0)["hash"])
            if genesis != self.genesis_hash:
                raise DeploymentError(
                    f"this node's chain is not the one the ledger was deployed on, although both have id {actual} "
                    f"(its first block is {genesis[:10]}…, not {self.genesis_hash[:10]}…): the node was reset or "
                    "restarted without its state, or this is another node (a throwaway chain such as brownie's); "
                    "connect to the node that has the deployment, or deploy on this one")
            went_back = "the chain went back (the node restarted from an older save)"
        else:
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
            if chain.w3.eth.get_code(cast(ChecksumAddress, contract)):
                continue
            if self.block_hash:  # the deployment's block is this chain's: the file's addresses are not its
                raise DeploymentError(
                    f"no contract at {contract} on chain {actual}, although block {self.block_number} is the one the "
                    "ledger was deployed in: the file is from elsewhere (edited, or put together from another "
                    "deployment); use the file the deployment wrote")
            raise DeploymentError(
                f"no contract at {contract} on chain {actual}: {went_back}, or this is another node; deploy again")
        if not self._feedback_belongs_to_the_ledger(chain):
            raise DeploymentError(
                f"the feedback module at {self.feedback} is not the one of the ledger at {self.address}: the file is "
                "from elsewhere (edited, or put together from two deployments); use the file the deployment wrote")

    def _feedback_belongs_to_the_ledger(self, chain: Chain) -> bool:
        """Whether the feedback module names this file's ledger as its own (``LEDGER()``, set by the ledger that
        made it); a contract that answers otherwise, or not at all, is not this deployment's."""
        try:
            answer = bytes(chain.w3.eth.call({"to": cast(ChecksumAddress, self.feedback), "data": _LEDGER_CALL}))
        except Exception as error:  # a revert, as either chain reports it; anything else is no answer about the file
            if revert_data(error) is None:
                raise
            return False
        return len(answer) == 32 and answer[12:] == bytes.fromhex(self.address[2:])

    def save(self, path: Path = DEFAULT_PATH) -> Path:
        """Write the file (creating its folder) and return its path. Written whole or not at all (a new file
        moved into place): a crash midway leaves the file that was there, never half a record."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as new:
            new.write(json.dumps(asdict(self), indent=2) + "\n")
        os.chmod(new.name, 0o644)  # anyone may read it, as a file written in place (not a temporary file's 0600)
        os.replace(new.name, path)
        return path

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Deployment:
        """Read a deployment file; ``DeploymentError`` says what is wrong with it."""
        path = Path(path)
        if path.is_dir():
            raise DeploymentError(f"{path} is a folder, not a deployment file: give the file in it (…/{FILE_NAME})")
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
                block_hash=_hash(data.get("block_hash", ""), "block_hash"),
                genesis_hash=_hash(data.get("genesis_hash", ""), "genesis_hash"),
            )
        except OSError as error:
            raise DeploymentError(f"cannot read the deployment file {path}: {error.strerror or error}") from error
        except (ValueError, KeyError, TypeError) as error:
            raise DeploymentError(
                f"{path} is not a valid deployment file ({error}): deploy again to write a new one"
            ) from error


def chain_file(home: Path, chain_id: int) -> Path:
    """The deployment file of chain ``chain_id`` in the project folder ``home``: a folder per chain, so that the
    index and the journal kept next to the file are that chain's alone too."""
    return Path(home) / "chains" / str(chain_id) / FILE_NAME


def recorded(home: Path, chain_id: int) -> Path:
    """The file that records chain ``chain_id``'s deployment in ``home``: its own (``chain_file``), else
    ``home/deployment.json``, the one file of every chain before there was one per chain, when it records this
    chain (or cannot be read, which loading it then says): that file keeps working, with its index and journal,
    and nothing writes it again."""
    own, shared = chain_file(home, chain_id), Path(home) / FILE_NAME
    if not own.exists() and shared.is_file() and _chain_of(shared) in (chain_id, None):
        return shared
    return own


def others(home: Path, chain_id: int) -> list[int]:
    """The chains other than ``chain_id`` that ``home`` has a deployment file of (to say where a missing one
    may be)."""
    found = {int(path.parent.name) for path in Path(home).glob(f"chains/*/{FILE_NAME}") if path.parent.name.isdigit()}
    shared = _chain_of(Path(home) / FILE_NAME)
    return sorted((found | ({shared} if shared is not None else set())) - {chain_id})


def make_room(path: Path, chain: Chain, replace: bool, remedy: str, recorded_at: Path | None = None,
              create_folder: bool = False) -> None:
    """Before a deployment is sent, refuse a place its record cannot be written to (a folder, a read-only or
    missing folder, unless told to ``create_folder``), or a file that records a deployment already
    (``recorded_at``, by default ``path``) unless told to ``replace`` it: a deployment whose record fails has
    spent its gas on contracts nobody can find, and a record replaced without a word loses the ledger it named.
    ``remedy`` says how to deploy all the same."""
    existing = Path(recorded_at or path)
    if path.is_dir():
        raise DeploymentError(f"{path} is a folder: give a file name for the deployment record; nothing was deployed")
    if existing.exists() and not replace:
        raise DeploymentError(f"{existing} records a deployment already ({_standing(existing, chain)}) and is not "
                              f"replaced without a word: nothing was deployed; {remedy}")
    try:
        if create_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise DeploymentError(f"cannot write the deployment record {path}: {error.strerror or error}; "
                              "nothing was deployed") from error


def _standing(path: Path, chain: Chain) -> str:
    """What the deployment file at ``path`` holds, and whether the connected chain still has it."""
    try:
        deployment = Deployment.load(path)
        deployment.check(chain)
    except LedgerError as error:
        return f"not usable on this node: {error}"
    return f"the ledger at {deployment.address}, on this chain since block {deployment.block_number}"


def _chain_of(path: Path) -> int | None:
    """The chain id a deployment file records; None when there is no such file or it cannot be read."""
    try:
        chain_id = json.loads(path.read_text())["chain_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return chain_id if isinstance(chain_id, int) and not isinstance(chain_id, bool) else None


def _hash(value: object, name: str) -> str:
    if value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise ValueError(f"{name} must be a 32-byte hex hash, not {value!r}")
    return value.lower()


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value
