"""JSON views of chain objects in CometBFT's RPC conventions: 64-bit integers
as decimal strings, hashes as upper-case hex, tx bytes as base64, times as
RFC 3339 with nanoseconds."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from consensus.types import Block, BlockID, Commit, Header
from consensus.validators import Validator
from node.storage.records import BlockResults, EventRecord, TxRecord


def hex_upper(raw: bytes) -> str:
    return raw.hex().upper()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def rfc3339(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{moment}.{nanos:09d}Z"


def block_id(value: BlockID) -> dict[str, Any]:
    return {
        "hash": hex_upper(value.hash),
        "parts": {
            "total": value.part_set_header.total,
            "hash": hex_upper(value.part_set_header.hash),
        },
    }


def header(value: Header) -> dict[str, Any]:
    return {
        "version": {"block": str(value.version.block), "app": str(value.version.app)},
        "chain_id": value.chain_id,
        "height": str(value.height),
        "time": rfc3339(value.time_ns),
        "last_block_id": block_id(value.last_block_id),
        "last_commit_hash": hex_upper(value.last_commit_hash),
        "data_hash": hex_upper(value.data_hash),
        "validators_hash": hex_upper(value.validators_hash),
        "next_validators_hash": hex_upper(value.next_validators_hash),
        "consensus_hash": hex_upper(value.consensus_hash),
        "app_hash": hex_upper(value.app_hash),
        "last_results_hash": hex_upper(value.last_results_hash),
        "evidence_hash": hex_upper(value.evidence_hash),
        "proposer_address": hex_upper(value.proposer_address),
    }


def commit(value: Commit | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "height": str(value.height),
        "round": value.round,
        "block_id": block_id(value.block_id),
        "signatures": [
            {
                "block_id_flag": sig.block_id_flag,
                "validator_address": hex_upper(sig.validator_address),
                "timestamp": rfc3339(sig.timestamp_ns),
                "signature": b64(sig.signature),
            }
            for sig in value.signatures
        ],
    }


def block(value: Block) -> dict[str, Any]:
    return {
        "header": header(value.header),
        "data": {"txs": [b64(tx) for tx in value.data.txs]},
        "evidence": {"evidence": [b64(e) for e in value.evidence]},
        "last_commit": commit(value.last_commit),
    }


def events(records: list[EventRecord]) -> list[dict[str, Any]]:
    return [
        {
            "type": e.type,
            "attributes": [{"key": a.key, "value": a.value, "index": True} for a in e.attributes],
        }
        for e in records
    ]


def tx_result(record: TxRecord) -> dict[str, Any]:
    return {
        "code": record.code,
        "codespace": record.codespace,
        "log": record.log,
        "data": "",
        "info": "",
        "gas_wanted": str(record.gas_wanted),
        "gas_used": str(record.gas_used),
        "events": events(record.events),
    }


def block_results(value: BlockResults) -> dict[str, Any]:
    return {
        "height": str(value.height),
        "txs_results": [tx_result(r) for r in value.txs_results],
        "finalize_block_events": events(value.finalize_block_events),
        "validator_updates": [],
        "consensus_param_updates": None,
        "app_hash": hex_upper(value.app_hash),
    }


def tx(tx_bytes: bytes, height: int, index: int, record: TxRecord) -> dict[str, Any]:
    return {
        "hash": hex_upper(hashlib.sha256(tx_bytes).digest()),
        "height": str(height),
        "index": index,
        "tx_result": tx_result(record),
        "tx": b64(tx_bytes),
    }


def validator(value: Validator) -> dict[str, Any]:
    return {
        "address": hex_upper(value.address),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(value.pub_key)},
        "voting_power": str(value.voting_power),
        "proposer_priority": str(value.proposer_priority),
    }


def block_meta(value: Block, id_: BlockID, size: int) -> dict[str, Any]:
    return {
        "block_id": block_id(id_),
        "block_size": str(size),
        "header": header(value.header),
        "num_txs": str(len(value.data.txs)),
    }
