"""The fuzz targets by name, each a module with ``fuzz_one`` and ``seeds``.

A module may also define ``TOKENS`` (a libFuzzer dictionary: words the decoder
looks for, such as JSON keys and method names) and ``MAX_LEN`` (the longest input
worth trying, if longer than libFuzzer's default of the longest seed). Modules are
imported only when asked for, so that the runner can instrument the project first.
"""

from __future__ import annotations

import importlib
from typing import Protocol, cast

TARGETS = {
    "tx": "TxRaw bytes through decode_tx with the module registry, then the stateless checks",
    "amino": "Amino JSON sign documents of decoded txs (SIGN_MODE_LEGACY_AMINO_JSON)",
    "consensus": "consensus channel and gossip messages: votes, proposal parts, round steps, has",
    "sync_request": "block sync requests, answered by a SyncServer over a small chain",
    "sync_response": "block sync answers: committed blocks with their commits, and gossip",
    "evidence": "duplicate-vote evidence, decoded and verified against a validator set",
    "tx_batch": "tx gossip batches (MessagePack lists of txs)",
    "jsonrpc": "JSON-RPC 2.0 bodies and URI requests, answered by an in-process node",
    "rest": "REST (Cosmos LCD) requests: method, path, query string and body",
    "genesis": "genesis documents: the JSON schema, then the application's genesis checks",
    "job_spec": "job specs (JSON), as a requester writes them",
    "job_header": "job headers (canonical MessagePack), as MsgSubmitJob carries them",
    "result_record": "result.json records of a worker's result folder",
    "fraud_proof": "fraud proofs, decoded and checked against a committed result",
    "attestation": "attestations, attestation disputes, C r openings and chunk openings",
}


class Target(Protocol):
    """What a target module provides."""

    def fuzz_one(self, data: bytes) -> None: ...

    def seeds(self) -> dict[str, bytes]: ...


def load(name: str) -> Target:
    if name not in TARGETS:
        raise KeyError(f"no fuzz target {name!r}; targets: {', '.join(TARGETS)}")
    return cast(Target, importlib.import_module(f"tests.fuzz.targets.{name}"))


def tokens(target: Target) -> tuple[bytes, ...]:
    return tuple(getattr(target, "TOKENS", ()))


def max_len(target: Target) -> int | None:
    value = getattr(target, "MAX_LEN", None)
    return None if value is None else int(value)
