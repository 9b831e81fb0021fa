"""A small module that lives only in the tests and plugs into the chain through the
registry: minting and burning through a module account, params with an authority,
genesis, a query, both block hooks, a queue drained under a per-block budget and
an invariant. ``registry_with_faucet()`` is the chain's module list plus this one.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, ClassVar

import msgspec
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from google.protobuf import descriptor_pb2, descriptor_pool

from vm.context import Context, TypedEvent
from vm.errors import InvalidRequest
from vm.module import (
    Module,
    ModuleAccount,
    ModuleDef,
    ModuleGenesis,
    ModuleParams,
    Permission,
    Wiring,
    store_prefix,
    update_params_handler,
)
from vm.modules import AUTHORITY, MODULES
from vm.msg import Msg
from vm.queue import DueQueue
from vm.registry import Registry
from vm.store.cache import ReadStore, Store
from vm.store.prefix import PrefixStore
from vm.types import Address, Coin, Uint64, parse_address, validate_coins

NAME = "faucet"
COUNTER_KEY = b"blocks"
DONE_KEY = b"done"
Small = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class FaucetParams(msgspec.Struct, frozen=True, kw_only=True):
    max_mint: Uint64 = 10**9
    jobs_per_block: Uint64 = 3


class FaucetGenesis(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    params: FaucetParams = msgspec.field(default_factory=FaucetParams)
    blocks: Uint64 = 0  # begin-block hooks seen


def _wire_types() -> str:
    """The faucet's protobuf package, built here as a .proto file would declare it:
    ``tests.faucet.v1`` with one message per struct below, and an empty ``<Msg>Response``
    for each Msg. Returns the package name."""
    package = "tests.faucet.v1"
    file = descriptor_pb2.FileDescriptorProto(
        name="tests/faucet/v1/tx.proto",
        package=package,
        syntax="proto3",
        dependency=[coin_pb2.DESCRIPTOR.name],
    )
    string, uint64, message = (
        descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        descriptor_pb2.FieldDescriptorProto.TYPE_UINT64,
        descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
    )
    coins = (message, ".cosmos.base.v1beta1.Coin", True)
    shapes: dict[str, list[tuple[str, tuple[int, str, bool] | int]]] = {
        "MsgMint": [("recipient", string), ("amount", coins)],
        "MsgBurn": [("holder", string), ("amount", coins)],
        "MsgEnqueue": [("sender", string), ("count", uint64)],
        "MsgMisbehave": [("sender", string), ("kind", string)],
        "Params": [("max_mint", uint64), ("jobs_per_block", uint64)],
        "MsgUpdateParams": [("authority", string), ("params", (message, f".{package}.Params", False))],
    }
    for name in [name for name in shapes if name.startswith("Msg")]:
        shapes[f"{name}Response"] = []  # each message's answer in a tx's result data
    for name, fields in shapes.items():
        declared = file.message_type.add(name=name)
        for number, (field_name, kind) in enumerate(fields, start=1):
            type_, type_name, repeated = kind if isinstance(kind, tuple) else (kind, "", False)
            field = declared.field.add(name=field_name, number=number, type=type_)
            field.label = (
                descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
                if repeated
                else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
            )
            if type_name:
                field.type_name = type_name
    try:
        descriptor_pool.Default().FindFileByName(file.name)
    except KeyError:
        descriptor_pool.Default().Add(file)
    return package


PACKAGE = _wire_types()


class MsgMint(Msg, tag=f"/{PACKAGE}.MsgMint", frozen=True):
    recipient: str
    amount: list[Coin]

    def signer(self) -> str:
        return self.recipient

    def validate(self) -> None:
        parse_address(self.recipient, "recipient")
        validate_coins(self.amount)


class MsgBurn(Msg, tag=f"/{PACKAGE}.MsgBurn", frozen=True):
    holder: str
    amount: list[Coin]

    def signer(self) -> str:
        return self.holder

    def validate(self) -> None:
        parse_address(self.holder, "holder")
        validate_coins(self.amount)


class MsgEnqueue(Msg, tag=f"/{PACKAGE}.MsgEnqueue", frozen=True):
    """Queue ``count`` jobs for the end-block hook (each due now)."""

    sender: str
    count: Small

    def signer(self) -> str:
        return self.sender

    def validate(self) -> None:
        parse_address(self.sender, "sender")


class MsgMisbehave(Msg, tag=f"/{PACKAGE}.MsgMisbehave", frozen=True):
    """Runs handler code that fails: ``"recursion"`` recurses without end, ``"bug"``
    looks up a missing key (a deterministic handler bug)."""

    sender: str
    kind: str

    def signer(self) -> str:
        return self.sender

    def validate(self) -> None:
        parse_address(self.sender, "sender")


class MsgUpdateParams(Msg, tag=f"/{PACKAGE}.MsgUpdateParams", frozen=True):
    authority: str
    params: FaucetParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")


class JobDone(TypedEvent, tag="faucet_job_done", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"job"})

    job: str


class FaucetKeeper:
    def __init__(self, prefix: bytes, params: ModuleParams[FaucetParams], bank: Any) -> None:
        self.prefix = prefix
        self.params = params
        self.bank = bank
        self.jobs = DueQueue(prefix + b"jobs/")

    def _kv(self, store: ReadStore) -> PrefixStore:
        return PrefixStore(store, self.prefix)

    def counter(self, store: ReadStore, key: bytes) -> int:
        raw = self._kv(store).get(key)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def set_counter(self, store: Store, key: bytes, value: int) -> None:
        self._kv(store).set(key, value.to_bytes(8, "big"))

    def mint(self, ctx: Context, msg: MsgMint) -> None:
        limit = self.params.get(ctx.store).max_mint
        if any(coin.amount > limit for coin in msg.amount):
            raise InvalidRequest(f"at most {limit} per denom")
        self.bank.mint(ctx.store, NAME, msg.amount)
        self.bank.send_from_module(ctx.store, NAME, parse_address(msg.recipient), msg.amount)

    def burn(self, ctx: Context, msg: MsgBurn) -> None:
        self.bank.send_to_module(ctx.store, parse_address(msg.holder), NAME, msg.amount)
        self.bank.burn(ctx.store, NAME, msg.amount)

    def enqueue(self, ctx: Context, msg: MsgEnqueue) -> None:
        first = self.counter(ctx.store, b"next_job")
        for job in range(first, first + msg.count):
            self.jobs.push(ctx.store, ctx.env.height, job.to_bytes(8, "big"))
        self.set_counter(ctx.store, b"next_job", first + msg.count)

    def misbehave(self, ctx: Context, msg: MsgMisbehave) -> None:
        if msg.kind == "recursion":
            _descend(0)
        empty: dict[str, int] = {}
        ctx.gas.consume(empty[msg.kind], "unreachable")

    def begin_block(self, ctx: Context) -> None:
        self.set_counter(ctx.store, COUNTER_KEY, self.counter(ctx.store, COUNTER_KEY) + 1)

    def end_block(self, ctx: Context) -> None:
        budget = self.params.get(ctx.store).jobs_per_block
        for job in self.jobs.pop_due(ctx.store, ctx.env.height, budget):
            self.set_counter(ctx.store, DONE_KEY, self.counter(ctx.store, DONE_KEY) + 1)
            ctx.emit(JobDone(job=str(int.from_bytes(job, "big"))))

    def account_is_empty(self, store: ReadStore) -> str | None:
        """Minted coins leave the faucet's account in the same message."""
        held = self.bank.get_all_balances(store, self.bank.module_address(NAME))
        return None if not held else f"the faucet holds {held}"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(FaucetParams, _validate_params, store_prefix(NAME))
    keeper = FaucetKeeper(store_prefix(NAME), params, wiring.keeper("bank"))

    def init(ctx: Context, state: FaucetGenesis) -> None:
        params.set(ctx.store, state.params)
        keeper.set_counter(ctx.store, COUNTER_KEY, state.blocks)

    def export(store: ReadStore) -> FaucetGenesis:
        return FaucetGenesis(params=params.get(store), blocks=keeper.counter(store, COUNTER_KEY))

    def query_blocks(store: ReadStore, request: dict[str, Any]) -> Any:
        return {"blocks": keeper.counter(store, COUNTER_KEY), "done": keeper.counter(store, DONE_KEY)}

    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(FaucetGenesis, lambda state: _validate_params(state.params), init, export),
        messages={
            MsgMint: keeper.mint,
            MsgBurn: keeper.burn,
            MsgEnqueue: keeper.enqueue,
            MsgMisbehave: keeper.misbehave,
            MsgUpdateParams: update_params_handler(params, wiring.authority),
        },
        queries={"blocks": query_blocks},
        params=params,
        begin_block=keeper.begin_block,
        end_block=keeper.end_block,
        invariants={"account-empty": partial(FaucetKeeper.account_is_empty, keeper)},
    )


def _descend(depth: int) -> int:
    return _descend(depth + 1) + 1


def _validate_params(params: FaucetParams) -> None:
    if params.jobs_per_block == 0:
        raise InvalidRequest("jobs_per_block must be positive")


FAUCET = ModuleDef(
    NAME, build, accounts=(ModuleAccount(NAME, frozenset({Permission.MINTER, Permission.BURNER})),)
)


def registry_with_faucet() -> Registry:
    return Registry((*MODULES, FAUCET), AUTHORITY)


def faucet_address(registry: Registry) -> Address:
    return registry.accounts[NAME].address
