"""node.config: config.toml rendering, strict loading and listen addresses."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.config import (
    Config,
    ConfigError,
    ConsensusSettings,
    MempoolSettings,
    RPCConfig,
    StorageSettings,
    from_dict,
    load,
    parse_laddr,
    render,
)
from node.p2p.config import P2PConfig, P2PConfigError

PEER_A = "/ip4/10.0.0.2/tcp/26656/p2p/12D3KooWS689xYPEDndWFap5imwywJMuGLAMgbecq4zELuHn1BcL"
PEER_B = "/dns4/seed.example.org/tcp/26656/p2p/12D3KooWN5i1k2ykgxzzoDbRfbMSgDxj8rSZ9ZUb42HN8chAP6Uu"

CUSTOM = Config(
    moniker="gpu-farm-7",
    log_level="debug",
    rpc=RPCConfig(
        laddr="tcp://0.0.0.0:36657",
        max_body_bytes=2_000_000,
        max_batch_requests=10,
        max_subscription_clients=3,
        timeout_broadcast_tx_commit_s=2.5,
        max_response_bytes=1 << 20,
    ),
    mempool=MempoolSettings(size=50, max_txs_bytes=1 << 20, max_tx_bytes=4096, cache_size=100),
    storage=StorageSettings(cache_mib=32, write_buffer_mib=4),
    consensus=ConsensusSettings(
        timeout_propose_s=3.0,
        timeout_prevote_s=1.5,
        timeout_precommit_s=2.0,
        timeout_delta_s=0.0,
        timeout_commit_s=0.25,
        create_empty_blocks=False,
        create_empty_blocks_interval_s=30.0,
        evidence_pool_max_count=100,
        evidence_pool_max_bytes=65_536,
        double_sign_check_height=5,
    ),
    p2p=P2PConfig(
        listen_addr="/ip4/0.0.0.0/tcp/36656",
        persistent_peers=(PEER_A, PEER_B),
        seeds=(PEER_B,),
        max_peers=7,
        dial_timeout_s=2.5,
        reconnect_backoff_base_s=0.1,
        reconnect_backoff_max_s=5.0,
        gossip_batch_interval_s=0.2,
        max_message_bytes=1 << 20,
        topics=("t/1", 'quote"and\\backslash'),
        gossip_degree=3,
        send_queue_size=64,
        subscription_buffer=128,
        send_stall_timeout_s=1.5,
        request_timeout_s=4.0,
        invalid_penalty=25,
        ban_threshold=-50,
        ban_duration_s=60.0,
    ),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def rejects(text: str, *names: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        from_dict(tomllib.loads(text))
    for name in names:
        assert name in str(caught.value)
    return caught.value


# -- round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [Config(), CUSTOM], ids=["default", "custom"])
def test_render_then_load_round_trips(tmp_path: Path, config: Config) -> None:
    assert load(write(tmp_path, render(config))) == config


def test_custom_config_differs_from_the_defaults_everywhere() -> None:
    """So the round trip above would notice a setting that render or load leaves out."""
    for section in ("rpc", "mempool", "consensus", "p2p"):
        custom, default = getattr(CUSTOM, section), getattr(Config(), section)
        same = [f.name for f in fields(custom) if getattr(custom, f.name) == getattr(default, f.name)]
        assert same == [], section
    assert CUSTOM.moniker != Config.moniker and CUSTOM.log_level != Config.log_level


def test_rendered_file_is_commented(tmp_path: Path) -> None:
    text = render(Config())
    assert text.startswith("#")
    assert all(f"\n[{section}]\n" in text for section in ("rpc", "mempool", "consensus", "p2p"))
    assert "# How long a round waits" in text and "timeout_X + round * timeout_delta_s" in text


def test_rendered_peer_lists_are_toml_arrays() -> None:
    text = render(CUSTOM)
    assert f'persistent_peers = [\n  "{PEER_A}",\n  "{PEER_B}",\n]\n' in text
    assert "seeds = []\n" in render(Config())
    assert tomllib.loads(text)["p2p"]["topics"] == ["t/1", 'quote"and\\backslash']


@pytest.mark.parametrize("moniker", ['say "hi"', "back\\slash", "tab\there", "ünïcødé 🚀", "a'b"])
def test_moniker_with_special_characters_round_trips(tmp_path: Path, moniker: str) -> None:
    config = Config(moniker=moniker)
    assert load(write(tmp_path, render(config))) == config


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.floats(min_value=0.001, max_value=1e6, allow_nan=False))
def test_render_then_parse_round_trips(moniker: str, timeout: float) -> None:
    config = Config(moniker=moniker, consensus=ConsensusSettings(timeout_commit_s=timeout))
    assert from_dict(tomllib.loads(render(config))) == config


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    assert load(write(tmp_path, "")) == Config()


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    config = load(write(tmp_path, 'moniker = "m"\n[mempool]\nsize = 5\n'))
    assert config.moniker == "m"
    assert config.mempool == MempoolSettings(size=5)
    assert config.rpc == RPCConfig()


def test_integer_for_a_float_setting() -> None:
    config = from_dict(tomllib.loads("[consensus]\ntimeout_commit_s = 2\n"))
    assert config.consensus.timeout_commit_s == 2.0
    assert isinstance(config.consensus.timeout_commit_s, float)


# -- rejections ------------------------------------------------------------------------------------


def test_invalid_unknown_top_level_setting() -> None:
    rejects('nickname = "x"\n', "nickname")


def test_invalid_unknown_section() -> None:
    rejects("[statesync]\nenable = true\n", "statesync")


@pytest.mark.parametrize("section", ["rpc", "mempool", "consensus", "p2p"])
def test_invalid_unknown_setting_in_section(section: str) -> None:
    rejects(f"[{section}]\nbogus_setting = 1\n", section, "bogus_setting")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("moniker = 5\n", "moniker"),
        ("log_level = true\n", "log_level"),
        ("[rpc]\nladdr = 26657\n", "rpc.laddr"),
        ("[rpc]\nmax_body_bytes = '1MB'\n", "rpc.max_body_bytes"),
        ("[rpc]\nmax_batch_requests = 1.5\n", "rpc.max_batch_requests"),
        ("[rpc]\ntimeout_broadcast_tx_commit_s = '10s'\n", "rpc.timeout_broadcast_tx_commit_s"),
        ("[mempool]\nsize = true\n", "mempool.size"),
        ("[mempool]\ncache_size = [1]\n", "mempool.cache_size"),
        ("[consensus]\ncreate_empty_blocks = 1\n", "consensus.create_empty_blocks"),
        ("[consensus]\ncreate_empty_blocks = 'yes'\n", "consensus.create_empty_blocks"),
        ("[consensus]\ntimeout_commit_s = true\n", "consensus.timeout_commit_s"),
        ("[consensus]\ntimeout_propose_s = '1s'\n", "consensus.timeout_propose_s"),
        ("[p2p]\nmax_peers = 1.5\n", "p2p.max_peers"),
        ("[p2p]\npersistent_peers = 'one'\n", "p2p.persistent_peers"),
        ("[p2p]\nseeds = [1]\n", "p2p.seeds"),
    ],
)
def test_invalid_wrong_type(text: str, name: str) -> None:
    rejects(text, name)


@pytest.mark.parametrize("section", ["rpc", "p2p"])
def test_invalid_section_not_a_table(section: str) -> None:
    rejects(f"{section} = 5\n", section)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("[p2p]\nlisten_addr = '127.0.0.1:26656'\n", "p2p.listen_addr"),
        ("[p2p]\npersistent_peers = ['/ip4/10.0.0.2/tcp/26656']\n", "p2p.persistent_peers"),
        ("[p2p]\nmax_peers = 0\n", "p2p.max_peers"),
        ("[p2p]\nban_threshold = 5\n", "p2p.ban_threshold"),
    ],
)
def test_invalid_p2p_setting(text: str, name: str) -> None:
    """A p2p error is a ConfigError too, so the CLI reports it like any other."""
    assert isinstance(rejects(text, name), P2PConfigError)


def test_invalid_listen_address_in_file() -> None:
    rejects("[rpc]\nladdr = 'localhost'\n", "localhost")


@pytest.mark.parametrize("value", ["0", "-1", "0.0"])
@pytest.mark.parametrize(
    "setting", ["timeout_propose_s", "timeout_prevote_s", "timeout_precommit_s", "timeout_commit_s"]
)
def test_invalid_step_timeout(setting: str, value: str) -> None:
    rejects(f"[consensus]\n{setting} = {value}\n", f"consensus.{setting}")


def test_timeout_delta_may_be_zero_but_not_negative() -> None:
    assert from_dict(tomllib.loads("[consensus]\ntimeout_delta_s = 0\n")).consensus.timeout_delta_s == 0.0
    rejects("[consensus]\ntimeout_delta_s = -0.25\n", "consensus.timeout_delta_s")
    rejects("[consensus]\nevidence_pool_max_count = 0\n", "consensus.evidence_pool_max_count")
    rejects("[consensus]\ndouble_sign_check_height = -1\n", "consensus.double_sign_check_height")
    rejects("[consensus]\nevidence_pool_max_bytes = -1\n", "consensus.evidence_pool_max_bytes")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("[storage]\ncache_mib = 7\n", "storage.cache_mib"),
        ("[storage]\ncache_mib = 1048577\n", "storage.cache_mib"),
        ("[storage]\nwrite_buffer_mib = 0\n", "storage.write_buffer_mib"),
        ("[storage]\nwrite_buffer_mib = 4097\n", "storage.write_buffer_mib"),
        ("[storage]\ncache_mib = 'big'\n", "cache_mib"),
        ("[storage]\nblock_size = 4\n", "block_size"),
    ],
)
def test_invalid_storage_setting(text: str, name: str) -> None:
    rejects(text, name)


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config\.toml"):
        load(write(tmp_path, "moniker = \n"))


def test_invalid_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "absent.toml")


# -- listen addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("laddr", "expected"),
    [
        ("127.0.0.1:26657", ("127.0.0.1", 26657)),
        ("tcp://0.0.0.0:26657", ("0.0.0.0", 26657)),
        ("localhost:0", ("localhost", 0)),
        ("node-1.example.org:443", ("node-1.example.org", 443)),
        ("[::1]:26657", ("::1", 26657)),
        ("tcp://[::]:65535", ("::", 65535)),
    ],
)
def test_parse_laddr(laddr: str, expected: tuple[str, int]) -> None:
    assert parse_laddr(laddr) == expected


@pytest.mark.parametrize(
    "laddr",
    [
        "",
        "127.0.0.1",
        ":26657",
        "127.0.0.1:",
        "127.0.0.1:65536",
        "127.0.0.1:123456",
        "127.0.0.1:-1",
        "127.0.0.1:port",
        "http://127.0.0.1:26657",
        "unix:///tmp/sock",
        "::1:26657",
        "host name:1",
    ],
)
def test_invalid_laddr(laddr: str) -> None:
    with pytest.raises(ConfigError, match="listen address"):
        parse_laddr(laddr)
