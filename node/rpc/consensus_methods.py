"""Network and consensus methods, with CometBFT's names and result shapes: the p2p
view (``net_info``), the round being decided (``consensus_state``,
``dump_consensus_state``) and ``broadcast_evidence``."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consensus.tendermint.evidence import InvalidEvidence
from consensus.tendermint.messages import NO_ROUND, Step
from consensus.tendermint.peer_state import PeerRoundState
from consensus.tendermint.votes import HeightVoteSet
from consensus.tendermint.wire import DECIDED_STEP
from consensus.types import Vote
from consensus.validators import ValidatorSet
from genesis import doc as genesis_doc
from node.p2p.config import PeerId
from node.p2p.errors import NotRunningError
from node.rpc import present
from node.rpc.errors import EVIDENCE_REJECTED, INVALID_PARAMS, RPCError
from node.rpc.methods import Call

if TYPE_CHECKING:
    from consensus.tendermint.engine import TendermintEngine
    from node.node import Node


# CometBFT's RoundStepType numbers for the steps this node's engines go through.
STEP_NEW_HEIGHT = 1  # waiting ``timeout_commit`` before the next height
STEP_PROPOSE = 3
STEP_PREVOTE = 4
STEP_PRECOMMIT = 6
STEP_COMMIT = 8  # decided; the next height starts ``timeout_commit`` later
ROUND_STEPS = {Step.PROPOSE: STEP_PROPOSE, Step.PREVOTE: STEP_PREVOTE, Step.PRECOMMIT: STEP_PRECOMMIT}


async def net_info(ctx: Call) -> dict[str, Any]:
    """This node's p2p listen addresses and connected peers (none on a single-validator node)."""
    listeners, views = p2p_view(ctx.node)
    settings = ctx.node.config.p2p
    dialled = {addr.peer_id: addr for addr in (*settings.seed_addrs, *settings.persistent_peer_addrs)}
    persistent = {addr.peer_id for addr in settings.persistent_peer_addrs}
    peers = [
        present.peer(v.peer_id, dialled.get(v.peer_id), v.peer_id in persistent, v.score, v.remote)
        for v in views
    ]
    return {"listening": bool(listeners), "listeners": listeners, "n_peers": str(len(peers)), "peers": peers}


@dataclass(frozen=True)
class PeerView:
    peer_id: PeerId
    score: int
    remote: str  # the address of our connection to it, "" if none is open


def p2p_view(node: Node) -> tuple[list[str], list[PeerView]]:
    """Where the p2p host listens, and the connected peers; nothing while the host does not
    run (or on a single-validator node, which has none)."""
    if node.network is None:
        return [], []
    p2p = node.network.p2p
    try:
        views = [
            PeerView(peer, p2p.score(peer), next(iter(p2p.remote_addrs(peer)), "")) for peer in p2p.peers()
        ]
        return p2p.listen_addrs(), views
    except NotRunningError:
        return [], []


async def consensus_state(ctx: Call) -> dict[str, Any]:
    """The height, round and step being decided, with each round's vote tallies."""
    return {"round_state": present.round_state_summary(current_round_state(ctx.node))}


async def dump_consensus_state(ctx: Call) -> dict[str, Any]:
    """The round state in detail, and the connected peers with their addresses and what we
    know of their round states."""
    _, views = p2p_view(ctx.node)
    engine = ctx.node.consensus
    peers = []
    for view in views:
        known = None if engine is None else engine.peer_states.get(str(view.peer_id))
        peers.append(present.peer_state(view.peer_id, view.remote, peer_round_state(known)))
    return {"round_state": present.round_state(current_round_state(ctx.node)), "peers": peers}


def peer_round_state(known: PeerRoundState | None) -> present.PeerRound | None:
    """CometBFT's step numbers for where a peer said it is."""
    if known is None:
        return None
    if known.step == DECIDED_STEP:
        step = STEP_COMMIT
    else:
        step = ROUND_STEPS[Step(known.step)] if known.step else STEP_NEW_HEIGHT
    return present.PeerRound(known.height, known.round, step, known.holds)


def current_round_state(node: Node) -> present.RoundState:
    """The networked engine's state, or, under the single-validator engine (which decides
    a height at once, alone), the wait for the next height."""
    engine = node.consensus
    if engine is None or not engine.machine.started:
        return waiting_round_state(node)
    return engine_round_state(node, engine)


def engine_round_state(node: Node, engine: TendermintEngine) -> present.RoundState:
    state = engine.machine.state
    proposals = list(state.proposals.get(state.round, {}).values())
    return present.RoundState(
        height=state.height,
        round=state.round,
        step=STEP_COMMIT if state.decision is not None else ROUND_STEPS[Step(state.step)],
        start_time_ns=height_start_ns(node, state.height),
        validators=state.validators,
        proposer=engine.machine.proposer(state.round),
        proposal=proposals[0].proposal if proposals else None,
        locked_round=state.locked_round,
        locked_block_hash=b"" if state.locked_value is None else state.locked_value.hash(),
        valid_round=state.valid_round,
        valid_block_hash=b"" if state.valid_value is None else state.valid_value.hash(),
        votes=[round_votes(state.votes, state.validators, r) for r in range(state.round + 1)],
    )


def round_votes(votes: HeightVoteSet, validators: ValidatorSet, round_: int) -> present.RoundVotes:
    prevotes, precommits = votes.prevotes(round_), votes.precommits(round_)
    return present.RoundVotes(
        round_,
        [prevotes.get(v.address) for v in validators.validators],
        [precommits.get(v.address) for v in validators.validators],
    )


def waiting_round_state(node: Node) -> present.RoundState:
    height = max(node.chain.height() + 1, node.genesis.initial_height)
    validators = node.validators_at(height) or node.validators
    nobody: list[Vote | None] = [None] * len(validators.validators)
    return present.RoundState(
        height=height,
        round=0,
        step=STEP_NEW_HEIGHT,
        start_time_ns=height_start_ns(node, height),
        validators=validators,
        proposer=validators.proposer().address,
        proposal=None,
        locked_round=NO_ROUND,
        locked_block_hash=b"",
        valid_round=NO_ROUND,
        valid_block_hash=b"",
        votes=[present.RoundVotes(0, nobody, list(nobody))],
    )


def height_start_ns(node: Node, height: int) -> int:
    """As CometBFT defines it: the previous block's time (the genesis time for the first
    height) plus ``timeout_commit``."""
    previous = node.chain.load_block(height - 1)
    base = genesis_doc.parse_time(node.genesis.genesis_time) if previous is None else previous.header.time_ns
    return base + round(node.config.consensus.timeout_commit_s * 1e9)


async def broadcast_evidence(ctx: Call, evidence: str) -> dict[str, Any]:
    """Submit evidence of misbehaviour (base64 of its canonical encoding, docs/encoding.md):
    verified, kept for the next block and gossiped; returns its hash."""
    try:
        raw = base64.b64decode(evidence, validate=True)
    except (binascii.Error, ValueError):
        raise RPCError(INVALID_PARAMS, "evidence must be base64") from None
    engine = ctx.node.consensus
    if engine is None:
        raise RPCError(EVIDENCE_REJECTED, "this node runs no networked consensus to take evidence")
    try:
        evidence_hash = await engine.submit_evidence(raw)
    except InvalidEvidence as exc:
        raise RPCError(EVIDENCE_REJECTED, str(exc)) from None
    return {"hash": present.hex_upper(evidence_hash)}
