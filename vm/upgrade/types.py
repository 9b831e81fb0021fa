"""A software upgrade plan, as the upgrade module keeps it and hands it to a migration.

Cosmos's ``Plan`` also has a time (deprecated: upgrades happen at a height) and an IBC
client state (moved to the IBC module); neither exists here past the message's checks.
"""

from __future__ import annotations

from collections.abc import Callable

from vm.context import Context
from vm.encoding import Canonical
from vm.errors import InvalidRequest
from vm.types import Uint64

MAX_NAME_BYTES = 140
"""A name is what a new release registers its migration under, and what upgrade tools
(cosmovisor) make a folder of. Cosmos sets no bound; this is x/gov v1beta1's bound on a title."""
MAX_INFO_BYTES = 10_000
"""Info is free text (often JSON with download links), kept in state until the upgrade
runs. Cosmos sets no bound; this is x/gov v1beta1's bound on a description."""


class Plan(Canonical, frozen=True):
    """Upgrade to the release that knows ``name`` at ``height``: the block at that height
    runs the release's migration first, and a binary without it stops before that block."""

    name: str
    height: Uint64
    info: str


UpgradeHandler = Callable[[Context, Plan], None]
"""A release's migration for one upgrade (Cosmos's ``UpgradeHandler``): it runs at the start
of the plan's block, in that block's hook context, before any other module's hook."""


def validate_plan(plan: Plan) -> None:
    """Cosmos's ``Plan.ValidateBasic`` for the fields depind keeps, and their bounds."""
    if not plan.name:
        raise InvalidRequest("name cannot be empty")
    if plan.height <= 0:
        raise InvalidRequest("height must be greater than 0")
    if len(plan.name.encode()) > MAX_NAME_BYTES:
        raise InvalidRequest(f"name is longer than {MAX_NAME_BYTES} bytes")
    if len(plan.info.encode()) > MAX_INFO_BYTES:
        raise InvalidRequest(f"info is longer than {MAX_INFO_BYTES} bytes")
