"""consensus params messages."""

from __future__ import annotations

from genesis.schema import ConsensusParams
from protos.depind.consensus.v1 import tx_pb2
from vm.codec import type_url
from vm.consensus_params.params import validate_params
from vm.msg import Msg
from vm.types import parse_address


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the consensus params from the next block on; only the authority may sign it."""

    authority: str
    params: ConsensusParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        validate_params(self.params)
