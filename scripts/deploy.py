"""Deploy the ledger (its entry point, the two modules behind it and the feedback contract) and record it
in the deployment file.

    python scripts/deploy.py                                  # on the node of `ledger node start`
    brownie run scripts/deploy.py --network anvil-ledger      # on brownie's network

Environment: LEDGER_RPC (node URL), LEDGER_KEY (deployer key; default: development account 0),
LEDGER_DEPLOYMENT (file to write; default: the chain's, .ledger/chains/CHAIN-ID/deployment.json, and under
brownie the network's own, .ledger/brownie/NETWORK/deployment.json). A file that records a deployment already is
not replaced (but brownie's own, when brownie launched the chain, which ended with that run).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from ledger.client import Ledger  # noqa: E402
from ledger.scripting import run, script_chain, script_deployment, script_signer  # noqa: E402


def main() -> Ledger:
    chain = script_chain()
    place = script_deployment(chain)
    place.make_room(chain)  # before anything is sent
    ledger = Ledger.deploy(chain, script_signer(chain))
    path = ledger.deployment().save(place.path)
    print(f"ledger deployed at {ledger.address} (feedback at {ledger.feedback.address}) on chain {chain.chain_id} "
          f"(block {ledger.from_block}); recorded in {path}")
    return ledger


if __name__ == "__main__":
    run(main)
