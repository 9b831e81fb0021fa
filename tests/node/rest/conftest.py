"""A single-validator chain built by hand (no processes), served in process by the REST
app through httpx's ASGI transport:

    height 1: alice->bob
    height 2: alice->carol, alice->bob
    height 3: no txs

``fresh`` is a chain of one empty block, for tests that change the mempool.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trio
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.protos.cosmos.auth.v1beta1.auth_pb2 import BaseAccount
from cosmpy.protos.cosmos.auth.v1beta1.query_pb2 import QueryAccountRequest, QueryAccountResponse
from mnemonic import Mnemonic

from genesis.schema import CoinJSON
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.keys.hd import PrivateKey
from node.node import Node
from node.rest.server import build_app
from node.validator_home import init_solo_home
from vm.bank.msgs import MsgSend
from vm.types import Coin

CHAIN_ID = "rest-1"
DENOM = "udepin"
FUNDS = 10**12
GAS = 200_000
FEE = 2_000


def key(name: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(name.encode()).digest())


ALICE, BOB, CAROL = (key(name) for name in ("alice", "bob", "carol"))
WALLET = LocalWallet.from_mnemonic(
    Mnemonic("english").to_mnemonic(hashlib.sha256(b"rest-cosmpy").digest()), prefix="depin"
)
BLOCKS = [[BOB], [CAROL, BOB], []]  # alice's recipients, per height


@dataclass(frozen=True)
class Chain:
    node: Node
    hashes: list[list[str]]  # per height (from 1), the upper-case hex hash of each tx


def open_node(root: Path) -> Node:
    home = Home(root / "home")
    init_solo_home(home, "rest", CHAIN_ID)
    for address in (ALICE.address, str(WALLET.address())):
        add_genesis_account(home, address, [CoinJSON(denom=DENOM, amount=FUNDS)])
    node = Node.open(home)
    node.app.beacon_source = None  # no beacon entries: every block holds exactly the txs sent
    return node


def account_number(node: Node, address: str) -> int:
    """Read with the application's gRPC query, as REST reads it."""
    request = QueryAccountRequest(address=address).SerializeToString()
    result = node.app.query("/cosmos.auth.v1beta1.Query/Account", request)
    assert result.code == 0, result.log
    account = BaseAccount()
    QueryAccountResponse.FromString(result.value).account.Unpack(account)
    return int(account.account_number)


def send(node: Node, sender: PrivateKey, recipient: PrivateKey, sequence: int, amount: int = 1) -> bytes:
    message = MsgSend(sender.address, recipient.address, [Coin(DENOM, amount)])
    number = account_number(node, sender.address)
    return build_tx(sender, CHAIN_ID, number, sequence, [message], [Coin(DENOM, FEE)], GAS)


async def commit_blocks(node: Node) -> list[list[str]]:
    engine = node.solo()
    hashes, sequence = [], 0
    for recipients in BLOCKS:
        raws = []
        for recipient in recipients:
            raws.append(send(node, ALICE, recipient, sequence))
            sequence += 1
        for raw in raws:
            assert (await node.submit_tx(raw)).code == 0
        assert (await engine.produce_block()).data.txs == raws
        hashes.append([hashlib.sha256(raw).hexdigest().upper() for raw in raws])
    return hashes


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    node = open_node(tmp_path_factory.mktemp("rest"))
    try:
        yield Chain(node, trio.run(commit_blocks, node))
    finally:
        node.close()


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[Node]:
    node = open_node(tmp_path)
    try:
        await node.solo().produce_block()
        yield node
    finally:
        node.close()


def client(node: Node) -> httpx.AsyncClient:
    """The node's REST app, in process; built per call, so a test may change the node's config."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(node)), base_url="http://rest")


@pytest.fixture
async def rest(chain: Chain) -> AsyncIterator[httpx.AsyncClient]:
    async with client(chain.node) as http:
        yield http
