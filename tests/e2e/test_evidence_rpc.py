"""``broadcast_evidence`` on a network of four validators: evidence that a validator
signed two prevotes at a committed height is verified, gossiped, committed once in a
block and reported to the application; junk and repeats are refused with a stable code."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consensus import privval
from consensus.codec import encode
from consensus.tendermint.messages import DuplicateVoteEvidence, duplicate_vote_evidence
from consensus.types import BlockID, PartSetHeader, Vote, VoteType
from node.rpc.errors import EVIDENCE_REJECTED, INVALID_PARAMS
from node.testnet import VALIDATOR_POWER
from tests.e2e.harness import POLL_S, NodeFailure, RPCFailure
from tests.e2e.network import NetworkFactory, ValidatorNode

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
CHAIN_ID = "depind-e2e-1"
COMMIT_TIMEOUT_S = 30.0


def equivocation(node: ValidatorNode, height: int) -> DuplicateVoteEvidence:
    """Two prevotes by ``node``'s validator key at (height, round 0) for different blocks."""
    key = Ed25519PrivateKey.from_private_bytes(privval.read_key_file(node.home.key_file))
    index = validator_index(node, height)
    address = bytes.fromhex(node.validator_address)

    def prevote(fill: int) -> Vote:
        block_id = BlockID(bytes([fill]) * 32, PartSetHeader(1, bytes([fill + 1]) * 32))
        unsigned = Vote(VoteType.PREVOTE, height, 0, block_id, 0, address, index, b"")
        return Vote(
            VoteType.PREVOTE, height, 0, block_id, 0, address, index, key.sign(unsigned.sign_bytes(CHAIN_ID))
        )

    return duplicate_vote_evidence(prevote(1), prevote(7), VALIDATOR_POWER, VALIDATOR_POWER * VALIDATORS)


def validator_index(node: ValidatorNode, height: int) -> int:
    listed = node.rpc("validators", height=height)["validators"]
    return [v["address"] for v in listed].index(node.validator_address)


def rpc_error(node: ValidatorNode, method: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(RPCFailure) as failure:
        node.rpc(method, **params)
    return failure.value.error


def blocks_with_evidence(node: ValidatorNode, up_to: int) -> list[int]:
    return [h for h in range(1, up_to + 1) if node.rpc("block", height=h)["block"]["evidence"]["evidence"]]


def test_broadcast_evidence_is_committed_once(network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS)
    network.wait_all_height(3)
    cheater, via, watcher = network.nodes[3], network.nodes[1], network.nodes[2]
    evidence = equivocation(cheater, 2)
    raw = encode(evidence)

    result = via.rpc("broadcast_evidence", evidence=base64.b64encode(raw).decode())
    assert result == {"hash": hashlib.sha256(raw).hexdigest().upper()}

    deadline = time.monotonic() + COMMIT_TIMEOUT_S
    while not (found := blocks_with_evidence(watcher, watcher.height())):
        if time.monotonic() > deadline:
            raise NodeFailure(f"no block with the evidence within {COMMIT_TIMEOUT_S}s")
        time.sleep(POLL_S)
    [height] = found
    events = watcher.rpc("block_results", height=height)["finalize_block_events"]
    reported = [
        {a["key"]: a["value"] for a in event["attributes"]}
        for event in events
        if event["type"] == "misbehavior"
    ]
    assert reported == [{"kind": "duplicate_vote", "validator": cheater.validator_address, "height": "2"}]

    network.wait_all_height(height + 2)
    assert blocks_with_evidence(watcher, watcher.height()) == [height]  # committed once
    again = rpc_error(via, "broadcast_evidence", evidence=base64.b64encode(raw).decode())
    assert again["code"] == EVIDENCE_REJECTED and "committed" in again["data"]


def test_invalid_broadcast_evidence(network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS)
    network.wait_all_height(2)
    node = network.nodes[0]
    assert rpc_error(node, "broadcast_evidence", evidence="not base64!")["code"] == INVALID_PARAMS
    junk = rpc_error(node, "broadcast_evidence", evidence=base64.b64encode(b"\x93junk").decode())
    assert junk["code"] == EVIDENCE_REJECTED and "undecodable" in junk["data"]
    forged = equivocation(network.nodes[2], 1)
    tampered = DuplicateVoteEvidence(
        forged.vote_a, forged.vote_b, forged.validator_power + 1, forged.total_voting_power
    )
    wrong = rpc_error(node, "broadcast_evidence", evidence=base64.b64encode(encode(tampered)).decode())
    assert wrong["code"] == EVIDENCE_REJECTED and "voting powers" in wrong["data"]
