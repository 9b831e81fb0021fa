"""What a module is, as the registry (``vm/modules.py``) sees it.

A module is declared by a ``ModuleDef``: its name (which is also its store
prefix), the module accounts it owns and a ``build`` function that makes its
keeper and ``Module`` from the keepers of the modules listed before it. The
``Module`` says everything the application needs to run it: message handlers,
genesis, queries, params, block hooks and invariants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import msgspec
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import Message as ProtoMessage

from vm.block import ValidatorUpdate
from vm.context import Context
from vm.errors import InvalidRequest, Unauthorized
from vm.msg import Msg
from vm.store.cache import ReadStore, Store
from vm.store.prefix import PrefixStore
from vm.types import Address, format_address, module_address

G = TypeVar("G", bound=msgspec.Struct)
P = TypeVar("P", bound=msgspec.Struct)

NAME = re.compile(r"^[a-z]{1,32}$")
PARAMS_KEY = b"params"


class Permission(StrEnum):
    MINTER = "minter"  # may create coins into its own account
    BURNER = "burner"  # may destroy coins held by its own account
    STAKING = "staking"  # may hold bonded stake


@dataclass(frozen=True)
class ModuleAccount:
    """An account no key controls; only its module moves its funds."""

    name: str
    permissions: frozenset[Permission] = frozenset()
    blocked: bool = True  # users cannot send to it directly (its funds are accounted for)

    @property
    def address(self) -> Address:
        return module_address(self.name)


Handler = Callable[[Context, Any], ProtoMessage | None]
"""A message handler (Cosmos's ``msg_server.go`` method): it returns the message's
``<Msg>Response`` protobuf, or None for the empty one; the tx's result data carries it."""
Hook = Callable[[Context], None]
EndBlock = Callable[[Context], list[ValidatorUpdate] | None]
"""An end-block hook; the one module that manages the validator set (staking) returns
its changes for consensus, every other returns None."""
QueryHandler = Callable[[ReadStore, dict[str, Any]], Any]


class Service(NamedTuple):
    """One Cosmos gRPC query method, served over ``abci_query`` at its full path
    (``/cosmos.bank.v1beta1.Query/Balance``): protobuf request in, protobuf answer out."""

    request: type[ProtoMessage]
    answer: Callable[[ReadStore, Any], ProtoMessage]


Invariant = Callable[[ReadStore], str | None]
"""Returns a description of what is broken, or None when the invariant holds."""


@dataclass(frozen=True)
class ModuleGenesis(Generic[G]):
    """A module's genesis section: its JSON type and the four functions on it."""

    type: type[G]
    validate: Callable[[G], None]
    init: Callable[[Context, G], None]
    export: Callable[[ReadStore], G]

    def default(self) -> G:
        return self.type()

    def decode(self, section: Any) -> G:
        try:
            return msgspec.convert(section, self.type)
        except msgspec.ValidationError as exc:
            raise InvalidRequest(f"genesis: {exc}") from None


@dataclass(frozen=True)
class ModuleParams(Generic[P]):
    """A module's parameters: stored under its prefix, validated before every change."""

    type: type[P]
    validate: Callable[[P], None]
    prefix: bytes

    def get(self, store: ReadStore) -> P:
        raw = store.get(self.prefix + PARAMS_KEY)
        return self.type() if raw is None else msgspec.msgpack.decode(raw, type=self.type)

    def set(self, store: Store, params: P) -> None:
        self.validate(params)
        PrefixStore(store, self.prefix).set(PARAMS_KEY, msgspec.msgpack.encode(params))


@dataclass(frozen=True)
class Module:
    name: str
    keeper: Any
    genesis: ModuleGenesis[Any]
    messages: Mapping[type[Msg], Handler] = field(default_factory=dict)
    queries: Mapping[str, QueryHandler] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    params: ModuleParams[Any] | None = None
    begin_block: Hook | None = None
    end_block: EndBlock | None = None
    invariants: Mapping[str, Invariant] = field(default_factory=dict)


class MessageRouter:
    """The chain's message router, for a module that runs other modules' messages (gov
    executes a passed proposal's). It exists before the modules are built, and the registry
    binds it to itself once they all are (Cosmos hands gov baseapp's router the same way)."""

    def __init__(self) -> None:
        self._registry: RouterTarget | None = None

    def bind(self, registry: RouterTarget) -> None:
        self._registry = registry

    @property
    def _target(self) -> RouterTarget:
        if self._registry is None:
            raise RuntimeError("the message router is used before the registry is built")
        return self._registry

    def decode(self, message: AnyPb) -> Msg:
        """A registered message from its ``Any``; raises ``InvalidTx`` as a tx's decoding does."""
        return self._target.decode_message(message)[0]

    def route(self, ctx: Context, msg: Msg) -> AnyPb:
        return self._target.route(ctx, msg)


class RouterTarget(Protocol):
    def decode_message(self, message: AnyPb) -> tuple[Msg, ProtoMessage]: ...

    def route(self, ctx: Context, msg: Msg) -> AnyPb: ...


@dataclass
class Wiring:
    """What a module's ``build`` gets: the chain's authority, every module account, the
    keepers built so far (a module reaches another only through its keeper) and the router."""

    authority: Address
    accounts: Mapping[str, ModuleAccount]
    keepers: dict[str, Any] = field(default_factory=dict)
    router: MessageRouter = field(default_factory=MessageRouter)

    def keeper(self, name: str) -> Any:
        if name not in self.keepers:
            raise LookupError(f"module {name!r} must be listed before the modules that use it")
        return self.keepers[name]


@dataclass(frozen=True)
class ModuleDef:
    name: str
    build: Callable[[Wiring], Module]
    accounts: tuple[ModuleAccount, ...] = ()

    @property
    def prefix(self) -> bytes:
        return store_prefix(self.name)


def store_prefix(name: str) -> bytes:
    return name.encode() + b"/"


def update_params_handler(params: ModuleParams[Any], authority: Address) -> Handler:
    """The handler of a module's ``MsgUpdateParams``: only the authority may change params
    (governance, once it exists; until then params change only at genesis)."""

    def handle(ctx: Context, msg: Any) -> None:
        if msg.authority != format_address(authority):
            raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
        params.set(ctx.store, msg.params)

    return handle
