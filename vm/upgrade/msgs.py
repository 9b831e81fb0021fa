"""upgrade messages: Cosmos's own (``cosmos.upgrade.v1beta1``), signed by the authority only,
which governance is: a passed proposal carries them.

A Go client (the SDK's CLI) always encodes the plan's deprecated ``time``, as Go's zero time
(0001-01-01T00:00:00Z); other clients leave it out. Both mean "no time". The deprecated
``upgraded_client_state`` has no field here, so a message that sets it does not decode
(``InvalidRequest``, the code Cosmos's check gives).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from cosmpy.protos.cosmos.upgrade.v1beta1 import tx_pb2

from vm.codec import type_url
from vm.encoding import Canonical
from vm.errors import InvalidRequest
from vm.msg import Msg
from vm.types import parse_address
from vm.upgrade.types import Plan, validate_plan

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]

GO_ZERO_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z: Go's zero time.Time


class Timestamp(Canonical, frozen=True):
    seconds: Int64
    nanos: Int32


GO_ZERO_TIME = Timestamp(GO_ZERO_SECONDS, 0)


class ProposedPlan(Canonical, frozen=True):
    """``cosmos.upgrade.v1beta1.Plan`` as a message carries it."""

    name: str
    time: Timestamp | None
    height: Int64
    info: str

    def to_plan(self) -> Plan:
        return Plan(self.name, max(self.height, 0), self.info)

    def validate(self) -> None:
        """Cosmos's ``Plan.ValidateBasic``, in its order."""
        if self.time is not None and self.time != GO_ZERO_TIME:
            raise InvalidRequest("time-based upgrades have been deprecated in the SDK")
        validate_plan(self.to_plan())


class MsgSoftwareUpgrade(Msg, tag=type_url(tx_pb2.MsgSoftwareUpgrade), frozen=True):
    """Schedule ``plan``, replacing the plan scheduled before."""

    authority: str
    plan: ProposedPlan

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        self.plan.validate()


class MsgCancelUpgrade(Msg, tag=type_url(tx_pb2.MsgCancelUpgrade), frozen=True):
    """Cancel the scheduled plan, if any."""

    authority: str

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
