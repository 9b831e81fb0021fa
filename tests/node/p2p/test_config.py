"""P2P settings: defaults, parsing of peer addresses, and clear errors for bad values."""

from __future__ import annotations

import pytest

from node.config import ConfigError
from node.p2p import config as p2p_config
from node.p2p.config import P2PConfig, P2PConfigError
from node.p2p.keys import NodeKey

PEER = NodeKey.generate().peer_id
OTHER = NodeKey.generate().peer_id


def test_defaults() -> None:
    config = P2PConfig()
    assert config.listen_addr == "/ip4/127.0.0.1/tcp/26656"
    assert config.gossip_batch_interval_s == 0.05
    assert config.persistent_peers == ()
    assert p2p_config.TOPIC_CONSENSUS in config.topics


def test_peer_addresses_parse_into_peer_id_and_dial_address() -> None:
    config = P2PConfig(
        persistent_peers=(f"/ip4/10.0.0.1/tcp/26656/p2p/{PEER}",),
        seeds=(f"/dns4/seed.example/tcp/1/p2p/{OTHER}",),
    )
    (peer,) = config.persistent_peer_addrs
    assert peer.peer_id == PEER
    assert str(peer.addr) == "/ip4/10.0.0.1/tcp/26656"
    assert str(peer) == f"/ip4/10.0.0.1/tcp/26656/p2p/{PEER}"
    assert config.seed_addrs[0].peer_id == OTHER


def test_from_dict_takes_toml_lists_and_integers_for_floats() -> None:
    config = p2p_config.from_dict(
        {"persistent_peers": [f"/ip4/10.0.0.1/tcp/1/p2p/{PEER}"], "dial_timeout_s": 3, "max_peers": 10}
    )
    assert config.persistent_peers == (f"/ip4/10.0.0.1/tcp/1/p2p/{PEER}",)
    assert config.dial_timeout_s == 3.0


def test_invalid_config_errors_are_config_errors() -> None:
    assert issubclass(P2PConfigError, ConfigError)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"listen_addr": "127.0.0.1:26656"}, "listen_addr"),
        ({"listen_addr": "/ip4/127.0.0.1/udp/26656"}, "listen_addr"),
        ({"listen_addr": f"/ip4/127.0.0.1/tcp/1/p2p/{PEER}"}, "listen_addr"),
        ({"persistent_peers": ("/ip4/10.0.0.1/tcp/26656",)}, "missing /p2p"),
        ({"persistent_peers": (f"/p2p/{PEER}",)}, "expected /ip4"),
        ({"persistent_peers": (f"/ip4/10.0.0.1/udp/1/p2p/{PEER}",)}, "expected /ip4"),
        ({"persistent_peers": ("/ip4/10.0.0.1/tcp/1/p2p/not-a-peer-id",)}, "not a valid multiaddr"),
        (
            {"persistent_peers": (f"/ip4/1.1.1.1/tcp/1/p2p/{PEER}", f"/ip4/2.2.2.2/tcp/2/p2p/{PEER}")},
            "more than once",
        ),
        ({"persistent_peers": f"/ip4/1.1.1.1/tcp/1/p2p/{PEER}"}, "list of multiaddrs"),
        ({"seeds": ("garbage",)}, "seeds"),
        ({"max_peers": 0}, "max_peers"),
        ({"dial_timeout_s": -1.0}, "dial_timeout_s"),
        ({"gossip_batch_interval_s": 0.0}, "gossip_batch_interval_s"),
        ({"reconnect_backoff_base_s": 2.0, "reconnect_backoff_max_s": 1.0}, "reconnect_backoff_max_s"),
        ({"max_message_bytes": 10}, "max_message_bytes"),
        ({"max_message_bytes": 1 << 30}, "max_message_bytes"),
        ({"ban_threshold": 0}, "ban_threshold"),
        ({"topics": ()}, "topics"),
        ({"topics": ("a", "a")}, "more than once"),
        ({"topics": (" padded ",)}, "invalid topic"),
        ({"send_queue_size": 0}, "send_queue_size"),
    ],
)
def test_invalid_setting(settings: dict[str, object], message: str) -> None:
    with pytest.raises(P2PConfigError, match=message):
        P2PConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"listen": "/ip4/127.0.0.1/tcp/1"}, "unknown setting"),
        ({"max_peers": "10"}, "max_peers must be of type int"),
        ({"max_peers": True}, "max_peers must be of type int"),
        ({"seeds": [1, 2]}, "seeds must be a list of strings"),
    ],
)
def test_invalid_table(table: dict[str, object], message: str) -> None:
    with pytest.raises(P2PConfigError, match=message):
        p2p_config.from_dict(table)
