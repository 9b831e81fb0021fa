"""Light-client checks: trust a state value only through a committed header.

``query_proven`` asks a node for a state key with a Merkle proof, then fetches
the next block's signed header (whose ``app_hash`` commits to that state),
checks the header's commit against the validator set (+2/3 of the voting
power, ed25519 signatures over the canonical precommit) and the proof
against the header's ``app_hash``. Nothing the node says is taken on trust
except the validator set, which a caller may pin.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consensus.privval import verify
from consensus.types import (
    BlockID,
    Header,
    PartSetHeader,
    Version,
    VoteType,
    vote_sign_bytes,
)
from node.client import Client, ClientError
from vm.store.smt import Proof, verify_proof

COMMIT_FLAG = 2


class VerificationError(Exception):
    """A proof, header or commit that does not check out."""


@dataclass(frozen=True)
class ProvenValue:
    key: bytes
    value: bytes | None  # None: the key is proven absent
    height: int  # state height; the proof checks against header height + 1
    app_hash: bytes


def query_proven(client: Client, key: bytes, timeout: float = 10.0) -> ProvenValue:
    response = client.call("abci_query", path="/store", data=key.hex(), prove=True)["response"]
    if response["code"] != 0:
        raise VerificationError(f"query failed: {response['log']}")
    height = int(response["height"])
    value = base64.b64decode(response["value"])
    proof = Proof.decode(base64.b64decode(response["proofOps"]["ops"][0]["data"]))
    header = verified_header(client, height + 1, timeout)
    claim = value or None  # state never holds empty values: empty means absent
    if verify_proof(header.app_hash, key, claim, proof):
        return ProvenValue(key, claim, height, header.app_hash)
    raise VerificationError(f"proof for key {key.hex()} does not match app hash at height {height + 1}")


def verified_header(client: Client, height: int, timeout: float) -> Header:
    """The header at ``height`` once its commit carries +2/3 of the validators' power."""
    signed = _wait_for_commit(client, height, timeout)
    header = header_from_json(signed["header"])
    validators = client.call("validators", height=height, per_page=100)["validators"]
    verify_commit(header, signed["commit"], validators)
    return header


def verify_commit(header: Header, commit: dict[str, Any], validators: list[dict[str, Any]]) -> None:
    block_id = block_id_from_json(commit["block_id"])
    if block_id.hash != header.hash():
        raise VerificationError("commit is for another block than the header")
    powers = {
        bytes.fromhex(v["address"]): (base64.b64decode(v["pub_key"]["value"]), int(v["voting_power"]))
        for v in validators
    }
    total = sum(power for _, power in powers.values())
    signed = 0
    for sig in commit["signatures"]:
        if sig["block_id_flag"] != COMMIT_FLAG:
            continue
        address = bytes.fromhex(sig["validator_address"])
        if address not in powers:
            raise VerificationError(f"commit signed by unknown validator {sig['validator_address']}")
        pub_key, power = powers[address]
        message = vote_sign_bytes(
            header.chain_id,
            VoteType.PRECOMMIT,
            header.height,
            int(commit["round"]),
            block_id,
            parse_rfc3339(sig["timestamp"]),
        )
        if not verify(pub_key, message, base64.b64decode(sig["signature"])):
            raise VerificationError(f"bad commit signature from {sig['validator_address']}")
        signed += power
    if signed * 3 <= total * 2:
        raise VerificationError(f"commit has {signed} of {total} voting power; needs more than 2/3")


def _wait_for_commit(client: Client, height: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            signed: dict[str, Any] = client.call("commit", height=height)["signed_header"]
            return signed
        except ClientError as exc:
            if exc.code != -32002 or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


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
