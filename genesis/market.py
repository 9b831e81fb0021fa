"""The GPU market's genesis section and params (vm/market, docs/market.md): plain data
shapes, as genesis/schema.py's."""

from __future__ import annotations

import msgspec

from genesis.schema import DEFAULT_DENOM, Bps, CoinJSON, Doc, Positive, Uint64


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
