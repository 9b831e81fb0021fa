from cosmpy.protos.amino import amino_pb2 as _amino_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2 as _coin_pb2
from cosmpy.protos.cosmos.msg.v1 import msg_pb2 as _msg_pb2
from protos.depind.provider.v1 import provider_pb2 as _provider_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MsgRegisterProvider(_message.Message):
    __slots__ = ("owner", "gpus", "region", "endpoint", "price_hint", "collateral")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PRICE_HINT_FIELD_NUMBER: _ClassVar[int]
    COLLATERAL_FIELD_NUMBER: _ClassVar[int]
    owner: str
    gpus: _containers.RepeatedCompositeFieldContainer[_provider_pb2.GpuSpec]
    region: str
    endpoint: str
    price_hint: _coin_pb2.Coin
    collateral: _coin_pb2.Coin
    def __init__(self, owner: _Optional[str] = ..., gpus: _Optional[_Iterable[_Union[_provider_pb2.GpuSpec, _Mapping]]] = ..., region: _Optional[str] = ..., endpoint: _Optional[str] = ..., price_hint: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., collateral: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ...) -> None: ...

class MsgRegisterProviderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgUpdateProvider(_message.Message):
    __slots__ = ("owner", "gpus", "region", "endpoint", "price_hint", "add_collateral")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PRICE_HINT_FIELD_NUMBER: _ClassVar[int]
    ADD_COLLATERAL_FIELD_NUMBER: _ClassVar[int]
    owner: str
    gpus: _containers.RepeatedCompositeFieldContainer[_provider_pb2.GpuSpec]
    region: str
    endpoint: str
    price_hint: _coin_pb2.Coin
    add_collateral: _coin_pb2.Coin
    def __init__(self, owner: _Optional[str] = ..., gpus: _Optional[_Iterable[_Union[_provider_pb2.GpuSpec, _Mapping]]] = ..., region: _Optional[str] = ..., endpoint: _Optional[str] = ..., price_hint: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ..., add_collateral: _Optional[_Union[_coin_pb2.Coin, _Mapping]] = ...) -> None: ...

class MsgUpdateProviderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgExitProvider(_message.Message):
    __slots__ = ("owner",)
    OWNER_FIELD_NUMBER: _ClassVar[int]
    owner: str
    def __init__(self, owner: _Optional[str] = ...) -> None: ...

class MsgExitProviderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgUpdateParams(_message.Message):
    __slots__ = ("authority", "params")
    AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    authority: str
    params: _provider_pb2.Params
    def __init__(self, authority: _Optional[str] = ..., params: _Optional[_Union[_provider_pb2.Params, _Mapping]] = ...) -> None: ...

class MsgUpdateParamsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
