"""auth messages."""

from __future__ import annotations

from genesis.schema import AuthParams
from vm.auth.params import validate_params
from vm.msg import Msg
from vm.types import parse_address


class MsgUpdateParams(Msg, tag="auth/MsgUpdateParams", frozen=True):
    """Replace the auth params; only the chain's authority may sign it."""

    authority: str
    params: AuthParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        validate_params(self.params)
