"""An order's typed data as wallets and ethers take it: JSON that eth-account and ethers 6 (npm, run by node) hash
to the purchase id the contract computes, that ethers and Foundry's `cast wallet sign --data` sign for an agent's
key, and whose signature the library attaches and the contract accepts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ledger.errors import InvalidInput
from ledger.orders import SignedOrder, ethers_form
from tests.support.cast import run_cast
from tests.support.world import ETHER

ROOT = Path(__file__).parents[2]

ETHERS = """
const { TypedDataEncoder, Wallet } = require("ethers");
const { v4, ethers, key } = JSON.parse(require("fs").readFileSync(0, "utf8"));
const { domain, types, value } = ethers;
let refused = "";
try { TypedDataEncoder.hash(v4.domain, v4.types, v4.message); } catch (error) { refused = error.message; }
new Wallet(key).signTypedData(domain, types, value).then((signature) =>
  console.log(JSON.stringify({ hash: TypedDataEncoder.hash(domain, types, value), signature, refused })));
"""


def _ethers(typed: dict, key: bytes) -> dict:
    """What ethers makes of the typed data: the hash of its ethers form, an account's signature of that, and
    its refusal of the ``eth_signTypedData_v4`` form (the domain's type in ``types``)."""
    given = {"v4": typed, "ethers": ethers_form(typed), "key": "0x" + key.hex()}
    done = subprocess.run(["node", "-e", ETHERS], input=json.dumps(given),
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def unsigned(ledger, shop, week_terms, agent) -> SignedOrder:
    """An agent's order for 1.5 ETH (a total beyond what a JavaScript number holds exactly), not signed yet."""
    desk = ledger.merchant_desk(agent.address, shop.merchant_id)
    return desk.prepare_quote(week_terms.id, [("LAMP", 3, ETHER // 2)], "WALLET-1")


def test_typed_data_hashes_to_the_purchase_id_the_contract_computes(ledger, unsigned) -> None:
    typed = json.loads(json.dumps(unsigned.order.typed_data(ledger.chain.chain_id, ledger.address)))  # JSON-safe
    assert typed["message"]["total"] == str(3 * ETHER // 2) and typed["message"]["orderRef"].startswith("0x")
    assert json.loads(unsigned.to_json())["typedData"] == typed  # the unsigned file carries it for the wallet
    signable = encode_typed_data(full_message=typed)  # eth-account's EIP-712, not the library's
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    on_chain = ledger.contract.functions.purchaseIdOf(unsigned.order.packed()).call()
    assert digest == bytes(on_chain) == bytes.fromhex(unsigned.purchase_id[2:])


def test_ethers_signs_the_typed_data_and_a_customer_buys_the_order(ledger, unsigned, agent, customer) -> None:
    typed = unsigned.order.typed_data(ledger.chain.chain_id, ledger.address)
    answer = _ethers(typed, bytes(agent.key))
    assert answer["hash"] == unsigned.purchase_id
    assert "EIP712Domain" in answer["refused"]  # why the ethers form leaves the domain's type out
    signed = ledger.merchant_desk(agent.address, unsigned.order.merchant_id).attach(unsigned, answer["signature"])
    assert customer.buy(signed).id == unsigned.purchase_id


def test_cast_signs_the_typed_data_file_and_a_customer_buys_the_order(ledger, unsigned, agent, customer,
                                                                      tmp_path) -> None:
    typed = tmp_path / "order.json"
    typed.write_text(json.dumps(json.loads(unsigned.to_json())["typedData"]))  # the file's typed data, as is
    signature = run_cast("wallet", "sign", "--data", "--from-file", typed, "--private-key", "0x" + bytes(agent.key).hex())
    signed = ledger.merchant_desk(agent.address, unsigned.order.merchant_id).attach(unsigned, signature)
    assert signed == unsigned.sign(agent)  # cast's signature is the library's own
    assert customer.buy(signed).id == unsigned.purchase_id


def test_typed_data_changed_in_the_file_signs_another_order_and_is_refused(ledger, unsigned, agent, tmp_path) -> None:
    """The file's typed data is for the wallet to show and sign; the order is read from the file's order alone. A
    file whose typed data was changed on the way (a lower price shown) gets a signature of another digest."""
    shown = json.loads(unsigned.to_json())["typedData"]
    shown["message"]["total"] = "1"
    typed = tmp_path / "order.json"
    typed.write_text(json.dumps(shown))
    signature = run_cast("wallet", "sign", "--data", "--from-file", typed, "--private-key", "0x" + bytes(agent.key).hex())
    with pytest.raises(InvalidInput, match=f"the signature is not {agent.address}'s for order {unsigned.purchase_id}"):
        ledger.merchant_desk(agent.address, unsigned.order.merchant_id).attach(unsigned, signature)
