"""One of each upgrade message, for encoding round-trips and sign-mode checks; and the plans
the upgrade tests schedule."""

from __future__ import annotations

from vm.modules import AUTHORITY
from vm.msg import Msg
from vm.types import format_address
from vm.upgrade.msgs import GO_ZERO_TIME, MsgCancelUpgrade, MsgSoftwareUpgrade, ProposedPlan

GOV = format_address(AUTHORITY)


def proposed(name: str = "v2", height: int = 10, info: str = "") -> ProposedPlan:
    """A plan as Go clients encode it: the deprecated time set to Go's zero time (Amino JSON,
    which Ledger signs, cannot leave that field out)."""
    return ProposedPlan(name, GO_ZERO_TIME, height, info)


UPGRADE_MESSAGES: list[Msg] = [
    MsgSoftwareUpgrade(GOV, proposed("v2", 100, '{"binaries":{"linux/amd64":"https://example.org/v2"}}')),
    MsgCancelUpgrade(GOV),
]
