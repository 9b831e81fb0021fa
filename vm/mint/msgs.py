"""mint messages.

depind's params have a field Cosmos's lack (``pouw_reward_share``), so the params change
through ``depind.mint.v1.MsgUpdateParams``, whose Params are Cosmos's fields 1 to 6 and
the share (as the consensus params change through ``depind.consensus.v1``).
"""

from __future__ import annotations

from protos.depind.mint.v1 import tx_pb2
from vm.codec import type_url
from vm.mint.params import Params, check_params
from vm.msg import Msg
from vm.types import parse_address


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the mint params; only the chain's authority may sign it."""

    authority: str
    params: Params

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        check_params(self.params)
