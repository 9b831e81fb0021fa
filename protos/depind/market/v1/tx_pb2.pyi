from cosmpy.protos.amino import amino_pb2 as _amino_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2 as _coin_pb2
from cosmpy.protos.cosmos.msg.v1 import msg_pb2 as _msg_pb2
from protos.depind.market.v1 import market_pb2 as _market_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MsgCreateOffer(_message.Message):
    __slots__ = ("provider", "gpu_class", "count", "pricing", "min_duration_s", "max_duration_s", "job_kinds")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    GPU_CLASS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    JOB_KINDS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    gpu_class: _market_pb2.GpuClass
    count: int
    pricing: _market_pb2.Pricing
    min_duration_s: int
    max_duration_s: int
    job_kinds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, provider: _Optional[str] = ..., gpu_class: _Optional[_Union[_market_pb2.GpuClass, _Mapping]] = ..., count: _Optional[int] = ..., pricing: _Optional[_Union[_market_pb2.Pricing, _Mapping]] = ..., min_duration_s: _Optional[int] = ..., max_duration_s: _Optional[int] = ..., job_kinds: _Optional[_Iterable[str]] = ...) -> None: ...

class MsgCreateOfferResponse(_message.Message):
    __slots__ = ("offer_id",)
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    offer_id: int
    def __init__(self, offer_id: _Optional[int] = ...) -> None: ...

class MsgUpdateOffer(_message.Message):
    __slots__ = ("provider", "offer_id", "pricing", "count", "min_duration_s", "max_duration_s", "job_kinds", "pause", "resume")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    JOB_KINDS_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    provider: str
    offer_id: int
    pricing: _market_pb2.Pricing
    count: int
    min_duration_s: int
    max_duration_s: int
    job_kinds: _containers.RepeatedScalarFieldContainer[str]
    pause: bool
    resume: bool
    def __init__(self, provider: _Optional[str] = ..., offer_id: _Optional[int] = ..., pricing: _Optional[_Union[_market_pb2.Pricing, _Mapping]] = ..., count: _Optional[int] = ..., min_duration_s: _Optional[int] = ..., max_duration_s: _Optional[int] = ..., job_kinds: _Optional[_Iterable[str]] = ..., pause: bool = ..., resume: bool = ...) -> None: ...

class MsgUpdateOfferResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgCloseOffer(_message.Message):
    __slots__ = ("provider", "offer_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    offer_id: int
    def __init__(self, provider: _Optional[str] = ..., offer_id: _Optional[int] = ...) -> None: ...

class MsgCloseOfferResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgCreateOrder(_message.Message):
    __slots__ = ("requester", "requirements", "duration_s", "max_price", "deposit", "expires_ns")
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_NS_FIELD_NUMBER: _ClassVar[int]
    requester: str
    requirements: _market_pb2.Requirements
    duration_s: int
    max_price: int
    deposit: _coin_pb2.Coin
    expires_ns: int
    def __init__(self, requester: _Optional[str] = ..., requirements: _Optional[_Union[_market_pb2.Requirements, _Mapping]] = ..., duration_s: _Optional[int] = ..., max_price: _Optional[int] = ..., deposit: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., expires_ns: _Optional[int] = ...) -> None: ...

class MsgCreateOrderResponse(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    def __init__(self, order_id: _Optional[int] = ...) -> None: ...

class MsgCancelOrder(_message.Message):
    __slots__ = ("requester", "order_id")
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    requester: str
    order_id: int
    def __init__(self, requester: _Optional[str] = ..., order_id: _Optional[int] = ...) -> None: ...

class MsgCancelOrderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgDepositEscrow(_message.Message):
    __slots__ = ("requester", "lease_id", "amount", "extend_s")
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXTEND_S_FIELD_NUMBER: _ClassVar[int]
    requester: str
    lease_id: int
    amount: _coin_pb2.Coin
    extend_s: int
    def __init__(self, requester: _Optional[str] = ..., lease_id: _Optional[int] = ..., amount: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., extend_s: _Optional[int] = ...) -> None: ...

class MsgDepositEscrowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgAcceptLease(_message.Message):
    __slots__ = ("provider", "lease_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    lease_id: int
    def __init__(self, provider: _Optional[str] = ..., lease_id: _Optional[int] = ...) -> None: ...

class MsgAcceptLeaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgCloseLease(_message.Message):
    __slots__ = ("sender", "lease_id")
    SENDER_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    sender: str
    lease_id: int
    def __init__(self, sender: _Optional[str] = ..., lease_id: _Optional[int] = ...) -> None: ...

class MsgCloseLeaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgWithdrawLease(_message.Message):
    __slots__ = ("provider", "lease_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    lease_id: int
    def __init__(self, provider: _Optional[str] = ..., lease_id: _Optional[int] = ...) -> None: ...

class MsgWithdrawLeaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgUpdateParams(_message.Message):
    __slots__ = ("authority", "params")
    AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    authority: str
    params: _market_pb2.Params
    def __init__(self, authority: _Optional[str] = ..., params: _Optional[_Union[_market_pb2.Params, _Mapping]] = ...) -> None: ...

class MsgUpdateParamsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
