"""``[instrumentation]`` in config.toml: CometBFT's keys, defaults that serve 127.0.0.1:26660,
and the settings that cannot work refused in one line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from node import config as node_config
from node.config import APIConfig, Config, ConfigError, InstrumentationConfig, RPCConfig, from_dict, render
from node.home import Home
from node.testnet import create_testnet
from node.validator_home import init_solo_home


def test_defaults_serve_depind_metrics_on_127_0_0_1_26660() -> None:
    assert Config().instrumentation == InstrumentationConfig(
        prometheus=True, prometheus_listen_addr="127.0.0.1:26660", max_open_connections=3, namespace="depind"
    )


def test_init_writes_the_section_with_its_defaults(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    init_solo_home(home, "n", "metrics-1")
    text = home.config_file.read_text()
    assert "[instrumentation]" in text
    assert tomllib.loads(text)["instrumentation"] == {
        "prometheus": True,
        "prometheus_listen_addr": "127.0.0.1:26660",
        "max_open_connections": 3,
        "namespace": "depind",
    }
    assert node_config.load(home.config_file).instrumentation == InstrumentationConfig()


def test_custom_settings_round_trip() -> None:
    custom = InstrumentationConfig(
        prometheus=False, prometheus_listen_addr="0.0.0.0:9100", max_open_connections=0, namespace="cometbft"
    )
    config = Config(instrumentation=custom)
    assert from_dict(tomllib.loads(render(config))) == config


def test_testnet_gives_each_node_its_own_metrics_port(tmp_path: Path) -> None:
    """node0 keeps CometBFT's 26660; every node's metrics port is distinct from all others."""
    nodes = create_testnet(tmp_path / "net", 3)
    ports: set[int] = set()
    for index, node in enumerate(nodes):
        config = node_config.load(node.home.config_file)
        assert config.instrumentation.prometheus_listen_addr == node.metrics_laddr
        assert node.metrics_laddr == f"127.0.0.1:{26656 + 10 * index + 4}"
        ports |= {node.p2p_port, node.rpc_port, node.rest_port, node.metrics_port}
    assert len(ports) == 12


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"prometheus": "yes"}, "instrumentation.prometheus must be of type bool"),
        ({"max_open_connections": -1}, "instrumentation.max_open_connections must not be negative"),
        ({"prometheus_listen_addr": ":26660"}, "invalid listen address"),
        ({"namespace": "depind-1"}, "instrumentation.namespace must be letters, digits and _"),
        ({"namespace": "1depind"}, "instrumentation.namespace must be letters, digits and _"),
        ({"port": 26660}, r"unknown setting\(s\) in \[instrumentation\]: port"),
    ],
)
def test_invalid_instrumentation(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        from_dict({"instrumentation": table})


@pytest.mark.parametrize(
    ("config", "other"),
    [
        (Config(rpc=RPCConfig(laddr="127.0.0.1:26660")), "rpc.laddr"),
        (Config(api=APIConfig(address="127.0.0.1:26660")), "api.address"),
    ],
)
def test_invalid_metrics_port_shared_with_another_server(config: Config, other: str) -> None:
    with pytest.raises(ConfigError, match=f"instrumentation.prometheus_listen_addr and {other} are both"):
        from_dict(tomllib.loads(render(config)))


def test_a_shared_port_is_fine_when_either_server_is_off() -> None:
    off = InstrumentationConfig(prometheus=False)
    from_dict(tomllib.loads(render(Config(rpc=RPCConfig(laddr="127.0.0.1:26660"), instrumentation=off))))
    api_off = APIConfig(enable=False, address="127.0.0.1:26660")
    from_dict(tomllib.loads(render(Config(api=api_off))))
