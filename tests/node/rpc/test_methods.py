"""node.rpc.methods on a node opened from a real home, without processes or sockets:
``validators`` per height, ``status``, ``net_info``, ``consensus_state`` and
``dump_consensus_state``, under the single-validator engine and under the networked
engine (a four-validator testnet home, its engine driven by hand and a fake p2p host)."""

from __future__ import annotations

import base64
import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from libp2p.peer.id import ID

from consensus import privval
from consensus.tendermint.engine import PeerError, TendermintEngine
from consensus.tendermint.messages import NO_ROUND, PROPOSAL_TYPE, Proposal, ProposalMsg, VoteMsg, block_id
from consensus.tendermint.wire import DECIDED_STEP
from consensus.types import BlockID, Commit, Vote, VoteType
from genesis import doc as genesis_doc
from node.home import Home
from node.node import Node
from node.p2p.config import PeerId
from node.p2p.errors import NotRunningError
from node.rpc.errors import EVIDENCE_REJECTED, HEIGHT_UNAVAILABLE, INVALID_PARAMS, NOT_FOUND
from node.rpc.present import rfc3339
from node.storage import chain as chain_store
from node.testnet import NetworkNode, create_testnet
from node.validator_home import init_solo_home
from tests.consensus.tendermint.support import KeySigner
from tests.node.rpc.support import rpc, rpc_error

VALIDATORS = 4
POWER = 10
STRANGER = PeerId("12D3KooWStrangerNotInTheConfigXXXXXXXXXXXXXXXXXXXXX")


# -- a single-validator node ----------------------------------------------------------


@pytest.fixture
def solo(tmp_path: Path) -> Iterator[Node]:
    home = Home(tmp_path / "solo")
    init_solo_home(home, "solo", "solo-1")
    node = Node.open(home)
    yield node
    node.close()


async def produce(node: Node, blocks: int) -> None:
    engine = node.solo()
    for _ in range(blocks):
        await engine.produce_block()


async def test_solo_validators_at_every_height(solo: Node) -> None:
    await produce(solo, 3)
    for height in (1, 2, 3):
        result = await rpc(solo, "validators", height=height)
        assert (result["block_height"], result["count"], result["total"]) == (str(height), "1", "1")
        [validator] = result["validators"]
        assert validator["address"] == solo.pv.address.hex().upper()
        assert (validator["voting_power"], validator["proposer_priority"]) == (str(POWER), "0")
    assert (await rpc(solo, "validators"))["block_height"] == "3"


async def test_invalid_validators_above_the_latest_height(solo: Node) -> None:
    await produce(solo, 1)
    assert (await rpc_error(solo, "validators", height=2)).code == HEIGHT_UNAVAILABLE


async def test_solo_stores_the_set_of_each_height(solo: Node) -> None:
    await produce(solo, 3)
    assert all(solo.chain.load_validators(height) is not None for height in (3, 4, 5))


async def test_invalid_validators_without_a_stored_set(solo: Node) -> None:
    """A chain whose set of height 3 is missing (written before sets were stored per height),
    opened with a peer, so no single-validator fallback applies."""
    await produce(solo, 3)
    solo.chain.db.delete(chain_store.VALIDATORS + chain_store.height_key(3))
    peer = "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGRUVh9sd6ZgQwpVq9VvnQmP7j8Yf5f8ZrX8f8dA8bA1Q"
    p2p = dataclasses.replace(solo.config.p2p, persistent_peers=(peer,))
    solo.config = dataclasses.replace(solo.config, p2p=p2p)
    assert solo.validators_at(2) is not None
    assert solo.validators_at(3) is None
    error = await rpc_error(solo, "validators", height=3)
    assert (error.code, error.data) == (NOT_FOUND, "validator set of height 3 not found")


async def test_solo_status(solo: Node) -> None:
    await produce(solo, 1)
    status = await rpc(solo, "status")
    assert status["node_info"]["id"] == solo.pv.address.hex()
    assert status["node_info"]["listen_addr"] == solo.config.rpc.laddr
    assert status["sync_info"]["catching_up"] is False
    assert status["validator_info"]["voting_power"] == str(POWER)


async def test_solo_net_info(solo: Node) -> None:
    assert await rpc(solo, "net_info") == {"listening": False, "listeners": [], "n_peers": "0", "peers": []}


async def test_solo_consensus_state_waits_for_the_next_height(solo: Node) -> None:
    await produce(solo, 2)
    block = solo.chain.load_block(2)
    assert block is not None
    state = (await rpc(solo, "consensus_state"))["round_state"]
    address = solo.pv.address.hex().upper()
    assert state == {
        "height/round/step": "3/0/1",
        "start_time": rfc3339(block.header.time_ns + seconds_ns(solo.config.consensus.timeout_commit_s)),
        "proposal_block_hash": "",
        "locked_block_hash": "",
        "valid_block_hash": "",
        "height_vote_set": [
            {
                "round": 0,
                "prevotes": ["nil-Vote"],
                "prevotes_bit_array": "BA{1:_} 0/10 = 0.00",
                "precommits": ["nil-Vote"],
                "precommits_bit_array": "BA{1:_} 0/10 = 0.00",
            }
        ],
        "proposer": {"address": address, "index": 0},
    }


async def test_solo_consensus_state_before_the_first_block(solo: Node) -> None:
    state = (await rpc(solo, "consensus_state"))["round_state"]
    assert state["height/round/step"] == "1/0/1"
    genesis_time = genesis_doc.parse_time(solo.genesis.genesis_time)
    assert state["start_time"] == rfc3339(genesis_time + seconds_ns(solo.config.consensus.timeout_commit_s))


async def test_solo_dump_consensus_state(solo: Node) -> None:
    await produce(solo, 1)
    dump = await rpc(solo, "dump_consensus_state")
    assert dump["peers"] == []
    state = dump["round_state"]
    assert (state["height"], state["round"], state["step"]) == ("2", 0, 1)
    assert (state["proposal"], state["locked_round"], state["valid_round"]) == (None, NO_ROUND, NO_ROUND)
    assert state["validators"]["proposer"]["address"] == solo.pv.address.hex().upper()
    assert len(state["validators"]["validators"]) == 1
    assert state["votes"][0]["precommits"] == ["nil-Vote"]


# -- a validator of a network ---------------------------------------------------------------


class QuietNetwork:
    """The engine's ``Network`` with nobody on it: the test hands the engine its messages."""

    def peers(self) -> list[str]:
        return []

    async def send(self, peer: str, payload: bytes) -> None:
        raise PeerError("no peers")

    async def publish_evidence(self, payload: bytes) -> None:
        pass

    async def request(self, peer: str, payload: bytes) -> bytes:
        raise PeerError("no peers")

    def report_invalid(self, peer: str, reason: str) -> None:
        pass


@dataclass
class FakeP2P:
    """What the RPC methods read of a ``P2PNode``."""

    peer_id: PeerId
    addrs: list[str]
    connected: dict[PeerId, int] = field(default_factory=dict)  # peer -> score
    remotes: dict[PeerId, str] = field(default_factory=dict)  # peer -> our connection's address
    running: bool = True

    def listen_addrs(self) -> list[str]:
        self._check_running()
        return list(self.addrs)

    def peers(self) -> list[PeerId]:
        self._check_running()
        return sorted(self.connected)

    def score(self, peer: PeerId) -> int:
        return self.connected[peer]

    def remote_addrs(self, peer: PeerId) -> list[str]:
        return [self.remotes[peer]] if peer in self.remotes else []

    def _check_running(self) -> None:
        if not self.running:
            raise NotRunningError("the p2p node is not running")


@dataclass
class FakeNetworkServices:
    p2p: FakeP2P


@dataclass
class Validator:
    """A node of the network opened as a ``Node``, its engine at height 1, and the keys of
    every validator so the test can sign for the others."""

    node: Node
    engine: TendermintEngine
    p2p: FakeP2P
    testnet: list[NetworkNode]
    keys: dict[bytes, KeySigner]


@pytest.fixture(scope="module")
def testnet(tmp_path_factory: pytest.TempPathFactory) -> list[NetworkNode]:
    return create_testnet(tmp_path_factory.mktemp("testnet") / "net", VALIDATORS, "rpc-test-1")


@pytest.fixture
def validator(testnet: list[NetworkNode], tmp_path: Path) -> Iterator[Validator]:
    """node0 of the testnet, on a copy of its home (each test starts from the genesis)."""
    home = Home(tmp_path / "node0")
    shutil.copytree(testnet[0].home.root, home.root)
    node = Node.open(home)
    engine = node.tendermint(QuietNetwork())
    p2p = FakeP2P(PeerId(testnet[0].peer_id), [f"{testnet[0].p2p_laddr}/p2p/{testnet[0].peer_id}"])
    node.consensus = engine
    node.network = FakeNetworkServices(p2p)  # type: ignore[assignment]
    keys = {signer.address: signer for signer in (signer_of(n.home) for n in testnet)}
    try:
        yield Validator(node, engine, p2p, testnet, keys)
    finally:
        engine.wal.close()
        node.close()


def signer_of(home: Home) -> KeySigner:
    return KeySigner(privval.read_key_file(home.key_file))


def start_height(validator: Validator, height: int = 1) -> None:
    machine = validator.engine.machine
    machine.start(height, validator.engine.executor.validators_at(height))


def propose(validator: Validator) -> BlockID:
    """The round-0 proposal of the height (signed by its proposer), in the machine."""
    machine = validator.engine.machine
    state = machine.state
    if not state.proposals.get(0):
        proposer = validator.keys[machine.proposer(0)]
        block = validator.engine.executor.build(state.height, proposer.address)
        time_ns = block.header.time_ns
        unsigned = Proposal(state.height, 0, NO_ROUND, block_id(block), time_ns, proposer.address, b"")
        machine.handle(ProposalMsg(proposer.sign_proposal(machine.chain_id, unsigned), block))
    [msg] = state.proposals[0].values()
    return msg.proposal.block_id


def vote(validator: Validator, signer: KeySigner, vote_type: VoteType, value: BlockID, time_ns: int) -> None:
    machine = validator.engine.machine
    found = machine.state.validators.get(signer.address)
    assert found is not None
    unsigned = Vote(vote_type, machine.state.height, 0, value, time_ns, signer.address, found[0], b"")
    machine.handle(VoteMsg(signer.sign_vote(machine.chain_id, unsigned)))


def others(validator: Validator) -> list[KeySigner]:
    return [key for address, key in sorted(validator.keys.items()) if address != validator.node.pv.address]


async def test_consensus_state_of_a_locked_round(validator: Validator) -> None:
    """A proposal and prevotes of two other validators: with ours that is a polka, so the
    node locks on the block and precommits it."""
    start_height(validator)
    value = propose(validator)
    block = validator.engine.machine.state.proposals[0][value].block
    for signer in others(validator)[:2]:
        vote(validator, signer, VoteType.PREVOTE, value, block.header.time_ns)

    state = (await rpc(validator.node, "consensus_state"))["round_state"]
    assert state["height/round/step"] == "1/0/6"
    assert state["proposal_block_hash"] == value.hash.hex().upper()
    assert state["locked_block_hash"] == state["valid_block_hash"] == value.hash.hex().upper()
    [round_0] = state["height_vote_set"]
    assert round_0["prevotes_bit_array"].endswith(" 30/40 = 0.75")
    assert round_0["prevotes_bit_array"].count("x") == 3
    assert round_0["precommits_bit_array"].endswith(" 10/40 = 0.25")
    assert sum(text != "nil-Vote" for text in round_0["prevotes"]) == 3
    own = validator.engine.machine.state.validators.get(validator.node.pv.address)
    assert own is not None
    precommit = round_0["precommits"][own[0]]
    assert precommit.startswith(f"Vote{{{own[0]}:{validator.node.pv.address[:6].hex().upper()} 1/00/")
    assert "SIGNED_MSG_TYPE_PRECOMMIT(Precommit)" in precommit
    assert f" {value.hash[:6].hex().upper()} " in precommit
    proposer = validator.engine.machine.proposer(0)
    expected_index = validator.engine.machine.state.validators.get(proposer)
    assert expected_index is not None
    assert state["proposer"] == {"address": proposer.hex().upper(), "index": expected_index[0]}


async def test_consensus_state_of_a_decided_height(validator: Validator) -> None:
    start_height(validator)
    value = propose(validator)
    time_ns = validator.engine.machine.state.proposals[0][value].block.header.time_ns
    for signer in others(validator):
        vote(validator, signer, VoteType.PREVOTE, value, time_ns)
    for signer in others(validator)[:2]:
        vote(validator, signer, VoteType.PRECOMMIT, value, time_ns)
    assert validator.engine.machine.state.decision is not None
    state = (await rpc(validator.node, "consensus_state"))["round_state"]
    assert state["height/round/step"] == "1/0/8"
    [round_0] = state["height_vote_set"]
    assert round_0["prevotes_bit_array"] == "BA{4:xxxx} 40/40 = 1.00"
    assert round_0["precommits_bit_array"].endswith(" 30/40 = 0.75")


async def test_consensus_state_before_the_engine_starts(validator: Validator) -> None:
    state = (await rpc(validator.node, "consensus_state"))["round_state"]
    assert state["height/round/step"] == "1/0/1"
    assert state["height_vote_set"][0]["prevotes_bit_array"] == "BA{4:____} 0/40 = 0.00"


async def test_dump_consensus_state(validator: Validator) -> None:
    start_height(validator)
    value = propose(validator)
    peer, quiet = PeerId(validator.testnet[1].peer_id), PeerId(validator.testnet[2].peer_id)
    validator.p2p.connected.update({peer: 0, quiet: 0})
    validator.p2p.remotes[peer] = "/ip4/127.0.0.1/tcp/26656"
    validator.engine.peer_states.asked(peer, 1, 3, 0.0)  # its sync request: at height 1, holding 3
    dump = await rpc(validator.node, "dump_consensus_state")
    peers = {entry["node_address"].split("@")[0]: entry for entry in dump["peers"]}
    assert peers == {
        peer: {
            "node_address": f"{peer}@127.0.0.1:26656",
            "peer_state": {
                "round_state": {"height": "1", "round": -1, "step": 1},
                "stats": {"messages_held": "3"},
            },
        },
        quiet: {"node_address": quiet},  # no connection address, and nothing heard from it yet
    }
    validator.engine.peer_states.stepped(peer, 1, 0, DECIDED_STEP, 1.0)  # its RoundStep: decided
    decided = await rpc(validator.node, "dump_consensus_state")
    round_states = [e["peer_state"]["round_state"] for e in decided["peers"] if "peer_state" in e]
    assert round_states == [{"height": "1", "round": 0, "step": 8}]  # CometBFT's RoundStepCommit
    state = dump["round_state"]
    assert (state["height"], state["round"]) == ("1", 0)
    proposal = state["proposal"]
    assert proposal["block_id"]["hash"] == value.hash.hex().upper()
    assert (proposal["type"], proposal["height"], proposal["round"]) == (PROPOSAL_TYPE, "1", 0)
    assert proposal["pol_round"] == NO_ROUND
    assert len(state["validators"]["validators"]) == VALIDATORS
    proposer = validator.engine.machine.proposer(0)
    assert state["validators"]["proposer"]["address"] == proposer.hex().upper()
    assert [entry["round"] for entry in state["votes"]] == [0]


async def test_net_info(validator: Validator) -> None:
    first, second = (PeerId(n.peer_id) for n in validator.testnet[1:3])
    validator.p2p.connected.update({first: 0, second: -10, STRANGER: 0})
    validator.p2p.remotes[STRANGER] = "/ip4/10.0.0.7/tcp/40123"
    info = await rpc(validator.node, "net_info")
    assert (info["listening"], info["listeners"], info["n_peers"]) == (True, validator.p2p.addrs, "3")
    peers = {peer["node_info"]["id"]: peer for peer in info["peers"]}
    assert peers[first] == {
        "node_info": {"id": first, "listen_addr": validator.testnet[1].p2p_laddr},
        "connection_status": {"persistent": True, "score": "0"},
        "remote_ip": "127.0.0.1",
        "remote_addr": "",
    }
    assert peers[second]["connection_status"]["score"] == "-10"
    assert peers[STRANGER] == {
        "node_info": {"id": STRANGER, "listen_addr": ""},
        "connection_status": {"persistent": False, "score": "0"},
        "remote_ip": "10.0.0.7",  # it dialled us: known from the connection
        "remote_addr": "/ip4/10.0.0.7/tcp/40123",
    }


async def test_net_info_while_the_host_is_not_running(validator: Validator) -> None:
    validator.p2p.running = False
    assert await rpc(validator.node, "net_info") == {
        "listening": False,
        "listeners": [],
        "n_peers": "0",
        "peers": [],
    }
    assert (await rpc(validator.node, "dump_consensus_state"))["peers"] == []


async def test_status_of_a_networked_node(validator: Validator) -> None:
    start_height(validator)
    status = await rpc(validator.node, "status")
    peer_id = validator.testnet[0].peer_id
    assert (
        bytes.fromhex(status["node_info"]["id"]) == ID.from_base58(peer_id).to_bytes()
    )  # hex, as cosmjs reads it
    assert status["node_info"]["other"]["peer_id"] == peer_id
    assert status["node_info"]["listen_addr"] == validator.testnet[0].p2p_laddr
    assert status["sync_info"]["catching_up"] is False
    assert status["validator_info"]["voting_power"] == str(POWER)


async def test_status_is_catching_up_while_block_sync_runs(validator: Validator) -> None:
    start_height(validator)
    validator.engine._progress.update(1, 50)
    assert (await rpc(validator.node, "status"))["sync_info"]["catching_up"] is True
    validator.engine._progress.update(50, 50)
    assert (await rpc(validator.node, "status"))["sync_info"]["catching_up"] is False


async def test_validators_of_the_first_heights_and_stored_ones(validator: Validator) -> None:
    node, executor = validator.node, validator.engine.executor
    genesis = node.validators
    first = node.validators_at(1)
    assert first is not None and first.validators == genesis.validators  # stored at InitChain
    second = node.validators_at(2)
    assert second is not None
    assert second.validators == genesis.increment_priority().validators
    assert node.validators_at(3) is None
    assert node.validators_at(0) is None

    block = executor.build(1, node.pv.address)
    executor.apply(block, Commit(1, 0, block_id(block), []))
    stored = node.validators_at(3)
    assert stored is not None
    assert stored.validators == genesis.increment_priority(2).validators

    result = await rpc(node, "validators", height=1)
    assert (result["count"], result["total"]) == (str(VALIDATORS), str(VALIDATORS))
    assert {v["voting_power"] for v in result["validators"]} == {str(POWER)}
    expected = [v.address.hex().upper() for v in genesis.validators]
    assert [v["address"] for v in result["validators"]] == expected
    page = await rpc(node, "validators", height=1, page=2, per_page=3)
    assert (page["count"], page["total"]) == ("1", str(VALIDATORS))


def seconds_ns(seconds: float) -> int:
    return round(seconds * 1e9)


async def test_invalid_broadcast_evidence_on_a_single_validator_node(solo: Node) -> None:
    error = await rpc_error(solo, "broadcast_evidence", evidence=base64.b64encode(b"\x94").decode())
    assert (error.code, error.data) == (
        EVIDENCE_REJECTED,
        "this node runs no networked consensus to take evidence",
    )


async def test_invalid_broadcast_evidence_not_base64(solo: Node) -> None:
    error = await rpc_error(solo, "broadcast_evidence", evidence="%%%")
    assert (error.code, error.data) == (INVALID_PARAMS, "evidence must be base64")
