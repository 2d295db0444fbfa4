"""No personal data on chain: a shop and a customer use every path that takes free text (order references,
contact notes by staff and by the customer, a CSV import of contacts, return shipment references, signed
returns, goodwill notes, reviews), through the command line and the library, with texts full of names,
e-mail addresses, phone numbers and addresses. Then every transaction's calldata, every event's topics and
data, and every storage slot the transactions touched (anvil's prestate tracer, read back with
``eth_getStorageAt``) are searched for those texts in any encoding: none is there. A product code, which is
meant to be on chain, is found by the same search, so the search can see text when there is some.
(Whether a short note can be guessed back from its hash is test_salted_hashes' part.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ledger.chain import RpcChain, connect, dev_accounts
from ledger.client import Ledger
from ledger.deployment import Deployment
from tests.support.cli import ok

PERSONAL = {
    "name": "Jane Doe-Müller",
    "email": "jane.doe@example.org",
    "phone": "+31 6 1234 5678",
    "address": "Kerkstraat 12, 1017 GC Amsterdam",
    "note": "Jane called from her mobile, parcel left with the neighbour at number 14",
    "shipment": "PARCEL-NL-99812-JANE-DOE",
    "order": "Order for Jane Doe-Müller <jane.doe@example.org>",
    "review": "Mug arrived broken, ring me on +31 6 1234 5678 - Jane",
    "csv": "Spoke with Mr. Pieter de Vries about his wife's order",
}
"""The fixtures' personal data, one text per path it travels."""

CONTROL_SKU = "CONTROL-SKU-7Q"
"""A product code: on chain by design, so the search must find it."""


def _needles(text: str) -> Iterator[bytes]:
    """``text`` as it could sit in bytes: UTF-8, UTF-16 and hex, in its case, lower and upper case; and each
    distinctive word or number in it, and the phone number's digits."""
    forms = {text, text.lower(), text.upper()}
    forms |= {word for word in re.split(r"[^\w@.+-]+", text) if len(word) >= 6}
    forms |= {re.sub(r"\D", "", text)} if sum(c.isdigit() for c in text) >= 8 else set()
    for form in forms:
        for raw in (form.encode(), form.encode("utf-16-le"), form.encode("utf-16-be")):
            yield raw
            yield raw.hex().encode()
            yield raw.hex().upper().encode()


def _on_chain(chain: RpcChain) -> bytes:
    """Every byte the chain keeps: calldata, event topics and data, and each touched storage slot's key,
    value before and after the transaction, and value now."""
    w3, found, slots = chain.w3, [], set()
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            found.append(bytes(tx["input"]))
            for log in w3.eth.get_transaction_receipt(tx["hash"])["logs"]:
                found += [bytes(log["data"]), *(bytes(topic) for topic in log["topics"])]
            diff = w3.provider.make_request("debug_traceTransaction", [
                "0x" + bytes(tx["hash"]).hex(), {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}])
            for side in ("pre", "post"):
                for account, state in diff["result"][side].items():
                    for key, value in state.get("storage", {}).items():
                        slots.add((account, key))
                        found += [bytes.fromhex(key[2:]), bytes.fromhex(value[2:])]
    for account, key in slots:
        found.append(bytes(w3.eth.get_storage_at(w3.to_checksum_address(account), int(key, 16))))
    return b"".join(found)


def test_no_personal_data_reaches_the_chain(cli, cli_project, tmp_path) -> None:
    accounts = dev_accounts()
    owner, agent, alice, relayer = accounts[1], accounts[2], accounts[4], accounts[5]
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "merchant", "add-agent", "1", agent.address))
    ok(cli("--account", "1", "merchant", "budget", "1", agent.address, "1"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "30d", "--fee", "5%", "--item-back"))

    # The command line: order, purchase, contacts (staff, customer, CSV), returns (direct and signed), refund, review.
    order_file = tmp_path / "order.json"
    ok(cli("--account", "2", "quote", "1", f"{CONTROL_SKU}:1:0.01", "MUG:1:0.01", "TEA:1:0.01",
           "--order", PERSONAL["order"], "--for", alice.address, "-o", order_file))
    purchase = json.loads(ok(cli("--json", "--account", "4", "buy", "--yes", order_file)))["id"]
    ok(cli("--account", "2", "contact", "log", "1", "--customer", alice.address, "--channel", "phone",
           "--kind", "delivery", "--purchase", purchase, "--note", PERSONAL["note"]))
    ok(cli("--account", "4", "contact", "log", "1", "--channel", "email", "--kind", "question",
           "--note", PERSONAL["email"]))
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("channel,kind,customer,purchase,time,text\n"
                        f"chat,complaint,{alice.address},{purchase},,{PERSONAL['csv']}\n"
                        f"phone,question,{alice.address},,,\"{PERSONAL['address']}\"\n", encoding="utf-8")
    ok(cli("--account", "2", "contact", "import", "1", contacts))
    ok(cli("--account", "4", "return", purchase, "--line", "2", "--shipment", PERSONAL["shipment"]))
    request = tmp_path / "request.json"
    ok(cli("--account", "4", "return", purchase, "--line", "3", "--shipment", PERSONAL["name"],
           "--sign-only", request))
    ok(cli("--account", "5", "relay", request))
    ok(cli("--account", "2", "refund", purchase, "0.001", "--reason", "damaged", "--note", PERSONAL["phone"]))
    ok(cli("--account", "4", "review", purchase, "2", "--text", PERSONAL["review"]))

    # The library, on the same chain: the same kinds of text through its own calls.
    chain = connect(cli_project.url)
    ledger = Ledger.attach(chain, Deployment.load(cli_project.home / ".ledger/deployment.json"), index=False)
    staff, customer = ledger.merchant_desk(agent, 1), ledger.customer_desk(alice)
    quoted = staff.quote(1, [("MUG", 1, 10**16)], PERSONAL["email"], customer=alice.address)
    second = customer.buy(quoted)
    staff.log_contact(alice.address, "video", "return_help", PERSONAL["name"], purchase_id=second.id)
    customer.log_contact(1, "chat", "feedback", PERSONAL["review"], purchase_id=second.id)
    staff.goodwill_refund(second.id, 10**15, "late_delivery", PERSONAL["address"])
    customer.return_items(second.id, shipment_ref=PERSONAL["phone"])
    customer.review(second.id, 4, PERSONAL["note"])
    ledger.submit_return(relayer, ledger.customer_desk(alice).sign_return(purchase, [0], PERSONAL["order"]))
    assert owner.address == ledger.merchant(1).owner

    stored = _on_chain(chain)
    assert CONTROL_SKU.encode() in stored  # the search sees text that is meant to be there
    leaks = {what: needle for what, text in PERSONAL.items() for needle in _needles(text) if needle in stored}
    assert not leaks, f"personal data found on chain: {leaks}"
