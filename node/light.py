"""Light-client checks: trust a state value only through a committed header.

``query_proven`` asks a node for a state key with a Merkle proof, then fetches
the next block's signed header (whose ``app_hash`` commits to that state) and
checks its commit exactly as consensus does (``consensus.commit.verify_commit``:
one entry per validator in set order, every entry but an empty absent one signed
by its validator, nil precommits included, and more than 2/3 of the voting power
precommitting the block), the validator set against the header's
``validators_hash``, and the proof against the header's ``app_hash``.

The validator set is where trust starts. A caller that pins it (and the chain
id) trusts nothing the node says. Without a pin the set comes from the node:
it must still match the header's ``validators_hash``, but a node that forges a
header can forge a set to match, so the answer is only as good as the node.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from consensus.commit import InvalidCommit
from consensus.commit import verify_commit as verify_consensus_commit
from consensus.types import BlockID, Commit, CommitSig, Header, PartSetHeader, Version
from consensus.validators import ValidatorSet
from node.client import ClientError
from vm.store.smt import Proof, verify_proof

VALIDATORS_PER_PAGE = 100  # the most the ``validators`` method serves at once
HEIGHT_NOT_FOUND = -32002  # the node's answer for a height it has not committed yet


class VerificationError(Exception):
    """A proof, header or commit that does not check out."""


class RPC(Protocol):
    """What the light client needs of a node: JSON-RPC calls (``node.client.Client``)."""

    def call(self, method: str, **params: Any) -> Any: ...


@dataclass(frozen=True)
class ProvenValue:
    key: bytes
    value: bytes | None  # None: the key is proven absent
    height: int  # state height; the proof checks against header height + 1
    app_hash: bytes


def query_proven(
    client: RPC,
    key: bytes,
    timeout: float = 10.0,
    *,
    trusted_validators: ValidatorSet | None = None,
    chain_id: str | None = None,
) -> ProvenValue:
    """The value of a state key, proven against a header whose commit checks out.

    ``trusted_validators`` and ``chain_id`` pin trust as in ``verified_header``."""
    response = client.call("abci_query", path="/store", data=key.hex(), prove=True)["response"]
    if response["code"] != 0:
        raise VerificationError(f"query failed: {response['log']}")
    height = int(response["height"])
    value = base64.b64decode(response["value"])
    proof = Proof.decode(base64.b64decode(response["proofOps"]["ops"][0]["data"]))
    header = verified_header(
        client, height + 1, timeout, trusted_validators=trusted_validators, chain_id=chain_id
    )
    claim = value or None  # state never holds empty values: empty means absent
    if verify_proof(header.app_hash, key, claim, proof):
        return ProvenValue(key, claim, height, header.app_hash)
    raise VerificationError(f"proof for key {key.hex()} does not match app hash at height {height + 1}")


def verified_header(
    client: RPC,
    height: int,
    timeout: float,
    *,
    trusted_validators: ValidatorSet | None = None,
    chain_id: str | None = None,
) -> Header:
    """The header at ``height`` once its commit carries +2/3 of its validator set's power.

    The set is ``trusted_validators`` when the caller pins it (the set that signs
    ``height``), else the node's; either way it must hash to the header's
    ``validators_hash``. Unpinned, trust rests on the node for the set. ``chain_id``,
    when given, must be the header's: the same validators signing on another chain
    prove nothing here. Pinning both, nothing the node says is trusted."""
    signed = _wait_for_commit(client, height, timeout)
    header = header_from_json(signed["header"])
    if header.height != height:
        raise VerificationError(f"asked for the header at height {height}, got height {header.height}")
    if chain_id is not None and header.chain_id != chain_id:
        raise VerificationError(f"header is of chain {header.chain_id!r}, not {chain_id!r}")
    validators = get_validators(client, height) if trusted_validators is None else trusted_validators
    verify_commit(header, commit_from_json(signed["commit"]), validators)
    return header


def verify_commit(header: Header, commit: Commit, validators: ValidatorSet) -> None:
    """Raise ``VerificationError`` unless ``validators`` is the header's set and more than
    2/3 of its power signed ``commit`` for this header, by consensus' own rules."""
    if validators.hash() != header.validators_hash:
        raise VerificationError(f"validator set does not match validators_hash at height {header.height}")
    if commit.height != header.height:
        raise VerificationError(f"commit is for height {commit.height}, header for {header.height}")
    # The light client holds the header, not the block parts: it can check the hash only.
    block_id = BlockID(header.hash(), commit.block_id.part_set_header)
    try:
        verify_consensus_commit(header.chain_id, validators, commit, block_id)
    except InvalidCommit as exc:
        raise VerificationError(f"invalid commit: {exc}") from None


def get_validators(client: RPC, height: int) -> ValidatorSet:
    """The node's validator set at ``height``, every page of it."""
    entries: list[dict[str, Any]] = []
    page = 1
    while True:
        result = client.call("validators", height=height, page=page, per_page=VALIDATORS_PER_PAGE)
        entries += result["validators"]
        if not result["validators"] or len(entries) >= int(result["total"]):
            return validator_set_from_json(entries)
        page += 1


def _wait_for_commit(client: RPC, height: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            signed: dict[str, Any] = client.call("commit", height=height)["signed_header"]
            return signed
        except ClientError as exc:
            if exc.code != HEIGHT_NOT_FOUND or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


# -- from the RPC's JSON (node.rpc.present) ----------------------------------------------


def validator_set_from_json(data: list[dict[str, Any]]) -> ValidatorSet:
    """Only what the set's hash commits to (key, power); addresses are derived from the keys
    and proposer priorities play no part in checking a commit."""
    return ValidatorSet.from_keys(
        [(base64.b64decode(v["pub_key"]["value"]), int(v["voting_power"])) for v in data]
    )


def commit_from_json(data: dict[str, Any]) -> Commit:
    return Commit(
        height=int(data["height"]),
        round=int(data["round"]),
        block_id=block_id_from_json(data["block_id"]),
        signatures=[commit_sig_from_json(sig) for sig in data["signatures"]],
    )


def commit_sig_from_json(data: dict[str, Any]) -> CommitSig:
    return CommitSig(
        block_id_flag=int(data["block_id_flag"]),
        validator_address=bytes.fromhex(data["validator_address"]),
        timestamp_ns=parse_rfc3339(data["timestamp"]),
        signature=base64.b64decode(data["signature"]),
    )


def header_from_json(data: dict[str, Any]) -> Header:
    return Header(
        version=Version(int(data["version"]["block"]), int(data["version"]["app"])),
        chain_id=data["chain_id"],
        height=int(data["height"]),
        time_ns=parse_rfc3339(data["time"]),
        last_block_id=block_id_from_json(data["last_block_id"]),
        last_commit_hash=bytes.fromhex(data["last_commit_hash"]),
        data_hash=bytes.fromhex(data["data_hash"]),
        validators_hash=bytes.fromhex(data["validators_hash"]),
        next_validators_hash=bytes.fromhex(data["next_validators_hash"]),
        consensus_hash=bytes.fromhex(data["consensus_hash"]),
        app_hash=bytes.fromhex(data["app_hash"]),
        last_results_hash=bytes.fromhex(data["last_results_hash"]),
        evidence_hash=bytes.fromhex(data["evidence_hash"]),
        proposer_address=bytes.fromhex(data["proposer_address"]),
    )


def block_id_from_json(data: dict[str, Any]) -> BlockID:
    parts = data["parts"]
    return BlockID(
        bytes.fromhex(data["hash"]), PartSetHeader(int(parts["total"]), bytes.fromhex(parts["hash"]))
    )


def parse_rfc3339(text: str) -> int:
    """``2026-01-02T03:04:05.123456789Z`` to integer nanoseconds (all nine digits kept)."""
    stamp, _, fraction = text.rstrip("Z").partition(".")
    seconds = int(datetime.fromisoformat(stamp + "+00:00").timestamp())
    return seconds * 1_000_000_000 + int((fraction or "0").ljust(9, "0")[:9])
