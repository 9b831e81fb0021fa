"""A single-validator node opened in process on a home of its own (no processes), with
metrics on a free port, and signed sends from a funded key."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from genesis.schema import CoinJSON
from node import config as node_config
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.node import Node
from node.validator_home import init_solo_home
from tests.node.cli.localnet import free_port
from tests.vm.helpers import ALICE, BOB
from vm.bank.msgs import MsgSend
from vm.types import Coin

CHAIN_ID = "metrics-1"
DENOM = "udepin"
GAS = 200_000
FEE = 2_000


def open_node(root: Path) -> Node:
    home = Home(root / "home")
    init_solo_home(home, "metrics", CHAIN_ID)
    add_genesis_account(home, ALICE.address, [CoinJSON(denom=DENOM, amount=10**12)])
    config = node_config.load(home.config_file)
    metrics_addr = f"127.0.0.1:{free_port()}"
    config = dataclasses.replace(
        config,
        instrumentation=dataclasses.replace(config.instrumentation, prometheus_listen_addr=metrics_addr),
    )
    home.config_file.write_text(node_config.render(config))
    node = Node.open(home)
    node.app.beacon_source = None  # no beacon entries: a block holds exactly the txs sent
    return node


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    opened = open_node(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def send(node: Node, sequence: int) -> bytes:
    """ALICE sends BOB 1udepin; the tx is valid only at ``sequence`` (she starts at 0)."""
    message = MsgSend(ALICE.address, BOB.address, [Coin(DENOM, 1)])
    account = node.app.query("/auth/account", json.dumps({"address": ALICE.address}).encode())
    number = int(json.loads(account.value)["account_number"])
    return build_tx(ALICE, CHAIN_ID, number, sequence, [message], [Coin(DENOM, FEE)], GAS)
