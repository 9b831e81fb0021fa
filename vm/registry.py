"""The module registry: one ordered list of modules defines the chain's message
set and router, genesis order, hook order, module accounts with their
permissions, blocked addresses, queries, params and invariants.

Modules are built in list order, so a module may use the keepers of those
before it (through the narrow interface its ``expected.py`` declares).
Begin-block hooks, end-block hooks and genesis run in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import Message as ProtoMessage

from genesis.schema import GenesisDoc
from vm.block import ValidatorUpdate
from vm.codec import ConversionError, codec_for, pack, proto_class
from vm.context import Context, TypedEvent
from vm.errors import InvalidRequest, NotFound, UnknownRequest
from vm.module import NAME, Handler, Module, ModuleAccount, ModuleDef, Service, Wiring
from vm.msg import Msg
from vm.protowire import WireError, parse_strict
from vm.store.cache import ReadStore
from vm.types import Address

CONSENSUS = "consensus"  # its genesis is the document's consensus_params, as in CometBFT


class Message(TypedEvent, tag="message", frozen=True):
    indexed = frozenset({"action", "sender", "module"})

    action: str
    sender: str
    module: str


class InvariantBroken(Exception):
    """State that breaks an invariant: a bug, never a user's doing."""


class Registry:
    def __init__(self, definitions: Sequence[ModuleDef], authority: Address) -> None:
        _check_names([d.name for d in definitions])
        self.accounts = _accounts(definitions)
        self.authority = authority
        wiring = Wiring(authority, self.accounts)
        self.modules: list[Module] = []
        for definition in definitions:
            module = definition.build(wiring)
            wiring.keepers[definition.name] = module.keeper
            self.modules.append(module)
        self._by_name = {m.name: m for m in self.modules}
        self._handlers: dict[type[Msg], tuple[str, Handler]] = {}
        for module in self.modules:
            for msg_type, handler in module.messages.items():
                if msg_type in self._handlers:
                    raise ValueError(f"{msg_type.__name__} is handled by two modules")
                self._handlers[msg_type] = (module.name, handler)
        self.message_types = tuple(self._handlers)
        self._codecs = {codec.type_url: codec for codec in map(codec_for, self.message_types)}
        self._responses = {t: _response_class(codec_for(t).proto) for t in self.message_types}
        self._services: dict[str, Service] = {}
        for module in self.modules:
            for path, service in module.services.items():
                if path in self._services:
                    raise ValueError(f"{path} is served by two modules")
                self._services[path] = service
        wiring.router.bind(self)

    # -- lookups --------------------------------------------------------------------------

    def keeper(self, name: str) -> Any:
        return self.module(name).keeper

    def has(self, name: str) -> bool:
        return name in self._by_name

    def module(self, name: str) -> Module:
        found = self._by_name.get(name)
        if found is None:
            raise NotFound(f"no module {name!r}; modules: {', '.join(self._by_name)}")
        return found

    def blocked_addresses(self) -> frozenset[Address]:
        return frozenset(a.address for a in self.accounts.values() if a.blocked)

    # -- messages -------------------------------------------------------------------------

    def decode_message(self, message: AnyPb) -> tuple[Msg, ProtoMessage]:
        """A registered message from its ``Any``: the struct handlers read, and the protobuf
        message it was decoded from."""
        codec = self._codecs.get(message.type_url)
        if codec is None:
            raise UnknownRequest(f"unknown message type {message.type_url[:128]!r}")
        try:
            wire = parse_strict(codec.proto, message.value)
            return codec.read(wire), wire
        except (WireError, ConversionError) as error:
            raise InvalidRequest(f"{codec.type_url}: {error}") from None

    def route(self, ctx: Context, msg: Msg) -> AnyPb:
        """Run ``msg``'s handler; returns its response packed as Cosmos's router packs it
        (one entry of ``TxMsgData.msg_responses``): the empty ``<Msg>Response`` if it gave none."""
        entry = self._handlers.get(type(msg))
        if entry is None:
            raise UnknownRequest(f"no handler for {type(msg).__name__}")
        module, handler = entry
        ctx.emit(Message(action=str(type(msg).__struct_config__.tag), sender=msg.signer(), module=module))
        response = handler(ctx, msg)
        return pack(self._responses[type(msg)]() if response is None else response)

    # -- block hooks ------------------------------------------------------------------------

    def begin_block(self, ctx: Context) -> None:
        for module in self.modules:
            if module.begin_block is not None:
                module.begin_block(ctx)

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        """Every module's end-block hook; returns the validator set changes. Only one module
        may give them (Cosmos's module manager refuses a second): two would be a wiring bug."""
        updates: list[ValidatorUpdate] = []
        source = ""
        for module in self.modules:
            if module.end_block is None:
                continue
            returned = module.end_block(ctx)
            if not returned:
                continue
            if updates:
                raise InvariantBroken(f"validator updates from two modules: {source} and {module.name}")
            updates, source = list(returned), module.name
        return updates

    # -- genesis ----------------------------------------------------------------------------

    def genesis_sections(self, doc: GenesisDoc) -> list[tuple[Module, Any]]:
        """Each module with its typed genesis section (defaults where the document has none)."""
        unknown = sorted(set(doc.app_state) - set(self._by_name) | ({CONSENSUS} & set(doc.app_state)))
        if unknown:
            raise InvalidRequest(f"app_state has sections for no module: {', '.join(unknown)}")
        sections = []
        for module in self.modules:
            if module.name == CONSENSUS:
                section: Any = module.genesis.decode(msgspec.to_builtins(doc.consensus_params))
            elif module.name in doc.app_state:
                section = module.genesis.decode(doc.app_state[module.name])
            else:
                section = module.genesis.default()
            sections.append((module, section))
        return sections

    def validate_genesis(self, doc: GenesisDoc) -> None:
        for module, section in self.genesis_sections(doc):
            module.genesis.validate(section)

    def init_genesis(self, ctx: Context, doc: GenesisDoc) -> None:
        for module, section in self.genesis_sections(doc):
            module.genesis.validate(section)
            module.genesis.init(ctx, section)

    def export_genesis(self, store: ReadStore) -> tuple[Any, dict[str, Any]]:
        """(consensus params, app_state) as a genesis document holds them."""
        sections = {m.name: msgspec.to_builtins(m.genesis.export(store)) for m in self.modules}
        return sections.pop(CONSENSUS), sections

    def default_app_state(self) -> dict[str, Any]:
        return {m.name: msgspec.to_builtins(m.genesis.default()) for m in self.modules if m.name != CONSENSUS}

    # -- queries, params, invariants ----------------------------------------------------------

    def query(self, path: str, store: ReadStore, request: dict[str, Any]) -> Any:
        """``/<module>/<name>``, ``/params`` (every module's, or one's with ``module``), or
        ``/invariants`` (those broken; each reads its whole module: for operators and tests)."""
        if path == "/params":
            return self.params(store, request.get("module"))
        if path == "/invariants":
            return {"broken": self.broken_invariants(store)}
        module_name, _, name = path.removeprefix("/").partition("/")
        module = self._by_name.get(module_name)
        handler = module.queries.get(name) if module is not None else None
        if handler is None:
            raise UnknownRequest(f"unknown query path {path!r}; paths: {', '.join(self.query_paths())}")
        return handler(store, request)

    def serves(self, path: str) -> bool:
        return path in self._services

    def service(self, path: str, store: ReadStore, request: bytes) -> bytes:
        """A Cosmos gRPC query: ``request`` is the protobuf request, the answer its response."""
        service = self._services.get(path)
        if service is None:
            raise UnknownRequest(f"unknown query path {path[:128]!r}")
        try:
            message = parse_strict(service.request, request)
        except WireError as error:
            raise InvalidRequest(str(error)) from None
        return bytes(service.answer(store, message).SerializeToString(deterministic=True))

    def query_paths(self) -> list[str]:
        return ["/params", "/invariants"] + [f"/{m.name}/{q}" for m in self.modules for q in m.queries]

    def params(self, store: ReadStore, module: Any = None) -> dict[str, Any]:
        chosen = [m for m in self.modules if m.params is not None]
        if isinstance(module, str):
            found = self.module(module)
            if found.params is None:
                raise NotFound(f"module {module!r} has no params")
            chosen = [found]
        return {m.name: msgspec.to_builtins(m.params.get(store)) for m in chosen if m.params is not None}

    def broken_invariants(self, store: ReadStore) -> list[str]:
        broken = []
        for module in self.modules:
            for name, invariant in module.invariants.items():
                problem = invariant(store)
                if problem is not None:
                    broken.append(f"{module.name}/{name}: {problem}")
        return broken

    def assert_invariants(self, store: ReadStore) -> None:
        broken = self.broken_invariants(store)
        if broken:
            raise InvariantBroken("; ".join(broken))


def _response_class(message: type[ProtoMessage]) -> type[ProtoMessage]:
    """The ``<Msg>Response`` of a message: Cosmos names every service method's answer so,
    and it lives in the same generated module."""
    return proto_class(message.DESCRIPTOR.full_name + "Response")


def _check_names(names: list[str]) -> None:
    """Names are store prefixes ``<name>/``: letters only, so none is a prefix of another."""
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"module name {name!r} must be 1-32 lowercase letters")
    if len(set(names)) != len(names):
        raise ValueError("two modules share a name")


def _accounts(definitions: Sequence[ModuleDef]) -> dict[str, ModuleAccount]:
    accounts: dict[str, ModuleAccount] = {}
    for definition in definitions:
        for account in definition.accounts:
            if account.name in accounts:
                raise ValueError(f"module account {account.name!r} is declared twice")
            accounts[account.name] = account
    return accounts
