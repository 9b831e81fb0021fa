"""The upgrade module's genesis section (vm/upgrade, docs/upgrades.md): plain data shapes, as
genesis/schema.py's.

Cosmos's x/upgrade genesis is empty; depind's keeps the scheduled plan and the applied ones,
so that a chain exported at any height (a halted one included) starts again from the same
state (export then init round-trips)."""

from __future__ import annotations

import msgspec

from genesis.schema import Doc, Positive


class PlanJSON(Doc):
    name: str
    height: Positive
    info: str = ""


class AppliedPlanJSON(Doc):
    name: str
    height: Positive  # the block that ran its migration


class UpgradeGenesis(Doc):
    plan: PlanJSON | None = None  # the upgrade scheduled, if any
    applied: list[AppliedPlanJSON] = msgspec.field(default_factory=list)  # by name
