"""staking messages: Cosmos's ``cosmos.staking.v1beta1`` types, field for field.

Decimal fields (commission rates) are ``LegacyDec`` atomics, which the protobuf wire
carries as integer text ("100000000000000000" is 0.1); vm/codec.py reads them as ints.
``validate`` holds Cosmos's stateless checks (``ValidateBasic`` and the cheap first
checks of its msg server), with the same error codes.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from cosmpy.protos.cosmos.crypto.ed25519 import keys_pb2 as ed25519_keys
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2 as secp256k1_keys
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2

from vm import dec
from vm.codec import type_url
from vm.encoding import Canonical
from vm.errors import InvalidAddress, InvalidPubKey, InvalidRequest
from vm.msg import Msg
from vm.staking.errors import (
    CommissionChangeRateGTMaxRate,
    CommissionChangeRateNegative,
    CommissionGTMaxRate,
    CommissionHuge,
    CommissionNegative,
    EmptyValidatorPubKey,
    SelfDelegationBelowMinimum,
)
from vm.staking.types import ED25519_KEY_SIZE, CommissionRates, Description, Int64, parse_valoper
from vm.types import Coin, format_address, is_valid_denom, parse_address

Uint32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]

DO_NOT_MODIFY = "[do-not-modify]"  # an edit leaves a description field holding this as it was
DESCRIPTION_LIMITS = {  # bytes, as Cosmos's EnsureLength counts them
    "moniker": 70,
    "identity": 3000,
    "website": 140,
    "security_contact": 140,
    "details": 280,
}
EMPTY_DESCRIPTION = Description("", "", "", "", "")


class Ed25519PubKey(Canonical, tag=type_url(ed25519_keys.PubKey), frozen=True):
    key: bytes


class Secp256k1PubKey(Canonical, tag=type_url(secp256k1_keys.PubKey), frozen=True):
    """Decoded so that a validator offering it is refused with Cosmos's own error."""

    key: bytes


ConsensusPubKey = Ed25519PubKey | Secp256k1PubKey


class MsgCreateValidator(Msg, tag=type_url(tx_pb2.MsgCreateValidator), frozen=True):
    description: Description
    commission: CommissionRates
    min_self_delegation: Int64
    delegator_address: str  # deprecated since Cosmos v0.50 and ignored, as there
    validator_address: str
    pubkey: ConsensusPubKey | None
    value: Coin

    def signer(self) -> str:
        return _operator_account(self.validator_address)

    def validate(self) -> None:
        parse_valoper(self.validator_address, "validator_address")
        if self.pubkey is None:
            raise EmptyValidatorPubKey()
        if isinstance(self.pubkey, Ed25519PubKey) and len(self.pubkey.key) != ED25519_KEY_SIZE:
            raise InvalidPubKey(f"an ed25519 key has {ED25519_KEY_SIZE} bytes, not {len(self.pubkey.key)}")
        _validate_amount(self.value, "invalid delegation amount")
        if self.description == EMPTY_DESCRIPTION:
            raise InvalidRequest("empty description")
        validate_description(self.description)
        if self.commission == CommissionRates(0, 0, 0):
            raise InvalidRequest("empty commission")
        validate_commission_rates(self.commission)
        if self.min_self_delegation <= 0:
            raise InvalidRequest("minimum self delegation must be a positive integer")
        if self.value.amount < self.min_self_delegation:
            raise SelfDelegationBelowMinimum()


class MsgEditValidator(Msg, tag=type_url(tx_pb2.MsgEditValidator), frozen=True):
    """Description fields holding ``DO_NOT_MODIFY`` keep their value; a None rate or
    minimum self-delegation (empty on the wire) leaves it unchanged."""

    description: Description
    validator_address: str
    commission_rate: Int64 | None
    min_self_delegation: Int64 | None

    def signer(self) -> str:
        return _operator_account(self.validator_address)

    def validate(self) -> None:
        parse_valoper(self.validator_address, "validator_address")
        if self.description == EMPTY_DESCRIPTION:
            raise InvalidRequest("empty description")
        if self.min_self_delegation is not None and self.min_self_delegation <= 0:
            raise InvalidRequest("minimum self delegation must be a positive integer")
        if self.commission_rate is not None and not 0 <= self.commission_rate <= dec.ONE:
            raise InvalidRequest("commission rate must be between 0 and 1 (inclusive)")


class MsgDelegate(Msg, tag=type_url(tx_pb2.MsgDelegate), frozen=True):
    delegator_address: str
    validator_address: str
    amount: Coin

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_address(self.delegator_address, "delegator_address")
        parse_valoper(self.validator_address, "validator_address")
        _validate_amount(self.amount, "invalid delegation amount")


class MsgUndelegate(Msg, tag=type_url(tx_pb2.MsgUndelegate), frozen=True):
    delegator_address: str
    validator_address: str
    amount: Coin

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_address(self.delegator_address, "delegator_address")
        parse_valoper(self.validator_address, "validator_address")
        _validate_amount(self.amount, "invalid shares amount")


class MsgBeginRedelegate(Msg, tag=type_url(tx_pb2.MsgBeginRedelegate), frozen=True):
    delegator_address: str
    validator_src_address: str
    validator_dst_address: str
    amount: Coin

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_address(self.delegator_address, "delegator_address")
        parse_valoper(self.validator_src_address, "validator_src_address")
        parse_valoper(self.validator_dst_address, "validator_dst_address")
        _validate_amount(self.amount, "invalid shares amount")


class MsgCancelUnbondingDelegation(Msg, tag=type_url(tx_pb2.MsgCancelUnbondingDelegation), frozen=True):
    """Delegate back (part of) one unbonding entry, found by its creation height."""

    delegator_address: str
    validator_address: str
    amount: Coin
    creation_height: Int64

    def signer(self) -> str:
        return self.delegator_address

    def validate(self) -> None:
        parse_address(self.delegator_address, "delegator_address")
        parse_valoper(self.validator_address, "validator_address")
        _validate_amount(self.amount, "invalid amount")
        if self.creation_height <= 0:
            raise InvalidRequest("invalid height")


class Duration(Canonical, frozen=True):
    seconds: Int64
    nanos: Annotated[int, msgspec.Meta(ge=-999_999_999, le=999_999_999)]


class ParamsUpdate(Canonical, frozen=True):
    """The part of ``cosmos.staking.v1beta1.Params`` depind can take from Cosmos's message.

    depind counts the unbonding period in blocks (``unbonding_blocks``), which a duration
    cannot say, so ``unbonding_time`` must be absent or zero; depind keeps no historical
    entries, so ``historical_entries`` must be unset (vm/codec.py refuses set fields the
    struct lacks). ``unbonding_blocks``, ``power_reduction`` and ``max_completions_per_block``
    change only at genesis: the power index is keyed by the power reduction."""

    unbonding_time: Duration | None
    max_validators: Uint32
    max_entries: Uint32
    bond_denom: str
    min_commission_rate: Int64


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the params Cosmos's message carries; only the chain's authority may sign it."""

    authority: str
    params: ParamsUpdate

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        if self.params.unbonding_time not in (None, Duration(0, 0)):
            raise InvalidRequest("unbonding_time must be zero: depind's unbonding period is unbonding_blocks")
        if self.params.max_validators == 0:
            raise InvalidRequest("max validators must be positive")
        if self.params.max_entries == 0:
            raise InvalidRequest("max entries must be positive")
        if not is_valid_denom(self.params.bond_denom):
            raise InvalidRequest(f"invalid bond denom {self.params.bond_denom!r}")
        if not 0 <= self.params.min_commission_rate <= dec.ONE:
            raise InvalidRequest("minimum commission rate must be between 0 and 1 (inclusive)")


# -- shared checks -----------------------------------------------------------------------


def validate_description(description: Description) -> None:
    for field, limit in DESCRIPTION_LIMITS.items():
        size = len(getattr(description, field).encode())
        if size > limit:
            raise InvalidRequest(f"invalid {field} length; got: {size}, max: {limit}")


def validate_commission_rates(rates: CommissionRates) -> None:
    """Cosmos's ``CommissionRates.Validate``, in its order."""
    if rates.max_rate < 0:
        raise CommissionNegative()
    if rates.max_rate > dec.ONE:
        raise CommissionHuge()
    if rates.rate < 0:
        raise CommissionNegative()
    if rates.rate > rates.max_rate:
        raise CommissionGTMaxRate()
    if rates.max_change_rate < 0:
        raise CommissionChangeRateNegative()
    if rates.max_change_rate > rates.max_rate:
        raise CommissionChangeRateGTMaxRate()


def _validate_amount(amount: Coin, message: str) -> None:
    if not is_valid_denom(amount.denom) or amount.amount <= 0:
        raise InvalidRequest(message)


def _operator_account(valoper: str) -> str:
    """The account that signs for an operator: the same 20 bytes under ``depin``. Empty for
    an invalid address (``validate`` rejects the message before it is signed for)."""
    try:
        return format_address(parse_valoper(valoper))
    except InvalidAddress:
        return ""
