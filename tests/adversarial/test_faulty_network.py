"""A faulty network between the library and the node (``faulty_proxy.py``): calls dropped on the way or
on the way back, delayed, delivered twice or late. Purchases still land exactly once each with no gap in
the nonces; a transaction stuck for want of fee is replaced on the same nonce; confirmations are waited
for; a node that goes away mid-command gives one line, and the next command carries on."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from ledger.chain import AnvilChain, connect, dev_accounts
from ledger.client import Ledger
from ledger.errors import NodeError, NotRecorded
from ledger.sending import sign_orders
from ledger.validate import hash_of
from tests.support.cli import ok
from tests.support.faulty_proxy import FAULTS, FaultyProxy
from tests.support.world import DAY

PRICE = 10**15
ACCOUNTS = dev_accounts()
DEPLOYER, OWNER, ALICE, BOB = ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[3], ACCOUNTS[4]


@pytest.fixture(scope="module")
def node():
    with AnvilChain() as chain:
        yield chain


@pytest.fixture(scope="module")
def home(node) -> Ledger:
    """The ledger, deployed straight on the node (no faults), with a shop and its terms."""
    ledger = Ledger.deploy(node, DEPLOYER, index=False)
    shop = ledger.register_merchant(OWNER)
    shop.publish_terms(7 * DAY)
    return ledger


@pytest.fixture
def shop(home, node):
    """The shop, on the direct connection; the chain is put back after the test."""
    snapshot = node.snapshot()
    yield home.merchant_desk(OWNER, 1)
    node.w3.provider.make_request("evm_setAutomine", [True])
    node.revert(snapshot)


def far_side(proxy: FaultyProxy, home: Ledger) -> Ledger:
    """The same ledger as seen through the proxy."""
    return Ledger.attach(connect(proxy.url), home.deployment(), index=False)


def nonces(node, account) -> tuple[int, int]:
    return (node.w3.eth.get_transaction_count(account.address, "latest"),
            node.w3.eth.get_transaction_count(account.address, "pending"))


def test_hundred_purchases_through_a_faulty_network_are_recorded_once_each(node, home, shop) -> None:
    model = shop.quote(1, [("MUG", 1, PRICE)], "NET-0", customer=ALICE.address).order
    orders = sign_orders(OWNER, [replace(model, order_ref="0x" + n.to_bytes(32, "big").hex()) for n in range(100)],
                         node.chain_id, home.address)  # the shop's signing, without a chain call per order
    first, _ = nonces(node, ALICE)
    with FaultyProxy(node.url, rate=0.15, seed=9, rates={"eth_sendRawTransaction": 0.6}) as proxy:
        customer = far_side(proxy, home).customer_desk(ALICE)
        bought = [customer.buy(order).id for order in orders]
    wanted = [o.order.purchase_id(node.chain_id, home.address) for o in orders]
    assert bought == wanted
    recorded = [event.args["purchaseId"] for event in home.events("PurchaseRecorded", None, 1, ALICE.address)]
    assert sorted(recorded) == sorted(wanted)  # each once: none missing, none twice
    assert nonces(node, ALICE) == (first + 100, first + 100)  # one transaction each, no gap, none pending
    for fault in FAULTS:  # every kind of fault hit a transaction on its way, not only reads
        assert proxy.count(fault, "eth_sendRawTransaction") >= 1, (fault, proxy.seen)


def test_a_buy_whose_nonce_another_copy_used_is_found_by_its_purchase_id(node, home, shop) -> None:
    """The same order bought at the same moment elsewhere with the same key (a double click, a second
    terminal): this call's own transaction is lost and its nonce used by the other copy. The purchase id
    shows the work is done: it returns that purchase, and sends nothing more."""
    order = shop.quote(1, [("MUG", 1, PRICE)], "TWICE", customer=ALICE.address)
    customer_elsewhere = home.customer_desk(ALICE)
    first, _ = nonces(node, ALICE)
    with FaultyProxy(node.url, rate=0.0, faults=("drop_request",), rates={"eth_sendRawTransaction": 1.0}) as proxy:
        far = far_side(proxy, home)
        racing = threading.Event()

        def elsewhere(method: str) -> None:
            if method == "eth_getTransactionReceipt" and not racing.is_set():
                racing.set()  # this call's own transaction was lost: the other copy (another fee) lands now
                node.w3.provider.make_request("evm_mine", [])
                customer_elsewhere.buy(order)

        proxy.before_forward = elsewhere
        purchase = far.customer_desk(ALICE).buy(order)
    assert purchase.id == order.order.purchase_id(node.chain_id, home.address)
    assert len(home.events("PurchaseRecorded", purchase.id)) == 1
    assert nonces(node, ALICE) == (first + 1, first + 1)


def test_a_call_whose_nonce_another_transaction_took_is_said_not_recorded(node, home, shop) -> None:
    """The call's own transaction is lost on the way, and the same key signs another transaction elsewhere on
    that nonce: only then, with the transaction at the nonce found and not one of its own, is the call said not
    recorded, naming the one that took the nonce; nothing of the call is on chain."""
    shop.add_agent(BOB.address)
    staff_elsewhere = home.merchant_desk(BOB, 1)
    first, _ = nonces(node, BOB)
    taken: list[str] = []
    with FaultyProxy(node.url, rate=0.0, faults=("drop_request",), rates={"eth_sendRawTransaction": 1.0}) as proxy:
        far = far_side(proxy, home)

        def elsewhere(method: str) -> None:
            if method == "eth_getTransactionReceipt" and not taken:
                taken.append(staff_elsewhere.log_contact(ALICE.address, "chat", "question", b"elsewhere").tx_hash)

        proxy.before_forward = elsewhere
        call = far.contact_call(1, ALICE.address, None, "email", "feedback", None, b"\x01" * 32)
        with pytest.raises(NotRecorded, match="was not recorded and never will be") as refused:
            far.transact(BOB, call)
    assert refused.value.taken_by == taken[0] and refused.value.nonce == first
    assert [c.content_hash for c in home.contacts(1)] == ["0x" + hash_of("elsewhere").hex()]
    assert nonces(node, BOB) == (first + 1, first + 1)


def test_a_fee_the_node_refuses_is_raised_on_the_same_nonce(node, home, shop) -> None:
    """The base fee jumps between signing and sending: the node refuses the transaction, and the library
    signs the same nonce again with a fee the chain accepts now."""
    order = shop.quote(1, [("MUG", 1, PRICE)], "FEE-JUMP", customer=ALICE.address)
    first, _ = nonces(node, ALICE)
    jumped = []

    def fee_jumps(method: str) -> None:
        if method == "eth_sendRawTransaction" and not jumped:
            jumped.append(True)
            node.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(50 * 10**9)])
            node.w3.provider.make_request("evm_mine", [])

    with FaultyProxy(node.url, rate=0.0) as proxy:
        proxy.before_forward = fee_jumps
        purchase = far_side(proxy, home).customer_desk(ALICE).buy(order)
    tx = node.w3.eth.get_transaction(purchase.tx_hash)
    assert tx["nonce"] == first and tx["maxFeePerGas"] >= 50 * 10**9
    assert nonces(node, ALICE) == (first + 1, first + 1)


def test_a_transaction_stuck_for_want_of_fee_is_replaced_on_the_same_nonce(node, home, shop) -> None:
    """Nothing mines the transaction (as on a busy network, where its fee is too low to be picked): after
    ``replace_after`` the library signs the same nonce with a higher fee; the replacement is mined and the
    first version never is."""
    order = shop.quote(1, [("MUG", 1, PRICE)], "STUCK", customer=ALICE.address)
    first, _ = nonces(node, ALICE)
    far = Ledger.attach(connect(node.url), home.deployment(), index=False)
    far.chain.replace_after = 0.3
    node.w3.provider.make_request("evm_setAutomine", [False])
    result = {}
    buyer = threading.Thread(target=lambda: result.update(purchase=far.customer_desk(ALICE).buy(order)))
    buyer.start()
    versions: dict[str, dict] = {}
    deadline = time.monotonic() + 20
    while len(versions) < 2 and time.monotonic() < deadline:  # a miner that waits for a better fee
        pool = node.w3.provider.make_request("txpool_content", [])["result"]["pending"]
        for sender, by_nonce in pool.items():
            if sender.lower() == ALICE.address.lower():
                versions.update({tx["hash"]: tx for tx in by_nonce.values()})
        time.sleep(0.05)
    node.w3.provider.make_request("evm_mine", [])
    buyer.join(20)
    stuck, replacement = versions.values()
    assert result["purchase"].tx_hash == replacement["hash"]
    assert int(stuck["nonce"], 16) == int(replacement["nonce"], 16) == first
    assert int(replacement["maxFeePerGas"], 16) > int(stuck["maxFeePerGas"], 16)
    assert int(replacement["maxPriorityFeePerGas"], 16) > int(stuck["maxPriorityFeePerGas"], 16)
    assert nonces(node, ALICE) == (first + 1, first + 1)
    assert len(home.events("PurchaseRecorded", result["purchase"].id)) == 1


def test_confirmations_wait_for_blocks_on_top(node, home, shop) -> None:
    """With three confirmations a purchase is reported once two more blocks stand on its own (mined here by
    another thread, slowly, as a real network would)."""
    order = shop.quote(1, [("MUG", 1, PRICE)], "CONFIRMED", customer=ALICE.address)
    far = Ledger.attach(connect(node.url), home.deployment(), index=False)
    far.chain.confirmations = 3
    stop = threading.Event()

    def miner() -> None:
        while not stop.wait(0.3):
            node.w3.provider.make_request("evm_mine", [])

    thread = threading.Thread(target=miner)
    thread.start()
    try:
        purchase = far.customer_desk(ALICE).buy(order)
        head = node.w3.eth.block_number
    finally:
        stop.set()
        thread.join()
    assert head >= purchase.block_number + 2


def test_confirmations_option_of_the_command_line(cli, cli_project) -> None:
    """``--confirmations N`` makes a sending command wait for N blocks; fewer than 1 is refused."""
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    ok(cli("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "CONF-1", "--for", ALICE.address, "-o", "o.json"))
    chain = connect(cli_project.url)
    stop = threading.Event()

    def miner() -> None:
        while not stop.wait(0.3):
            chain.w3.provider.make_request("evm_mine", [])

    thread = threading.Thread(target=miner)
    thread.start()
    try:
        purchase = json.loads(ok(cli("--json", "--confirmations", "3", "--account", "3", "buy", "--yes", "o.json")))
        head = chain.w3.eth.block_number
    finally:
        stop.set()
        thread.join()
    assert head >= purchase["block_number"] + 2
    refused = cli("--confirmations", "0", "accounts")
    assert refused.exit_code != 0 and "--confirmations" in refused.output


def test_node_going_away_mid_command_gives_one_line_and_the_next_command_carries_on(cli, cli_project) -> None:
    """The node answers until the purchase is handed to it, then is gone: one line says what is known (the
    transaction, and that it may be recorded), no traceback; the next command, on the node, carries on, and
    the purchase is there once whatever is tried again."""
    ok(cli("--account", "1", "merchant", "register"))
    ok(cli("--account", "1", "terms", "publish", "1", "--window", "7d"))
    ok(cli("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "GONE-1", "--for", ALICE.address, "-o", "o1.json"))
    ok(cli("--account", "1", "quote", "1", "MUG:1:0.01", "--order", "GONE-2", "--for", ALICE.address, "-o", "o2.json"))
    proxy = FaultyProxy(cli_project.url, rate=0.0, faults=("drop_response",), rates={"eth_sendRawTransaction": 1.0})
    proxy.before_forward = lambda method: threading.Thread(target=proxy.go_away).start() \
        if method == "eth_sendRawTransaction" else None
    try:
        gone = cli("--rpc", proxy.url, "--account", "3", "buy", "--yes", "o1.json")
    finally:
        proxy.close()
    assert gone.exit_code == 1 and "Traceback" not in gone.output
    (line,) = gone.stderr.strip().splitlines()
    assert "stopped answering" in line and "whether it was recorded is not known" in line
    again = cli("--account", "3", "buy", "--yes", "o1.json")  # tried again: its transaction is found, nothing is sent
    assert again.exit_code == 0 and "already on chain" in again.stderr and "nothing was sent" in again.stderr
    ok(cli("--account", "3", "buy", "--yes", "o2.json"))
    bought = json.loads(ok(cli("--json", "purchases", "--merchant", "1")))
    assert sorted(p["order"]["order_ref"] for p in bought) == sorted(  # each once
        {p["order"]["order_ref"] for p in bought})
    assert len(bought) == 2


def test_a_local_chain_control_is_never_repeated(node, shop) -> None:
    """A lost answer to ``evm_increaseTime`` is not asked again (the clock would move twice): the command
    stops with one line, and the clock moved once."""
    before = node.now()
    with FaultyProxy(node.url, rate=0.0, faults=("drop_response",), rates={"evm_increaseTime": 1.0}) as proxy:
        with pytest.raises(NodeError, match="stopped answering"):
            connect(proxy.url).advance_time(DAY)
    node.advance_time(0)
    assert DAY <= node.now() - before < 2 * DAY


def test_reads_ride_out_a_lossy_network(node, home) -> None:
    """Half of all calls lost one way or the other: reads still answer, by asking again."""
    with FaultyProxy(node.url, rate=0.5, seed=3, faults=("drop_request", "drop_response", "reorder")) as proxy:
        far = far_side(proxy, home)
        assert [m.id for m in far.merchants()] == [1] and far.terms(1).return_window == 7 * DAY
        assert proxy.count("drop_request") + proxy.count("drop_response") > 0


def test_the_proxy_stays_on_this_machine() -> None:
    with pytest.raises(ValueError, match="on this machine only"):
        FaultyProxy("http://192.0.2.1:8545")
