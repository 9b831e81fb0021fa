from cosmpy.protos.cosmos.base.query.v1beta1 import pagination_pb2 as _pagination_pb2
from protos.depind.market.v1 import market_pb2 as _market_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryOfferRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class QueryOfferResponse(_message.Message):
    __slots__ = ("offer",)
    OFFER_FIELD_NUMBER: _ClassVar[int]
    offer: _market_pb2.Offer
    def __init__(self, offer: _Optional[_Union[_market_pb2.Offer, _Mapping]] = ...) -> None: ...

class QueryOffersRequest(_message.Message):
    __slots__ = ("provider", "gpu_model", "state", "pagination")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    GPU_MODEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    provider: str
    gpu_model: str
    state: _market_pb2.OfferState
    pagination: _pagination_pb2.PageRequest
    def __init__(self, provider: _Optional[str] = ..., gpu_model: _Optional[str] = ..., state: _Optional[_Union[_market_pb2.OfferState, str]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class QueryOffersResponse(_message.Message):
    __slots__ = ("offers", "pagination")
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    offers: _containers.RepeatedCompositeFieldContainer[_market_pb2.Offer]
    pagination: _pagination_pb2.PageResponse
    def __init__(self, offers: _Optional[_Iterable[_Union[_market_pb2.Offer, _Mapping]]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class QueryOrderRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class QueryOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _market_pb2.Order
    def __init__(self, order: _Optional[_Union[_market_pb2.Order, _Mapping]] = ...) -> None: ...

class QueryOrdersRequest(_message.Message):
    __slots__ = ("requester", "state", "pagination")
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    requester: str
    state: _market_pb2.OrderState
    pagination: _pagination_pb2.PageRequest
    def __init__(self, requester: _Optional[str] = ..., state: _Optional[_Union[_market_pb2.OrderState, str]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class QueryOrdersResponse(_message.Message):
    __slots__ = ("orders", "pagination")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_market_pb2.Order]
    pagination: _pagination_pb2.PageResponse
    def __init__(self, orders: _Optional[_Iterable[_Union[_market_pb2.Order, _Mapping]]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class QueryLeaseRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class QueryLeaseResponse(_message.Message):
    __slots__ = ("lease", "escrow")
    LEASE_FIELD_NUMBER: _ClassVar[int]
    ESCROW_FIELD_NUMBER: _ClassVar[int]
    lease: _market_pb2.Lease
    escrow: _market_pb2.Escrow
    def __init__(self, lease: _Optional[_Union[_market_pb2.Lease, _Mapping]] = ..., escrow: _Optional[_Union[_market_pb2.Escrow, _Mapping]] = ...) -> None: ...

class QueryLeasesRequest(_message.Message):
    __slots__ = ("provider", "requester", "state", "pagination")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    provider: str
    requester: str
    state: _market_pb2.LeaseState
    pagination: _pagination_pb2.PageRequest
    def __init__(self, provider: _Optional[str] = ..., requester: _Optional[str] = ..., state: _Optional[_Union[_market_pb2.LeaseState, str]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class QueryLeasesResponse(_message.Message):
    __slots__ = ("leases", "pagination")
    LEASES_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    leases: _containers.RepeatedCompositeFieldContainer[_market_pb2.Lease]
    pagination: _pagination_pb2.PageResponse
    def __init__(self, leases: _Optional[_Iterable[_Union[_market_pb2.Lease, _Mapping]]] = ..., pagination: _Optional[_Union[_pagination_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class QueryPriceIndexRequest(_message.Message):
    __slots__ = ("gpu_class",)
    GPU_CLASS_FIELD_NUMBER: _ClassVar[int]
    gpu_class: _market_pb2.GpuClass
    def __init__(self, gpu_class: _Optional[_Union[_market_pb2.GpuClass, _Mapping]] = ...) -> None: ...

class QueryPriceIndexResponse(_message.Message):
    __slots__ = ("price_index",)
    PRICE_INDEX_FIELD_NUMBER: _ClassVar[int]
    price_index: _market_pb2.PriceIndex
    def __init__(self, price_index: _Optional[_Union[_market_pb2.PriceIndex, _Mapping]] = ...) -> None: ...

class QueryParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueryParamsResponse(_message.Message):
    __slots__ = ("params",)
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    params: _market_pb2.Params
    def __init__(self, params: _Optional[_Union[_market_pb2.Params, _Mapping]] = ...) -> None: ...
