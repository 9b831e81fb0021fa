"""upgrade events. Cosmos v0.50 emits none besides the message event; depind names each
change of the plan, so that explorers and operators can follow an upgrade from its proposal
to its block. ``height`` is the plan's, and for ``upgrade_applied`` the block's that ran the
migration (the same height, unless genesis imported a plan whose height had passed)."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent


class UpgradeScheduled(TypedEvent, tag="upgrade_scheduled", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    height: str


class UpgradeCancelled(TypedEvent, tag="upgrade_cancelled", frozen=True):
    """The scheduled plan was cancelled or replaced by another."""

    indexed: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    height: str


class UpgradeApplied(TypedEvent, tag="upgrade_applied", frozen=True):
    indexed: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    height: str


class UpgradeSkipped(TypedEvent, tag="upgrade_skipped", frozen=True):
    """This node was told to skip the upgrade at this height (``--unsafe-skip-upgrades``):
    its plan is cleared without a migration."""

    indexed: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    height: str
