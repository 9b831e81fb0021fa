"""The genesis document: chain identity, consensus parameters, validators and
each module's initial state, as JSON (``config/genesis.json``).

These are plain data shapes with defaults; the chain's modules (vm/) own the
rules that turn them into state, and ``genesis.validate`` checks what can be
checked without them.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, TypeVar

import msgspec

Uint64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Positive = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]

DEFAULT_DENOM = "udepin"
DISPLAY_DENOM = "DEPIN"  # 1 DEPIN = 10**6 udepin


class Doc(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every genesis JSON object: unknown keys are an error."""


class CoinJSON(Doc):
    denom: str
    amount: Uint64


class BlockParams(Doc):
    max_bytes: Positive = 4 * 1024 * 1024
    max_gas: int = 1_000_000_000  # -1 means unlimited, as in CometBFT
    max_tx_bytes: Positive = 64 * 1024  # larger txs are invalid in any block


class EvidenceParams(Doc):
    max_age_num_blocks: Positive = 100_000
    max_bytes: Uint64 = 1024 * 1024


class ValidatorParams(Doc):
    pub_key_types: list[str] = msgspec.field(default_factory=lambda: ["ed25519"])


class ConsensusParams(Doc):
    block: BlockParams = msgspec.field(default_factory=BlockParams)
    evidence: EvidenceParams = msgspec.field(default_factory=EvidenceParams)
    validator: ValidatorParams = msgspec.field(default_factory=ValidatorParams)

    def hash(self) -> bytes:
        """The header's ``consensus_hash``: SHA-256 of the params' canonical JSON."""
        return hashlib.sha256(msgspec.json.encode(self)).digest()


class GenesisValidator(Doc):
    address: str  # hex of the first 20 bytes of SHA-256(pub_key), as CometBFT
    pub_key: str  # base64 of the 32-byte ed25519 public key
    power: Positive
    name: str = ""


# Module parameters. Integer fixed point only: no floats reach state.


class AuthParams(Doc):
    max_memo_characters: Positive = 256
    tx_size_cost_per_byte: Uint64 = 10
    sig_verify_cost_secp256k1: Uint64 = 1000
    # Minimum gas price as a fraction: fee >= ceil(gas_limit * numerator / denominator).
    min_gas_price_numerator: Uint64 = 1
    min_gas_price_denominator: Positive = 100
    fee_denom: str = DEFAULT_DENOM


class BankParams(Doc):
    default_send_enabled: bool = True  # Cosmos bank Params; per-denom send_enabled is not supported


class ProviderParams(Doc):
    min_collateral: CoinJSON = msgspec.field(
        default_factory=lambda: CoinJSON(denom=DEFAULT_DENOM, amount=1_000_000)
    )
    unbonding_blocks: Positive = 100
    max_exits_per_block: Positive = 100  # collateral releases per block; the rest wait a block


class GenesisAccount(Doc):
    address: str
    pub_key: str = ""  # optional base64 of a 33-byte secp256k1 key
    account_number: Uint64 | None = None  # None: the next free number
    sequence: Uint64 = 0


class Balance(Doc):
    address: str
    coins: list[CoinJSON]


class AuthGenesis(Doc):
    params: AuthParams = msgspec.field(default_factory=AuthParams)
    accounts: list[GenesisAccount] = msgspec.field(default_factory=list)


class BankGenesis(Doc):
    params: BankParams = msgspec.field(default_factory=BankParams)
    balances: list[Balance] = msgspec.field(default_factory=list)
    supply: list[CoinJSON] = msgspec.field(default_factory=list)  # empty: computed from balances


class GpuJSON(Doc):
    model: str
    memory_mib: Positive
    compute_capability: str  # "major.minor", e.g. "8.9"
    count: Positive
    uuid_hashes: list[str] = msgspec.field(default_factory=list)  # hex SHA-256 of NVML UUIDs


class ProviderJSON(Doc):
    owner: str
    gpus: list[GpuJSON]
    region: str
    endpoint: str
    price_hint: CoinJSON
    collateral: CoinJSON
    status: str = "active"
    registered_height: Uint64 = 0
    exit_height: Uint64 = 0


class ProviderGenesis(Doc):
    params: ProviderParams = msgspec.field(default_factory=ProviderParams)
    providers: list[ProviderJSON] = msgspec.field(default_factory=list)


S = TypeVar("S", bound=msgspec.Struct)


def app_state(**sections: msgspec.Struct) -> dict[str, Any]:
    """An ``app_state`` object from typed module sections (a missing module gets its defaults)."""
    return {name: msgspec.to_builtins(section) for name, section in sections.items()}


def get_section(doc: GenesisDoc, name: str, type_: type[S]) -> S:
    """One module's section of ``app_state``, typed (its defaults when absent)."""
    try:
        return msgspec.convert(doc.app_state.get(name, {}), type_)
    except msgspec.ValidationError as exc:
        raise ValueError(f"app_state.{name}: {exc}") from None


def set_section(doc: GenesisDoc, name: str, section: msgspec.Struct) -> None:
    doc.app_state[name] = msgspec.to_builtins(section)


class GenesisDoc(Doc):
    genesis_time: str  # RFC 3339, UTC
    chain_id: str
    initial_height: Positive = 1
    consensus_params: ConsensusParams = msgspec.field(default_factory=ConsensusParams)
    validators: list[GenesisValidator] = msgspec.field(default_factory=list)
    app_hash: str = ""
    # Each module's section under its name; the application's module registry decides
    # which sections exist and checks each one.
    app_state: dict[str, Any] = msgspec.field(default_factory=dict)
