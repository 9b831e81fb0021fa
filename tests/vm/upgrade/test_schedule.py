"""Scheduling and cancelling upgrades (Cosmos's ``ScheduleUpgrade`` and ``ClearUpgradePlan``),
by the authority only; each test reads pre-state, message, post-state."""

from __future__ import annotations

import pytest

from tests.vm.helpers import ALICE, ModuleChain, events_of
from tests.vm.upgrade.chain import KEEPER, upgrade_genesis
from tests.vm.upgrade.vectors import GOV, proposed
from vm.errors import InvalidRequest, Unauthorized
from vm.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade, ProposedPlan, Timestamp
from vm.upgrade.types import Plan


def chain_at(height: int, **genesis: object) -> ModuleChain:
    chain = ModuleChain(upgrade_genesis(**genesis))  # type: ignore[arg-type]
    chain.height = height
    return chain


def scheduled(chain: ModuleChain) -> Plan | None:
    return KEEPER.get_plan(chain.store)


def test_schedule() -> None:
    chain = chain_at(5)
    events = chain.run(MsgSoftwareUpgrade(GOV, proposed("v2", 6, "see notes")))
    assert scheduled(chain) == Plan("v2", 6, "see notes")
    assert events_of(events, "upgrade_scheduled") == [{"name": "v2", "height": "6"}]
    assert events_of(events, "message")[0]["module"] == "upgrade"


def test_schedule_then_replace() -> None:
    """A new plan replaces the scheduled one, as in Cosmos; the old one is reported cancelled."""
    chain = chain_at(5)
    chain.run(MsgSoftwareUpgrade(GOV, proposed("v2", 50)))
    events = chain.run(MsgSoftwareUpgrade(GOV, proposed("v2.1", 40)))
    assert scheduled(chain) == Plan("v2.1", 40, "")
    assert events_of(events, "upgrade_cancelled") == [{"name": "v2", "height": "50"}]
    assert events_of(events, "upgrade_scheduled") == [{"name": "v2.1", "height": "40"}]


def test_cancel() -> None:
    chain = chain_at(5, plan=("v2", 50))
    events = chain.run(MsgCancelUpgrade(GOV))
    assert scheduled(chain) is None
    assert events_of(events, "upgrade_cancelled") == [{"name": "v2", "height": "50"}]


def test_cancel_without_a_plan_does_nothing() -> None:
    chain = chain_at(5)
    events = chain.run(MsgCancelUpgrade(GOV))
    assert scheduled(chain) is None
    assert events_of(events, "upgrade_cancelled") == []


@pytest.mark.parametrize(
    "message", [MsgSoftwareUpgrade(ALICE.address, proposed("v2", 50)), MsgCancelUpgrade(ALICE.address)]
)
def test_invalid_not_the_authority(message: MsgSoftwareUpgrade | MsgCancelUpgrade) -> None:
    chain = chain_at(5, plan=("v1", 30))
    error = chain.fails(message)
    assert isinstance(error, Unauthorized)
    assert f"expected {GOV} as authority, got {ALICE.address}" in error.log
    assert scheduled(chain) == Plan("v1", 30, "")


@pytest.mark.parametrize("height", [1, 4, 5])
def test_invalid_past_height(height: int) -> None:
    """The plan's block must come after the one that schedules it."""
    chain = chain_at(5)
    error = chain.fails(MsgSoftwareUpgrade(GOV, proposed("v2", height)))
    assert isinstance(error, InvalidRequest)
    assert "upgrade cannot be scheduled in the past" in error.log
    assert scheduled(chain) is None


def test_invalid_already_applied() -> None:
    chain = chain_at(5, plan=("v3", 30), applied={"v2": 3})
    error = chain.fails(MsgSoftwareUpgrade(GOV, proposed("v2", 50)))
    assert isinstance(error, InvalidRequest)
    assert "upgrade with name v2 has already been completed" in error.log
    assert scheduled(chain) == Plan("v3", 30, "")


def test_invalid_plan_reaching_the_handler() -> None:
    """A proposal's message reaches the handler without a tx's stateless checks: it checks
    the plan itself, as Cosmos's message server does."""
    chain = chain_at(5)
    timed = ProposedPlan("v2", Timestamp(1_900_000_000, 0), 50, "")
    with pytest.raises(InvalidRequest, match="time-based upgrades have been deprecated"):
        chain.registry.route(chain.ctx(), MsgSoftwareUpgrade(GOV, timed))
    assert scheduled(chain) is None
