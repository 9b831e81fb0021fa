"""The module registry: a module defined only in the tests (tests/vm/faucet.py) plugs
in through it, and the registry's own rules (names, prefixes, messages, accounts)."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.faucet import (
    FAUCET,
    NAME,
    FaucetGenesis,
    FaucetParams,
    MsgBurn,
    MsgEnqueue,
    MsgMint,
    MsgUpdateParams,
    faucet_address,
    registry_with_faucet,
)
from tests.vm.helpers import (
    ALICE,
    BOB,
    DENOM,
    FUNDS,
    apply_block,
    assert_code,
    balance,
    coins,
    committed_values,
    deliver,
    events_of,
    make_genesis,
    new_app,
    query_json,
    section,
    signed,
    supply,
    with_app_state,
)
from vm.app import App, validate_genesis
from vm.context import Context
from vm.errors import InvalidTx
from vm.gas import GasMeter
from vm.module import ModuleAccount, ModuleDef, Permission, store_prefix
from vm.modules import AUTHORITY, MODULES, default_registry
from vm.registry import Registry
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV
from vm.types import format_address

REGISTRY = registry_with_faucet()


def faucet_app(doc: object | None = None) -> App:
    genesis = doc if doc is not None else make_genesis()
    return new_app(genesis, registry=REGISTRY)  # type: ignore[arg-type]


def test_messages_of_a_plugged_in_module_are_routed() -> None:
    app = faucet_app()
    result = deliver(app, signed(app, ALICE, [MsgMint(ALICE.address, coins(500))]))
    assert_code(result, 0)
    assert balance(app, ALICE) == FUNDS + 500 - 2_000
    assert supply(app) == 3 * FUNDS + 500
    assert events_of(result.events, "message") == [
        {"action": "/tests.faucet.v1.MsgMint", "sender": ALICE.address, "module": NAME}
    ]
    burned = deliver(app, signed(app, ALICE, [MsgBurn(ALICE.address, coins(200))]))
    assert_code(burned, 0)
    assert supply(app) == 3 * FUNDS + 300
    assert balance(app, faucet_address(REGISTRY)) == 0


def test_the_default_chain_does_not_know_the_test_module() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, ALICE, [MsgMint(ALICE.address, coins(5))])), 6)


def test_module_genesis_round_trips_to_the_same_app_hash() -> None:
    doc = with_app_state(make_genesis(), faucet=FaucetGenesis(params=FaucetParams(max_mint=7), blocks=40))
    app = faucet_app(doc)
    assert query_json(app, "/faucet/blocks") == {"blocks": 40, "done": 0}
    apply_block(app, [signed(app, ALICE, [MsgMint(ALICE.address, coins(7))])])
    exported = app.export_genesis(doc)
    assert msgspec.convert(exported.app_state[NAME], FaucetGenesis) == FaucetGenesis(
        params=FaucetParams(max_mint=7), blocks=41
    )
    imported = App(MemoryKV(), REGISTRY)
    imported.init_chain(msgspec.structs.replace(exported, initial_height=2), 0)
    assert imported.info()[1] == app.info()[1]
    assert committed_values(imported) == committed_values(app)


def test_hooks_run_in_every_block() -> None:
    app = faucet_app()
    for _ in range(3):
        apply_block(app, [])
    assert query_json(app, "/faucet/blocks") == {"blocks": 3, "done": 0}


def test_invariants_are_checked_at_genesis() -> None:
    leaky = make_genesis({ALICE: FUNDS, format_address(faucet_address(REGISTRY)): 5})
    with pytest.raises(InvalidTx, match="faucet/account-empty: the faucet holds"):
        validate_genesis(leaky, REGISTRY)
    assert REGISTRY.broken_invariants(faucet_app().state.values) == []


def test_params_change_only_through_the_authority() -> None:
    app = faucet_app()
    update = MsgUpdateParams(ALICE.address, FaucetParams(max_mint=1))
    assert_code(deliver(app, signed(app, ALICE, [update])), 4)  # a user is not the authority
    store = CacheStore(app.state.values)
    ctx = Context(store, app.next_env(), GasMeter(10**9))
    REGISTRY.route(ctx, MsgUpdateParams(format_address(AUTHORITY), FaucetParams(max_mint=1)))
    assert REGISTRY.params(store, NAME) == {NAME: {"max_mint": 1, "jobs_per_block": 3}}
    with pytest.raises(InvalidTx, match="jobs_per_block"):
        REGISTRY.route(ctx, MsgUpdateParams(format_address(AUTHORITY), FaucetParams(jobs_per_block=0)))


def test_module_params_are_queried_together() -> None:
    params = query_json(faucet_app(), "/params")
    assert isinstance(params, dict)
    assert list(params) == [
        "auth",
        "bank",
        "staking",
        "mint",
        "distribution",
        "slashing",
        "consensus",
        "provider",
        "market",
        "compute",
        "gov",
        NAME,
    ]


def test_invalid_unknown_app_state_section() -> None:
    doc = make_genesis()
    doc = msgspec.structs.replace(doc, app_state={**doc.app_state, "faucet": {}})
    with pytest.raises(InvalidTx, match="sections for no module: faucet"):
        validate_genesis(doc)
    validate_genesis(doc, REGISTRY)


def test_invalid_unknown_field_in_a_section() -> None:
    doc = make_genesis()
    auth = msgspec.to_builtins(section(doc, "auth"))
    auth["surprise"] = 1
    with pytest.raises(InvalidTx, match="surprise"):
        validate_genesis(msgspec.structs.replace(doc, app_state={**doc.app_state, "auth": auth}))


def test_queue_larger_than_the_budget_drains_over_blocks_identically_on_every_node() -> None:
    """40 jobs, 3 per block: 14 blocks, the same app hash on three nodes at every height."""
    nodes = [faucet_app() for _ in range(3)]
    enqueue = signed(nodes[0], ALICE, [MsgEnqueue(ALICE.address, 40)], fee=4_000, gas=400_000)
    done: list[int] = []
    for height in range(1, 17):
        txs = [enqueue] if height == 1 else []
        results = [apply_block(node, txs) for node in nodes]
        assert len({r.app_hash for r in results}) == 1
        done.append(len(events_of(results[0].events, "faucet_job_done")))
    assert done == [3] * 13 + [1, 0, 0]
    assert query_json(nodes[0], "/faucet/blocks") == {"blocks": 16, "done": 40}


# -- the registry's own rules ----------------------------------------------------------------


def test_module_prefixes_are_prefix_free() -> None:
    prefixes = [store_prefix(d.name) for d in (*MODULES, FAUCET)]
    for a in prefixes:
        for b in prefixes:
            assert a == b or not b.startswith(a), (a, b)


def test_every_state_key_lies_under_exactly_one_module_prefix() -> None:
    app = faucet_app()
    apply_block(app, [signed(app, ALICE, [MsgMint(BOB.address, coins(1)), MsgEnqueue(ALICE.address, 1)])])
    prefixes = [store_prefix(m.name) for m in REGISTRY.modules]
    for key in committed_values(app):
        assert sum(key.startswith(p) for p in prefixes) == 1, key


@pytest.mark.parametrize("name", ["", "Bank", "bank2", "a/b", "x" * 33])
def test_invalid_module_name(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase letters"):
        Registry((*MODULES, ModuleDef(name, FAUCET.build)), AUTHORITY)


def test_invalid_two_modules_with_one_name() -> None:
    with pytest.raises(ValueError, match="share a name"):
        Registry((*MODULES, MODULES[1]), AUTHORITY)


def test_invalid_module_account_declared_twice() -> None:
    again = ModuleDef("other", FAUCET.build, accounts=(ModuleAccount(NAME),))
    with pytest.raises(ValueError, match="declared twice"):
        Registry((*MODULES, FAUCET, again), AUTHORITY)


def test_invalid_message_handled_by_two_modules() -> None:
    twin = ModuleDef("twin", FAUCET.build)
    with pytest.raises(ValueError, match="handled by two modules"):
        Registry((*MODULES, FAUCET, twin), AUTHORITY)


def test_invalid_module_that_needs_a_later_one() -> None:
    with pytest.raises(LookupError, match="listed before"):
        Registry((FAUCET, *MODULES), AUTHORITY)


def test_blocked_addresses_are_the_registered_module_accounts() -> None:
    blocked = default_registry().blocked_addresses()
    assert {format_address(a) for a in blocked} == {
        format_address(account.address) for account in default_registry().accounts.values()
    }
    # the fee collector, the two staking pools, mint's account and the PoUW reward pool,
    # distribution's account, the provider pool, the market's escrow, compute's deposits
    # and gov's deposits
    assert len(blocked) == 10


# -- mint and burn by permission only ------------------------------------------------------------


def test_invalid_mint_or_burn_without_the_permission() -> None:
    app = faucet_app()
    bank = REGISTRY.keeper("bank")
    store = CacheStore(app.state.values)
    with pytest.raises(InvalidTx, match="lacks the minter permission"):
        bank.mint(store, "provider", coins(1))
    with pytest.raises(InvalidTx, match="lacks the burner permission"):
        bank.burn(store, "fee_collector", coins(1))
    assert ModuleAccount(NAME, frozenset({Permission.MINTER})).permissions == {Permission.MINTER}
    assert supply(app) == 3 * FUNDS


def test_modules_send_to_each_other() -> None:
    app = faucet_app()
    bank = REGISTRY.keeper("bank")
    store = CacheStore(app.state.values)
    bank.mint(store, NAME, coins(9))
    bank.send_between_modules(store, NAME, "fee_collector", coins(4))
    assert bank.get_balance(store, bank.module_address("fee_collector"), DENOM) == 4
    assert REGISTRY.broken_invariants(store) == [
        "faucet/account-empty: the faucet holds [Coin(denom='udepin', amount=5)]"
    ]


def test_invalid_burn_beyond_the_module_balance() -> None:
    app = faucet_app()
    bank = REGISTRY.keeper("bank")
    with pytest.raises(InvalidTx) as caught:
        bank.burn(CacheStore(app.state.values), NAME, coins(1))
    assert caught.value.code == 5
