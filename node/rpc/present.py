"""JSON views of chain objects in CometBFT's RPC conventions: 64-bit integers
as decimal strings, hashes as upper-case hex, tx bytes as base64, times as
RFC 3339 with nanoseconds."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from multiaddr import Multiaddr

from consensus.abci import TxResultLike
from consensus.tendermint.messages import PROPOSAL_TYPE, Proposal
from consensus.types import APP_VERSION, ZERO_BLOCK_ID, Block, BlockID, Commit, Header, Vote, VoteType
from consensus.validators import Validator, ValidatorSet
from genesis.schema import ConsensusParams, GenesisDoc, GenesisValidator
from node.rpc.proofs import TxProof
from node.storage.records import BlockResults, EventRecord, TxRecord, events_of

if TYPE_CHECKING:
    from node.p2p.config import PeerAddr


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


# What CometBFT shows as the last commit of the first block, which has none: cosmjs reads
# ``last_commit.block_id.hash`` of every block, so it must be an object, never null.
NO_COMMIT = Commit(0, 0, ZERO_BLOCK_ID, [])


def commit(value: Commit) -> dict[str, Any]:
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
        "last_commit": commit(value.last_commit or NO_COMMIT),
    }


def events(records: list[EventRecord]) -> list[dict[str, Any]]:
    return [
        {
            "type": e.type,
            "attributes": [{"key": a.key, "value": a.value, "index": a.index} for a in e.attributes],
        }
        for e in records
    ]


def tx_result(record: TxRecord) -> dict[str, Any]:
    """CometBFT's ``ExecTxResult``; ``data`` is the app's answer (the SDK's ``TxMsgData``)."""
    return {
        "code": record.code,
        "codespace": record.codespace,
        "log": record.log,
        "data": b64(record.data),
        "info": "",
        "gas_wanted": str(record.gas_wanted),
        "gas_used": str(record.gas_used),
        "events": events(record.events),
    }


def check_tx_result(result: TxResultLike) -> dict[str, Any]:
    """CometBFT's ``CheckTxResponse``."""
    return {
        "code": result.code,
        "codespace": result.codespace,
        "log": result.log,
        "data": b64(result.data),  # empty: CheckTx runs no messages, as in Cosmos SDK v0.50
        "info": "",
        "gas_wanted": str(result.gas_wanted),
        "gas_used": str(result.gas_used),
        "events": events(events_of(result.events)),
    }


def broadcast_result(tx_bytes: bytes, code: int = 0, codespace: str = "", log: str = "") -> dict[str, Any]:
    """CometBFT's ``ResultBroadcastTx``: the CheckTx verdict (none yet: code 0) and the tx hash."""
    return {"code": code, "codespace": codespace, "log": log, "data": "", "hash": tx_hash(tx_bytes)}


def tx_hash(tx_bytes: bytes) -> str:
    return hex_upper(hashlib.sha256(tx_bytes).digest())


def block_results(value: BlockResults, txs_results: list[dict[str, Any]]) -> dict[str, Any]:
    """``txs_results``: ``tx_result`` of each, presented by the caller, which bounds their size."""
    return {
        "height": str(value.height),
        "txs_results": txs_results,
        "finalize_block_events": events(value.finalize_block_events),
        "validator_updates": [],
        "consensus_param_updates": None,
        "app_hash": hex_upper(value.app_hash),
    }


def tx(
    tx_bytes: bytes, height: int, index: int, result: dict[str, Any], proof: TxProof | None
) -> dict[str, Any]:
    """CometBFT's ``ResultTx``; ``result`` is its ``tx_result``."""
    found = {
        "hash": tx_hash(tx_bytes),
        "height": str(height),
        "index": index,
        "tx_result": result,
        "tx": b64(tx_bytes),
    }
    if proof is not None:
        found["proof"] = tx_proof(proof)
    return found


def tx_proof(value: TxProof) -> dict[str, Any]:
    """CometBFT's ``TxProof``: the data hash, the tx, and its Merkle path."""
    return {
        "root_hash": hex_upper(value.root_hash),
        "data": b64(value.tx),
        "proof": {
            "total": str(value.total),
            "index": str(value.index),
            "leaf_hash": b64(value.leaf_hash),
            "aunts": [b64(aunt) for aunt in value.aunts],
        },
    }


def genesis_doc(doc: GenesisDoc) -> dict[str, Any]:
    """The genesis document as CometBFT writes it: 64-bit integers as strings, typed keys."""
    return {
        "genesis_time": doc.genesis_time,
        "chain_id": doc.chain_id,
        "initial_height": str(doc.initial_height),
        "consensus_params": consensus_params(doc.consensus_params),
        "validators": [genesis_validator(v) for v in doc.validators],
        "app_hash": doc.app_hash,
        "app_state": doc.app_state,
    }


def genesis_validator(value: GenesisValidator) -> dict[str, Any]:
    return {
        "address": value.address.upper(),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": value.pub_key},
        "power": str(value.power),
        "name": value.name,
    }


def consensus_params(value: ConsensusParams) -> dict[str, Any]:
    """CometBFT's fields (``max_age_duration`` in nanoseconds, as CometBFT's JSON), and
    depind's ``max_tx_bytes`` beside them."""
    return {
        "block": {
            "max_bytes": str(value.block.max_bytes),
            "max_gas": str(value.block.max_gas),
            "max_tx_bytes": str(value.block.max_tx_bytes),
        },
        "evidence": {
            "max_age_num_blocks": str(value.evidence.max_age_num_blocks),
            "max_age_duration": str(value.evidence.max_age_duration_ns),
            "max_bytes": str(value.evidence.max_bytes),
        },
        "validator": {"pub_key_types": list(value.validator.pub_key_types)},
        "version": {"app": str(APP_VERSION)},
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


# -- network and consensus ------------------------------------------------------------


def peer(peer_id: str, dialled: PeerAddr | None, persistent: bool, score: int, remote: str) -> dict[str, Any]:
    """A connected peer: its listen address is known when we dial it (a persistent peer or
    a seed); ``remote``, the address of our connection to it, either way."""
    address = dialled.addr if dialled is not None else (Multiaddr(remote) if remote else None)
    host = "" if address is None else address.value_for_protocol(address.protocols()[0].name)
    return {
        "node_info": {"id": peer_id, "listen_addr": "" if dialled is None else str(dialled.addr)},
        "connection_status": {"persistent": persistent, "score": str(score)},
        "remote_ip": host,
        "remote_addr": remote,
    }


@dataclass(frozen=True)
class PeerRound:
    """What a peer's own messages showed of its progress."""

    height: int
    round: int
    step: int  # CometBFT's RoundStepType
    holds: int  # messages of that height it holds, from its last sync request; -1 if unknown


def peer_state(peer_id: str, remote: str, known: PeerRound | None) -> dict[str, Any]:
    """A peer in ``dump_consensus_state``: CometBFT's ``node_address`` (id@host:port) and,
    once it has sent something, its round state."""
    entry: dict[str, Any] = {"node_address": node_address(peer_id, remote)}
    if known is not None:
        entry["peer_state"] = {
            "round_state": {"height": str(known.height), "round": known.round, "step": known.step},
            "stats": {"messages_held": str(known.holds)},
        }
    return entry


def node_address(peer_id: str, remote: str) -> str:
    """``id@host:port`` as CometBFT writes it, from a /ip4/<host>/tcp/<port> address."""
    if not remote:
        return peer_id
    address = Multiaddr(remote)
    names = [protocol.name for protocol in address.protocols()]
    if len(names) < 2:
        return peer_id
    return f"{peer_id}@{address.value_for_protocol(names[0])}:{address.value_for_protocol(names[1])}"


@dataclass(frozen=True)
class RoundVotes:
    """One round's prevotes and precommits: each validator's first vote, None if none yet."""

    round: int
    prevotes: list[Vote | None]
    precommits: list[Vote | None]


@dataclass(frozen=True)
class RoundState:
    """What the consensus RPC methods show of the height being decided."""

    height: int
    round: int
    step: int  # CometBFT's RoundStepType
    start_time_ns: int
    validators: ValidatorSet
    proposer: bytes
    proposal: Proposal | None
    locked_round: int
    locked_block_hash: bytes
    valid_round: int
    valid_block_hash: bytes
    votes: list[RoundVotes]


def round_state_summary(value: RoundState) -> dict[str, Any]:
    """CometBFT's ``RoundStateSimple``."""
    return {
        "height/round/step": f"{value.height}/{value.round}/{value.step}",
        "start_time": rfc3339(value.start_time_ns),
        "proposal_block_hash": "" if value.proposal is None else hex_upper(value.proposal.block_id.hash),
        "locked_block_hash": hex_upper(value.locked_block_hash),
        "valid_block_hash": hex_upper(value.valid_block_hash),
        "height_vote_set": height_vote_set(value),
        "proposer": {"address": hex_upper(value.proposer), "index": _index_of(value, value.proposer)},
    }


def round_state(value: RoundState) -> dict[str, Any]:
    """The round state in detail: the validators, the signed proposal, lock and valid rounds."""
    found = value.validators.get(value.proposer)
    return {
        "height": str(value.height),
        "round": value.round,
        "step": value.step,
        "start_time": rfc3339(value.start_time_ns),
        "validators": {
            "validators": [validator(v) for v in value.validators.validators],
            "proposer": None if found is None else validator(found[1]),
        },
        "proposal": None if value.proposal is None else proposal(value.proposal),
        "locked_round": value.locked_round,
        "locked_block_hash": hex_upper(value.locked_block_hash),
        "valid_round": value.valid_round,
        "valid_block_hash": hex_upper(value.valid_block_hash),
        "votes": height_vote_set(value),
    }


def height_vote_set(value: RoundState) -> list[dict[str, Any]]:
    return [
        {
            "round": votes.round,
            "prevotes": [vote_text(v) for v in votes.prevotes],
            "prevotes_bit_array": vote_bit_array(votes.prevotes, value.validators),
            "precommits": [vote_text(v) for v in votes.precommits],
            "precommits_bit_array": vote_bit_array(votes.precommits, value.validators),
        }
        for votes in value.votes
    ]


def proposal(value: Proposal) -> dict[str, Any]:
    return {
        "type": PROPOSAL_TYPE,
        "height": str(value.height),
        "round": value.round,
        "pol_round": value.pol_round,
        "block_id": block_id(value.block_id),
        "timestamp": rfc3339(value.timestamp_ns),
        "signature": b64(value.signature),
    }


_VOTE_TYPES = {
    VoteType.PREVOTE: "SIGNED_MSG_TYPE_PREVOTE(Prevote)",
    VoteType.PRECOMMIT: "SIGNED_MSG_TYPE_PRECOMMIT(Precommit)",
}
FINGERPRINT_BYTES = 6


def vote_text(vote: Vote | None) -> str:
    """CometBFT's ``Vote.String()``: index, address, height/round/type, block hash and signature
    fingerprints, time; "nil-Vote" for a validator that has not voted."""
    if vote is None:
        return "nil-Vote"
    return (
        f"Vote{{{vote.validator_index}:{_fingerprint(vote.validator_address)} "
        f"{vote.height}/{vote.round:02d}/{_VOTE_TYPES[VoteType(vote.type)]} "
        f"{_fingerprint(vote.block_id.hash)} {_fingerprint(vote.signature)} @ {rfc3339(vote.timestamp_ns)}}}"
    )


def vote_bit_array(votes: list[Vote | None], validators: ValidatorSet) -> str:
    """CometBFT's ``BitArrayString``: who voted (x) in validator order, then the power that voted,
    the total power and their ratio."""
    bits = "".join("_" if vote is None else "x" for vote in votes)
    total = validators.total_power()
    voted = sum(v.voting_power for v, vote in zip(validators.validators, votes, strict=True) if vote)
    return f"BA{{{len(votes)}:{bits}}} {voted}/{total} = {voted / total if total else 0:.2f}"


def _fingerprint(raw: bytes) -> str:
    return hex_upper(raw[:FINGERPRINT_BYTES].ljust(FINGERPRINT_BYTES, b"\x00"))


def _index_of(value: RoundState, address: bytes) -> int:
    found = value.validators.get(address)
    return -1 if found is None else found[0]
