"""``abci_query`` on "/store" with proofs: a light client checks a balance (or its
absence) against the app hash in a committed header, and nothing else passes."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from node.client import Client
from node.light import (
    VerificationError,
    commit_from_json,
    get_validators,
    query_proven,
    verified_header,
    verify_commit,
)
from tests.e2e.harness import CHAIN_ID, DENOM, FEE, FUNDS, KEYS, NodeProcess, Wallet, b64, e2e_key
from vm.modules import default_registry
from vm.store.smt import Proof, ProofLeaf, verify_proof
from vm.types import parse_address

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def query_store(node: NodeProcess, key: bytes) -> tuple[bytes, Proof, int]:
    """(value, proof, height) of a raw state key, answered at the latest height."""
    response = node.rpc("abci_query", path="/store", data=key.hex(), prove=True)["response"]
    assert response["code"] == 0, response
    assert base64.b64decode(response["key"]) == key
    [op] = response["proofOps"]["ops"]
    assert op["type"] == "depind:smt"
    assert base64.b64decode(op["key"]) == key
    proof = Proof.decode(base64.b64decode(op["data"]))
    return base64.b64decode(response["value"]), proof, int(response["height"])


def app_hash_after(node: NodeProcess, height: int) -> bytes:
    """The app hash of the state at ``height``, from the header of block ``height + 1``."""
    node.wait_height(height + 1)
    header: dict[str, Any] = node.rpc("header", height=height + 1)["header"]
    return bytes.fromhex(header["app_hash"])


def test_abci_query_proof(node: NodeProcess) -> None:
    owner = KEYS[0]
    key = default_registry().keeper("bank").balance_key(parse_address(owner.address), DENOM)

    value, proof, height = query_store(node, key)
    assert int.from_bytes(value, "big") == FUNDS
    root = app_hash_after(node, height)
    assert root == bytes.fromhex(node.rpc("block_results", height=height)["app_hash"])
    assert verify_proof(root, key, value, proof)

    # Tampering with any part of the claim breaks it.
    assert not verify_proof(root, key, (FUNDS + 1).to_bytes(8, "big"), proof)
    assert not verify_proof(root, key, None, proof)
    assert not verify_proof(
        root,
        default_registry().keeper("bank").balance_key(parse_address(KEYS[1].address), DENOM),
        value,
        proof,
    )
    assert not verify_proof(bytes(32), key, value, proof)
    if proof.siblings:
        forged = Proof([bytes(32), *proof.siblings[1:]], proof.leaf)
        assert not verify_proof(root, key, value, forged)
    assert proof.leaf is not None
    forged_leaf = Proof(proof.siblings, ProofLeaf(proof.leaf.key_hash, bytes(32)))
    assert not verify_proof(root, key, value, forged_leaf)

    # A key that holds nothing: the answer is empty and the proof shows absence.
    absent = default_registry().keeper("bank").balance_key(parse_address(e2e_key(300).address), DENOM)
    empty, absence, absent_height = query_store(node, absent)
    assert empty == b""
    absent_root = app_hash_after(node, absent_height)
    assert verify_proof(absent_root, absent, None, absence)
    assert not verify_proof(absent_root, absent, b"\x00" * 8, absence)

    # After a send the balance has a new value, proven against a new root; the old
    # proof no longer matches it.
    wallet = Wallet(node, owner)
    raw = wallet.sign([wallet.send_msg(KEYS[1].address, 12_345)])
    committed = node.rpc("broadcast_tx_commit", tx=b64(raw))
    assert committed["tx_result"]["code"] == 0
    new_value, new_proof, new_height = query_store(node, key)
    assert new_height >= int(committed["height"])
    assert int.from_bytes(new_value, "big") == FUNDS - 12_345 - FEE
    new_root = app_hash_after(node, new_height)
    assert new_root != root
    assert verify_proof(new_root, key, new_value, new_proof)
    assert not verify_proof(new_root, key, value, proof)

    # Proofs are for raw store keys only; state at old heights is not served.
    module = node.rpc("abci_query", path="/bank/balances", data=b'{"address": "x"}'.hex(), prove=True)[
        "response"
    ]
    assert (module["codespace"], module["code"]) == ("sdk", 18)
    old = node.rpc("abci_query", path="/store", data=key.hex(), height=1)["response"]
    assert (old["codespace"], old["code"]) == ("sdk", 26)
    plain = node.rpc("abci_query", path="/store", data=key.hex())["response"]
    assert plain["proofOps"] is None


def test_light_client_query(node: NodeProcess) -> None:
    """node.light checks the next header's commit by consensus' rules against a validator set
    that matches the header, then the proof against its app hash."""
    owner = KEYS[0]
    key = default_registry().keeper("bank").balance_key(parse_address(owner.address), DENOM)
    with Client(node.url) as client:
        proven = query_proven(client, key)
        assert proven.value is not None
        assert int.from_bytes(proven.value, "big") == FUNDS
        assert query_proven(client, b"no such key").value is None
        header = verified_header(client, proven.height + 1, timeout=10)
        assert header.app_hash == proven.app_hash
        validators = get_validators(client, proven.height + 1)
        pinned = query_proven(client, key, trusted_validators=validators, chain_id=CHAIN_ID)
        assert pinned.value is not None
        commit = commit_from_json(client.call("commit", height=proven.height + 1)["signed_header"]["commit"])
        verify_commit(header, commit, validators)
        forged = msgspec.structs.replace(
            commit,
            signatures=[msgspec.structs.replace(s, signature=bytes(64)) for s in commit.signatures],
        )
        with pytest.raises(VerificationError, match="bad signature"):
            verify_commit(header, forged, validators)
        with pytest.raises(VerificationError, match="0 signatures for"):
            verify_commit(header, msgspec.structs.replace(commit, signatures=[]), validators)
