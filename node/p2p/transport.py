"""The libp2p host: TCP, Noise only, yamux, and connection limits that leave dialling to us."""

from __future__ import annotations

from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.x25519 import X25519PrivateKey
from libp2p.custom_types import TProtocol
from libp2p.network.config import ConnectionConfig, RetryConfig
from libp2p.network.swarm import Swarm
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux

from node.p2p.config import P2PConfig
from node.p2p.errors import P2PError
from node.p2p.keys import NodeKey


def build_host(key: NodeKey, config: P2PConfig) -> IHost:
    key_pair = key.key_pair
    noise = NoiseTransport(key_pair, noise_privkey=X25519PrivateKey.new())
    connections = ConnectionConfig(
        max_connections=2 * config.max_peers + len(config.persistent_peers),
        high_watermark=2 * config.max_peers + len(config.persistent_peers),
        low_watermark=0,  # we dial; libp2p's auto-connector is stopped (P2PNode._serve)
        min_connections=0,
        # With 1, a dial returns as soon as it connects instead of waiting out the 250 ms
        # happy-eyeballs delay for a second connection.
        max_connections_per_peer=1,
        dial_timeout=config.dial_timeout_s,
    )
    host = new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},  # Noise only: the default also offers TLS, secio, plaintext
        muxer_opt={TProtocol(YAMUX_PROTOCOL_ID): Yamux},
        connection_config=connections,
    )
    swarm_of(host).retry_config = RetryConfig(max_retries=0)  # its retries add jitter to our back-off
    return host


def swarm_of(host: IHost) -> Swarm:
    network = host.get_network()
    if not isinstance(network, Swarm):
        raise P2PError(f"unexpected libp2p network type {type(network).__name__}")
    return network


def check_listening(host: IHost, listen_addr: str) -> None:
    """libp2p logs a failed listen (port in use) at debug level and carries on; we refuse to."""
    if not swarm_of(host).listeners:
        raise P2PError(f"cannot listen on {listen_addr} (address in use or not local?)")
