"""The ``[api]`` section of config.toml (strict like every other section), the REST port
of ``depind init`` and of each ``depind testnet`` node, and the server refusing a port
in use with one clear line."""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

import pytest
import trio

from node import config as node_config
from node.config import APIConfig, Config, ConfigError, RPCConfig, from_dict, render
from node.home import Home
from node.node import Node
from node.rest import server
from node.testnet import ACCOUNTS_FILE, create_testnet
from node.validator_home import init_solo_home

CUSTOM = APIConfig(enable=False, address="tcp://0.0.0.0:1318", max_body_bytes=2048, max_response_bytes=4096)


def rejects(text: str, *names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_dict(tomllib.loads(text))
    for name in names:
        assert name in str(caught.value)


def test_defaults_serve_rest_on_1317() -> None:
    assert (APIConfig().enable, APIConfig().address) == (True, "127.0.0.1:1317")


@pytest.mark.parametrize("api", [APIConfig(), CUSTOM], ids=["default", "custom"])
def test_render_then_parse_round_trips(api: APIConfig) -> None:
    config = Config(api=api)
    text = render(config)
    assert "\n[api]\n" in text
    assert from_dict(tomllib.loads(text)) == config


def test_custom_differs_from_the_defaults_everywhere() -> None:
    default = APIConfig()
    assert all(getattr(CUSTOM, name) != getattr(default, name) for name in APIConfig.__dataclass_fields__)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[api]\nbogus = 1\n", ("api", "bogus")),
        ("[api]\nenable = 1\n", ("api.enable",)),
        ("[api]\naddress = 1317\n", ("api.address",)),
        ("[api]\naddress = 'localhost'\n", ("localhost",)),
        ("[api]\nmax_body_bytes = 0\n", ("api.max_body_bytes",)),
        ("[api]\nmax_response_bytes = -5\n", ("api.max_response_bytes",)),
        ("[api]\nmax_body_bytes = true\n", ("api.max_body_bytes",)),
        ("api = 5\n", ("[api]",)),
        ("[rpc]\nladdr = '127.0.0.1:1317'\n", ("api.address", "rpc.laddr")),
    ],
)
def test_invalid_api_settings(text: str, names: tuple[str, ...]) -> None:
    rejects(text, *names)


def test_rpc_port_may_be_reused_when_rest_is_off() -> None:
    config = Config(rpc=RPCConfig(laddr="127.0.0.1:1317"), api=APIConfig(enable=False))
    assert from_dict(tomllib.loads(render(config))) == config


def test_init_serves_rest_on_1317(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    init_solo_home(home, "n", "init-1")
    assert node_config.load(home.config_file).api == APIConfig()


def test_testnet_gives_each_node_its_own_rest_port(tmp_path: Path) -> None:
    nodes = create_testnet(tmp_path / "net", 3, starting_port=30_000)
    ports = set()
    for index, node in enumerate(nodes):
        config = node_config.load(node.home.config_file)
        assert config.api.address == node.rest_laddr == f"127.0.0.1:{30_000 + 10 * index + 2}"
        ports |= {node.p2p_port, node.rpc_port, node.rest_port}
    assert len(ports) == 9
    summary = json.loads((tmp_path / "net" / ACCOUNTS_FILE).read_text())
    assert [entry["rest_laddr"] for entry in summary["nodes"]] == [node.rest_laddr for node in nodes]


def test_invalid_testnet_whose_rest_ports_pass_65535(tmp_path: Path) -> None:
    from node.testnet import LocalnetError

    with pytest.raises(LocalnetError, match="65535"):
        create_testnet(tmp_path / "net", 2, starting_port=65_525)


async def test_invalid_rest_port_in_use(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    init_solo_home(home, "n", "busy-1")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = node_config.load(home.config_file)
        api = APIConfig(address=f"127.0.0.1:{port}")
        home.config_file.write_text(render(Config(moniker=config.moniker, rpc=config.rpc, api=api)))
        node = Node.open(home)
        try:
            expected = r"REST server \(\[api\] address\) cannot listen on"
            with trio.fail_after(10), pytest.raises(OSError, match=expected):
                await server.serve(node)
        finally:
            node.close()


async def test_disabled_rest_serves_nothing(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    init_solo_home(home, "n", "off-1")
    home.config_file.write_text(render(Config(api=APIConfig(enable=False, address="127.0.0.1:1"))))
    node = Node.open(home)
    try:
        with trio.fail_after(10):
            await server.serve(node)  # returns at once: the address is not even bound
    finally:
        node.close()
