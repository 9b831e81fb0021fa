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


class SlashingGenesis(Doc):
    params: SlashingParams = msgspec.field(default_factory=SlashingParams)
    signing_infos: list[SigningInfoJSON] = msgspec.field(default_factory=list)
    missed_blocks: list[ValidatorMissedBlocksJSON] = msgspec.field(default_factory=list)


# -- the GPU market (vm/market, docs/market.md) -----------------------------------------------

Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000)]  # basis points: 10,000 is 100%


class MarketParams(Doc):
    """The GPU market's rules. Prices are in ``denom`` per GPU-hour, charged per nanosecond
    of block (header) time; durations are seconds of block time; rates are basis points.
    Penalties are paid from the provider's collateral, in its collateral's denom."""

    denom: str = DEFAULT_DENOM  # escrow, prices and the take are in it
    max_price: Positive = 10**12  # no price or order max above it (keeps arithmetic bounded)
    min_duration_s: Positive = 60
    max_duration_s: Positive = 30 * 24 * 3600
    max_offers_per_provider: Positive = 32  # open (active or paused) offers
    # Per-block budgets: work beyond them waits for the next block.
    max_matches_per_block: Positive = 100  # orders tried by end-block matching
    max_candidates_per_order: Positive = 64  # class books and offers one order's search reads
    max_settlements_per_block: Positive = 1_000  # per queue: closes, warnings, expiries, timeouts
    max_price_updates_per_block: Positive = 256  # classes whose reference price moves
    # The take: this share of what a provider earns goes to the fee collector.
    take_rate_bps: Bps = 500
    premium_take_rate_bps: Bps = 200
    premium_min_stake: Positive = 1_000_000_000  # delegated tokens that make a requester premium
    premium_max_delegations: Positive = 16  # delegations summed to find that stake
    # Provider accountability.
    accept_timeout_blocks: Positive = 20  # blocks a provider has to accept a new lease
    fault_penalty: Uint64 = 100_000  # collateral paid to the requester on provider_fault
    provider_close_penalty: Uint64 = 100_000  # collateral paid to the requester on provider_closed
    escrow_low_warning_s: Uint64 = 600  # escrow_low fires this long before a lease runs out
    # Reputation changes per outcome (bounded by the provider params' max_reputation).
    reputation_completed: Uint64 = 10
    reputation_provider_closed: Uint64 = 50
    reputation_fault: Uint64 = 100
    reputation_slashed: Uint64 = 1_000
    # The reference price per GPU class (EIP-1559-like).
    target_utilization_bps: Bps = 5_000
    max_price_change_bps: Bps = 1_250  # per block, at full or zero utilisation
    min_reference_price: Positive = 1_000_000  # the initial and lowest reference price
    price_history_length: Positive = 100  # reference prices kept per class, for charts


class GpuClassJSON(Doc):
    model: str
    memory_mib: Positive
    compute_capability: str  # "major.minor"


class PricingJSON(Doc):
    """Fixed (``factor_bps`` 0): ``price``. Indexed: the class reference price times
    ``factor_bps`` / 10,000, clamped to [floor, cap]."""

    price: Uint64 = 0
    factor_bps: Uint64 = 0
    floor: Uint64 = 0
    cap: Uint64 = 0


class OfferJSON(Doc):
    id: Positive
    provider: str
    gpu_class: GpuClassJSON
    count: Positive
    pricing: PricingJSON
    min_duration_s: Positive
    max_duration_s: Positive
    job_kinds: list[str]
    state: str = "active"  # active, paused or closed
    leased: Uint64 = 0  # GPUs in its open leases
    created_height: Uint64 = 0


class RequirementsJSON(Doc):
    gpus: Positive
    gpu_models: list[str] = msgspec.field(default_factory=list)  # empty: any
    min_memory_mib: Uint64 = 0
    min_compute_capability: str = ""  # empty: any
    regions: list[str] = msgspec.field(default_factory=list)  # empty: any
    min_reputation: Uint64 = 0
    min_capacity: Uint64 = 0
    job_kind: str = ""  # empty: any


class OrderJSON(Doc):
    id: Positive
    requester: str
    requirements: RequirementsJSON
    duration_s: Positive
    max_price: Positive
    deposit: Uint64
    expires_ns: Uint64 = 0  # 0: never
    state: str = "open"  # open, matched, cancelled or expired
    premium: bool = False  # its tier in the matching queue
    created_height: Uint64 = 0
    created_ns: Uint64 = 0
    queued_height: Uint64 = 0  # its place in the matching queue
    lease_id: Uint64 = 0
    closed_height: Uint64 = 0
    closed_ns: Uint64 = 0
    refunded: Uint64 = 0


class LeaseCloseJSON(Doc):
    reason: str
    height: Uint64
    time_ns: Uint64
    earned: Uint64  # charged in all, take included
    fee: Uint64  # the take, in all
    refunded: Uint64
    penalty: CoinJSON | None = None


class LeaseJSON(Doc):
    id: Positive
    order_id: Positive
    offer_id: Positive
    provider: str
    requester: str
    gpu_class: GpuClassJSON
    gpus: Positive
    rate: Positive  # per GPU-hour
    take_rate_bps: Bps
    deposit: Uint64
    duration_s: Positive
    matched_height: Uint64
    matched_ns: Uint64
    accept_deadline: Uint64  # the last height at which the provider may accept
    withdrawn: Uint64 = 0  # earnings already settled, take included
    accepted_height: Uint64 = 0
    start_ns: Uint64 = 0  # charging starts at the accept block's time
    warn_ns: Uint64 = 0  # when escrow_low fires; 0: no warning pending
    state: str = "pending"  # pending, active or closed
    closed: LeaseCloseJSON | None = None


class PricePointJSON(Doc):
    height: Uint64
    price: Positive


class PriceIndexJSON(Doc):
    gpu_class: GpuClassJSON
    price: Positive
    history: list[PricePointJSON] = msgspec.field(default_factory=list)  # oldest first


class MarketClockJSON(Doc):
    """The last block the market saw; queries and invariants read time from it."""

    height: Uint64 = 0
    time_ns: Uint64 = 0
    backlog: bool = False  # due leases were left for the next block (the settlement budget)


class MarketGenesis(Doc):
    params: MarketParams = msgspec.field(default_factory=MarketParams)
    offers: list[OfferJSON] = msgspec.field(default_factory=list)
    orders: list[OrderJSON] = msgspec.field(default_factory=list)
    leases: list[LeaseJSON] = msgspec.field(default_factory=list)
    price_indexes: list[PriceIndexJSON] = msgspec.field(default_factory=list)
    last_offer_id: Uint64 = 0
    last_order_id: Uint64 = 0
    last_lease_id: Uint64 = 0
    price_cursor: GpuClassJSON | None = None  # the class the last reference update ended at
    clock: MarketClockJSON = msgspec.field(default_factory=MarketClockJSON)


# -- proof of useful work (vm/compute, docs/compute.md) ---------------------------------------


class ComputeParams(Doc):
    """The PoUW rules. Deposits, rewards and the dispute reward are in ``denom``; heights and
    windows are blocks; fractions are LegacyDec text; shares are basis points."""

    denom: str = DEFAULT_DENOM
    # Verification.
    committee_size: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    freivalds_rounds: Annotated[int, msgspec.Meta(ge=3, le=16)] = 3  # gpu/challenge.py's bounds
    attest_blocks: Positive = 10  # after sampling, for members to attest
    challenge_window_blocks: Positive = 20  # after sampling, for disputes; >= attest_blocks
    # Jobs.
    max_deadline_blocks: Positive = 1_000
    max_header_bytes: Positive = 4_096
    max_open_jobs_per_lease: Positive = 16
    max_jobs_per_block: Positive = 100  # per queue: assignments, deadlines, liveness, verdicts
    # Gas for the checks run on chain, per entry of the row or column they read.
    fraud_proof_gas_base: Uint64 = 50_000
    fraud_proof_gas_per_entry: Uint64 = 20
    dispute_gas_base: Uint64 = 50_000
    dispute_gas_per_entry: Uint64 = 20
    # Consequences.
    provider_slash_fraction: str = "0.100000000000000000"  # of the collateral, on a wrong result
    requester_share_bps: Bps = 5_000  # of what is slashed; the rest after the prover's is burnt
    prover_share_bps: Bps = 2_500
    false_attestation_slash_fraction: str = "0.050000000000000000"  # and jail
    # Of a member's stake (no jail) for a missed attestation: every validator runs the verifier
    # service (testnet, dev chain and gentx enable it), so a miss is a member that skipped the work.
    liveness_slash_fraction: str = "0.000100000000000000"
    dispute_reward: Uint64 = 100_000  # from the PoUW pool to whoever proves an attestation wrong
    reward_per_gigaunit: Uint64 = 1_000  # from the PoUW pool per 10^9 verified multiply-adds
    valid_reputation_reward: Uint64 = 10
    invalid_reputation_penalty: Uint64 = 1_000
    fault_reputation_penalty: Uint64 = 100
    fault_closes_lease: bool = True  # a missed deadline closes the lease (provider_fault)
    slash_closes_lease: bool = True  # a proven wrong result closes the lease (slashed)
    # Data availability: chunks of the output sampled by a challenge, blocks to post them, the
    # challenger's bond (to the provider when it answers, back when it does not), gas per byte posted.
    availability_samples: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    availability_blocks: Positive = 10
    availability_bond: Uint64 = 1_000_000
    availability_gas_per_byte: Uint64 = 30
    # The largest fraud proof or attestation dispute a job may need (gpu/proof_sizes.py): 64 KiB
    # (block.max_tx_bytes) less 1 KiB for the signed tx around it (signature, fee, the message's
    # other fields: about 330 bytes). A job whose proofs could be larger is refused. 1 KiB to
    # 1 MiB (the proofs' decoding limit): vm/compute's bounds.
    max_proof_bytes: Annotated[int, msgspec.Meta(ge=1 << 10, le=1 << 20)] = 65_536 - 1_024
    # A dispute carrying only a row of C: the disputer's bond (to the member if its answer
    # holds, back with the reward if not) and the blocks the member has to answer.
    dispute_bond: Uint64 = 1_000_000
    dispute_answer_blocks: Positive = 10
    # Capacity challenges (vm/compute/capacity.py): the chance a block issues one, in basis
    # points; the block time a challenge should take at the claimed rate; its deadline, slack
    # times that time plus a latency (the result's trip to a block); blocks for the result;
    # blocks a measurement counts, and how long before that the next challenge is due; blocks
    # after a failed or unverified one; the largest output side (2,048 keeps every challenge
    # within 2^40 multiply-adds, a verifier's default max_work_units).
    capacity_rate_bps: Bps = 500
    capacity_target_ms: Positive = 5_000
    capacity_slack_bps: Annotated[int, msgspec.Meta(ge=10_000, le=2**63 - 1)] = 15_000
    capacity_latency_ms: Uint64 = 10_000
    capacity_result_blocks: Positive = 50
    capacity_expiry_blocks: Positive = 10_000
    capacity_renew_blocks: Uint64 = 1_000  # below capacity_expiry_blocks
    capacity_retry_blocks: Uint64 = 100
    capacity_max_side: Annotated[int, msgspec.Meta(ge=16, le=1 << 14)] = 2_048


class ComputeResultJSON(Doc):
    output_root: str  # hex, 32 bytes
    result_root: str  # hex: SHA-256("depind/pouw/result/v1" || spec_digest || output_root)
    energy_mj: Uint64 = 0
    energy_known: bool = False
    compute_ms: Uint64 = 0
    height: Uint64 = 0


class CommitteeMemberJSON(Doc):
    operator: str  # the operator's account address (depin1...)
    power: Positive


class CommitteeJSON(Doc):
    beacon: str  # hex, 32 bytes: the beacon value when the committee was sampled
    rounds: Annotated[int, msgspec.Meta(ge=3, le=16)]
    sampled_height: Uint64
    attest_deadline_height: Uint64
    window_end_height: Uint64
    members: list[CommitteeMemberJSON] = msgspec.field(default_factory=list)
    total_power: Uint64 = 0
    attest_closed: bool = False  # missed attestations were settled


class FraudJSON(Doc):
    prover: str
    height: Uint64


class AvailabilityChallengeJSON(Doc):
    challenger: str
    bond: Uint64  # in the params' denom, held until the answer or the job's settlement
    chunks: list[Uint64]  # sampled leaves of the output tree, ascending
    opened_height: Uint64
    deadline_height: Uint64
    answered_height: Uint64 = 0  # 0 while open


class PendingDisputeJSON(Doc):
    """A dispute of a member's valid attestation awaiting the member's answer."""

    member: str
    disputer: str
    bond: Uint64  # in the params' denom, held until the answer or the deadline
    tensor: Uint64  # the disputed entry of the member's C r: output, round, row
    round: Uint64
    row: Uint64
    expected: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]  # row of C times r
    opened_height: Uint64
    deadline_height: Uint64


class CapacityTermsJSON(Doc):
    """What makes a job a capacity challenge; times are header times in ns since the epoch."""

    claim: Positive  # multiply-adds per second
    issued_time_ns: Uint64
    deadline_time_ns: Uint64
    result_time_ns: Uint64 = 0  # 0 before the result


class JobJSON(Doc):
    id: Positive
    lease_id: Uint64  # 0 for a capacity challenge only
    requester: str
    provider: str
    header: str  # hex of the job header's canonical MessagePack (gpu/header.py)
    price: Uint64  # the deposit, in the params' denom
    submitted_height: Uint64
    deadline_height: Uint64
    state: str = "pending"  # pending, committed, verifying, valid, invalid, provider_fault, unverified
    result: ComputeResultJSON | None = None
    committee: CommitteeJSON | None = None
    fraud: FraudJSON | None = None
    verdict_height: Uint64 = 0
    availability: AvailabilityChallengeJSON | None = None
    disputes: list[PendingDisputeJSON] = msgspec.field(default_factory=list)  # at most one per member
    capacity: CapacityTermsJSON | None = None  # a capacity challenge: no lease, price 0


class DisputeJSON(Doc):
    disputer: str
    height: Uint64


class AttestationJSON(Doc):
    job_id: Positive
    member: str  # the operator's account address
    verdict: str  # valid or fraud
    cr_root: str  # hex, 32 bytes (zeros for a fraud verdict)
    height: Uint64
    punished: bool = False
    dispute: DisputeJSON | None = None


class ProviderStatsJSON(Doc):
    provider: str
    verified_jobs: Uint64 = 0
    verified_work_units: Uint64 = 0
    energy_mj: Uint64 = 0  # of the verified jobs whose energy was known
    energy_jobs: Uint64 = 0  # verified jobs whose energy was known


class PostedChunksJSON(Doc):
    """The chunks a provider posted to answer a job's availability challenge."""

    job_id: Positive
    answered_height: Uint64
    chunks: list[Uint64]  # the challenge's leaves, in its order
    data: list[str]  # each chunk's bytes, hex, in the same order


class CapacityJSON(Doc):
    """A provider's capacity claim and where its challenges stand (the measurement itself is
    the provider's ``measured_capacity``)."""

    provider: str
    claim: Uint64 = 0  # multiply-adds per second; 0: none
    due_height: Uint64 = 0
    open_job: Uint64 = 0  # the capacity challenge awaiting its verdict
    measured_height: Uint64 = 0
    expires_height: Uint64 = 0  # the last height the measurement counts; 0: none
    passed: Uint64 = 0
    failed: Uint64 = 0


class ComputeGenesis(Doc):
    params: ComputeParams = msgspec.field(default_factory=ComputeParams)
    jobs: list[JobJSON] = msgspec.field(default_factory=list)
    attestations: list[AttestationJSON] = msgspec.field(default_factory=list)
    provider_stats: list[ProviderStatsJSON] = msgspec.field(default_factory=list)
    last_job_id: Uint64 = 0
    posted_chunks: list[PostedChunksJSON] = msgspec.field(default_factory=list)
    capacities: list[CapacityJSON] = msgspec.field(default_factory=list)
