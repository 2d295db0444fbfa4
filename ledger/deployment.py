"""The deployment file: where the ledger and its feedback module live, on which chain."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import DeploymentError
from .validate import address

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
            )
        except (ValueError, KeyError, TypeError) as error:
            raise DeploymentError(
                f"{path} is not a valid deployment file ({error}): deploy again to write a new one"
            ) from error


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value
