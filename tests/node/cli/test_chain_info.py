"""``depind chain-info``: Keplr's chain info from a node's ``status`` and auth params, and
the chain ids and URLs Keplr's schema refuses, each as one line and exit code 1.

Most tests answer the CLI's client from a node opened in this process; one runs the
command against a real ``depind start`` process, with ``GET /status`` as Keplr sends it."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from click.testing import CliRunner

from genesis.schema import AuthParams
from node.cli import chain_info
from node.cli.main import cli
from node.client import Client, ClientError
from node.home import Home
from node.node import Node
from node.rpc.errors import RPCError
from node.validator_home import init_solo_home
from tests.node.cli.localnet import LocalNode, free_port, run_cli
from tests.node.rpc.support import rpc

CHAIN_ID = "depind-test-1"
DEPIN = {"coinDenom": "DEPIN", "coinMinimalDenom": "udepin", "coinDecimals": 6}
BECH32 = {
    "bech32PrefixAccAddr": "depin",
    "bech32PrefixAccPub": "depinpub",
    "bech32PrefixValAddr": "depinvaloper",
    "bech32PrefixValPub": "depinvaloperpub",
    "bech32PrefixConsAddr": "depinvalcons",
    "bech32PrefixConsPub": "depinvalconspub",
}


class InProcessClient(Client):
    """The CLI's client, answered by a node in this process rather than over HTTP."""

    def __init__(self, node: Node, url: str) -> None:
        super().__init__(url)
        self.node = node

    def call(self, method: str, **params: Any) -> Any:
        try:
            return trio.run(functools.partial(rpc, self.node, method, **params))
        except RPCError as error:
            raise ClientError(f"{error.data} (code {error.code})", error.code) from None


def open_node(root: Path, chain_id: str) -> Node:
    home = Home(root)
    init_solo_home(home, "keplr", chain_id)
    return Node.open(home)


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    """A node whose chain the CLI's client reads in process."""
    opened = open_node(tmp_path / "home", CHAIN_ID)
    monkeypatch.setattr(chain_info, "Client", functools.partial(InProcessClient, opened))
    yield opened
    opened.close()


def chain_info_json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(cli, ["chain-info", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_chain_info_for_keplr(runner: CliRunner, node: Node) -> None:
    assert chain_info_json(runner) == {
        "rpc": "http://127.0.0.1:26657",
        "rest": "http://127.0.0.1:1317",
        "chainId": CHAIN_ID,
        "chainName": CHAIN_ID,
        "stakeCurrency": DEPIN,
        "bip44": {"coinType": 118},
        "bech32Config": BECH32,
        "currencies": [DEPIN],
        # the default minimum gas price is 1/100 udepin
        "feeCurrencies": [DEPIN | {"gasPriceStep": {"low": 0.01, "average": 0.0125, "high": 0.02}}],
        "features": [],
    }


def test_chain_info_urls_and_name(runner: CliRunner, node: Node) -> None:
    info = chain_info_json(
        runner,
        "--rpc",
        "https://rpc.example.com",
        "--rest",
        "https://rest.example.com:443/",
        "--chain-name",
        "DePIN devnet",
    )
    assert (info["rpc"], info["rest"]) == ("https://rpc.example.com", "https://rest.example.com:443/")
    assert (info["chainId"], info["chainName"]) == (CHAIN_ID, "DePIN devnet")


def test_chain_info_rpc_defaults_to_the_node_url(runner: CliRunner, node: Node) -> None:
    assert chain_info_json(runner, "--node", "tcp://10.0.0.5:26657")["rpc"] == "http://10.0.0.5:26657"
    assert chain_info_json(runner, "--node", "10.0.0.5:26657")["rpc"] == "http://10.0.0.5:26657"


def test_describe_follows_the_auth_params() -> None:
    auth = AuthParams(min_gas_price_numerator=3, min_gas_price_denominator=200, fee_denom="ufee")
    info = chain_info.describe("c-1", "c", "http://a", "http://b", auth)
    fee = {"coinDenom": "ufee", "coinMinimalDenom": "ufee", "coinDecimals": 0}
    assert info["currencies"] == [DEPIN, fee]
    assert info["feeCurrencies"] == [fee | {"gasPriceStep": {"low": 0.015, "average": 0.01875, "high": 0.03}}]
    assert chain_info.keplr_problems(info) == []


def test_invalid_chain_info_chain_id_too_long(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain_id = "depind-a-rather-long-devnet-id-1"  # 32 characters: a valid chain id, too long for Keplr
    opened = open_node(tmp_path / "home", chain_id)
    monkeypatch.setattr(chain_info, "Client", functools.partial(InProcessClient, opened))
    try:
        result = runner.invoke(cli, ["chain-info"])
    finally:
        opened.close()
    too_long = "has 32 characters; Keplr takes 1 to 30"
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (  # the name defaults to the chain id
        "Error: Keplr would refuse this chain info: "
        f"chainId {chain_id!r} {too_long}; chainName {chain_id!r} {too_long}\n"
    )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--rpc", "ftp://rpc.example.com"], "rpc 'ftp://rpc.example.com' is not an http(s) URL with a host"),
        (["--rest", "http://"], "rest 'http://' is not an http(s) URL with a host"),
        (["--rest", "http://host:99999"], "rest 'http://host:99999' is not an http(s) URL with a host"),
        (["--rpc", "http://rpc.example.com/?a=1"], "rpc 'http://rpc.example.com/?a=1' has a query string"),
        (["--chain-name", ""], "chainName '' has 0 characters; Keplr takes 1 to 30"),
        (["--chain-name", "x" * 31], f"chainName '{'x' * 31}' has 31 characters; Keplr takes 1 to 30"),
    ],
)
def test_invalid_chain_info_options(runner: CliRunner, node: Node, args: list[str], problem: str) -> None:
    result = runner.invoke(cli, ["chain-info", *args])
    assert result.exit_code == 1
    assert result.stderr == f"Error: Keplr would refuse this chain info: {problem}\n"


def test_invalid_chain_info_node_unreachable(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["chain-info", "--node", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach node at http://127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_chain_info_from_a_running_node(tmp_path: Path) -> None:
    running = LocalNode.start(tmp_path / "home")
    try:
        result = run_cli("chain-info", "--node", running.url, "--chain-name", "depind dev")
        status = httpx.get(f"{running.url}/status", timeout=10.0)  # as Keplr asks
    finally:
        running.stop()
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert status.status_code == 200
    assert info["chainId"] == status.json()["result"]["node_info"]["network"]
    assert (info["rpc"], info["chainName"]) == (running.url, "depind dev")
