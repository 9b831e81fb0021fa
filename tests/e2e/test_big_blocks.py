"""Blocks near ``block.max_bytes`` on four validators (real ``depind start`` processes)
whose gossip messages are limited to a quarter of a block.

Genesis sets ``block.max_bytes`` to 512 KiB and every node ``[p2p] max_message_bytes``
to 128 KiB, the least it allows: a full block is eight 64 KiB parts, four times the
largest gossip message. Bank sends with long memos, offered all at once, are more than
four blocks hold. Then:

- at least two blocks are over 90% of ``block.max_bytes`` and none is over it;
- every node has the same block at every height;
- every tx CheckTx admitted is committed exactly once;
- a fresh node, started once the big blocks are committed, block-syncs through them
  (each sync answer carries a block larger than any gossip message) to the same chain.
"""

from __future__ import annotations

import base64
import time
from collections import Counter

import httpx
import pytest

from genesis import doc as genesis_doc
from genesis.funding import add_accounts
from genesis.schema import AuthGenesis, CoinJSON, get_section, set_section
from node.client import build_tx
from tests.e2e.harness import (
    CHAIN_ID,
    DENOM,
    FEE,
    FUNDS,
    GAS,
    POLL_S,
    DepindProcess,
    Wallet,
    b64,
    e2e_key,
    tx_hash,
)
from tests.e2e.network import Network, NetworkFactory, add_node, block_metas, check_same_chain, configure_p2p
from vm.app import split_entry
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
MAX_BLOCK_BYTES = 512 * 1024
MAX_EVIDENCE_BYTES = 64 * 1024  # at most block.max_bytes
MAX_MESSAGE_BYTES = 128 * 1024  # the least [p2p] max_message_bytes allows
FULL = 0.9  # a block over this share of block.max_bytes counts as full
FULL_BLOCKS = 2  # at least this many
MEMO_CHARS = 8_000  # a tx of about 8.3 KB: some 60 fill a block
OFFERED_BLOCKS = 4  # the txs offered at once would fill this many blocks
SENDERS = [e2e_key(1500 + i) for i in range(8)]
RECIPIENT = e2e_key(1510).address
BATCH = 64  # txs per JSON-RPC batch: ~720 KB of request, under max_body_bytes (1 MB)
COMMIT_TIMEOUT_S = 90.0
SYNC_TIMEOUT_S = 90.0
START_TIMEOUT_S = 90.0  # four nodes starting at once on a busy machine


def test_blocks_near_max_bytes_are_committed_and_synced(network_factory: NetworkFactory) -> None:
    assert FULL * MAX_BLOCK_BYTES > 3 * MAX_MESSAGE_BYTES  # a full block is far larger than a message
    network = network_factory(VALIDATORS, start=False)
    prepare(network)
    network.start_all(min_height=2, timeout=START_TIMEOUT_S)
    reader = network.nodes[0]

    txs = sign_sends(reader, OFFERED_BLOCKS * MAX_BLOCK_BYTES)
    admitted = offer(network, txs)
    assert admitted == [tx_hash(raw) for raw in txs], "CheckTx refused some of the txs"

    committed = wait_committed(reader, set(admitted))
    through = max(committed.values())
    assert sorted(committed) == sorted(admitted), "every admitted tx is committed exactly once"
    sizes = block_sizes(reader, through)
    assert max(sizes.values()) <= MAX_BLOCK_BYTES, sizes
    full = [height for height, size in sizes.items() if size > FULL * MAX_BLOCK_BYTES]
    assert len(full) >= FULL_BLOCKS, f"block sizes {sizes}"

    network.wait_all_height(through)
    check_same_chain(network.nodes, through)

    fresh = add_node(network, network.root / "fresh", max_message_bytes=MAX_MESSAGE_BYTES)
    fresh.launch()
    fresh.wait_started(through, timeout=SYNC_TIMEOUT_S)
    check_same_chain([reader, fresh], through)


# -- the network ------------------------------------------------------------------------------


def prepare(network: Network) -> None:
    """In genesis: fund the senders, set block.max_bytes (and evidence.max_bytes, which may
    not pass it) and make room for long memos; in every node's config: the message limit."""
    doc = genesis_doc.load(network.nodes[0].home.genesis_file)
    add_accounts(doc, [(key.address, [CoinJSON(denom=DENOM, amount=FUNDS)]) for key in SENDERS])
    doc.consensus_params.block.max_bytes = MAX_BLOCK_BYTES
    doc.consensus_params.evidence.max_bytes = MAX_EVIDENCE_BYTES
    auth = get_section(doc, "auth", AuthGenesis)
    auth.params.max_memo_characters = MEMO_CHARS
    set_section(doc, "auth", auth)
    for node in network.nodes:
        genesis_doc.save(doc, node.home.genesis_file)
        configure_p2p(node.home, max_message_bytes=MAX_MESSAGE_BYTES)


# -- the load ---------------------------------------------------------------------------------


def sign_sends(node: DepindProcess, total_bytes: int) -> list[bytes]:
    """Sends of 1 udepin with a MEMO_CHARS memo, round robin over the senders, until their
    bytes pass ``total_bytes``; each sender's sequences count up from its account's."""
    wallets = [Wallet(node, key) for key in SENDERS]
    txs: list[bytes] = []
    size = 0
    while size <= total_bytes:
        wallet = wallets[len(txs) % len(wallets)]
        memo = f"{len(txs):08d}".ljust(MEMO_CHARS, "m")
        msg = wallet.send_msg(RECIPIENT, 1)
        number, sequence = wallet.account_number, wallet.sequence
        txs.append(build_tx(wallet.key, CHAIN_ID, number, sequence, [msg], [Coin(DENOM, FEE)], GAS, memo))
        wallet.sequence += 1
        size += len(txs[-1])
    return txs


def offer(network: Network, txs: list[bytes]) -> list[str]:
    """Each sender's txs through its own node (sender i through node i % 4), in JSON-RPC
    batches of broadcast_tx_sync, as fast as the nodes answer; the hashes CheckTx admitted,
    in the order of ``txs``."""
    lanes: list[list[tuple[int, bytes]]] = [[] for _ in network.nodes]
    for index, raw in enumerate(txs):
        lanes[index % len(SENDERS) % len(lanes)].append((index, raw))
    admitted: list[str] = []
    with httpx.Client(timeout=COMMIT_TIMEOUT_S) as http:
        for node, lane in zip(network.nodes, lanes, strict=True):
            for start in range(0, len(lane), BATCH):
                admitted += broadcast(http, node, lane[start : start + BATCH])
    order = {tx_hash(raw): index for index, raw in enumerate(txs)}
    return sorted(admitted, key=order.__getitem__)


def broadcast(http: httpx.Client, node: DepindProcess, lane: list[tuple[int, bytes]]) -> list[str]:
    call = {"jsonrpc": "2.0", "method": "broadcast_tx_sync"}
    payload = [{**call, "id": i, "params": {"tx": b64(raw)}} for i, raw in lane]
    answers = http.post(node.url, json=payload).json()
    return [answer["result"]["hash"] for answer in answers if answer["result"]["code"] == 0]


# -- what the chain holds ---------------------------------------------------------------------


def wait_committed(node: DepindProcess, expected: set[str]) -> dict[str, int]:
    """Read ``node``'s blocks from height 1 until every tx of ``expected`` is in one, all
    within COMMIT_TIMEOUT_S; the height of each of our txs (the proposers' beacon entries
    aside). A tx that occurs twice fails at once."""
    heights: dict[str, int] = {}
    occurrences: Counter[str] = Counter()
    scanned = 0
    deadline = time.monotonic() + COMMIT_TIMEOUT_S
    for _ in range(int(COMMIT_TIMEOUT_S / POLL_S) + 1):
        for height in range(scanned + 1, node.height() + 1):
            block = node.rpc("block", height=height)["block"]
            _, txs = split_entry([base64.b64decode(tx) for tx in block["data"]["txs"]])
            for raw in txs:
                heights[tx_hash(raw)] = height
                occurrences[tx_hash(raw)] += 1
            scanned = height
        repeated = [hash_ for hash_, count in occurrences.items() if count > 1]
        assert not repeated, f"txs committed more than once: {repeated}"
        if expected <= heights.keys():
            return heights
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    missing = expected - heights.keys()
    raise AssertionError(f"{len(missing)} admitted txs not committed by height {scanned}")


def block_sizes(node: DepindProcess, through: int) -> dict[int, int]:
    """Each block's encoded size (what block.max_bytes bounds), as ``blockchain`` reports it."""
    return {int(meta["header"]["height"]): int(meta["block_size"]) for meta in block_metas(node, through)}
