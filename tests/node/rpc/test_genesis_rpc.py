"""``genesis`` and ``consensus_params`` in CometBFT v0.38's JSON: 64-bit integers as strings,
validators with typed public keys, and the params in force at a height."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import msgspec
import pytest
import trio

from genesis.schema import BlockParams, ConsensusParams, GenesisDoc, GenesisValidator
from node.home import Home
from node.node import Node
from node.rpc import present
from node.rpc.errors import NOT_FOUND
from node.validator_home import init_solo_home
from tests.node.rpc.support import rpc, rpc_error

CHAIN_ID = "genesis-rpc-1"
BLOCKS = 2


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = Home(tmp_path_factory.mktemp("genesis-rpc") / "home")
    init_solo_home(home, "genesis-rpc", CHAIN_ID)
    opened = Node.open(home)

    async def produce() -> None:
        engine = opened.solo()
        for _ in range(BLOCKS):
            await engine.produce_block()

    try:
        trio.run(produce)
        yield opened
    finally:
        opened.close()


async def test_genesis_writes_integers_as_strings(node: Node) -> None:
    answer = (await rpc(node, "genesis"))["genesis"]
    assert answer["chain_id"] == CHAIN_ID
    assert answer["initial_height"] == "1"
    block = answer["consensus_params"]["block"]
    assert block["max_bytes"] == str(node.genesis.consensus_params.block.max_bytes)
    assert block["max_gas"] == str(node.genesis.consensus_params.block.max_gas)
    assert answer["app_state"] == node.genesis.app_state


def test_genesis_validators_have_typed_keys() -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    doc = GenesisDoc(
        genesis_time="2026-01-01T00:00:00Z",
        chain_id=CHAIN_ID,
        validators=[GenesisValidator(address="ab" * 20, pub_key=key, power=10, name="v0")],
    )
    assert present.genesis_doc(doc)["validators"] == [
        {
            "address": "AB" * 20,
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": key},
            "power": "10",
            "name": "v0",
        }
    ]


async def test_consensus_params_at_the_latest_height(node: Node) -> None:
    answer = await rpc(node, "consensus_params")
    params = node.app.consensus_params()
    assert answer["block_height"] == str(BLOCKS)
    assert answer["consensus_params"] == present.consensus_params(params)
    assert answer["consensus_params"]["evidence"]["max_age_num_blocks"] == str(
        params.evidence.max_age_num_blocks
    )
    assert answer["consensus_params"]["validator"] == {"pub_key_types": ["ed25519"]}


async def test_consensus_params_at_an_earlier_height_with_the_same_params(node: Node) -> None:
    assert (await rpc(node, "consensus_params", height=1))["block_height"] == "1"


async def test_consensus_params_changed_since_a_height_are_not_found(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = node.app.consensus_params()
    changed = msgspec.structs.replace(
        current, block=BlockParams(max_bytes=current.block.max_bytes // 2, max_gas=current.block.max_gas)
    )
    assert isinstance(changed, ConsensusParams) and changed.hash() != current.hash()
    monkeypatch.setattr(node.app, "consensus_params", lambda: changed)
    error = await rpc_error(node, "consensus_params", height=1)
    assert error.code == NOT_FOUND and "no longer kept" in error.data


async def test_consensus_params_of_a_future_height(node: Node) -> None:
    error = await rpc_error(node, "consensus_params", height=BLOCKS + 5)
    assert "height" in error.data
