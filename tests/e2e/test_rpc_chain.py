"""Chain methods over raw JSON-RPC against a running node: every read method, and
the links that make the served blocks one verifiable chain."""

from __future__ import annotations

import base64

import pytest

from consensus.privval import verify
from consensus.types import VoteType, vote_sign_bytes
from node.light import block_id_from_json, header_from_json, parse_rfc3339
from tests.e2e.harness import (
    CHAIN_ID,
    FUNDS,
    KEYS,
    NodeProcess,
    RPCFailure,
    Wallet,
    b64,
    tx_hash,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEIGHT = 5  # blocks to look at
# Every method the node serves: CometBFT's chain methods and depind's app queries.
EXPECTED_METHODS = {
    "health",
    "status",
    "genesis",
    "abci_info",
    "block",
    "block_by_hash",
    "block_results",
    "header",
    "commit",
    "blockchain",
    "validators",
    "tx",
    "tx_search",
    "broadcast_tx_async",
    "broadcast_tx_sync",
    "broadcast_tx_commit",
    "check_tx",
    "unconfirmed_txs",
    "num_unconfirmed_txs",
    "abci_query",
    "account",
    "balances",
    "supply",
    "provider",
    "providers",
    "params",
    "simulate",
    "subscribe",
    "unsubscribe",
    "unsubscribe_all",
}
UNCONFIRMED_ATTEMPTS = 5


def test_rpc_chain_methods(node: NodeProcess) -> None:
    node.wait_height(HEIGHT + 1)

    assert node.rpc("health") == {}
    check_status(node)
    check_genesis(node)

    info = node.rpc("abci_info")["response"]
    assert int(info["last_block_height"]) >= HEIGHT + 1
    assert len(base64.b64decode(info["last_block_app_hash"])) == 32

    latest = node.rpc("block")
    assert int(latest["block"]["header"]["height"]) >= HEIGHT + 1

    for height in range(1, HEIGHT + 1):
        check_block(node, height)
    check_commit_signature(node, HEIGHT)
    check_blockchain(node, HEIGHT)
    check_validators(node)
    check_unconfirmed_txs(node)
    check_discover(node)


def test_header_chain_links(node: NodeProcess) -> None:
    """Block h names block h-1 by hash, carries its commit, and commits to h-1's app hash."""
    node.wait_height(HEIGHT + 1)
    blocks = {h: node.rpc("block", height=h) for h in range(1, HEIGHT + 2)}
    results = {h: node.rpc("block_results", height=h) for h in range(1, HEIGHT + 1)}

    first = blocks[1]["block"]["header"]
    assert first["last_block_id"]["hash"] == ""
    empty_commit = blocks[1]["block"]["last_commit"]  # CometBFT's empty commit, as cosmjs reads it
    assert (empty_commit["height"], empty_commit["block_id"]["hash"], empty_commit["signatures"]) == (
        "0",
        "",
        [],
    )
    for height in range(2, HEIGHT + 2):
        header = blocks[height]["block"]["header"]
        previous_id = blocks[height - 1]["block_id"]
        assert header["last_block_id"] == previous_id
        assert header["app_hash"] == results[height - 1]["app_hash"]
        previous_commit = node.rpc("commit", height=height - 1)["signed_header"]["commit"]
        assert blocks[height]["block"]["last_commit"] == previous_commit
        assert parse_rfc3339(header["time"]) > parse_rfc3339(blocks[height - 1]["block"]["header"]["time"])


def check_status(node: NodeProcess) -> None:
    status = node.rpc("status")
    assert status["node_info"]["network"] == CHAIN_ID
    assert status["node_info"]["listen_addr"] == f"127.0.0.1:{node.port}"
    sync = status["sync_info"]
    assert sync["catching_up"] is False
    assert sync["earliest_block_height"] == "1"
    latest = node.rpc("block", height=int(sync["latest_block_height"]))
    assert latest["block_id"]["hash"] == sync["latest_block_hash"]
    validator = status["validator_info"]
    assert base64.b64decode(validator["pub_key"]["value"]) == node.validator_pub_key
    assert validator["voting_power"] == "10"


def check_genesis(node: NodeProcess) -> None:
    genesis = node.rpc("genesis")["genesis"]
    assert genesis["chain_id"] == CHAIN_ID
    assert genesis["validators"] == []  # the first set comes from the gentx
    (gentx,) = genesis["app_state"]["genutil"]["gen_txs"]
    (create_validator,) = gentx["body"]["messages"]
    assert base64.b64decode(create_validator["pubkey"]["key"]) == node.validator_pub_key
    funded = {b["address"]: b["coins"] for b in genesis["app_state"]["bank"]["balances"]}
    for key in KEYS:
        assert funded[key.address] == [{"denom": "udepin", "amount": FUNDS}]


def check_block(node: NodeProcess, height: int) -> None:
    by_height = node.rpc("block", height=height)
    assert by_height == node.rpc("block", height=str(height))  # CometBFT clients send strings
    header = by_height["block"]["header"]
    assert header["height"] == str(height)
    assert header["chain_id"] == CHAIN_ID
    block_hash = by_height["block_id"]["hash"]
    # The served header hashes to the block id: the JSON view loses nothing.
    assert header_from_json(header).hash().hex().upper() == block_hash

    assert node.rpc("block_by_hash", hash=block_hash) == by_height
    assert node.rpc("block_by_hash", hash="0x" + block_hash.lower()) == by_height
    assert node.rpc("header", height=height) == {"header": header}

    results = node.rpc("block_results", height=height)
    assert results["height"] == str(height)
    # An empty block holds only its proposer's beacon entry (docs/beacon.md).
    assert [e["type"] for r in results["txs_results"] for e in r["events"]] == ["beacon"]
    assert len(bytes.fromhex(results["app_hash"])) == 32

    signed = node.rpc("commit", height=height)
    assert signed["canonical"] is True
    assert signed["signed_header"]["header"] == header
    commit = signed["signed_header"]["commit"]
    assert commit["height"] == str(height)
    assert commit["block_id"] == by_height["block_id"]


def check_commit_signature(node: NodeProcess, height: int) -> None:
    """The commit's precommit signature verifies with the validator's ed25519 key."""
    commit = node.rpc("commit", height=height)["signed_header"]["commit"]
    [signature] = commit["signatures"]
    assert signature["block_id_flag"] == 2
    validator_address = node.rpc("status")["validator_info"]["address"]
    assert signature["validator_address"] == validator_address
    sign_bytes = vote_sign_bytes(
        CHAIN_ID,
        VoteType.PRECOMMIT,
        height,
        int(commit["round"]),
        block_id_from_json(commit["block_id"]),
        parse_rfc3339(signature["timestamp"]),
    )
    raw_signature = base64.b64decode(signature["signature"])
    assert verify(node.validator_pub_key, sign_bytes, raw_signature)
    other_height = vote_sign_bytes(
        CHAIN_ID,
        VoteType.PRECOMMIT,
        height + 1,
        int(commit["round"]),
        block_id_from_json(commit["block_id"]),
        parse_rfc3339(signature["timestamp"]),
    )
    assert not verify(node.validator_pub_key, other_height, raw_signature)


def check_blockchain(node: NodeProcess, height: int) -> None:
    chain = node.rpc("blockchain", minHeight=1, maxHeight=height)
    assert int(chain["last_height"]) >= height
    metas = chain["block_metas"]
    assert [m["header"]["height"] for m in metas] == [str(h) for h in range(height, 0, -1)]
    for meta in metas:
        block = node.rpc("block", height=int(meta["header"]["height"]))
        assert meta["block_id"] == block["block_id"]
        assert meta["header"] == block["block"]["header"]
        assert meta["num_txs"] == "1"  # the proposer's beacon entry
        assert int(meta["block_size"]) > 0
    with pytest.raises(RPCFailure) as excinfo:
        node.rpc("blockchain", minHeight=3, maxHeight=2)
    assert excinfo.value.code == -32602


def check_validators(node: NodeProcess) -> None:
    result = node.rpc("validators", height=1)
    assert result["block_height"] == "1"
    assert (result["count"], result["total"]) == ("1", "1")
    [validator] = result["validators"]
    assert base64.b64decode(validator["pub_key"]["value"]) == node.validator_pub_key
    assert validator["pub_key"]["type"] == "tendermint/PubKeyEd25519"
    assert validator["voting_power"] == "10"
    assert validator["address"] == node.rpc("status")["validator_info"]["address"]


def check_unconfirmed_txs(node: NodeProcess) -> None:
    """A tx just admitted shows in the mempool views until a block takes it.

    A block every 0.3 s may take the tx between the two calls; then try again
    with the next sequence (a bounded number of times)."""
    wallet = Wallet(node, KEYS[0])
    for _ in range(UNCONFIRMED_ATTEMPTS):
        raw = wallet.sign([wallet.send_msg(KEYS[1].address, 1)])
        assert node.rpc("broadcast_tx_sync", tx=b64(raw))["code"] == 0
        wallet.sequence += 1
        pending = node.rpc("unconfirmed_txs", limit=10)
        counts = node.rpc("num_unconfirmed_txs")
        if pending["txs"] == [b64(raw)] and counts["n_txs"] == "1":
            assert pending["n_txs"] == pending["total"] == "1"
            assert int(pending["total_bytes"]) == int(counts["total_bytes"]) == len(raw)
            break
        node.wait_tx(tx_hash(raw))
    else:
        pytest.fail(f"no tx stayed in the mempool for two calls in {UNCONFIRMED_ATTEMPTS} tries")
    node.wait_tx(tx_hash(raw))
    assert node.rpc("num_unconfirmed_txs")["n_txs"] == "0"
    assert node.rpc("unconfirmed_txs")["txs"] == []


def check_discover(node: NodeProcess) -> None:
    document = node.rpc("rpc.discover")
    assert document["openrpc"].startswith("1.")
    listed = {m["name"] for m in document["methods"]}
    assert listed >= EXPECTED_METHODS, EXPECTED_METHODS - listed
    for method in document["methods"]:
        assert method["summary"], method["name"]
        # Every listed method is served (over HTTP, or refused as WebSocket-only).
        response = node.rpc_response(method["name"])
        if "error" in response:
            assert response["error"]["code"] != -32601, method["name"]
    block = next(m for m in document["methods"] if m["name"] == "block")
    assert block["params"] == [{"name": "height", "required": False, "schema": {"type": "integer"}}]
