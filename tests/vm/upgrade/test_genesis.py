"""upgrade genesis: the scheduled plan and the applied ones survive export then init, and
a section that could never have been exported is refused."""

from __future__ import annotations

import pytest

from genesis.upgrade import AppliedPlanJSON, PlanJSON, UpgradeGenesis
from tests.vm.helpers import apply_block, new_app
from tests.vm.upgrade.chain import KEEPER, upgrade_genesis
from vm.app import App
from vm.errors import InvalidRequest
from vm.modules import default_registry
from vm.store.kv import MemoryKV
from vm.upgrade.genesis import validate_genesis
from vm.upgrade.types import MAX_NAME_BYTES, Plan


def reimported(app: App) -> App:
    """A new chain from ``app``'s export, at the next height."""
    doc = app.export_genesis(upgrade_genesis())
    again = App(MemoryKV(), default_registry())
    again.init_chain(doc, 0)
    return again


def test_default_genesis_is_empty() -> None:
    app = new_app(upgrade_genesis())
    assert KEEPER.get_plan(app.state.values) is None
    assert app.export_genesis(upgrade_genesis()).app_state["upgrade"] == {"plan": None, "applied": []}


def test_export_then_init_round_trips() -> None:
    app = new_app(upgrade_genesis(plan=("v3", 40), applied={"v2": 3, "v1": 2}, info="notes"))
    apply_block(app, [])
    again = reimported(app)
    assert KEEPER.get_plan(again.state.values) == Plan("v3", 40, "notes")
    assert KEEPER.applied_plans(again.state.values) == [("v1", 2), ("v2", 3)]
    assert again.export_genesis(upgrade_genesis()).app_state["upgrade"] == {
        "plan": {"name": "v3", "height": 40, "info": "notes"},
        "applied": [{"name": "v1", "height": 2}, {"name": "v2", "height": 3}],
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (UpgradeGenesis(plan=PlanJSON(name="", height=3)), "name cannot be empty"),
        (UpgradeGenesis(plan=PlanJSON(name="v" * (MAX_NAME_BYTES + 1), height=3)), "name is longer"),
        (UpgradeGenesis(applied=[AppliedPlanJSON(name="", height=3)]), "name cannot be empty"),
        (
            UpgradeGenesis(
                applied=[AppliedPlanJSON(name="v1", height=2), AppliedPlanJSON(name="v1", height=3)]
            ),
            "upgrade v1 is applied twice",
        ),
        (
            UpgradeGenesis(
                plan=PlanJSON(name="v1", height=9), applied=[AppliedPlanJSON(name="v1", height=2)]
            ),
            "upgrade with name v1 has already been completed",
        ),
    ],
)
def test_invalid_genesis(section: UpgradeGenesis, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        validate_genesis(section)


def test_invalid_genesis_height_is_refused_when_read() -> None:
    doc = upgrade_genesis()
    doc.app_state["upgrade"] = {"plan": {"name": "v2", "height": 0}}
    with pytest.raises(InvalidRequest, match="genesis"):
        default_registry().validate_genesis(doc)
