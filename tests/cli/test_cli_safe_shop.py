"""A shop run by a Safe (1.4.1, 2 of 3 owners) through the command line, as its owner and as an agent: `ledger
quote --unsigned` writes the order for the Safe, `ledger order attach` takes its owners' signature or its approval
on chain, and the customer buys it with `ledger buy`. One owner's signature is refused in words, and nothing is
written or paid; an agent's key signs with `ledger order sign`."""

from __future__ import annotations

import json

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from ledger.chain import connect
from ledger.client import Ledger
from ledger.deployment import Deployment
from tests.support.cli import ok
from tests.support.safe_wallet import Safe, deploy_safe
from tests.support.world import DAY

AGENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # development account 2


@pytest.fixture
def safe(cli, cli_project) -> Safe:
    """A Safe of development accounts 5 to 7 (two must sign) on the command line's node."""
    chain = connect(cli_project.url)
    accounts = chain.accounts()
    return deploy_safe(chain, accounts[0], accounts[5:8], threshold=2)


@pytest.fixture(params=["owner", "agent"])
def terms_id(request, cli, cli_project, safe) -> str:
    """Terms of shop #1, run by the Safe as its owner (its own transactions), or as its agent (added by account 1)."""
    if request.param == "agent":
        ok(cli("--account", "1", "merchant", "register"))
        ok(cli("--account", "1", "merchant", "add-agent", "1", safe.address))
        ok(cli("--account", "1", "terms", "publish", "1", "--window", "14d"))
    else:
        ledger = Ledger.attach(safe.chain, Deployment.load(cli_project.home / ".ledger" / "deployment.json"))
        sender = safe.owners[0]
        safe.call(sender, ledger.contract.functions.registerMerchant(safe.address))
        safe.call(sender, ledger.merchant_desk(safe.address, 1).prepare_publish_terms(14 * DAY).function)
    return "1"


def _draft(cli, tmp_path, terms_id: str, signer: str, number: str = "SAFE-1"):
    """The order written unsigned for ``signer``'s wallet: its file, and the digest a wallet signs for it."""
    path = tmp_path / f"{number}.json"
    out = ok(cli("quote", terms_id, "LAMP:1:0.05", "--order", number, "--unsigned", "--signer", signer, "-o", path))
    assert f"unsigned order written to {path} for {signer} to sign" in " ".join(out.split())
    written = json.loads(path.read_text())
    signable = encode_typed_data(full_message=written["typedData"])  # eth-account's EIP-712, as a wallet's
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert "0x" + digest.hex() == written["purchaseId"] and written["signature"] == ""
    return path, digest


@pytest.mark.parametrize("way", ["off chain", "on chain"])
def test_a_safe_signs_an_order_and_the_customer_buys_it(cli, tmp_path, safe, terms_id, way) -> None:
    path, digest = _draft(cli, tmp_path, terms_id, safe.address)
    if way == "off chain":
        ok(cli("order", "attach", path, "--signature", "0x" + safe.sign(digest).hex()))
    else:
        safe.approve(safe.owners[0], digest)
        ok(cli("order", "attach", path))
    assert json.loads(path.read_text())["signer"] == safe.address
    bought = json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", path)))
    assert bought["id"] == "0x" + digest.hex() and bought["merchant_id"] == 1


def test_one_owner_of_the_safe_is_refused_and_nothing_is_written_or_paid(cli, tmp_path, safe, terms_id) -> None:
    path, digest = _draft(cli, tmp_path, terms_id, safe.address)
    before = path.read_text()
    refused = cli("order", "attach", path, "--signature", "0x" + safe.sign(digest, signers=1).hex())
    assert refused.exit_code == 1
    assert f"wallet {safe.address} does not accept this signature" in " ".join(refused.output.split())
    assert path.read_text() == before  # still the unsigned order
    customer = safe.chain.accounts()[4].address
    balance = safe.chain.w3.eth.get_balance(customer)
    unpaid = cli("--account", "4", "buy", "--yes", path)
    assert unpaid.exit_code == 1 and "the order is not signed yet" in unpaid.output
    assert safe.chain.w3.eth.get_balance(customer) == balance


def test_an_agents_key_signs_an_unsigned_order(cli, tmp_path) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "14d"))
    path, digest = _draft(cli, tmp_path, "1", AGENT)
    ethers = json.loads(ok(cli("order", "typed-data", path, "--ethers")))
    assert set(ethers) == {"domain", "types", "value"} and list(ethers["types"]) == ["Order"]
    wrong = cli("--account", "3", "order", "sign", path)  # not staff of the shop
    assert wrong.exit_code == 1 and "is neither owner nor agent of merchant #1" in wrong.output
    ok(cli("--account", "2", "order", "sign", path))
    assert json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", path)))["id"] == "0x" + digest.hex()


@pytest.mark.parametrize(("args", "says"), [
    (("quote", "1", "LAMP:1:0.05", "--order", "X", "--unsigned", "--signer", AGENT), "give the file with -o FILE"),
    (("--account", "2", "quote", "1", "LAMP:1:0.05", "--order", "X", "--signer", AGENT, "-o", "{tmp}/x.json"),
     "--signer names whose wallet signs an --unsigned order"),
    (("order", "attach", "{tmp}/Y.json", "--signature", "0xzz"), "the signature is not hex digits"),
    (("order", "attach", "{tmp}/missing.json"), "cannot read order file"),
])
def test_bad_input_is_one_line(cli, tmp_path, args, says) -> None:
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", AGENT))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "14d"))
    _draft(cli, tmp_path, "1", AGENT, "Y")
    refused = cli(*(arg.format(tmp=tmp_path) for arg in args))
    assert refused.exit_code == 1 and refused.output.startswith("error:") and says in " ".join(refused.output.split())
