"""``depind query mint ...`` and the JSON-RPC methods behind them (``inflation``,
``annual_provisions``, ``params``), answered in process by an application whose module
list has the mint module (tests/vm/mint/chain.py); the chain's own list does not have it
yet."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import cast

import pytest
import trio
from click.testing import CliRunner

from node.cli import query
from node.cli.main import cli
from node.node import Node
from tests.node.cli.test_chain_info import InProcessClient
from tests.node.rpc.support import rpc
from tests.vm.helpers import apply_block
from tests.vm.mint.chain import mint_app
from vm.app import App


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Node:
    app = mint_app()
    apply_block(app, [])
    node = cast(Node, AppNode(app))
    monkeypatch.setattr(query, "Client", functools.partial(InProcessClient, node))
    return node


def test_rpc_methods(node: Node) -> None:
    assert trio.run(rpc, node, "inflation") == {"inflation": "0.130000020597257079", "height": "1"}
    answer = trio.run(rpc, node, "annual_provisions")
    assert answer == {"annual_provisions": "130000020597257.079000000000000000", "height": "1"}


def test_query_mint_inflation(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "mint", "inflation"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "0.130000020597257079\n"


def test_query_mint_annual_provisions_as_json(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "mint", "annual-provisions", "--output", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["annual_provisions"] == "130000020597257.079000000000000000"


def test_query_mint_params(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "mint", "params"])
    assert result.exit_code == 0, result.output
    assert "mint.pouw_reward_share = 0.100000000000000000" in result.stdout.splitlines()
    assert "mint.goal_bonded = 0.670000000000000000" in result.stdout.splitlines()
