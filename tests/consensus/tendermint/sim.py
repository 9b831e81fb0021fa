"""Many Tendermint nodes in one trio loop: honest and Byzantine validators over the
simulated network, each node's ``RoundStateMachine`` owned by one task.

A node's task takes (sender, message) pairs from its inbox and fires its own
timers (the machine's timeouts, the commit wait, gossip) by sleeping until the
next one is due. Besides broadcasting, nodes gossip as the paper assumes
(anything a correct node has, every correct node eventually gets): every
``gossip_s`` a node sends one random peer its height and the messages it has;
the peer answers with the messages of that height it lacks, or, if it has moved
past that height, with the proposal and precommits that decided it.

Byzantine validators hold just under 1/3 of the power and are, per seed:
``silent`` (never heard from); ``split`` (a split brain: two personalities,
each an honest-looking node talking to one half of the honest nodes, signing
with the same key); or ``mutant`` (follows the protocol but sends each peer its
own version of every message: another or an invalid block, nil, a vote for
another height, a vote forged in an honest validator's name, two conflicting
votes, or nothing).
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec
import trio

from consensus.privval import verify
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.messages import (
    Broadcast,
    Decide,
    DuplicateVoteEvidence,
    Evidence,
    Message,
    Output,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    TimeoutEvent,
    VoteMsg,
    block_id,
)
from consensus.tendermint.state import RoundStateMachine
from consensus.types import ZERO_BLOCK_ID, Block, BlockID, PartSetHeader, Vote, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.network import (
    Endpoint,
    Network,
    NetworkConfig,
    partition_schedule,
    random_network,
)
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    INVALID_TX,
    KeySigner,
    make_block,
    signers,
    validator_set,
    verify_commit,
)

BYZANTINE_KINDS = ("silent", "split", "mutant")
MessageKey = tuple[object, ...]


@dataclass(frozen=True)
class SimConfig:
    seed: int
    honest: int
    byzantine: int
    kinds: tuple[str, ...] = BYZANTINE_KINDS  # drawn per Byzantine validator
    network: NetworkConfig = field(default_factory=NetworkConfig)
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    heights_after_gst: int = 3  # K
    powers: tuple[int, ...] = ()  # honest first; default: random, Byzantine just under 1/3
    gossip_s: float = 0.25
    # The liveness bound after GST: rounds realign and the first round with an honest
    # proposer decides (a few seconds, even from the high rounds and long timeouts a
    # partitioned network leaves); a node that fell behind catches up one height per
    # commit wait plus a gossip exchange; each further height takes the commit wait
    # and, when Byzantine proposers waste rounds, a few timeouts more. Measured over
    # the test seeds: at most two thirds of it (20 s of 30 s, 16 validators, K = 3).
    settle_s: float = 15.0
    catch_up_s: float = 2.0
    per_height_s: float = 5.0

    def liveness_bound_s(self, lag: int) -> float:
        """How long after GST every honest node may take to decide K more heights, when
        the honest nodes' heights differed by ``lag`` at GST."""
        return self.settle_s + self.catch_up_s * lag + self.per_height_s * self.heights_after_gst


def config_for(seed: int, honest: int, byzantine: int, heights_after_gst: int = 3) -> SimConfig:
    """The seed draws the network: GST, delays, loss, duplication and partitions."""
    network = random_network(random.Random(f"{seed}/network"))
    return SimConfig(seed, honest, byzantine, network=network, heights_after_gst=heights_after_gst)


@dataclass(frozen=True)
class Status:
    """A gossip request: "I am at ``height`` and have these messages"."""

    height: int
    have: frozenset[MessageKey]


def message_key(message: Message) -> MessageKey:
    if isinstance(message, ProposalMsg):
        p = message.proposal
        return ("proposal", p.height, p.round, p.block_id)
    v = message.vote
    return ("vote", v.height, v.round, v.type, v.validator_address, v.block_id)


def powers_just_under_a_third(honest: int, byzantine: int, rng: random.Random) -> list[int]:
    """Random powers, the Byzantine ones (last) summing to B with 3B = total - 1."""
    byzantine_powers = [rng.randint(5, 20) for _ in range(byzantine)]
    honest_total = 2 * sum(byzantine_powers) + 1
    cuts = sorted(rng.sample(range(1, honest_total), honest - 1))
    honest_powers = [b - a for a, b in zip([0, *cuts], [*cuts, honest_total], strict=True)]
    return honest_powers + byzantine_powers


@dataclass
class Recorder:
    """What the simulation shows: decisions, evidence and what the adversary signed."""

    honest: set[bytes]
    byzantine: set[bytes]
    decisions: dict[int, dict[Endpoint, BlockID]] = field(default_factory=dict)
    heights: dict[Endpoint, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    evidence: list[tuple[Endpoint, DuplicateVoteEvidence]] = field(default_factory=list)
    signed: dict[tuple[bytes, int, int, int], set[BlockID]] = field(default_factory=dict)
    rounds: Counter[int] = field(default_factory=Counter)
    target: int | None = None
    done: trio.Event = field(default_factory=trio.Event)
    honest_endpoints: set[Endpoint] = field(default_factory=set)

    def on_decide(self, endpoint: Endpoint, decide: Decide, validators: ValidatorSet) -> None:
        value_id = block_id(decide.block)
        if self.heights.get(endpoint, 0) != decide.height - 1:
            self.violations.append(
                f"node {endpoint} decided {decide.height} after {self.heights.get(endpoint)}"
            )
        if not verify_commit(validators, decide.commit) or decide.commit.block_id != value_id:
            self.violations.append(f"node {endpoint} decided {decide.height} without a valid commit")
        if INVALID_TX in decide.block.data.txs:
            self.violations.append(f"node {endpoint} decided an invalid block at {decide.height}")
        at_height = self.decisions.setdefault(decide.height, {})
        if any(other != value_id for other in at_height.values()):
            self.violations.append(f"SAFETY: node {endpoint} decided another block at height {decide.height}")
        at_height[endpoint] = value_id
        self.heights[endpoint] = decide.height
        self.rounds[decide.round] += 1
        if self.target is not None and self.reached(self.target):
            self.done.set()

    def reached(self, height: int) -> bool:
        return all(self.heights.get(e, 0) >= height for e in self.honest_endpoints)

    def on_signed(self, vote: Vote) -> None:
        key = (vote.validator_address, vote.height, vote.round, vote.type)
        self.signed.setdefault(key, set()).add(vote.block_id)

    def equivocators(self) -> set[bytes]:
        return {address for (address, *_), ids in self.signed.items() if len(ids) > 1}


class Node:
    """An honest validator: the machine, its timers, and its side of gossip."""

    def __init__(
        self,
        endpoint: Endpoint,
        key: KeySigner,
        genesis: ValidatorSet,
        network: Network,
        recorder: Recorder,
        config: SimConfig,
    ) -> None:
        self.endpoint = endpoint
        self.key = key
        self.network = network
        self.recorder = recorder
        self.config = config
        self.peers: list[Endpoint] = []
        self.rng = random.Random(f"{config.seed}/node/{endpoint}")
        self.validators = genesis
        self.machine = RoundStateMachine(
            CHAIN_ID,
            key,
            self._propose_block,
            self._is_valid,
            verify,
            config.timeouts,
            now=lambda: int(network.elapsed() * 1e9),  # the simulated clock, the same on every node
        )
        self.parent = ZERO_BLOCK_ID
        self.certificates: dict[int, list[Message]] = {}
        self._timers: list[tuple[float, int, object]] = []
        self._timer_sequence = 0
        self._next_height: list[Message] = []

    # ---- the task ---------------------------------------------------------------------------------

    async def run(self, inbox: trio.MemoryReceiveChannel[tuple[Endpoint, object]]) -> None:
        self._apply(self.machine.start(1, self.validators))
        self._set_timer(self.config.gossip_s, "gossip")
        while True:
            with trio.move_on_at(self._timers[0][0]) as scope:
                sender, message = await inbox.receive()
            if scope.cancelled_caught:
                self._fire_due_timers()
            else:
                self._on_message(sender, message)

    def _set_timer(self, after_s: float, event: object) -> None:
        self._timer_sequence += 1
        heapq.heappush(self._timers, (trio.current_time() + after_s, self._timer_sequence, event))

    def _fire_due_timers(self) -> None:
        now = trio.current_time()
        while self._timers and self._timers[0][0] <= now:
            _, _, event = heapq.heappop(self._timers)
            if isinstance(event, TimeoutEvent):
                self._apply(self.machine.handle(event))
            elif event == "gossip":
                self._gossip()
                self._set_timer(self.config.gossip_s, "gossip")
            elif event == "next height":
                self._start_next_height()

    def _start_next_height(self) -> None:
        self.validators = self.validators.increment_priority()
        self._apply(self.machine.start(self.machine.state.height + 1, self.validators))
        waiting, self._next_height = self._next_height, []
        for message in waiting:
            self._apply(self.machine.handle(message))

    # ---- messages ---------------------------------------------------------------------------------

    def _on_message(self, sender: Endpoint, message: object) -> None:
        if isinstance(message, Status):
            self._answer(sender, message)
        elif isinstance(message, ProposalMsg | VoteMsg):
            self._on_consensus_message(message)

    def _on_consensus_message(self, message: Message) -> None:
        height = message.proposal.height if isinstance(message, ProposalMsg) else message.vote.height
        if height == self.machine.state.height + 1 and len(self._next_height) < 8 * len(self.peers):
            self._next_height.append(message)
        self._apply(self.machine.handle(message))

    def _apply(self, outputs: Iterable[Output]) -> None:
        for output in outputs:
            if isinstance(output, Broadcast):
                self._broadcast(output.message)
            elif isinstance(output, ScheduleTimeout):
                self._set_timer(output.duration_s, output.event())
            elif isinstance(output, Decide):
                self._on_decide(output)
            elif isinstance(output, Evidence):
                self._record_evidence(output)

    def _broadcast(self, message: Message) -> None:
        for peer in self.peers:
            self.network.send(self.endpoint, peer, message, self.rng)

    def _on_decide(self, decide: Decide) -> None:
        self._record(decide)
        self.parent = block_id(decide.block)
        self.certificates[decide.height] = [
            m for m in self.machine.messages() if _in_certificate(m, decide.round, self.parent)
        ]
        self._set_timer(self.config.timeouts.commit_s, "next height")

    def _record(self, decide: Decide) -> None:
        self.recorder.on_decide(self.endpoint, decide, self.validators)

    def _record_evidence(self, evidence: Evidence) -> None:
        self.recorder.evidence.append((self.endpoint, evidence.evidence))

    # ---- gossip -----------------------------------------------------------------------------------

    def _gossip(self) -> None:
        if not self.peers:
            return
        have = frozenset(message_key(m) for m in self.machine.messages())
        peer = self.rng.choice(self.peers)
        self.network.send(self.endpoint, peer, Status(self.machine.state.height, have), self.rng)

    def _answer(self, peer: Endpoint, status: Status) -> None:
        """Send ``peer`` what it lacks at its height: our messages, or the decision."""
        height = self.machine.state.height
        if status.height == height:
            offer = self.machine.messages()
        elif status.height in self.certificates:
            offer = self.certificates[status.height]
        else:
            return
        for message in offer:
            if message_key(message) not in status.have:
                self.network.send(self.endpoint, peer, message, self.rng)

    # ---- the application's side ---------------------------------------------------------------------

    def _propose_block(self, height: int, round_: int) -> Block:
        txs = [f"{self.endpoint}/{height}/{round_}".encode()]
        return make_block(height, self.key.address, txs, self.parent, int(self.network.elapsed() * 1e9))

    def _is_valid(self, block: Block) -> bool:
        header = block.header
        return (
            INVALID_TX not in block.data.txs
            and header.height == self.machine.state.height
            and header.last_block_id == self.parent
        )


def _in_certificate(message: Message, round_: int, value_id: BlockID) -> bool:
    if isinstance(message, ProposalMsg):
        return message.proposal.round == round_ and message.proposal.block_id == value_id
    vote = message.vote
    return vote.round == round_ and vote.type == VoteType.PRECOMMIT and vote.block_id == value_id


class ByzantineNode(Node):
    """Runs the protocol to keep up, but what it sends is up to its kind."""

    def _broadcast(self, message: Message) -> None:
        if isinstance(message, VoteMsg):
            self.recorder.on_signed(message.vote)
        super()._broadcast(message)

    def _answer(self, peer: Endpoint, status: Status) -> None:
        """Byzantine nodes help no one catch up."""

    def _record(self, decide: Decide) -> None:
        """Only honest decisions count."""

    def _record_evidence(self, evidence: Evidence) -> None:
        """Nor does what Byzantine nodes notice."""


class MutantNode(ByzantineNode):
    """Sends each peer its own version of every proposal and vote."""

    VOTE_CHOICES = ("honest", "nil", "other", "invalid", "wrong height", "forged", "both", "none")
    PROPOSAL_CHOICES = ("honest", "other", "invalid", "none")

    def __init__(
        self,
        endpoint: Endpoint,
        key: KeySigner,
        genesis: ValidatorSet,
        network: Network,
        recorder: Recorder,
        config: SimConfig,
        victims: list[KeySigner],
    ) -> None:
        super().__init__(endpoint, key, genesis, network, recorder, config)
        self.victims = victims
        self.vote_weights = [self.rng.random() for _ in self.VOTE_CHOICES]
        self._forks: dict[tuple[int, int], tuple[ProposalMsg, ProposalMsg]] = {}

    def _broadcast(self, message: Message) -> None:
        for peer in self.peers:
            for version in self._versions(message):
                if isinstance(version, VoteMsg) and version.vote.validator_address == self.key.address:
                    self.recorder.on_signed(version.vote)
                self.network.send(self.endpoint, peer, version, self.rng)

    def _versions(self, message: Message) -> list[Message]:
        if isinstance(message, ProposalMsg):
            return self._proposal_versions(message)
        (choice,) = self.rng.choices(self.VOTE_CHOICES, self.vote_weights)
        return [VoteMsg(vote) for vote in self._vote_versions(message.vote, choice)]

    def _vote_versions(self, vote: Vote, choice: str) -> list[Vote]:
        other, invalid = self._forks_of(vote.height, vote.round)
        match choice:
            case "honest":
                return [vote]
            case "nil":
                return [self._resign(vote, block_id=ZERO_BLOCK_ID, timestamp_ns=0)]
            case "other":
                return [self._resign(vote, block_id=other.proposal.block_id)]
            case "invalid":
                return [self._resign(vote, block_id=invalid.proposal.block_id)]
            case "wrong height":
                return [self._resign(vote, height=vote.height + self.rng.choice((1, 2, 5)))]
            case "forged":
                return [self._forged(vote)]
            case "both":
                return [vote, self._resign(vote, block_id=_random_block_id(self.rng))]
            case _:
                return []

    def _proposal_versions(self, message: ProposalMsg) -> list[Message]:
        proposal = message.proposal
        other, invalid = self._forks_of(proposal.height, proposal.round)
        versions: dict[str, list[Message]] = {"honest": [message], "other": [other], "invalid": [invalid]}
        (choice,) = self.rng.choices(self.PROPOSAL_CHOICES)
        return versions.get(choice, [])

    def _forks_of(self, height: int, round_: int) -> tuple[ProposalMsg, ProposalMsg]:
        """Another valid-looking block and an invalid one for (height, round), signed as proposals."""
        if (height, round_) not in self._forks:
            time_ns = int(self.network.elapsed() * 1e9)
            blocks = [
                make_block(
                    height,
                    self.key.address,
                    [f"fork {self.endpoint}/{round_}".encode()],
                    self.parent,
                    time_ns,
                ),
                make_block(height, self.key.address, [INVALID_TX], self.parent, time_ns),
            ]
            other, invalid = (self._proposal_of(height, round_, block) for block in blocks)
            self._forks[(height, round_)] = (other, invalid)
        return self._forks[(height, round_)]

    def _proposal_of(self, height: int, round_: int, block: Block) -> ProposalMsg:
        unsigned = Proposal(height, round_, -1, block_id(block), block.header.time_ns, self.key.address, b"")
        return ProposalMsg(self.key.sign_proposal(CHAIN_ID, unsigned), block)

    def _resign(self, vote: Vote, **changes: object) -> Vote:
        return self.key.sign_vote(CHAIN_ID, msgspec.structs.replace(vote, **changes))

    def _forged(self, vote: Vote) -> Vote:
        """A vote in an honest validator's name, signed with our key: a bad signature."""
        victim = self.rng.choice(self.victims)
        found = self.validators.get(victim.address)
        index = 0 if found is None else found[0]
        return self._resign(vote, validator_address=victim.address, validator_index=index)


def _random_block_id(rng: random.Random) -> BlockID:
    return BlockID(rng.randbytes(32), PartSetHeader(1, rng.randbytes(32)))


@dataclass
class SimResult:
    config: SimConfig
    recorder: Recorder
    kinds: list[str]
    gst_height: int
    lag_at_gst: int
    liveness_s: float | None  # after GST until every honest node decided the target; None: not in the bound
    sent: int
    delivered: int
    final_states: list[str]  # each honest node's (height, round, step, locked/valid rounds) at the end


def _wire(nodes: list[Node], groups: dict[Endpoint, int | None], honest: set[Endpoint]) -> None:
    """Honest nodes all know each other; a split personality only its half."""
    for node in nodes:
        node.peers = [
            other.endpoint
            for other in nodes
            if other is not node
            and (
                (node.endpoint in honest and other.endpoint in honest)
                or groups[node.endpoint] is None
                or groups[other.endpoint] is None
                or groups[node.endpoint] == groups[other.endpoint]
            )
        ]


async def run_simulation(config: SimConfig) -> SimResult:
    """Run until every honest node decided K heights past GST's, or the time limit."""
    rng = random.Random(f"{config.seed}/setup")
    keys = signers(config.honest + config.byzantine, seed=config.seed)
    powers = list(config.powers) or powers_just_under_a_third(config.honest, config.byzantine, rng)
    genesis = validator_set(keys, powers)
    honest_keys, byzantine_keys = keys[: config.honest], keys[config.honest :]
    kinds = [rng.choice(config.kinds) for _ in byzantine_keys]
    recorder = Recorder({k.address for k in honest_keys}, {k.address for k in byzantine_keys})

    endpoints: list[tuple[KeySigner, str, int | None]] = [(key, "honest", None) for key in honest_keys]
    for key, kind in zip(byzantine_keys, kinds, strict=True):
        if kind == "split":
            endpoints += [(key, "split", 0), (key, "split", 1)]
        elif kind == "mutant":
            endpoints.append((key, "mutant", None))
    order = rng.sample(range(config.honest), config.honest)
    cut = rng.randrange(1, config.honest)
    halves = {e: int(position >= cut) for position, e in enumerate(order)}  # both halves non-empty
    groups: dict[Endpoint, int | None] = {
        e: (halves[e] if kind == "honest" else group) for e, (_, kind, group) in enumerate(endpoints)
    }
    network = Network(config.network, partition_schedule(config.network, range(len(endpoints)), rng))
    nodes: list[Node] = []
    for endpoint, (key, kind, _) in enumerate(endpoints):
        args = (endpoint, key, genesis, network, recorder, config)
        if kind == "honest":
            nodes.append(Node(*args))
        elif kind == "split":
            nodes.append(ByzantineNode(*args))
        else:
            nodes.append(MutantNode(*args, victims=honest_keys))
    recorder.honest_endpoints = set(range(config.honest))
    _wire(nodes, groups, recorder.honest_endpoints)

    gst_height = lag = 0
    liveness_s: float | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(network.run)
        for node in nodes:
            nursery.start_soon(node.run, network.attach(node.endpoint))
        gst = network.origin + config.network.gst_s
        await trio.sleep_until(gst)
        heights = [recorder.heights.get(e, 0) for e in recorder.honest_endpoints]
        gst_height, lag = max(heights), max(heights) - min(heights)
        recorder.target = gst_height + config.heights_after_gst
        if recorder.reached(recorder.target):
            recorder.done.set()
        with trio.move_on_after(config.liveness_bound_s(lag)):
            await recorder.done.wait()
            liveness_s = trio.current_time() - gst
        nursery.cancel_scope.cancel()
    states = [_describe(node) for node in nodes if node.endpoint in recorder.honest_endpoints]
    return SimResult(
        config, recorder, kinds, gst_height, lag, liveness_s, network.sent, network.delivered, states
    )


def _describe(node: Node) -> str:
    s = node.machine.state
    decided = "decided" if s.decision is not None else "deciding"
    return (
        f"node {node.endpoint}: height {s.height} round {s.round} step {s.step.name} {decided}, "
        f"locked {s.locked_round} valid {s.valid_round}"
    )
