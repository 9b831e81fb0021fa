"""slashing messages: Cosmos's ``cosmos.slashing.v1beta1`` types, field for field.

Cosmos's slashing ``Params`` carry LegacyDec values as ``bytes`` (the ASCII integer text of
their atomics, b"500000000000000000" is 0.5) and the jail duration as a protobuf
``Duration``; ``ParamsUpdate.parsed`` turns them into depind's ``Params``.
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from cosmpy.protos.cosmos.slashing.v1beta1 import tx_pb2

from vm.codec import type_url
from vm.dec import Dec
from vm.encoding import Canonical
from vm.errors import InvalidAddress, InvalidRequest
from vm.msg import Msg
from vm.slashing.params import Params, check_params
from vm.slashing.types import parse_valoper
from vm.types import Address, format_address, parse_address

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
NANOS_PER_SECOND = 10**9
MAX_NS = 2**63 - 1
_ATOMICS = re.compile(rb"^(0|-?[1-9][0-9]{0,95})$")


class MsgUnjail(Msg, tag=type_url(tx_pb2.MsgUnjail), frozen=True):
    """Bring a validator jailed for downtime back, once its jail time has passed; its
    operator signs."""

    validator_addr: str

    def signer(self) -> str:
        try:
            return format_address(Address(parse_valoper(self.validator_addr)))
        except InvalidAddress:
            return ""  # ``validate`` rejects the message before it is signed for

    def validate(self) -> None:
        parse_valoper(self.validator_addr, "validator input address")


class Duration(Canonical, frozen=True):
    seconds: Int64
    nanos: Annotated[int, msgspec.Meta(ge=-999_999_999, le=999_999_999)]

    def ns(self) -> int:
        if (self.seconds > 0 and self.nanos < 0) or (self.seconds < 0 and self.nanos > 0):
            raise InvalidRequest("duration seconds and nanos must have the same sign")
        return self.seconds * NANOS_PER_SECOND + self.nanos


class ParamsUpdate(Canonical, frozen=True):
    """``cosmos.slashing.v1beta1.Params`` as the wire carries it."""

    signed_blocks_window: Int64
    min_signed_per_window: bytes
    downtime_jail_duration: Duration | None
    slash_fraction_double_sign: bytes
    slash_fraction_downtime: bytes

    def parsed(self) -> Params:
        duration = self.downtime_jail_duration.ns() if self.downtime_jail_duration is not None else 0
        if duration > MAX_NS:
            raise InvalidRequest(f"downtime jail duration is too long: {duration}ns")
        return Params(
            signed_blocks_window=self.signed_blocks_window,
            min_signed_per_window=_atomics(self.min_signed_per_window, "min_signed_per_window"),
            downtime_jail_duration_ns=duration,
            slash_fraction_double_sign=_atomics(
                self.slash_fraction_double_sign, "slash_fraction_double_sign"
            ),
            slash_fraction_downtime=_atomics(self.slash_fraction_downtime, "slash_fraction_downtime"),
        )


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace every slashing param; only the chain's authority may sign it."""

    authority: str
    params: ParamsUpdate

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        check_params(self.params.parsed())


def _atomics(value: bytes, what: str) -> Dec:
    """A LegacyDec from its protobuf bytes; empty is zero, as Cosmos reads a nil LegacyDec."""
    if not value:
        return 0
    if _ATOMICS.match(value) is None:
        raise InvalidRequest(f"{what}: {value[:80]!r} is not a LegacyDec's atomics")
    return int(value)
