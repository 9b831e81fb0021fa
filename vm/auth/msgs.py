"""auth messages."""

from __future__ import annotations

from genesis.schema import AuthParams
from protos.depind.auth.v1 import tx_pb2
from vm.auth.params import validate_params
from vm.codec import type_url
from vm.msg import Msg
from vm.types import parse_address


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the auth params; only the chain's authority may sign it."""

    authority: str
    params: AuthParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        validate_params(self.params)
