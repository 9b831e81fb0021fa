from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2 as _coin_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProviderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_STATUS_UNSPECIFIED: _ClassVar[ProviderStatus]
    PROVIDER_STATUS_ACTIVE: _ClassVar[ProviderStatus]
    PROVIDER_STATUS_EXITING: _ClassVar[ProviderStatus]
PROVIDER_STATUS_UNSPECIFIED: ProviderStatus
PROVIDER_STATUS_ACTIVE: ProviderStatus
PROVIDER_STATUS_EXITING: ProviderStatus

class GpuSpec(_message.Message):
    __slots__ = ("model", "memory_mib", "compute_capability", "count", "uuid_hashes")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    UUID_HASHES_FIELD_NUMBER: _ClassVar[int]
    model: str
    memory_mib: int
    compute_capability: str
    count: int
    uuid_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, model: _Optional[str] = ..., memory_mib: _Optional[int] = ..., compute_capability: _Optional[str] = ..., count: _Optional[int] = ..., uuid_hashes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Params(_message.Message):
    __slots__ = ("min_collateral", "unbonding_blocks", "max_exits_per_block", "initial_reputation", "max_reputation")
    MIN_COLLATERAL_FIELD_NUMBER: _ClassVar[int]
    UNBONDING_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MAX_EXITS_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    INITIAL_REPUTATION_FIELD_NUMBER: _ClassVar[int]
    MAX_REPUTATION_FIELD_NUMBER: _ClassVar[int]
    min_collateral: _coin_pb2.Coin
    unbonding_blocks: int
    max_exits_per_block: int
    initial_reputation: int
    max_reputation: int
    def __init__(self, min_collateral: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., unbonding_blocks: _Optional[int] = ..., max_exits_per_block: _Optional[int] = ..., initial_reputation: _Optional[int] = ..., max_reputation: _Optional[int] = ...) -> None: ...

class Provider(_message.Message):
    __slots__ = ("owner", "gpus", "region", "endpoint", "price_hint", "collateral", "status", "registered_height", "exit_height", "reputation", "measured_capacity")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PRICE_HINT_FIELD_NUMBER: _ClassVar[int]
    COLLATERAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    EXIT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_FIELD_NUMBER: _ClassVar[int]
    MEASURED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    owner: str
    gpus: _containers.RepeatedCompositeFieldContainer[GpuSpec]
    region: str
    endpoint: str
    price_hint: _coin_pb2.Coin
    collateral: _coin_pb2.Coin
    status: ProviderStatus
    registered_height: int
    exit_height: int
    reputation: int
    measured_capacity: int
    def __init__(self, owner: _Optional[str] = ..., gpus: _Optional[_Iterable[_Union[GpuSpec, _Mapping]]] = ..., region: _Optional[str] = ..., endpoint: _Optional[str] = ..., price_hint: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., collateral: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., status: _Optional[_Union[ProviderStatus, str]] = ..., registered_height: _Optional[int] = ..., exit_height: _Optional[int] = ..., reputation: _Optional[int] = ..., measured_capacity: _Optional[int] = ...) -> None: ...
