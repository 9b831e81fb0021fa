"""Staking's state values and Cosmos's pure rules on them (x/staking/types).

Shares are Cosmos ``LegacyDec`` values (vm/dec.py). Their atomics outgrow 64 bits as
soon as a validator holds a few tokens, which MessagePack cannot carry, so a state
value holds them as decimal text (``DecText``, as Cosmos's protobuf does) and exposes
the integer through a property.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Annotated

import msgspec

from vm import crypto, dec
from vm.dec import Dec
from vm.encoding import Canonical
from vm.errors import InvalidAddress
from vm.staking.errors import InsufficientShares
from vm.types import Address, Uint64

DecText = Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,95})$")]
"""A non-negative ``LegacyDec``'s atomics as canonical decimal text."""

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]

CONSENSUS_ADDRESS_SIZE = 20
ED25519_KEY_SIZE = 32


class BondStatus(IntEnum):
    """Cosmos's ``BondStatus`` numbers."""

    UNBONDED = 1
    UNBONDING = 2
    BONDED = 3


STATUS_NAMES = {
    BondStatus.UNBONDED: "BOND_STATUS_UNBONDED",
    BondStatus.UNBONDING: "BOND_STATUS_UNBONDING",
    BondStatus.BONDED: "BOND_STATUS_BONDED",
}


class Description(Canonical, frozen=True):
    moniker: str
    identity: str
    website: str
    security_contact: str
    details: str


class CommissionRates(Canonical, frozen=True):
    """LegacyDec atomics; signed as the wire allows, so that a negative rate is refused
    with Cosmos's own error (state holds only rates in [0, 1])."""

    rate: Int64
    max_rate: Int64
    max_change_rate: Int64


class Commission(Canonical, frozen=True):
    rates: CommissionRates
    update_height: Uint64
    update_time_ns: Uint64  # header time of the last change: a rate changes at most once a day


class Validator(Canonical, frozen=True):
    operator: bytes  # the operator's 20-byte address (depinvaloper1...)
    pubkey: bytes  # 32-byte ed25519 consensus key
    jailed: bool
    status: BondStatus
    tokens: Uint64
    shares_text: DecText  # the delegators' shares
    description: Description
    unbonding_height: Uint64  # where its last unbonding began
    unbonding_completion: Uint64  # the height that unbonding completes at (Cosmos's unbonding_time)
    commission: Commission
    min_self_delegation: Uint64

    @property
    def delegator_shares(self) -> Dec:
        return int(self.shares_text)

    @property
    def address(self) -> Address:
        return Address(self.operator)

    @property
    def cons_address(self) -> bytes:
        return consensus_address(self.pubkey)

    def is_bonded(self) -> bool:
        return self.status == BondStatus.BONDED

    def is_unbonding(self) -> bool:
        return self.status == BondStatus.UNBONDING

    def is_unbonded(self) -> bool:
        return self.status == BondStatus.UNBONDED


class Delegation(Canonical, frozen=True):
    delegator: bytes
    validator: bytes
    shares_text: DecText

    @property
    def shares(self) -> Dec:
        return int(self.shares_text)


class UnbondingEntry(Canonical, frozen=True):
    creation_height: Uint64
    completion_height: Uint64
    initial_balance: Uint64  # tokens when unbonding began: slashes are computed on it
    balance: Uint64  # tokens to pay out, less what slashes took
    unbonding_id: Uint64

    def is_mature(self, height: int) -> bool:
        return self.completion_height <= height


class UnbondingDelegation(Canonical, frozen=True):
    delegator: bytes
    validator: bytes
    entries: list[UnbondingEntry]


class RedelegationEntry(Canonical, frozen=True):
    creation_height: Uint64
    completion_height: Uint64
    initial_balance: Uint64
    shares_dst_text: DecText  # shares it created at the destination validator
    unbonding_id: Uint64

    @property
    def shares_dst(self) -> Dec:
        return int(self.shares_dst_text)

    def is_mature(self, height: int) -> bool:
        return self.completion_height <= height


class Redelegation(Canonical, frozen=True):
    delegator: bytes
    validator_src: bytes
    validator_dst: bytes
    entries: list[RedelegationEntry]


def dec_text(value: Dec) -> str:
    if value < 0:
        raise ValueError(f"shares cannot be negative: {value}")
    return str(value)


# -- addresses ---------------------------------------------------------------------------


def consensus_address(pubkey: bytes) -> bytes:
    """CometBFT's validator address of an ed25519 key: the first 20 bytes of its SHA-256."""
    return hashlib.sha256(pubkey).digest()[:CONSENSUS_ADDRESS_SIZE]


def parse_valoper(text: str, field: str = "validator address") -> Address:
    try:
        return Address(crypto.decode_address(text, crypto.VALOPER_HRP))
    except crypto.InvalidAddress as exc:
        raise InvalidAddress(f"{field}: {exc}") from None


def format_valoper(operator: bytes) -> str:
    return crypto.encode_address(operator, crypto.VALOPER_HRP)


# -- Cosmos's validator arithmetic (types/validator.go) -------------------------------------


def tokens_to_power(tokens: int, power_reduction: int) -> int:
    return tokens // power_reduction


def potential_power(validator: Validator, power_reduction: int) -> int:
    """The power its tokens would give it if bonded."""
    return tokens_to_power(validator.tokens, power_reduction)


def consensus_power(validator: Validator, power_reduction: int) -> int:
    """Its power in consensus: only bonded validators have any."""
    return potential_power(validator, power_reduction) if validator.is_bonded() else 0


def invalid_ex_rate(validator: Validator) -> bool:
    """Slashed to zero tokens while shares remain: new shares would be worth nothing."""
    return validator.tokens == 0 and validator.delegator_shares > 0


def tokens_from_shares(validator: Validator, shares: Dec) -> Dec:
    return dec.quo(dec.mul_int(shares, validator.tokens), validator.delegator_shares)


def tokens_from_shares_truncated(validator: Validator, shares: Dec) -> Dec:
    return dec.quo_truncate(dec.mul_int(shares, validator.tokens), validator.delegator_shares)


def shares_from_tokens(validator: Validator, amount: int) -> Dec:
    if validator.tokens == 0:
        raise InsufficientShares(f"validator {format_valoper(validator.operator)} has no tokens")
    return dec.quo_int(dec.mul_int(validator.delegator_shares, amount), validator.tokens)


def shares_from_tokens_truncated(validator: Validator, amount: int) -> Dec:
    if validator.tokens == 0:
        raise InsufficientShares(f"validator {format_valoper(validator.operator)} has no tokens")
    return dec.quo_truncate(dec.mul_int(validator.delegator_shares, amount), dec.from_int(validator.tokens))


def add_tokens_from_delegation(validator: Validator, amount: int) -> tuple[Validator, Dec]:
    """The validator with ``amount`` more tokens, and the shares they buy: one share per
    token for the first delegation, the current exchange rate (truncated) after that."""
    if validator.delegator_shares == 0:
        issued = dec.from_int(amount)
    else:
        issued = shares_from_tokens(validator, amount)
    updated = msgspec.structs.replace(
        validator,
        tokens=validator.tokens + amount,
        shares_text=dec_text(validator.delegator_shares + issued),
    )
    return updated, issued


def remove_delegator_shares(validator: Validator, shares: Dec) -> tuple[Validator, int]:
    """The validator without ``shares``, and the tokens they were worth (truncated); the
    last shares take every remaining token, so no dust is left behind."""
    remaining = validator.delegator_shares - shares
    issued = validator.tokens if remaining == 0 else dec.truncate_int(tokens_from_shares(validator, shares))
    if remaining < 0 or issued > validator.tokens:
        raise ValueError("removing more shares or tokens than the validator has")
    updated = msgspec.structs.replace(
        validator, tokens=validator.tokens - issued, shares_text=dec_text(remaining)
    )
    return updated, issued


def remove_tokens(validator: Validator, tokens: int) -> Validator:
    if not 0 <= tokens <= validator.tokens:
        raise ValueError(f"cannot remove {tokens} tokens from a validator holding {validator.tokens}")
    return msgspec.structs.replace(validator, tokens=validator.tokens - tokens)
