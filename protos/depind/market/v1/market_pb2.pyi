from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2 as _coin_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OfferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFER_STATE_UNSPECIFIED: _ClassVar[OfferState]
    OFFER_STATE_ACTIVE: _ClassVar[OfferState]
    OFFER_STATE_PAUSED: _ClassVar[OfferState]
    OFFER_STATE_CLOSED: _ClassVar[OfferState]

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_OPEN: _ClassVar[OrderState]
    ORDER_STATE_MATCHED: _ClassVar[OrderState]
    ORDER_STATE_CANCELLED: _ClassVar[OrderState]
    ORDER_STATE_EXPIRED: _ClassVar[OrderState]

class LeaseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEASE_STATE_UNSPECIFIED: _ClassVar[LeaseState]
    LEASE_STATE_PENDING: _ClassVar[LeaseState]
    LEASE_STATE_ACTIVE: _ClassVar[LeaseState]
    LEASE_STATE_CLOSED: _ClassVar[LeaseState]

class CloseReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLOSE_REASON_UNSPECIFIED: _ClassVar[CloseReason]
    CLOSE_REASON_COMPLETED: _ClassVar[CloseReason]
    CLOSE_REASON_REQUESTER_CLOSED: _ClassVar[CloseReason]
    CLOSE_REASON_PROVIDER_CLOSED: _ClassVar[CloseReason]
    CLOSE_REASON_INSUFFICIENT_FUNDS: _ClassVar[CloseReason]
    CLOSE_REASON_PROVIDER_FAULT: _ClassVar[CloseReason]
    CLOSE_REASON_SLASHED: _ClassVar[CloseReason]
    CLOSE_REASON_PROVIDER_EXITED: _ClassVar[CloseReason]
OFFER_STATE_UNSPECIFIED: OfferState
OFFER_STATE_ACTIVE: OfferState
OFFER_STATE_PAUSED: OfferState
OFFER_STATE_CLOSED: OfferState
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_OPEN: OrderState
ORDER_STATE_MATCHED: OrderState
ORDER_STATE_CANCELLED: OrderState
ORDER_STATE_EXPIRED: OrderState
LEASE_STATE_UNSPECIFIED: LeaseState
LEASE_STATE_PENDING: LeaseState
LEASE_STATE_ACTIVE: LeaseState
LEASE_STATE_CLOSED: LeaseState
CLOSE_REASON_UNSPECIFIED: CloseReason
CLOSE_REASON_COMPLETED: CloseReason
CLOSE_REASON_REQUESTER_CLOSED: CloseReason
CLOSE_REASON_PROVIDER_CLOSED: CloseReason
CLOSE_REASON_INSUFFICIENT_FUNDS: CloseReason
CLOSE_REASON_PROVIDER_FAULT: CloseReason
CLOSE_REASON_SLASHED: CloseReason
CLOSE_REASON_PROVIDER_EXITED: CloseReason

class GpuClass(_message.Message):
    __slots__ = ("model", "memory_mib", "compute_capability")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    model: str
    memory_mib: int
    compute_capability: str
    def __init__(self, model: _Optional[str] = ..., memory_mib: _Optional[int] = ..., compute_capability: _Optional[str] = ...) -> None: ...

class Pricing(_message.Message):
    __slots__ = ("price", "factor_bps", "floor", "cap")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FACTOR_BPS_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    CAP_FIELD_NUMBER: _ClassVar[int]
    price: int
    factor_bps: int
    floor: int
    cap: int
    def __init__(self, price: _Optional[int] = ..., factor_bps: _Optional[int] = ..., floor: _Optional[int] = ..., cap: _Optional[int] = ...) -> None: ...

class Requirements(_message.Message):
    __slots__ = ("gpu_models", "min_memory_mib", "min_compute_capability", "gpus", "regions", "min_reputation", "min_capacity", "job_kind")
    GPU_MODELS_FIELD_NUMBER: _ClassVar[int]
    MIN_MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    MIN_COMPUTE_CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    MIN_REPUTATION_FIELD_NUMBER: _ClassVar[int]
    MIN_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    JOB_KIND_FIELD_NUMBER: _ClassVar[int]
    gpu_models: _containers.RepeatedScalarFieldContainer[str]
    min_memory_mib: int
    min_compute_capability: str
    gpus: int
    regions: _containers.RepeatedScalarFieldContainer[str]
    min_reputation: int
    min_capacity: int
    job_kind: str
    def __init__(self, gpu_models: _Optional[_Iterable[str]] = ..., min_memory_mib: _Optional[int] = ..., min_compute_capability: _Optional[str] = ..., gpus: _Optional[int] = ..., regions: _Optional[_Iterable[str]] = ..., min_reputation: _Optional[int] = ..., min_capacity: _Optional[int] = ..., job_kind: _Optional[str] = ...) -> None: ...

class Params(_message.Message):
    __slots__ = ("denom", "max_price", "min_duration_s", "max_duration_s", "max_offers_per_provider", "max_matches_per_block", "max_candidates_per_order", "max_settlements_per_block", "max_price_updates_per_block", "take_rate_bps", "premium_take_rate_bps", "premium_min_stake", "premium_max_delegations", "accept_timeout_blocks", "fault_penalty", "provider_close_penalty", "escrow_low_warning_s", "reputation_completed", "reputation_provider_closed", "reputation_fault", "reputation_slashed", "target_utilization_bps", "max_price_change_bps", "min_reference_price", "price_history_length")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_OFFERS_PER_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MAX_MATCHES_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    MAX_CANDIDATES_PER_ORDER_FIELD_NUMBER: _ClassVar[int]
    MAX_SETTLEMENTS_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_UPDATES_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    TAKE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_TAKE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_MIN_STAKE_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_MAX_DELEGATIONS_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_TIMEOUT_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    FAULT_PENALTY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_CLOSE_PENALTY_FIELD_NUMBER: _ClassVar[int]
    ESCROW_LOW_WARNING_S_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_PROVIDER_CLOSED_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_FAULT_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_SLASHED_FIELD_NUMBER: _ClassVar[int]
    TARGET_UTILIZATION_BPS_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_CHANGE_BPS_FIELD_NUMBER: _ClassVar[int]
    MIN_REFERENCE_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_HISTORY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    denom: str
    max_price: int
    min_duration_s: int
    max_duration_s: int
    max_offers_per_provider: int
    max_matches_per_block: int
    max_candidates_per_order: int
    max_settlements_per_block: int
    max_price_updates_per_block: int
    take_rate_bps: int
    premium_take_rate_bps: int
    premium_min_stake: int
    premium_max_delegations: int
    accept_timeout_blocks: int
    fault_penalty: int
    provider_close_penalty: int
    escrow_low_warning_s: int
    reputation_completed: int
    reputation_provider_closed: int
    reputation_fault: int
    reputation_slashed: int
    target_utilization_bps: int
    max_price_change_bps: int
    min_reference_price: int
    price_history_length: int
    def __init__(self, denom: _Optional[str] = ..., max_price: _Optional[int] = ..., min_duration_s: _Optional[int] = ..., max_duration_s: _Optional[int] = ..., max_offers_per_provider: _Optional[int] = ..., max_matches_per_block: _Optional[int] = ..., max_candidates_per_order: _Optional[int] = ..., max_settlements_per_block: _Optional[int] = ..., max_price_updates_per_block: _Optional[int] = ..., take_rate_bps: _Optional[int] = ..., premium_take_rate_bps: _Optional[int] = ..., premium_min_stake: _Optional[int] = ..., premium_max_delegations: _Optional[int] = ..., accept_timeout_blocks: _Optional[int] = ..., fault_penalty: _Optional[int] = ..., provider_close_penalty: _Optional[int] = ..., escrow_low_warning_s: _Optional[int] = ..., reputation_completed: _Optional[int] = ..., reputation_provider_closed: _Optional[int] = ..., reputation_fault: _Optional[int] = ..., reputation_slashed: _Optional[int] = ..., target_utilization_bps: _Optional[int] = ..., max_price_change_bps: _Optional[int] = ..., min_reference_price: _Optional[int] = ..., price_history_length: _Optional[int] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("id", "provider", "gpu_class", "count", "leased", "pricing", "min_duration_s", "max_duration_s", "job_kinds", "state", "created_height")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    GPU_CLASS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    LEASED_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    JOB_KINDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    id: int
    provider: str
    gpu_class: GpuClass
    count: int
    leased: int
    pricing: Pricing
    min_duration_s: int
    max_duration_s: int
    job_kinds: _containers.RepeatedScalarFieldContainer[str]
    state: OfferState
    created_height: int
    def __init__(self, id: _Optional[int] = ..., provider: _Optional[str] = ..., gpu_class: _Optional[_Union[GpuClass, _Mapping]] = ..., count: _Optional[int] = ..., leased: _Optional[int] = ..., pricing: _Optional[_Union[Pricing, _Mapping]] = ..., min_duration_s: _Optional[int] = ..., max_duration_s: _Optional[int] = ..., job_kinds: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[OfferState, str]] = ..., created_height: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "requester", "requirements", "duration_s", "max_price", "deposit", "expires_ns", "state", "premium", "created_height", "lease_id", "closed_height", "refunded", "created_ns", "closed_ns", "queued_height")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_NS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_FIELD_NUMBER: _ClassVar[int]
    CREATED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    CREATED_NS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_NS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    id: int
    requester: str
    requirements: Requirements
    duration_s: int
    max_price: int
    deposit: _coin_pb2.Coin
    expires_ns: int
    state: OrderState
    premium: bool
    created_height: int
    lease_id: int
    closed_height: int
    refunded: int
    created_ns: int
    closed_ns: int
    queued_height: int
    def __init__(self, id: _Optional[int] = ..., requester: _Optional[str] = ..., requirements: _Optional[_Union[Requirements, _Mapping]] = ..., duration_s: _Optional[int] = ..., max_price: _Optional[int] = ..., deposit: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., expires_ns: _Optional[int] = ..., state: _Optional[_Union[OrderState, str]] = ..., premium: bool = ..., created_height: _Optional[int] = ..., lease_id: _Optional[int] = ..., closed_height: _Optional[int] = ..., refunded: _Optional[int] = ..., created_ns: _Optional[int] = ..., closed_ns: _Optional[int] = ..., queued_height: _Optional[int] = ...) -> None: ...

class LeaseClose(_message.Message):
    __slots__ = ("reason", "height", "time_ns", "earned", "fee", "refunded", "penalty")
    REASON_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    EARNED_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    reason: CloseReason
    height: int
    time_ns: int
    earned: int
    fee: int
    refunded: int
    penalty: _coin_pb2.Coin
    def __init__(self, reason: _Optional[_Union[CloseReason, str]] = ..., height: _Optional[int] = ..., time_ns: _Optional[int] = ..., earned: _Optional[int] = ..., fee: _Optional[int] = ..., refunded: _Optional[int] = ..., penalty: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ("id", "order_id", "offer_id", "provider", "requester", "gpu_class", "gpus", "rate", "take_rate_bps", "deposit", "withdrawn", "duration_s", "matched_height", "accept_deadline", "accepted_height", "start_ns", "state", "closed", "matched_ns", "warn_ns")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    GPU_CLASS_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    TAKE_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MATCHED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    START_NS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    MATCHED_NS_FIELD_NUMBER: _ClassVar[int]
    WARN_NS_FIELD_NUMBER: _ClassVar[int]
    id: int
    order_id: int
    offer_id: int
    provider: str
    requester: str
    gpu_class: GpuClass
    gpus: int
    rate: int
    take_rate_bps: int
    deposit: int
    withdrawn: int
    duration_s: int
    matched_height: int
    accept_deadline: int
    accepted_height: int
    start_ns: int
    state: LeaseState
    closed: LeaseClose
    matched_ns: int
    warn_ns: int
    def __init__(self, id: _Optional[int] = ..., order_id: _Optional[int] = ..., offer_id: _Optional[int] = ..., provider: _Optional[str] = ..., requester: _Optional[str] = ..., gpu_class: _Optional[_Union[GpuClass, _Mapping]] = ..., gpus: _Optional[int] = ..., rate: _Optional[int] = ..., take_rate_bps: _Optional[int] = ..., deposit: _Optional[int] = ..., withdrawn: _Optional[int] = ..., duration_s: _Optional[int] = ..., matched_height: _Optional[int] = ..., accept_deadline: _Optional[int] = ..., accepted_height: _Optional[int] = ..., start_ns: _Optional[int] = ..., state: _Optional[_Union[LeaseState, str]] = ..., closed: _Optional[_Union[LeaseClose, _Mapping]] = ..., matched_ns: _Optional[int] = ..., warn_ns: _Optional[int] = ...) -> None: ...

class Escrow(_message.Message):
    __slots__ = ("time_ns", "earned", "withdrawable", "remaining", "due_ns", "runs_out")
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    EARNED_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWABLE_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    DUE_NS_FIELD_NUMBER: _ClassVar[int]
    RUNS_OUT_FIELD_NUMBER: _ClassVar[int]
    time_ns: int
    earned: int
    withdrawable: int
    remaining: int
    due_ns: int
    runs_out: bool
    def __init__(self, time_ns: _Optional[int] = ..., earned: _Optional[int] = ..., withdrawable: _Optional[int] = ..., remaining: _Optional[int] = ..., due_ns: _Optional[int] = ..., runs_out: bool = ...) -> None: ...

class PricePoint(_message.Message):
    __slots__ = ("height", "price")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    height: int
    price: int
    def __init__(self, height: _Optional[int] = ..., price: _Optional[int] = ...) -> None: ...

class PriceIndex(_message.Message):
    __slots__ = ("gpu_class", "price", "history")
    GPU_CLASS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    gpu_class: GpuClass
    price: int
    history: _containers.RepeatedCompositeFieldContainer[PricePoint]
    def __init__(self, gpu_class: _Optional[_Union[GpuClass, _Mapping]] = ..., price: _Optional[int] = ..., history: _Optional[_Iterable[_Union[PricePoint, _Mapping]]] = ...) -> None: ...
