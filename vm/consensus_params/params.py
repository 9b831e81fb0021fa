"""Consensus parameters live in state, so every node reaches the same verdict on
a block whatever its local configuration, and governance can change them."""

from __future__ import annotations

from genesis.schema import ConsensusParams
from vm.errors import InvalidRequest


def validate_params(params: ConsensusParams) -> None:
    block, evidence = params.block, params.evidence
    if block.max_gas < -1:
        raise InvalidRequest("block.max_gas must be -1 (unlimited) or >= 0")
    if block.max_tx_bytes > block.max_bytes:
        raise InvalidRequest("block.max_tx_bytes must not exceed block.max_bytes")
    if evidence.max_bytes > block.max_bytes:
        raise InvalidRequest("evidence.max_bytes must not exceed block.max_bytes")
    if params.validator.pub_key_types != ["ed25519"]:
        raise InvalidRequest('validator.pub_key_types must be ["ed25519"]')
