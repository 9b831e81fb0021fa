"""P2P settings: where to listen, whom to dial, limits and timings.

A frozen dataclass validated on construction, so a bad value fails at start
with a message naming the setting. ``node/config.py`` embeds it as ``[p2p]``;
``from_dict`` takes that table (TOML gives lists where the fields are tuples).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import NewType

import multiaddr
from multiaddr.exceptions import ParseError

from node.errors import ConfigError

PeerId = NewType("PeerId", str)
"""A libp2p peer id in its text form (base58), as in ``/p2p/<peer id>``."""

TOPIC_CONSENSUS = "depind/consensus/1"
TOPIC_TXS = "depind/txs/1"
TOPIC_EVIDENCE = "depind/evidence/1"
DEFAULT_TOPICS = (TOPIC_CONSENSUS, TOPIC_TXS, TOPIC_EVIDENCE)
DEFAULT_LISTEN_ADDR = "/ip4/127.0.0.1/tcp/26656"

_HOST_PROTOCOLS = {"ip4", "ip6", "dns", "dns4", "dns6"}
_MIN_MESSAGE_BYTES = 128 * 1024  # a block part (64 KiB) with its proposal and proof fits
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class P2PConfigError(ConfigError):
    """A p2p setting that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class PeerAddr:
    """A dialable address with the peer id it must authenticate as."""

    peer_id: PeerId
    addr: multiaddr.Multiaddr  # without the /p2p part

    def __str__(self) -> str:
        return f"{self.addr}/p2p/{self.peer_id}"


@dataclass(frozen=True)
class P2PConfig:
    listen_addr: str = DEFAULT_LISTEN_ADDR
    # Dialled at start and kept connected (reconnect with back-off); always admitted.
    persistent_peers: tuple[str, ...] = ()
    # Dialled once at start; there is no peer exchange yet, so seeds are just first contacts.
    seeds: tuple[str, ...] = ()
    max_peers: int = 50
    dial_timeout_s: float = 5.0
    # Reconnect delay after n failures in a row: min(base * 2**(n-1), max); no jitter.
    reconnect_backoff_base_s: float = 0.5
    reconnect_backoff_max_s: float = 30.0
    gossip_batch_interval_s: float = 0.05
    # Largest gossip payload or direct request/response. Keep it equal on all nodes: a peer
    # refuses anything above its own limit.
    max_message_bytes: int = 4 * 1024 * 1024
    topics: tuple[str, ...] = DEFAULT_TOPICS
    gossip_degree: int = 6
    # Per-peer outbound queue, in RPCs (libp2p: 32, then silent drops). Publishers wait at a quarter.
    send_queue_size: int = 4096
    # Messages buffered per subscription before a slow consumer loses them (counted and logged).
    subscription_buffer: int = 8192
    # A peer whose queue stays full this long is disconnected instead of stalling every publisher.
    send_stall_timeout_s: float = 10.0
    request_timeout_s: float = 10.0
    # Peer scoring: each invalid report costs a penalty; at or below the threshold the peer is banned.
    invalid_penalty: int = 10
    ban_threshold: int = -100
    ban_duration_s: float = 600.0

    def __post_init__(self) -> None:
        parse_listen_addr(self.listen_addr)
        validate_peer_list("persistent_peers", self.persistent_peers)
        validate_peer_list("seeds", self.seeds)
        _check_positive(self, "max_peers", "dial_timeout_s", "reconnect_backoff_base_s")
        _check_positive(self, "reconnect_backoff_max_s", "gossip_batch_interval_s", "gossip_degree")
        _check_positive(self, "send_queue_size", "subscription_buffer", "send_stall_timeout_s")
        _check_positive(self, "request_timeout_s", "invalid_penalty", "ban_duration_s")
        if self.reconnect_backoff_max_s < self.reconnect_backoff_base_s:
            raise P2PConfigError("p2p.reconnect_backoff_max_s must be >= p2p.reconnect_backoff_base_s")
        if not _MIN_MESSAGE_BYTES <= self.max_message_bytes <= _MAX_MESSAGE_BYTES:
            raise P2PConfigError(
                f"p2p.max_message_bytes must be between {_MIN_MESSAGE_BYTES} and {_MAX_MESSAGE_BYTES}"
            )
        if self.ban_threshold >= 0:
            raise P2PConfigError("p2p.ban_threshold must be negative (scores start at 0)")
        validate_topics(self.topics)

    @property
    def persistent_peer_addrs(self) -> tuple[PeerAddr, ...]:
        return tuple(parse_peer_addr(text) for text in self.persistent_peers)

    @property
    def seed_addrs(self) -> tuple[PeerAddr, ...]:
        return tuple(parse_peer_addr(text) for text in self.seeds)


def from_dict(data: Mapping[str, object]) -> P2PConfig:
    """A ``[p2p]`` table: unknown keys and wrong types are errors; lists become tuples."""
    known = {f.name: f for f in fields(P2PConfig)}
    unknown = set(data) - set(known)
    if unknown:
        raise P2PConfigError(f"unknown setting(s) in [p2p]: {', '.join(sorted(unknown))}")
    values = {key: _coerce(key, value, getattr(P2PConfig, key)) for key, value in data.items()}
    return P2PConfig(**values)  # type: ignore[arg-type]


def parse_listen_addr(text: str) -> multiaddr.Multiaddr:
    addr = _parse_multiaddr("p2p.listen_addr", text)
    names = [p.name for p in addr.protocols()]
    if len(names) != 2 or names[0] not in {"ip4", "ip6"} or names[1] != "tcp":
        raise P2PConfigError(f"p2p.listen_addr {text!r}: expected /ip4/<address>/tcp/<port>")
    return addr


def parse_peer_addr(text: str, setting: str = "peer address") -> PeerAddr:
    """``/ip4/<address>/tcp/<port>/p2p/<peer id>`` (or ip6 / dns / dns4 / dns6)."""
    addr = _parse_multiaddr(setting, text)
    names = [p.name for p in addr.protocols()]
    peer_id = addr.get_peer_id()
    if names[-1:] != ["p2p"] or peer_id is None:
        raise P2PConfigError(f"{setting} {text!r}: missing /p2p/<peer id>")
    if len(names) != 3 or names[0] not in _HOST_PROTOCOLS or names[1] != "tcp":
        raise P2PConfigError(f"{setting} {text!r}: expected /ip4/<address>/tcp/<port>/p2p/<peer id>")
    return PeerAddr(PeerId(peer_id), addr.decapsulate(multiaddr.Multiaddr(f"/p2p/{peer_id}")))


def validate_peer_list(setting: str, entries: tuple[str, ...]) -> None:
    if not isinstance(entries, tuple):
        raise P2PConfigError(f"p2p.{setting} must be a list of multiaddrs")
    ids = [parse_peer_addr(text, f"p2p.{setting}").peer_id for text in entries]
    duplicates = sorted({peer for peer in ids if ids.count(peer) > 1})
    if duplicates:
        raise P2PConfigError(f"p2p.{setting} lists peer {duplicates[0]} more than once")


def validate_topics(topics: tuple[str, ...]) -> None:
    if not isinstance(topics, tuple) or not topics:
        raise P2PConfigError("p2p.topics must be a non-empty list of topic names")
    for topic in topics:
        if not isinstance(topic, str) or not topic or topic != topic.strip():
            raise P2PConfigError(f"p2p.topics: invalid topic name {topic!r}")
    if len(set(topics)) != len(topics):
        raise P2PConfigError("p2p.topics lists a topic more than once")


def _parse_multiaddr(setting: str, text: object) -> multiaddr.Multiaddr:
    if not isinstance(text, str):
        raise P2PConfigError(f"{setting} must be a multiaddr string, not {type(text).__name__}")
    try:
        return multiaddr.Multiaddr(text)
    except (ParseError, ValueError) as exc:
        raise P2PConfigError(f"{setting} {text!r} is not a valid multiaddr: {exc}") from None


def _check_positive(config: P2PConfig, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise P2PConfigError(f"p2p.{name} must be a positive number, got {value!r}")


def _coerce(key: str, value: object, default: object) -> object:
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise P2PConfigError(f"p2p.{key} must be a list of strings")
        return tuple(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        raise P2PConfigError(f"p2p.{key} must be of type {type(default).__name__}")
    return value
