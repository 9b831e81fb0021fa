"""What the application does at an upgrade's height (Cosmos's ``PreBlocker``): a binary
without the migration refuses the block with state untouched, the next release runs the
migration once, a skipping node clears the plan, and a release run too early refuses every
block before the plan's."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
import pytest

from genesis.schema import MintParams
from tests.vm.helpers import GENESIS_TIME_NS, apply_block, block_request, committed_values, events_of
from tests.vm.upgrade.chain import KEEPER, upgrade_genesis
from vm.app import App
from vm.context import Context
from vm.module import ModuleParams
from vm.modules import default_registry
from vm.store.kv import MemoryKV
from vm.upgrade.errors import BinaryUpdatedEarly, UpgradeNeeded
from vm.upgrade.types import Plan, UpgradeHandler

MINT_PARAMS: ModuleParams[MintParams] = default_registry().keeper("mint").params


class Migration:
    """A release's migration that counts its runs and leaves a mark in state: one more
    block a year in the mint params."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, Plan]] = []

    def __call__(self, ctx: Context, plan: Plan) -> None:
        self.runs.append((ctx.env.height, plan))
        params = MINT_PARAMS.get(ctx.store)
        MINT_PARAMS.set(
            ctx.store, msgspec.structs.replace(params, blocks_per_year=params.blocks_per_year + 1)
        )


def open_app(
    kv: MemoryKV,
    handlers: Mapping[str, UpgradeHandler] | None = None,
    skip: frozenset[int] = frozenset(),
) -> App:
    """The binary: an App on the node's store, with its migrations and skip heights."""
    return App(kv, default_registry(), upgrade_handlers=handlers or {}, skip_upgrade_heights=skip)


def started(kv: MemoryKV, plan: tuple[str, int], info: str = "") -> App:
    app = open_app(kv)
    app.init_chain(upgrade_genesis(plan=plan, info=info), GENESIS_TIME_NS)
    return app


def blocks_per_year(app: App) -> int:
    params: MintParams = MINT_PARAMS.get(app.state.values)
    return params.blocks_per_year


def test_the_old_binary_halts_at_the_height_with_state_untouched() -> None:
    kv = MemoryKV()
    app = started(kv, ("v2", 3), info='{"binaries":{}}')
    apply_block(app, [])
    apply_block(app, [])
    assert app.upgrade_due(3) == Plan("v2", 3, '{"binaries":{}}')
    before, values = app.info(), committed_values(app)
    with pytest.raises(UpgradeNeeded) as halted:
        app.finalize_block(block_request(3, GENESIS_TIME_NS + 3 * 10**9, []))
    assert (halted.value.name, halted.value.height, halted.value.info) == ("v2", 3, '{"binaries":{}}')
    assert str(halted.value) == 'upgrade v2 needed at height 3: {"binaries":{}}'
    assert app.info() == before and committed_values(app) == values
    with pytest.raises(RuntimeError, match="commit without finalize_block"):
        app.commit()  # nothing of block 3 is waiting to be committed


def test_no_upgrade_is_due_before_its_height() -> None:
    app = started(MemoryKV(), ("v2", 3))
    assert app.upgrade_due(2) is None
    apply_block(app, [])
    apply_block(app, [])
    assert KEEPER.get_plan(app.state.values) == Plan("v2", 3, "")


def test_the_next_release_runs_the_migration_once() -> None:
    kv = MemoryKV()
    old = started(kv, ("v2", 3))
    apply_block(old, [])
    apply_block(old, [])
    before = blocks_per_year(old)
    migration = Migration()
    new = open_app(kv, {"v2": migration})
    assert new.upgrade_due(3) is None
    result = apply_block(new, [])
    assert migration.runs == [(3, Plan("v2", 3, ""))]
    assert events_of(result.events, "upgrade_applied") == [{"name": "v2", "height": "3"}]
    apply_block(new, [])
    assert migration.runs == [(3, Plan("v2", 3, ""))]
    assert blocks_per_year(new) == before + 1
    assert KEEPER.get_plan(new.state.values) is None
    assert KEEPER.applied_height(new.state.values, "v2") == 3


def test_the_migration_runs_before_the_modules_hooks() -> None:
    """Its writes are in the block's state whatever the hooks do after it: mint's begin-block
    hook reads the migrated params in the same block."""
    kv = MemoryKV()
    started(kv, ("v2", 1))
    seen: list[bool] = []

    def migrate(ctx: Context, plan: Plan) -> None:
        seen.append(KEEPER.get_plan(ctx.store) == plan)
        Migration()(ctx, plan)

    new = open_app(kv, {"v2": migrate})
    result = apply_block(new, [])
    assert seen == [True]
    types = [event.type for event in result.events]
    assert types.index("upgrade_applied") < types.index("mint")
    assert blocks_per_year(new) == MintParams().blocks_per_year + 1


def test_a_skipping_node_clears_the_plan_without_migrating() -> None:
    kv = MemoryKV()
    started(kv, ("v2", 3))
    app = open_app(kv, skip=frozenset({3}))
    apply_block(app, [])
    apply_block(app, [])
    assert app.upgrade_due(3) is None
    result = apply_block(app, [])
    assert events_of(result.events, "upgrade_skipped") == [{"name": "v2", "height": "3"}]
    apply_block(app, [])
    assert KEEPER.get_plan(app.state.values) is None
    assert KEEPER.applied_height(app.state.values, "v2") == 0
    assert blocks_per_year(app) == MintParams().blocks_per_year


def test_a_skip_height_without_a_plan_changes_nothing() -> None:
    kv = MemoryKV()
    reference = started(MemoryKV(), ("v2", 9))
    started(kv, ("v2", 9))
    app = open_app(kv, skip=frozenset({2}))
    for _ in range(3):
        assert apply_block(app, []).app_hash == apply_block(reference, []).app_hash


def test_invalid_binary_updated_before_the_upgrade_height() -> None:
    kv = MemoryKV()
    started(kv, ("v2", 10))
    early = open_app(kv, {"v2": Migration()})
    before = early.info()
    with pytest.raises(
        BinaryUpdatedEarly, match="binary updated before upgrade height: upgrade v2 is planned"
    ):
        early.finalize_block(block_request(1, GENESIS_TIME_NS + 10**9, []))
    assert early.info() == before
    assert early.upgrade_due(1) is None  # not a halt for another binary: this one is too new


def test_a_plan_whose_height_has_passed_is_due_at_the_next_block() -> None:
    """A plan exported at a halted height starts a new chain that must upgrade first (Cosmos's
    ``ShouldExecute``: due at any height at or after the plan's)."""
    doc = msgspec.structs.replace(upgrade_genesis(plan=("v2", 3)), initial_height=7)
    app = open_app(MemoryKV())
    app.init_chain(doc, GENESIS_TIME_NS)
    assert app.upgrade_due(7) == Plan("v2", 3, "")
    with pytest.raises(UpgradeNeeded, match="upgrade v2 needed at height 7"):
        app.finalize_block(block_request(7, GENESIS_TIME_NS + 10**9, []))
