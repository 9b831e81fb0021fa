"""``config/config.toml``: the node's local settings (not consensus rules)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from node.errors import ConfigError as ConfigError  # re-exported: callers catch node.config.ConfigError
from node.keys.keyring import BACKENDS as KEYRING_BACKENDS
from node.p2p import config as p2p_config
from node.p2p.config import P2PConfig
from node.storage import leveldb

T = TypeVar("T")

DEFAULT_RPC_ADDR = "127.0.0.1:26657"
DEFAULT_API_ADDR = "127.0.0.1:1317"
DEFAULT_METRICS_ADDR = "127.0.0.1:26660"


@dataclass(frozen=True)
class RPCConfig:
    laddr: str = DEFAULT_RPC_ADDR
    max_body_bytes: int = 1_000_000
    max_batch_requests: int = 1000
    max_response_bytes: int = 16 * 1024 * 1024
    max_subscription_clients: int = 100
    timeout_broadcast_tx_commit_s: float = 10.0


@dataclass(frozen=True)
class APIConfig:
    """The REST server: Cosmos LCD paths in proto3 JSON (node/rest)."""

    enable: bool = True
    address: str = DEFAULT_API_ADDR
    max_body_bytes: int = 1_000_000
    max_response_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class MempoolSettings:
    size: int = 10_000
    max_txs_bytes: int = 256 * 1024 * 1024
    max_tx_bytes: int = 64 * 1024
    cache_size: int = 20_000


@dataclass(frozen=True)
class StorageSettings:
    """LevelDB's memory (node/storage/leveldb.py): what a busy node holds once it has run a while."""

    cache_mib: int = leveldb.CACHE_MIB
    write_buffer_mib: int = leveldb.WRITE_BUFFER_MIB


@dataclass(frozen=True)
class ConsensusSettings:
    # Round r waits timeout_X_s + r * timeout_delta_s (consensus/tendermint/config.py).
    timeout_propose_s: float = 1.0
    timeout_prevote_s: float = 0.5
    timeout_precommit_s: float = 0.5
    timeout_delta_s: float = 0.25
    timeout_commit_s: float = 1.0
    create_empty_blocks: bool = True
    create_empty_blocks_interval_s: float = 0.0
    # Pending evidence kept at most (consensus/tendermint/evidence.py PoolLimits).
    evidence_pool_max_count: int = 4096
    evidence_pool_max_bytes: int = 4 * 1024 * 1024
    # Refuse to start if the validator's key signed any of the last this many blocks (0: off).
    double_sign_check_height: int = 0


@dataclass(frozen=True)
class VerifierConfig:
    """The verifier service (node/verifier.py): a validator's node checks and attests the
    compute results its operator is sampled to judge (docs/compute.md)."""

    enable: bool = False
    key: str = ""  # the validator's operator account in the keyring: it signs MsgAttest and challenges
    keyring_backend: str = "test"  # "file" reads its passphrase from DEPIND_KEYRING_PASSPHRASE
    work_dir: str = ""  # fetched outputs and saved C r commitments; "" is data/verifier
    max_work_units: int = 1 << 40  # larger jobs are left to other members
    max_output_bytes: int = 1 << 30  # 1 GiB: the largest outputs it downloads
    fetch_range_bytes: int = 4 << 20  # asked for per request
    fetch_timeout_s: float = 300.0  # for one job's whole download
    request_timeout_s: float = 30.0  # between bytes
    connect_timeout_s: float = 5.0  # to connect
    retry_after_blocks: int = 3  # after a failed fetch or check, before trying the job again
    challenge_after_failures: int = 2  # failed fetches before challenging availability; 0: never
    check_threads: int = 0  # threads for the check; 0: every core
    # Probability of auditing each other member of a checked job with a row dispute (0 to 1).
    audit_rate: float = 0.05


@dataclass(frozen=True)
class ExplorerConfig:
    """The web explorer's pages, served with the JSON-RPC at /explorer/ (node/explorer)."""

    enabled: bool = True


@dataclass(frozen=True)
class InstrumentationConfig:
    """Prometheus metrics (node/metrics), with CometBFT's ``[instrumentation]`` keys."""

    prometheus: bool = True
    prometheus_listen_addr: str = DEFAULT_METRICS_ADDR
    max_open_connections: int = 3  # scrapes served at once; 0: no limit
    namespace: str = "depind"


@dataclass(frozen=True)
class Config:
    moniker: str = "depind-node"
    log_level: str = "info"
    rpc: RPCConfig = field(default_factory=RPCConfig)
    api: APIConfig = field(default_factory=APIConfig)
    mempool: MempoolSettings = field(default_factory=MempoolSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    consensus: ConsensusSettings = field(default_factory=ConsensusSettings)
    p2p: P2PConfig = field(default_factory=P2PConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    explorer: ExplorerConfig = field(default_factory=ExplorerConfig)
    instrumentation: InstrumentationConfig = field(default_factory=InstrumentationConfig)


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
# Largest answer to one request or batch; past it the answers left are errors (-32009).
max_response_bytes = {rpc.max_response_bytes}
max_subscription_clients = {rpc.max_subscription_clients}
timeout_broadcast_tx_commit_s = {rpc.timeout_broadcast_tx_commit_s}

[api]
# REST: the Cosmos SDK's LCD paths (/cosmos/bank/v1beta1/balances/..., /cosmos/tx/v1beta1/txs)
# in proto3 JSON, as cosmpy's LedgerClient and Cosmos explorers use them. Keep it on
# 127.0.0.1 unless a proxy in front of it handles authentication and rate limits.
enable = {api_enable}
address = {api_address}
max_body_bytes = {api.max_body_bytes}
# Largest answer to one request; a larger one is refused (gRPC code 8, RESOURCE_EXHAUSTED).
max_response_bytes = {api.max_response_bytes}

[mempool]
size = {mempool.size}
max_txs_bytes = {mempool.max_txs_bytes}
max_tx_bytes = {mempool.max_tx_bytes}
cache_size = {mempool.cache_size}

[storage]
# The state database (LevelDB): its cache of blocks read from disk, and how much it writes to
# memory before it writes a table (twice this while one is written out). A node's memory grows
# until both are full; a large state reads faster with a larger cache.
cache_mib = {storage.cache_mib}
write_buffer_mib = {storage.write_buffer_mib}

[consensus]
# How long a round waits for a proposal, then for +2/3 prevotes, then for +2/3
# precommits: timeout_X + round * timeout_delta_s, so later rounds wait longer.
timeout_propose_s = {consensus.timeout_propose_s}
timeout_prevote_s = {consensus.timeout_prevote_s}
timeout_precommit_s = {consensus.timeout_precommit_s}
timeout_delta_s = {consensus.timeout_delta_s}
# After a block is committed, wait this long before starting the next height.
timeout_commit_s = {consensus.timeout_commit_s}
create_empty_blocks = {empty}
create_empty_blocks_interval_s = {consensus.create_empty_blocks_interval_s}
# Double-sign evidence waiting for a block: at most this many items and bytes. When full,
# new evidence displaces the newest item of the validator with the most, or is refused.
evidence_pool_max_count = {consensus.evidence_pool_max_count}
evidence_pool_max_bytes = {consensus.evidence_pool_max_bytes}
# Refuse to start if this validator's key signed any of the last this many blocks, which
# guards against one key running on two machines (after a restart, wait that many blocks
# first); 0: off. Without data/priv_validator_state.json the node refuses to start whenever
# the key signed any of the last 10 blocks, whatever this says.
double_sign_check_height = {consensus.double_sign_check_height}

[p2p]
# Where this node accepts peers: /ip4/<address>/tcp/<port> (or /ip6/...).
listen_addr = {listen_addr}
# Peers as /ip4/<address>/tcp/<port>/p2p/<peer id> (also ip6, dns, dns4, dns6).
# Persistent peers are dialled at start and kept connected (reconnect with back-off),
# and always admitted; seeds are dialled once at start, as first contacts.
persistent_peers = {persistent_peers}
seeds = {seeds}
# Beyond this many connected peers, a new one is refused (unless it is a persistent peer).
max_peers = {p2p.max_peers}
dial_timeout_s = {p2p.dial_timeout_s}
# Reconnect delay after n failures in a row: min(base * 2**(n-1), max).
reconnect_backoff_base_s = {p2p.reconnect_backoff_base_s}
reconnect_backoff_max_s = {p2p.reconnect_backoff_max_s}
# Gossip: topics joined, mesh degree, and how long txs are gathered into one message.
topics = {topics}
gossip_degree = {p2p.gossip_degree}
gossip_batch_interval_s = {p2p.gossip_batch_interval_s}
# Largest gossip payload or direct request/response. Keep it equal on all nodes:
# a peer refuses anything above its own limit.
max_message_bytes = {p2p.max_message_bytes}
request_timeout_s = {p2p.request_timeout_s}
# Flow control: outbound RPCs queued per peer (publishers wait at a quarter), messages
# buffered per subscription, and how long a full queue may stall before its peer is dropped.
send_queue_size = {p2p.send_queue_size}
subscription_buffer = {p2p.subscription_buffer}
send_stall_timeout_s = {p2p.send_stall_timeout_s}
# Peer scoring: each invalid message costs invalid_penalty; a peer whose score falls to
# ban_threshold (scores start at 0) is banned for ban_duration_s.
invalid_penalty = {p2p.invalid_penalty}
ban_threshold = {p2p.ban_threshold}
ban_duration_s = {p2p.ban_duration_s}

[verifier]
# Proof of useful work: when this node's validator is sampled into a compute job's
# committee, fetch the job's outputs from its provider, check them and attest (MsgAttest),
# signed by the validator's operator account: the key named here, in this home's keyring.
enable = {verifier_enable}
key = {verifier_key}
keyring_backend = {verifier_keyring_backend}
# Fetched outputs (deleted once checked) and C r commitments (kept to answer disputes);
# empty: data/verifier in this home.
work_dir = {verifier_work_dir}
# Jobs above either limit are not checked (the other members judge them).
max_work_units = {verifier.max_work_units}
max_output_bytes = {verifier.max_output_bytes}
# Downloads: bytes per request, the time for one job's outputs (never more than the blocks left
# before the attest deadline, less two, are expected to take), the time between bytes and to
# connect; after a failed fetch or check the job is tried again this many blocks later.
fetch_range_bytes = {verifier.fetch_range_bytes}
fetch_timeout_s = {verifier.fetch_timeout_s}
request_timeout_s = {verifier.request_timeout_s}
connect_timeout_s = {verifier.connect_timeout_s}
retry_after_blocks = {verifier.retry_after_blocks}
# After this many failed fetches of a job (the provider's fault: no answer, a refusal, the
# wrong bytes, too slow for the attest window), or after one when no other would end before the
# attest deadline, challenge its availability (MsgChallengeAvailability), once per job, if the
# operator account holds the compute param availability_bond; 0: never.
challenge_after_failures = {verifier.challenge_after_failures}
# Threads for Freivalds' check; 0: every core.
check_threads = {verifier.check_threads}
# After a valid check, audit each other member of the committee with this probability (0 to 1):
# a dispute carrying one row of C, drawn at random, which the member must answer from its C r;
# it holds the compute param dispute_bond from the operator account until the answer (paid to
# an honest member). With n members each is audited audit_rate x (n - 1) times a job on average:
# at 0.05 and the default committee of 3, a member that attests without reading the outputs is
# caught on about one job in ten, and loses more stake than the skipped work saves.
audit_rate = {verifier.audit_rate}

[explorer]
# The web explorer at http://<rpc laddr>/explorer/: pages that read this node's JSON-RPC and
# WebSocket (they only read). `depind explorer --node URL` serves the same pages elsewhere.
enabled = {explorer_enabled}

[instrumentation]
# Prometheus metrics at http://<prometheus_listen_addr>/metrics (docs/metrics.md lists them).
# Keep it on 127.0.0.1 unless the network in front of it is trusted.
prometheus = {prometheus}
prometheus_listen_addr = {prometheus_listen_addr}
# Scrapes served at once; past it a scrape is answered 503. 0: no limit.
max_open_connections = {instrumentation.max_open_connections}
# Metric names are <namespace>_<subsystem>_<name>; "cometbft" lets CometBFT's dashboards read
# the metrics depind shares with it (consensus_height, mempool_size, p2p_peers, ...).
namespace = {namespace}
"""


def render(config: Config) -> str:
    return TEMPLATE.format(
        moniker=_toml_string(config.moniker),
        log_level=_toml_string(config.log_level),
        laddr=_toml_string(config.rpc.laddr),
        rpc=config.rpc,
        api=config.api,
        api_enable=str(config.api.enable).lower(),
        api_address=_toml_string(config.api.address),
        mempool=config.mempool,
        storage=config.storage,
        consensus=config.consensus,
        empty=str(config.consensus.create_empty_blocks).lower(),
        p2p=config.p2p,
        listen_addr=_toml_string(config.p2p.listen_addr),
        persistent_peers=_toml_array(config.p2p.persistent_peers),
        seeds=_toml_array(config.p2p.seeds),
        topics=_toml_array(config.p2p.topics),
        verifier=config.verifier,
        verifier_enable=str(config.verifier.enable).lower(),
        verifier_key=_toml_string(config.verifier.key),
        verifier_keyring_backend=_toml_string(config.verifier.keyring_backend),
        verifier_work_dir=_toml_string(config.verifier.work_dir),
        explorer_enabled=str(config.explorer.enabled).lower(),
        instrumentation=config.instrumentation,
        prometheus=str(config.instrumentation.prometheus).lower(),
        prometheus_listen_addr=_toml_string(config.instrumentation.prometheus_listen_addr),
        namespace=_toml_string(config.instrumentation.namespace),
    )


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = "".join(
        f"\\{c}" if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{escaped}"'


def _toml_array(items: tuple[str, ...]) -> str:
    """A TOML array of basic strings, one per line."""
    if not items:
        return "[]"
    return "[\n" + "".join(f"  {_toml_string(item)},\n" for item in items) + "]"


def load(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return from_dict(data)


def from_dict(data: dict[str, object]) -> Config:
    known = {
        "moniker",
        "log_level",
        "rpc",
        "api",
        "mempool",
        "storage",
        "consensus",
        "p2p",
        "verifier",
        "explorer",
        "instrumentation",
    }
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    config = Config(
        moniker=_str(data, "moniker", Config.moniker),
        log_level=_str(data, "log_level", Config.log_level),
        rpc=_section(data, "rpc", RPCConfig),
        api=_section(data, "api", APIConfig),
        mempool=_section(data, "mempool", MempoolSettings),
        storage=_section(data, "storage", StorageSettings),
        consensus=_section(data, "consensus", ConsensusSettings),
        p2p=p2p_config.from_dict(_table(data, "p2p")),
        verifier=_section(data, "verifier", VerifierConfig),
        explorer=_section(data, "explorer", ExplorerConfig),
        instrumentation=_section(data, "instrumentation", InstrumentationConfig),
    )
    parse_laddr(config.rpc.laddr)
    check_api(config.api, config.rpc)
    check_consensus(config.consensus)
    check_storage(config.storage)
    check_verifier(config.verifier)
    check_instrumentation(config)
    return config


def check_storage(storage: StorageSettings) -> None:
    """A cache LevelDB can hold (8 MiB is its own default) and a memtable that holds a block."""
    if not 8 <= storage.cache_mib <= 1 << 20:
        raise ConfigError("storage.cache_mib must be within [8, 1048576]")
    if not 1 <= storage.write_buffer_mib <= 1 << 12:
        raise ConfigError("storage.write_buffer_mib must be within [1, 4096]")


def check_verifier(verifier: VerifierConfig) -> None:
    """An enabled verifier knows which key signs; its limits let it fetch something."""
    if verifier.enable and not verifier.key:
        raise ConfigError("verifier.enable is true but verifier.key names no key")
    if verifier.keyring_backend not in KEYRING_BACKENDS:
        raise ConfigError(f"verifier.keyring_backend must be one of {', '.join(KEYRING_BACKENDS)}")
    positive = (
        "max_output_bytes",
        "fetch_range_bytes",
        "fetch_timeout_s",
        "request_timeout_s",
        "connect_timeout_s",
    )
    for name in positive:
        if getattr(verifier, name) <= 0:
            raise ConfigError(f"verifier.{name} must be positive")
    if not 0 <= verifier.audit_rate <= 1:
        raise ConfigError("verifier.audit_rate must be within [0, 1]")


def check_instrumentation(config: Config) -> None:
    """A metrics server that can listen on a port of its own, under a valid metric name prefix."""
    settings = config.instrumentation
    address = parse_laddr(settings.prometheus_listen_addr)
    if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", settings.namespace):
        raise ConfigError(
            "instrumentation.namespace must be letters, digits and _, not starting with a digit"
        )
    if not settings.prometheus or address[1] == 0:  # port 0: the OS picks
        return
    taken = {"rpc.laddr": config.rpc.laddr, "api.address": config.api.address if config.api.enable else ""}
    for name, other in taken.items():
        if other and parse_laddr(other) == address:
            raise ConfigError(
                f"instrumentation.prometheus_listen_addr and {name} are both {other}; give each its own port"
            )


def check_api(api: APIConfig, rpc: RPCConfig) -> None:
    """A REST server that can listen, take a request and answer it, on a port of its own."""
    address = parse_laddr(api.address)
    for name in ("max_body_bytes", "max_response_bytes"):
        if getattr(api, name) <= 0:
            raise ConfigError(f"api.{name} must be positive")
    if api.enable and address[1] != 0 and address == parse_laddr(rpc.laddr):  # port 0: the OS picks
        raise ConfigError(f"api.address and rpc.laddr are both {api.address}; give each its own port")


def check_consensus(settings: ConsensusSettings) -> None:
    """Every step waits a positive time; the per-round increase may be 0; the evidence pool
    holds something."""
    positive = (
        "timeout_propose_s",
        "timeout_prevote_s",
        "timeout_precommit_s",
        "timeout_commit_s",
        "evidence_pool_max_count",
        "evidence_pool_max_bytes",
    )
    for name in positive:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"consensus.{name} must be positive")
    if settings.timeout_delta_s < 0:
        raise ConfigError("consensus.timeout_delta_s must not be negative")
    if settings.double_sign_check_height < 0:
        raise ConfigError("consensus.double_sign_check_height must not be negative")


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


def _table(data: dict[str, object], name: str) -> dict[str, object]:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    return raw


def _section(data: dict[str, object], name: str, type_: type[T]) -> T:
    raw = _table(data, name)
    fields = type_.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = set(raw) - set(fields)
    if unknown:
        raise ConfigError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    values: dict[str, object] = {}
    for key, value in raw.items():
        expected = type(getattr(type_(), key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{name}.{key} must be of type {expected.__name__}")
        if isinstance(value, int | float) and value < 0:
            raise ConfigError(f"{name}.{key} must not be negative")
        values[key] = value
    return type_(**values)
