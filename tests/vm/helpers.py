"""Vector-style helpers for vm/ tests: a funded genesis, signed txs and whole blocks.

A test reads as pre-state (``make_genesis`` + ``new_app``), operation
(``sign_tx`` + ``apply_block`` or ``App.check_tx``) and post-state (``balance``,
``account``, ``get_provider`` read from the committed store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.message import Message

from consensus.abci import FinalizeBlockRequest
from genesis.schema import (
    AuthGenesis,
    AuthParams,
    Balance,
    BankGenesis,
    CoinJSON,
    GenesisAccount,
    GenesisDoc,
    MinterJSON,
    MintGenesis,
    MintParams,
    ProviderGenesis,
    ProviderParams,
    app_state,
    get_section,
)
from node.keys.hd import PrivateKey
from vm.app import App, FinalizeResult
from vm.auth.ante import FEE_COLLECTOR
from vm.auth.keeper import Account, AuthKeeper
from vm.bank.keeper import BankKeeper
from vm.bank.msgs import MsgSend
from vm.codec import proto_class
from vm.context import BlockEnv, Context, Event
from vm.errors import InvalidTx
from vm.execute import TxResult
from vm.gas import GasMeter
from vm.modules import default_registry
from vm.msg import Msg
from vm.protowire import RawTx, encode_tx_raw, parse_tx_raw
from vm.provider.keeper import Provider, ProviderKeeper
from vm.provider.msgs import GpuSpec, MsgRegisterProvider
from vm.registry import Registry
from vm.state import VALUE_PREFIX
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV, prefix_end
from vm.tx import Fee, SignMode, Tx, sign_bytes, unsigned_tx
from vm.types import Address, Coin, module_address, parse_address

CHAIN_ID = "depin-test-1"
DENOM = "udepin"
GENESIS_TIME = "2024-01-01T00:00:00Z"
GENESIS_TIME_NS = 1_704_067_200 * 10**9
BLOCK_INTERVAL_NS = 10**9
GAS = 200_000
FEE = 2_000  # the minimum for GAS at the default price of 1/100 udepin per gas
FUNDS = 10**12


def key(n: int) -> PrivateKey:
    """A fixed test key: secret = n repeated over 32 bytes (n in 1..255)."""
    return PrivateKey(bytes([n]) * 32)


ALICE, BOB, CAROL, DAVE = key(1), key(2), key(3), key(4)
STRANGER = key(99)  # never funded: has no account


def raw(k: PrivateKey | str) -> Address:
    """The raw 20-byte address of a key or bech32 address."""
    return parse_address(k if isinstance(k, str) else k.address)


def coins(amount: int, denom: str = DENOM) -> list[Coin]:
    return [Coin(denom, amount)]


NO_INFLATION = MintGenesis(
    minter=MinterJSON(inflation="0"), params=MintParams(inflation_min="0", inflation_max="0")
)
"""Mint genesis that mints nothing, so that tests can assert exact supplies and balances."""


def make_genesis(
    funded: Mapping[Any, int | Sequence[Coin]] | None = None,  # PrivateKey or bech32 -> funds
    *,
    chain_id: str = CHAIN_ID,
    auth_params: AuthParams | None = None,
    provider_params: ProviderParams | None = None,
    initial_height: int = 1,
    mint: MintGenesis = NO_INFLATION,
) -> GenesisDoc:
    """A genesis whose accounts hold the given funds (an int means that many udepin), with
    no inflation unless ``mint`` says otherwise."""
    if funded is None:
        funded = {ALICE: FUNDS, BOB: FUNDS, CAROL: FUNDS}
    accounts, balances = [], []
    for holder, funds in funded.items():
        address = holder if isinstance(holder, str) else holder.address
        held = coins(funds) if isinstance(funds, int) else list(funds)
        accounts.append(GenesisAccount(address=address))
        balances.append(
            Balance(address=address, coins=[CoinJSON(denom=c.denom, amount=c.amount) for c in held])
        )
    return GenesisDoc(
        genesis_time=GENESIS_TIME,
        chain_id=chain_id,
        initial_height=initial_height,
        app_state=app_state(
            auth=AuthGenesis(params=auth_params or AuthParams(), accounts=accounts),
            bank=BankGenesis(balances=balances),
            provider=ProviderGenesis(params=provider_params or ProviderParams()),
            mint=mint,
        ),
    )


def new_app(
    doc: GenesisDoc | None = None, kv: MemoryKV | None = None, registry: Registry | None = None
) -> App:
    """An App on a fresh MemoryKV, with ``doc`` (default: ``make_genesis()``) committed."""
    app = App(kv if kv is not None else MemoryKV(), registry or default_registry())
    app.init_chain(doc if doc is not None else make_genesis(), GENESIS_TIME_NS)
    return app


def make_tx(
    k: PrivateKey,
    chain_id: str,
    account_number: int,
    sequence: int,
    msgs: Sequence[Msg],
    fee: int | Sequence[Coin] = FEE,
    gas: int = GAS,
    memo: str = "",
    timeout_height: int = 0,
    pubkey: bytes | None = None,
    mode: SignMode = SignMode.DIRECT,
    omit_pubkey: bool = False,
) -> Tx:
    """A signed Tx value; ``pubkey`` overrides the key's own in the auth info."""
    amount = (coins(fee) if fee else []) if isinstance(fee, int) else list(fee)
    tx = unsigned_tx(
        msgs,
        pubkey=None if omit_pubkey else (pubkey if pubkey is not None else k.public_key),
        sequence=sequence,
        fee=Fee(amount, gas),
        memo=memo,
        timeout_height=timeout_height,
        mode=mode,
    )
    signature = k.sign(sign_bytes(tx, chain_id, account_number, sequence))
    return msgspec.structs.replace(tx, signature=signature, raw=tx.raw._replace(signatures=(signature,)))


def sign_tx(
    k: PrivateKey,
    chain_id: str,
    account_number: int,
    sequence: int,
    msgs: Sequence[Msg],
    fee: int | Sequence[Coin] = FEE,
    gas: int = GAS,
    memo: str = "",
    timeout_height: int = 0,
    pubkey: bytes | None = None,
    mode: SignMode = SignMode.DIRECT,
    omit_pubkey: bool = False,
) -> bytes:
    """Encoded signed tx bytes (a Cosmos TxRaw)."""
    tx = make_tx(
        k, chain_id, account_number, sequence, msgs, fee, gas, memo, timeout_height, pubkey, mode, omit_pubkey
    )
    return encode_tx_raw(tx.raw)


def encode(tx: Tx) -> bytes:
    """The TxRaw of a Tx value: its body and auth info bytes as built, and its signature."""
    return encode_tx_raw(tx.raw._replace(signatures=(tx.signature,)))


def rewrite(
    data: bytes, body: Mapping[str, Any] | None = None, auth_fee: Mapping[str, Any] | None = None
) -> bytes:
    """``data`` with TxBody fields (``body``) or AuthInfo.fee fields changed after signing."""
    raw = parse_tx_raw(data)
    body_pb = tx_pb2.TxBody.FromString(raw.body_bytes)
    auth_pb = tx_pb2.AuthInfo.FromString(raw.auth_info_bytes)
    for name, value in (body or {}).items():
        setattr(body_pb, name, value)
    for name, value in (auth_fee or {}).items():
        setattr(auth_pb.fee, name, value)
    return encode_tx_raw(RawTx(body_pb.SerializeToString(), auth_pb.SerializeToString(), raw.signatures))


def signed(
    app: App,
    k: PrivateKey,
    msgs: Sequence[Msg],
    sequence: int | None = None,
    fee: int | Sequence[Coin] = FEE,
    gas: int = GAS,
    memo: str = "",
    timeout_height: int = 0,
) -> bytes:
    """A tx from ``k`` with its committed account number and (by default) next sequence."""
    found = account(app, k)
    number = found.account_number if found is not None else 0
    if sequence is None:
        sequence = found.sequence if found is not None else 0
    return sign_tx(k, app.state.chain_id(), number, sequence, msgs, fee, gas, memo, timeout_height)


PROPOSER = b"\x01" * 20  # a validator address whose node has no beacon entries to give


def block_request(
    height: int, time_ns: int, txs: list[bytes], proposer: bytes = PROPOSER
) -> FinalizeBlockRequest:
    """A decided block at ``height``, with no last commit."""
    block_hash = hashlib.sha256(b"block %d" % height).digest()
    return FinalizeBlockRequest(
        height, time_ns, proposer, block_hash, hashlib.sha256(b"%d" % height).digest(), txs
    )


def apply_block(
    app: App,
    txs: Iterable[bytes],
    height: int | None = None,
    time_ns: int | None = None,
    proposer: bytes = PROPOSER,
) -> FinalizeResult:
    """finalize_block then commit; height and time default to the next ones."""
    last = app.state.height()
    height = last + 1 if height is None else height
    time_ns = GENESIS_TIME_NS + height * BLOCK_INTERVAL_NS if time_ns is None else time_ns
    result = app.finalize_block(block_request(height, time_ns, list(txs), proposer))
    app.commit()
    return result


SECTIONS: dict[str, type[msgspec.Struct]] = {
    "auth": AuthGenesis,
    "bank": BankGenesis,
    "provider": ProviderGenesis,
    "mint": MintGenesis,
}


def section(doc: GenesisDoc, name: str) -> Any:
    """A module's typed genesis section."""
    return get_section(doc, name, SECTIONS[name])


def with_app_state(doc: GenesisDoc, **sections: msgspec.Struct) -> GenesisDoc:
    """``doc`` with these module sections replaced."""
    return msgspec.structs.replace(doc, app_state={**doc.app_state, **app_state(**sections)})


def deliver(app: App, tx: bytes) -> TxResult:
    """Run ``tx`` alone in the next block, commit, and return its result."""
    return apply_block(app, [tx]).tx_results[0]


def empty_blocks(app: App, count: int) -> None:
    for _ in range(count):
        apply_block(app, [])


# -- post-state readers (committed store) -------------------------------------------


def send(sender: PrivateKey | str, recipient: PrivateKey | str, amount: int | Sequence[Coin]) -> MsgSend:
    def text(x: PrivateKey | str) -> str:
        return x if isinstance(x, str) else x.address

    held = coins(amount) if isinstance(amount, int) else list(amount)
    return MsgSend(text(sender), text(recipient), held)


POOL = module_address("provider")
AUTH: AuthKeeper = default_registry().keeper("auth")
BANK: BankKeeper = default_registry().keeper("bank")
PROVIDERS: ProviderKeeper = default_registry().keeper("provider")


def balance(app: App, holder: PrivateKey | str | bytes, denom: str = DENOM) -> int:
    address = Address(holder) if isinstance(holder, bytes) else raw(holder)
    return BANK.get_balance(app.state.values, address, denom)


def supply(app: App, denom: str = DENOM) -> int:
    return BANK.get_supply(app.state.values, denom)


def fees_collected(app: App) -> int:
    return balance(app, FEE_COLLECTOR)


def pool_balance(app: App, denom: str = DENOM) -> int:
    return balance(app, POOL, denom)


def account(app: App, holder: PrivateKey | str) -> Account | None:
    return AUTH.get_account(app.state.values, raw(holder))


def account_of(app: App, holder: PrivateKey | str) -> Account:
    found = account(app, holder)
    assert found is not None, f"no account for {holder}"
    return found


def sequence(app: App, holder: PrivateKey | str) -> int:
    found = account(app, holder)
    return -1 if found is None else found.sequence


def get_provider(app: App, holder: PrivateKey | str) -> Provider | None:
    return PROVIDERS.get_provider(app.state.values, raw(holder))


def provider_of(app: App, holder: PrivateKey | str) -> Provider:
    found = get_provider(app, holder)
    assert found is not None, f"no provider for {holder}"
    return found


def committed_values(app: App) -> dict[bytes, bytes]:
    """Every committed state value (without the tree and metadata)."""
    items = app.kv.iterate(VALUE_PREFIX, prefix_end(VALUE_PREFIX))
    return {k[len(VALUE_PREFIX) :]: v for k, v in items}


def changed_keys(before: Mapping[bytes, bytes], after: Mapping[bytes, bytes]) -> set[bytes]:
    """Keys whose values differ, leaving out the beacon and the market's clock, which every
    block moves."""
    return {
        k
        for k in before.keys() | after.keys()
        if before.get(k) != after.get(k) and not k.startswith(EVERY_BLOCK)
    }


BEACON_PREFIX = b"beacon/"
EVERY_BLOCK = (BEACON_PREFIX, b"market/clock")  # keys every block writes


def clone(app: App) -> App:
    """An app on a copy of ``app``'s store: the same chain, to run a block on in parallel."""
    return App(MemoryKV(dict(app.kv.iterate(b""))), app.registry)


def query_json(app: App, path: str, request: object | None = None) -> object:
    data = b"" if request is None else msgspec.json.encode(request)
    result = app.query(path, data)
    if result.code != 0:
        raise AssertionError(f"query {path} failed: {result.codespace} {result.code} {result.log}")
    return msgspec.json.decode(result.value)


def events_of(events: Iterable[Event], type_: str) -> list[dict[str, str]]:
    return [{a.key: a.value for a in e.attributes} for e in events if e.type == type_]


# -- provider vectors -----------------------------------------------------------------


def uuid_hash(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def gpu(count: int = 1, *uuids: str, model: str = "NVIDIA H100 80GB HBM3") -> GpuSpec:
    return GpuSpec(model, 81_559, "9.0", count, [uuid_hash(u) for u in uuids])


def register_msg(
    owner: PrivateKey,
    gpus: Sequence[GpuSpec] | None = None,
    collateral: int = 1_000_000,
    denom: str = DENOM,
    region: str = "eu-west",
    endpoint: str = "https://gpu.example.org:8443/v1",
) -> MsgRegisterProvider:
    return MsgRegisterProvider(
        owner.address,
        list(gpus) if gpus is not None else [gpu(1, f"GPU-{owner.address}")],
        region,
        endpoint,
        Coin(DENOM, 2_500),
        Coin(denom, collateral),
    )


def unpack(packed: AnyPb) -> Message:
    """A packed ``<Msg>Response`` as its own class."""
    return proto_class(packed.type_url).FromString(packed.value)


def msg_responses(data: bytes) -> list[Message]:
    """The responses in a tx result's ``data`` (``TxMsgData``), unpacked, in message order."""
    return [unpack(packed) for packed in abci_pb2.TxMsgData.FromString(data).msg_responses]


def assert_code(result: Any, code: int, codespace: str = "sdk") -> None:
    """``result`` (a TxResult or QueryResult) carries this stable code (0: accepted)."""
    want = (codespace if code else "", code)
    assert (result.codespace, result.code) == want, f"expected {want}: {result.log}"


CHAIN_BLOCK_NS = 5 * 10**9  # header time between ModuleChain's blocks


class ModuleChain:
    """Blocks of module work on a cache over a genesis, for keeper-level tests: ``run``
    routes a message as a tx would (its writes kept only if it succeeds); subclasses add
    the block hooks and reads their module needs."""

    def __init__(self, doc: Any, registry: Registry | None = None) -> None:
        self.app: App = new_app(doc, registry=registry)
        self.registry = self.app.registry
        self.store = CacheStore(self.app.state.values)
        self.height = 1
        self.time_ns = GENESIS_TIME_NS + CHAIN_BLOCK_NS
        self.events: list[Event] = []

    @property
    def bank(self) -> BankKeeper:
        bank: BankKeeper = self.registry.keeper("bank")
        return bank

    def env(self) -> BlockEnv:
        return BlockEnv("depin-test-1", self.height, self.time_ns, b"", b"")

    def ctx(self, store: Any = None) -> Context:
        return Context(store if store is not None else self.store, self.env(), GasMeter(10**12))

    def run(self, msg: Msg) -> list[Event]:
        """Route ``msg`` after its stateless checks; raises its ``InvalidTx``, leaving no trace.
        Returns the events it emitted."""
        emitted = len(self.events)
        self.answer(msg)
        return self.events[emitted:]

    def answer(self, msg: Msg) -> Message:
        """``run``, returning the message's response instead (unpacked)."""
        msg.validate()
        tx = CacheStore(self.store)
        ctx = self.ctx(tx)
        response = self.registry.route(ctx, msg)
        tx.write()
        self.events.extend(ctx.events)
        return unpack(response)

    def fails(self, msg: Msg) -> InvalidTx:
        try:
            self.run(msg)
        except InvalidTx as error:
            return error
        raise AssertionError(f"{type(msg).__name__} was accepted")
