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
Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000)]  # basis points: 10,000 is 100%

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
    # Evidence expires once older than both ages, blocks and time (as CometBFT).
    max_age_num_blocks: Positive = 100_000
    max_age_duration_ns: Positive = 48 * 3600 * 10**9  # CometBFT's default, 48 hours
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
    # Reputation is an integer in [0, max_reputation]; a new provider starts at the neutral
    # initial_reputation, and lease outcomes move it (the market's reputation_* params).
    initial_reputation: Uint64 = 5_000
    max_reputation: Positive = 10_000


class StakingParams(Doc):
    """Cosmos's x/staking params, with the unbonding period in blocks (a devnet's scale)."""

    unbonding_blocks: Positive = 100
    max_validators: Annotated[int, msgspec.Meta(ge=1, le=2**32 - 1)] = 100
    max_entries: Annotated[int, msgspec.Meta(ge=1, le=2**32 - 1)] = 7  # per (delegator, validator(s))
    bond_denom: str = DEFAULT_DENOM
    min_commission_rate: str = "0.000000000000000000"  # a Cosmos LegacyDec
    power_reduction: Positive = 1_000_000  # tokens per unit of consensus power
    # Matured unbondings, redelegations and validators completed per block; the rest wait a block.
    max_completions_per_block: Positive = 100


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
    reputation: Uint64 | None = None  # None: the params' initial_reputation
    measured_capacity: Uint64 = 0  # set by capacity challenges (vm/compute)


class ProviderGenesis(Doc):
    params: ProviderParams = msgspec.field(default_factory=ProviderParams)
    providers: list[ProviderJSON] = msgspec.field(default_factory=list)


class DescriptionJSON(Doc):
    moniker: str = ""
    identity: str = ""
    website: str = ""
    security_contact: str = ""
    details: str = ""


class CommissionRatesJSON(Doc):
    rate: str  # LegacyDec text, e.g. "0.100000000000000000"
    max_rate: str
    max_change_rate: str


class CommissionJSON(Doc):
    commission_rates: CommissionRatesJSON
    update_height: Uint64 = 0
    update_time_ns: Uint64 = 0  # header time of the last change (Cosmos's update_time)


class ValidatorJSON(Doc):
    operator_address: str  # depinvaloper1...
    consensus_pubkey: str  # base64 of the 32-byte ed25519 key
    commission: CommissionJSON
    jailed: bool = False
    status: str = "BOND_STATUS_UNBONDED"  # or BOND_STATUS_UNBONDING, BOND_STATUS_BONDED
    tokens: Uint64 = 0
    delegator_shares: str = "0.000000000000000000"  # LegacyDec text
    description: DescriptionJSON = msgspec.field(default_factory=DescriptionJSON)
    unbonding_height: Uint64 = 0
    unbonding_completion_height: Uint64 = 0  # Cosmos's unbonding_time, in blocks
    min_self_delegation: Uint64 = 1


class DelegationJSON(Doc):
    delegator_address: str
    validator_address: str
    shares: str  # LegacyDec text


class UnbondingEntryJSON(Doc):
    creation_height: Uint64
    completion_height: Uint64  # Cosmos's completion_time, in blocks
    initial_balance: Uint64
    balance: Uint64
    unbonding_id: Uint64 = 0


class UnbondingDelegationJSON(Doc):
    delegator_address: str
    validator_address: str
    entries: list[UnbondingEntryJSON]


class RedelegationEntryJSON(Doc):
    creation_height: Uint64
    completion_height: Uint64
    initial_balance: Uint64
    shares_dst: str  # LegacyDec text
    unbonding_id: Uint64 = 0


class RedelegationJSON(Doc):
    delegator_address: str
    validator_src_address: str
    validator_dst_address: str
    entries: list[RedelegationEntryJSON]


class LastValidatorPowerJSON(Doc):
    address: str  # depinvaloper1...
    power: Uint64


class StakingGenesis(Doc):
    params: StakingParams = msgspec.field(default_factory=StakingParams)
    last_total_power: Uint64 = 0
    last_validator_powers: list[LastValidatorPowerJSON] = msgspec.field(default_factory=list)
    validators: list[ValidatorJSON] = msgspec.field(default_factory=list)
    delegations: list[DelegationJSON] = msgspec.field(default_factory=list)
    unbonding_delegations: list[UnbondingDelegationJSON] = msgspec.field(default_factory=list)
    redelegations: list[RedelegationJSON] = msgspec.field(default_factory=list)
    exported: bool = False  # written by an export: the set is the last powers, no hooks run
    last_unbonding_id: Uint64 = 0  # depind exports the counter so export then init round-trips


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


class MintParams(Doc):
    """Cosmos's x/mint params (decimals as LegacyDec text) and the PoUW reward share: the
    part of each block's minted coins paid to the PoUW reward pool, the rest going to the
    fee collector."""

    mint_denom: str = DEFAULT_DENOM
    inflation_rate_change: str = "0.130000000000000000"
    inflation_max: str = "0.200000000000000000"
    inflation_min: str = "0.070000000000000000"
    goal_bonded: str = "0.670000000000000000"
    blocks_per_year: Uint64 = 6_311_520  # 60 * 60 * 8766 / 5: 5-second blocks; must be positive
    pouw_reward_share: str = "0.100000000000000000"


class MinterJSON(Doc):
    inflation: str = "0.130000000000000000"  # LegacyDec text: the current annual rate
    annual_provisions: str = "0.000000000000000000"  # LegacyDec text: coins minted per year at it


class MintGenesis(Doc):
    minter: MinterJSON = msgspec.field(default_factory=MinterJSON)
    params: MintParams = msgspec.field(default_factory=MintParams)


class DistributionParams(Doc):
    """Cosmos's x/distribution params (decimals as LegacyDec text). The proposer rewards are
    deprecated since Cosmos SDK v0.50 and must be zero; they are kept so the params read
    as Cosmos's."""

    community_tax: str = "0.020000000000000000"
    base_proposer_reward: str = "0.000000000000000000"
    bonus_proposer_reward: str = "0.000000000000000000"
    withdraw_addr_enabled: bool = True


class DecCoinJSON(Doc):
    denom: str
    amount: str  # LegacyDec text


class ValidatorRewardsJSON(Doc):
    """A validator's outstanding rewards, or its accumulated commission."""

    validator_address: str  # depinvaloper1...
    rewards: list[DecCoinJSON]


class HistoricalRewardsJSON(Doc):
    validator_address: str
    period: Uint64
    cumulative_reward_ratio: list[DecCoinJSON]
    reference_count: Annotated[int, msgspec.Meta(ge=1, le=2**32 - 1)]


class CurrentRewardsJSON(Doc):
    validator_address: str
    rewards: list[DecCoinJSON]
    period: Uint64


class StartingInfoJSON(Doc):
    delegator_address: str
    validator_address: str
    previous_period: Uint64
    stake: str  # LegacyDec text: the tokens the delegation was worth when it last changed
    height: Uint64


class WithdrawAddressJSON(Doc):
    delegator_address: str
    withdraw_address: str


class SlashEventJSON(Doc):
    validator_address: str
    height: Uint64
    period: Uint64
    fraction: str  # LegacyDec text


class DistributionGenesis(Doc):
    """Cosmos's x/distribution genesis state, its nested records flattened (and without the
    previous proposer: depind pays no proposer reward)."""

    params: DistributionParams = msgspec.field(default_factory=DistributionParams)
    community_pool: list[DecCoinJSON] = msgspec.field(default_factory=list)
    withdraw_addresses: list[WithdrawAddressJSON] = msgspec.field(default_factory=list)
    outstanding_rewards: list[ValidatorRewardsJSON] = msgspec.field(default_factory=list)
    accumulated_commissions: list[ValidatorRewardsJSON] = msgspec.field(default_factory=list)
    historical_rewards: list[HistoricalRewardsJSON] = msgspec.field(default_factory=list)
    current_rewards: list[CurrentRewardsJSON] = msgspec.field(default_factory=list)
    starting_infos: list[StartingInfoJSON] = msgspec.field(default_factory=list)
    slash_events: list[SlashEventJSON] = msgspec.field(default_factory=list)


class SlashingParams(Doc):
    """Cosmos's x/slashing params (decimals as LegacyDec text), with the downtime jail
    duration in nanoseconds of header time (Cosmos's 600 s)."""

    signed_blocks_window: Positive = 100
    min_signed_per_window: str = "0.500000000000000000"
    downtime_jail_duration_ns: Positive = 600 * 10**9
    slash_fraction_double_sign: str = "0.050000000000000000"
    slash_fraction_downtime: str = "0.010000000000000000"


class TimestampJSON(Doc):
    """A protobuf ``Timestamp``: header time as seconds and nanoseconds since the Unix epoch
    (a jail that never ends is 9999-12-31T23:59:59Z, beyond 64-bit nanoseconds)."""

    seconds: Annotated[int, msgspec.Meta(ge=0, le=253_402_300_799)] = 0
    nanos: Annotated[int, msgspec.Meta(ge=0, le=999_999_999)] = 0


class ValidatorSigningInfoJSON(Doc):
    address: str  # depinvalcons1...
    start_height: Uint64 = 0
    index_offset: Uint64 = 0
    jailed_until: TimestampJSON = msgspec.field(default_factory=TimestampJSON)
    tombstoned: bool = False
    missed_blocks_counter: Uint64 = 0


class SigningInfoJSON(Doc):
    address: str  # depinvalcons1...
    validator_signing_info: ValidatorSigningInfoJSON


class MissedBlockJSON(Doc):
    index: Uint64  # the position in the signed-blocks window
    missed: bool = True


class ValidatorMissedBlocksJSON(Doc):
    address: str  # depinvalcons1...
    missed_blocks: list[MissedBlockJSON] = msgspec.field(default_factory=list)


class SlashCountsJSON(Doc):
    """Validators slashed, by the reason their ``slash`` event carries: double signing,
    downtime, and for the compute module a false or a missed attestation."""

    double_sign: Uint64 = 0
    missing_signature: Uint64 = 0
    false_attestation: Uint64 = 0
    missed_attestation: Uint64 = 0


class SlashingGenesis(Doc):
    params: SlashingParams = msgspec.field(default_factory=SlashingParams)
    signing_infos: list[SigningInfoJSON] = msgspec.field(default_factory=list)
    missed_blocks: list[ValidatorMissedBlocksJSON] = msgspec.field(default_factory=list)
    slashes: SlashCountsJSON = msgspec.field(default_factory=SlashCountsJSON)  # depind's, not Cosmos's
