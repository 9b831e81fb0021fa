"""distribution messages: Cosmos's ``cosmos.distribution.v1beta1`` types, field for field.

``validate`` holds the cheap checks Cosmos's msg server makes before it touches state
(Cosmos SDK v0.50 dropped ``ValidateBasic`` for these), with the same error codes.
Decimals (the params' community tax) are ``LegacyDec`` atomics, which the wire carries
as integer text; an empty one is None, Cosmos's nil.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2

from vm.codec import type_url
from vm.distribution.types import parse_valoper
from vm.encoding import Canonical
from vm.errors import InvalidAddress, InvalidRequest
from vm.msg import Msg
from vm.types import Coin, format_address, parse_address, validate_coins

DecAtomics = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class MsgSetWithdrawAddress(Msg, tag=type_url(tx_pb2.MsgSetWithdrawAddress), frozen=True):
    """Send the delegator's future rewards (and, for an operator, its commission) elsewhere."""

    delegator_address: str
    withdraw_address: str

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_address(self.delegator_address, "invalid delegator address")
        parse_address(self.withdraw_address, "invalid withdraw address")


class MsgWithdrawDelegatorReward(Msg, tag=type_url(tx_pb2.MsgWithdrawDelegatorReward), frozen=True):
    delegator_address: str
    validator_address: str

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_valoper(self.validator_address, "invalid validator address")
        parse_address(self.delegator_address, "invalid delegator address")


class MsgWithdrawValidatorCommission(Msg, tag=type_url(tx_pb2.MsgWithdrawValidatorCommission), frozen=True):
    """Signed by the operator's account: the same 20 bytes as its ``depinvaloper`` address."""

    validator_address: str

    def signer(self) -> str:
        try:
            return format_address(parse_valoper(self.validator_address))
        except InvalidAddress:
            return ""  # validate rejects it before anyone signs for it

    def validate(self) -> None:
        parse_valoper(self.validator_address, "invalid validator address")


class MsgFundCommunityPool(Msg, tag=type_url(tx_pb2.MsgFundCommunityPool), frozen=True):
    amount: list[Coin]
    depositor: str

    def signer(self) -> str:
        return self.depositor

    def validate(self) -> None:
        parse_address(self.depositor, "invalid depositor address")
        validate_coins(self.amount)


class MsgCommunityPoolSpend(Msg, tag=type_url(tx_pb2.MsgCommunityPoolSpend), frozen=True):
    """Pay ``amount`` from the community pool to ``recipient``; only the chain's authority
    (governance) may sign it."""

    authority: str
    recipient: str
    amount: list[Coin]

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "invalid authority address")
        validate_coins(self.amount)
        parse_address(self.recipient, "invalid recipient address")


class ParamsUpdate(Canonical, frozen=True):
    """``cosmos.distribution.v1beta1.Params`` as the message carries it."""

    community_tax: DecAtomics | None
    base_proposer_reward: DecAtomics | None  # deprecated: must be unset or zero
    bonus_proposer_reward: DecAtomics | None  # deprecated: must be unset or zero
    withdraw_addr_enabled: bool


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the distribution params; only the chain's authority may sign it."""

    authority: str
    params: ParamsUpdate

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "invalid authority address")
        if self.params.base_proposer_reward or self.params.bonus_proposer_reward:
            raise InvalidRequest(
                "cannot update base or bonus proposer reward because these are deprecated fields"
            )
