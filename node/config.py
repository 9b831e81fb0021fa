"""``config/config.toml``: the node's local settings (not consensus rules)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

DEFAULT_RPC_ADDR = "127.0.0.1:26657"


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class RPCConfig:
    laddr: str = DEFAULT_RPC_ADDR
    max_body_bytes: int = 1_000_000
    max_batch_requests: int = 1000
    max_subscription_clients: int = 100
    timeout_broadcast_tx_commit_s: float = 10.0


@dataclass(frozen=True)
class MempoolSettings:
    size: int = 10_000
    max_txs_bytes: int = 256 * 1024 * 1024
    max_tx_bytes: int = 64 * 1024
    cache_size: int = 20_000


@dataclass(frozen=True)
class ConsensusSettings:
    timeout_commit_s: float = 1.0
    create_empty_blocks: bool = True
    create_empty_blocks_interval_s: float = 0.0


@dataclass(frozen=True)
class Config:
    moniker: str = "depind-node"
    log_level: str = "info"
    rpc: RPCConfig = field(default_factory=RPCConfig)
    mempool: MempoolSettings = field(default_factory=MempoolSettings)
    consensus: ConsensusSettings = field(default_factory=ConsensusSettings)


TEMPLATE = """\
# depind node configuration. Durations are in seconds.
moniker = {moniker}
log_level = {log_level}

[rpc]
# JSON-RPC over HTTP (POST /) and WebSocket (/websocket). Keep it on 127.0.0.1
# unless a proxy in front of it handles authentication and rate limits.
laddr = {laddr}
max_body_bytes = {rpc.max_body_bytes}
max_batch_requests = {rpc.max_batch_requests}
max_subscription_clients = {rpc.max_subscription_clients}
timeout_broadcast_tx_commit_s = {rpc.timeout_broadcast_tx_commit_s}

[mempool]
size = {mempool.size}
max_txs_bytes = {mempool.max_txs_bytes}
max_tx_bytes = {mempool.max_tx_bytes}
cache_size = {mempool.cache_size}

[consensus]
timeout_commit_s = {consensus.timeout_commit_s}
create_empty_blocks = {empty}
create_empty_blocks_interval_s = {consensus.create_empty_blocks_interval_s}
"""


def render(config: Config) -> str:
    return TEMPLATE.format(
        moniker=_toml_string(config.moniker),
        log_level=_toml_string(config.log_level),
        laddr=_toml_string(config.rpc.laddr),
        rpc=config.rpc,
        mempool=config.mempool,
        consensus=config.consensus,
        empty=str(config.consensus.create_empty_blocks).lower(),
    )


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = "".join(
        f"\\{c}" if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{escaped}"'


def load(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return from_dict(data)


def from_dict(data: dict[str, object]) -> Config:
    known = {"moniker", "log_level", "rpc", "mempool", "consensus"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    config = Config(
        moniker=_str(data, "moniker", Config.moniker),
        log_level=_str(data, "log_level", Config.log_level),
        rpc=_section(data, "rpc", RPCConfig),
        mempool=_section(data, "mempool", MempoolSettings),
        consensus=_section(data, "consensus", ConsensusSettings),
    )
    parse_laddr(config.rpc.laddr)
    if config.consensus.timeout_commit_s <= 0:
        raise ConfigError("consensus.timeout_commit_s must be positive")
    return config


def parse_laddr(laddr: str) -> tuple[str, int]:
    """``host:port`` or ``tcp://host:port``."""
    match = re.fullmatch(r"(?:tcp://)?([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})", laddr)
    if match is None or not 0 <= int(match.group(2)) <= 65535:
        raise ConfigError(f"invalid listen address {laddr!r}: expected host:port")
    return match.group(1).strip("[]"), int(match.group(2))


def _str(data: dict[str, object], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string")
    return value


def _section(data: dict[str, object], name: str, type_: type[T]) -> T:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    fields = type_.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = set(raw) - set(fields)
    if unknown:
        raise ConfigError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    for key, value in raw.items():
        expected = type(getattr(type_(), key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            raw[key] = float(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{name}.{key} must be of type {expected.__name__}")
        if expected in (int, float) and raw[key] < 0:
            raise ConfigError(f"{name}.{key} must not be negative")
    return type_(**raw)
