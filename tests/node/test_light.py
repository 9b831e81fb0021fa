"""node.light: a proven value stands on a header whose commit checks out by consensus' rules,
signed by a validator set that matches the header (and the caller's pin, when given)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from consensus.tendermint.messages import block_id
from consensus.types import ZERO_BLOCK_ID, Block, BlockIDFlag, Commit, CommitSig, Vote, VoteType
from consensus.validators import ValidatorSet
from node.light import (
    ProvenValue,
    VerificationError,
    commit_from_json,
    get_validators,
    header_from_json,
    query_proven,
    validator_set_from_json,
    verified_header,
    verify_commit,
)
from node.rpc import present
from node.rpc.methods import page_bounds
from tests.consensus.tendermint.support import (
    ABSENT_SIG,
    CHAIN_ID,
    KeySigner,
    make_block,
    signers,
    validator_set,
)
from vm.store.kv import MemoryKV
from vm.store.smt import Proof, SparseMerkleTree

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])
OUTSIDERS = signers(4, seed=7)  # keys a dishonest node holds, none of them a validator
OUTSIDER_SET = validator_set(OUTSIDERS, [10, 10, 10, 10])
HEIGHT = 6  # the signed header; it commits to the state after height 5
ROUND = 0
KEY = b"balance of alice"
VALUE = (100).to_bytes(8, "big")
FORGED_VALUE = (10**9).to_bytes(8, "big")


def state(value: bytes) -> tuple[bytes, Proof]:
    """(app hash, proof of KEY) of a small state holding KEY = ``value``."""
    kv = MemoryKV()
    tree = SparseMerkleTree(kv, b"s/")
    root, writes = tree.update({KEY: value, b"balance of bob": b"\x07"})
    kv.write(writes)
    return root, tree.prove(KEY)


def signed_block(
    app_hash: bytes, validators: ValidatorSet, height: int = HEIGHT, chain_id: str = CHAIN_ID
) -> Block:
    block = make_block(height, KEYS[0].address)
    header = msgspec.structs.replace(
        block.header,
        chain_id=chain_id,
        app_hash=app_hash,
        validators_hash=validators.hash(),
        next_validators_hash=validators.hash(),
    )
    return msgspec.structs.replace(block, header=header)


def precommit(key: KeySigner, block: Block) -> CommitSig:
    unsigned = Vote(
        VoteType.PRECOMMIT,
        block.header.height,
        ROUND,
        block_id(block),
        block.header.time_ns,
        key.address,
        0,
        b"",
    )
    vote = key.sign_vote(block.header.chain_id, unsigned)
    return CommitSig(BlockIDFlag.COMMIT, key.address, vote.timestamp_ns, vote.signature)


def nil_precommit(address: bytes, block: Block) -> CommitSig:
    """The nil precommit, at ``block``'s height and ROUND, of the validator at ``address``."""
    key = next(key for key in KEYS if key.address == address)
    unsigned = Vote(VoteType.PRECOMMIT, block.header.height, ROUND, ZERO_BLOCK_ID, 0, address, 0, b"")
    vote = key.sign_vote(block.header.chain_id, unsigned)
    return CommitSig(BlockIDFlag.NIL, address, vote.timestamp_ns, vote.signature)


def commit_of(block: Block, keys: Sequence[KeySigner], validators: ValidatorSet) -> Commit:
    """Precommits for ``block`` by ``keys``, in set order; absent for the other validators."""
    by_address = {key.address: key for key in keys}
    signatures = [
        precommit(by_address[v.address], block) if v.address in by_address else ABSENT_SIG
        for v in validators.validators
    ]
    return Commit(block.header.height, ROUND, block_id(block), signatures)


@dataclass
class FakeNode:
    """A node's answers in the RPC's own JSON (node.rpc.present): a proof of KEY at
    ``state_height``, one signed header, one validator set. A dishonest node is one
    whose answers do not agree."""

    value: bytes
    proof: Proof
    block: Block
    commit: Commit
    validators: ValidatorSet
    state_height: int = HEIGHT - 1
    asked: list[str] = field(default_factory=list)

    def call(self, method: str, **params: Any) -> Any:
        self.asked.append(method)
        if method == "abci_query":
            assert bytes.fromhex(params["data"]) == KEY
            return {"response": self.query_response()}
        if method == "commit":
            signed = {"header": present.header(self.block.header), "commit": present.commit(self.commit)}
            return {"signed_header": signed}
        assert method == "validators"
        everyone = self.validators.validators
        start, size = page_bounds(params.get("page"), params.get("per_page"), len(everyone))
        return {
            "validators": [present.validator(v) for v in everyone[start : start + size]],
            "total": str(len(everyone)),
        }

    def query_response(self) -> dict[str, Any]:
        proof = {"type": "depind:smt", "key": present.b64(KEY), "data": present.b64(self.proof.encode())}
        return {
            "code": 0,
            "log": "",
            "value": present.b64(self.value),
            "proofOps": {"ops": [proof]},
            "height": str(self.state_height),
        }


def honest_node() -> FakeNode:
    app_hash, proof = state(VALUE)
    block = signed_block(app_hash, VALIDATORS)
    return FakeNode(VALUE, proof, block, commit_of(block, KEYS, VALIDATORS), VALIDATORS)


def forging_node(
    block_validators: ValidatorSet, signatures: Sequence[CommitSig], served: ValidatorSet
) -> FakeNode:
    """A node claiming KEY = FORGED_VALUE: a header with the forged app hash naming
    ``block_validators``, ``signatures`` as its commit, ``served`` as the validator set."""
    app_hash, proof = state(FORGED_VALUE)
    block = signed_block(app_hash, block_validators)
    return FakeNode(
        FORGED_VALUE, proof, block, Commit(HEIGHT, ROUND, block_id(block), list(signatures)), served
    )


def outsiders_commit(block_validators: ValidatorSet) -> list[CommitSig]:
    """The outsiders' precommits for the forged block that names ``block_validators``."""
    block = forging_node(block_validators, [], OUTSIDER_SET).block
    return commit_of(block, OUTSIDERS, OUTSIDER_SET).signatures


# -- from JSON ----------------------------------------------------------------------------------


def test_json_round_trips_to_a_commit_that_verifies() -> None:
    node = honest_node()
    signatures = node.commit.signatures
    nil = nil_precommit(VALIDATORS.validators[2].address, node.block)
    commit = msgspec.structs.replace(node.commit, signatures=[*signatures[:2], nil, signatures[3]])
    assert commit_from_json(msgspec.json.decode(msgspec.json.encode(present.commit(commit)))) == commit
    verify_commit(node.block.header, commit, VALIDATORS)
    absent = msgspec.structs.replace(commit, signatures=[*signatures[:3], ABSENT_SIG])
    assert commit_from_json(msgspec.json.decode(msgspec.json.encode(present.commit(absent)))) == absent
    verify_commit(node.block.header, absent, VALIDATORS)
    assert header_from_json(present.header(node.block.header)) == node.block.header
    served = validator_set_from_json([present.validator(v) for v in VALIDATORS.validators])
    assert served.hash() == VALIDATORS.hash()
    assert [v.address for v in served.validators] == [v.address for v in VALIDATORS.validators]


def test_validators_are_read_across_pages() -> None:
    many = validator_set(signers(101, seed=3), [1] * 101)
    node = honest_node()
    node.validators = many
    assert get_validators(node, HEIGHT).hash() == many.hash()
    assert node.asked == ["validators", "validators"]


# -- honest answers ----------------------------------------------------------------------------


def test_honest_answer_is_proven() -> None:
    node = honest_node()
    assert query_proven(node, KEY) == ProvenValue(KEY, VALUE, HEIGHT - 1, node.block.header.app_hash)


def test_honest_answer_is_proven_against_a_pinned_set_without_asking_for_one() -> None:
    node = honest_node()
    proven = query_proven(node, KEY, trusted_validators=VALIDATORS, chain_id=CHAIN_ID)
    assert proven.value == VALUE
    assert "validators" not in node.asked


def test_commit_with_one_validator_absent_is_proven() -> None:
    node = honest_node()
    node.commit = commit_of(node.block, KEYS[:3], VALIDATORS)
    assert query_proven(node, KEY).value == VALUE


# -- dishonest answers ---------------------------------------------------------------------------


def test_invalid_one_validators_signature_repeated() -> None:
    """One validator (a quarter of the power) signs a forged header and lists its
    signature in every slot: it counts once, and only in its own slot."""
    block = forging_node(VALIDATORS, [], VALIDATORS).block
    repeated = precommit(KEYS[0], block)
    node = forging_node(VALIDATORS, [repeated] * 4, VALIDATORS)
    with pytest.raises(VerificationError, match="is not by validator"):
        query_proven(node, KEY)


def test_invalid_served_set_does_not_match_validators_hash() -> None:
    """A forged header that keeps the real validators_hash, signed by outsiders who
    present themselves as the validator set."""
    node = forging_node(VALIDATORS, outsiders_commit(VALIDATORS), OUTSIDER_SET)
    with pytest.raises(VerificationError, match="does not match validators_hash"):
        query_proven(node, KEY)


def test_unpinned_trust_rests_on_the_node_for_the_set() -> None:
    """A header naming the outsiders' own set verifies against that set: only a pin stops it."""
    node = forging_node(OUTSIDER_SET, outsiders_commit(OUTSIDER_SET), OUTSIDER_SET)
    assert query_proven(node, KEY).value == FORGED_VALUE


def test_invalid_pinned_set_differs_from_the_nodes() -> None:
    node = forging_node(OUTSIDER_SET, outsiders_commit(OUTSIDER_SET), OUTSIDER_SET)
    with pytest.raises(VerificationError, match="does not match validators_hash"):
        query_proven(node, KEY, trusted_validators=VALIDATORS)
    assert "validators" not in node.asked


def test_invalid_header_of_another_chain() -> None:
    """The pinned validators' real signatures, but on another chain's header."""
    app_hash, proof = state(FORGED_VALUE)
    block = signed_block(app_hash, VALIDATORS, chain_id="another-chain")
    node = FakeNode(FORGED_VALUE, proof, block, commit_of(block, KEYS, VALIDATORS), VALIDATORS)
    with pytest.raises(VerificationError, match="another-chain"):
        query_proven(node, KEY, trusted_validators=VALIDATORS, chain_id=CHAIN_ID)


def test_invalid_header_of_another_height() -> None:
    """A stale value, proven against a real header of another height than the one asked for."""
    app_hash, proof = state(FORGED_VALUE)
    stale = signed_block(app_hash, VALIDATORS, height=2)
    node = FakeNode(FORGED_VALUE, proof, stale, commit_of(stale, KEYS, VALIDATORS), VALIDATORS)
    with pytest.raises(VerificationError, match="asked for the header at height 6, got height 2"):
        query_proven(node, KEY)


def test_invalid_commit_of_another_header() -> None:
    honest = honest_node()
    node = forging_node(VALIDATORS, honest.commit.signatures, VALIDATORS)
    node.commit = honest.commit
    with pytest.raises(VerificationError, match="another block"):
        query_proven(node, KEY)


def test_invalid_forged_nil_entry() -> None:
    """The node makes up a nil precommit for the one validator that did not sign."""
    node = honest_node()
    node.commit = commit_of(node.block, KEYS[:3], VALIDATORS)
    signatures = node.commit.signatures
    index = next(i for i, sig in enumerate(signatures) if sig.block_id_flag == BlockIDFlag.ABSENT)
    forged = CommitSig(BlockIDFlag.NIL, VALIDATORS.validators[index].address, 0, b"\x01" * 64)
    node.commit = msgspec.structs.replace(
        node.commit, signatures=[*signatures[:index], forged, *signatures[index + 1 :]]
    )
    with pytest.raises(VerificationError, match="invalid commit: bad signature"):
        query_proven(node, KEY)


def test_invalid_absent_entry_that_is_not_empty() -> None:
    node = honest_node()
    node.commit = commit_of(node.block, KEYS[:3], VALIDATORS)
    signatures = node.commit.signatures
    index = next(i for i, sig in enumerate(signatures) if sig.block_id_flag == BlockIDFlag.ABSENT)
    filled = msgspec.structs.replace(
        signatures[index], validator_address=VALIDATORS.validators[index].address
    )
    node.commit = msgspec.structs.replace(
        node.commit, signatures=[*signatures[:index], filled, *signatures[index + 1 :]]
    )
    with pytest.raises(VerificationError, match=f"absent signature {index} is not empty"):
        query_proven(node, KEY)


def test_invalid_two_of_four() -> None:
    node = honest_node()
    node.commit = commit_of(node.block, KEYS[:2], VALIDATORS)
    with pytest.raises(VerificationError, match="20 of 40 power"):
        verified_header(node, HEIGHT, timeout=0)


def test_invalid_proof_against_the_verified_header() -> None:
    node = honest_node()
    node.value = FORGED_VALUE
    with pytest.raises(VerificationError, match="does not match app hash"):
        query_proven(node, KEY)
