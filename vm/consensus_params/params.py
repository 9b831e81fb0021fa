"""Consensus parameters live in state, so every node reaches the same verdict on
a block whatever its local configuration, and governance can change them."""

from __future__ import annotations

from genesis.schema import ConsensusParams
from vm.errors import InvalidRequest

MAX_BLOCK_BYTES = 32 * 1024 * 1024
"""The largest ``block.max_bytes`` (CometBFT allows 100 MiB): a block this large, with its
commit, still fits one sync answer and one WAL record, which nodes decode within 64 MiB
(consensus/codec.py ``MAX_DECODE_BYTES``); a larger block could be proposed but never
carried, and the chain would stop."""


def validate_params(params: ConsensusParams) -> None:
    block, evidence = params.block, params.evidence
    if block.max_bytes > MAX_BLOCK_BYTES:
        raise InvalidRequest(f"block.max_bytes must not exceed {MAX_BLOCK_BYTES}")
    if block.max_gas < -1:
        raise InvalidRequest("block.max_gas must be -1 (unlimited) or >= 0")
    if block.max_tx_bytes > block.max_bytes:
        raise InvalidRequest("block.max_tx_bytes must not exceed block.max_bytes")
    if evidence.max_bytes > block.max_bytes:
        raise InvalidRequest("evidence.max_bytes must not exceed block.max_bytes")
    if params.validator.pub_key_types != ["ed25519"]:
        raise InvalidRequest('validator.pub_key_types must be ["ed25519"]')
