"""``depind query slashing ...`` and ``depind tx slashing unjail``: the queries answered in
process over the chain of tests/vm/slashing/app_chain.py through the JSON-RPC methods
``signing_info`` and ``params``."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
import trio
from click.testing import CliRunner

from consensus import privval
from node.cli import slashing
from node.cli.main import cli
from node.home import Home
from node.node import Node
from tests.node.cli.localnet import free_port
from tests.node.cli.test_chain_info import InProcessClient
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.slashing.app_chain import ALICE_CONS, BOB_CONS, slashed_app
from vm.app import App
from vm.slashing.types import format_cons_address

VECTOR_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture(scope="module")
def app() -> App:
    return slashed_app()


@pytest.fixture
def node(app: App, monkeypatch: pytest.MonkeyPatch) -> Node:
    node = cast(Node, AppNode(app))
    monkeypatch.setattr(slashing, "Client", functools.partial(InProcessClient, node))
    return node


def test_rpc_method_takes_bech32_or_hex(node: Node) -> None:
    by_bech32 = trio.run(
        functools.partial(rpc, node, "signing_info", cons_address=format_cons_address(BOB_CONS))
    )
    by_hex = trio.run(functools.partial(rpc, node, "signing_info", cons_address=BOB_CONS.hex().upper()))
    assert by_bech32 == by_hex
    assert by_bech32["missed_blocks_counter"] == "1" and by_bech32["height"] == "3"
    missing = trio.run(functools.partial(rpc_error, node, "signing_info", cons_address=bytes(20).hex()))
    assert "SigningInfo not found" in str(missing.data)


def test_query_signing_info(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "slashing", "signing-info", format_cons_address(ALICE_CONS)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "tombstoned:    yes" in lines
    assert "jailed until:  9999-12-31T23:59:59Z" in lines


def test_query_signing_info_by_hex_as_json(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "slashing", "signing-info", BOB_CONS.hex(), "--output", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["address"] == format_cons_address(BOB_CONS) and answer["tombstoned"] is False


def test_query_signing_info_of_the_home_validator(runner: CliRunner, node: Node, tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.config_dir.mkdir(parents=True)
    privval.write_key_file(home.key_file, privval.generate_key())
    result = runner.invoke(cli, ["query", "slashing", "signing-info", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: SigningInfo not found for validator depinvalcons1"
    )  # not a validator


def test_invalid_query_signing_info(runner: CliRunner, node: Node, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["query", "slashing", "signing-info", "depinvaloper1xyz"])
    assert result.exit_code == 2 and "Invalid value for 'CONS_ADDRESS'" in result.stderr
    result = runner.invoke(cli, ["query", "slashing", "signing-info", "--home", str(tmp_path)])
    assert result.exit_code == 1
    hint = "give CONS_ADDRESS, or the --home of a validator"
    assert result.stderr == f"Error: no validator key at {Home(tmp_path).key_file}: {hint}\n"


def test_query_slashing_params(runner: CliRunner, node: Node) -> None:
    result = runner.invoke(cli, ["query", "slashing", "params"])
    assert result.exit_code == 0, result.output
    assert "slashing.signed_blocks_window = 10" in result.stdout.splitlines()
    assert "slashing.slash_fraction_downtime = 0.010000000000000000" in result.stdout.splitlines()


def test_unjail_builds_its_message_before_asking_the_node(runner: CliRunner, tmp_path: Path) -> None:
    args = ["keys", "add", "dev", "--recover", "--home", str(tmp_path), "--keyring-backend", "test"]
    assert runner.invoke(cli, args, input=VECTOR_MNEMONIC + "\n").exit_code == 0
    node = f"http://127.0.0.1:{free_port()}"  # nothing listens
    base = ["tx", "slashing", "unjail", "--home", str(tmp_path), "--keyring-backend", "test", "--node", node]
    result = runner.invoke(cli, [*base, "--from", "dev", "-y"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot reach node at ")
    result = runner.invoke(cli, [*base, "-y"])
    assert result.exit_code == 2 and "Missing option '--from'" in result.stderr
