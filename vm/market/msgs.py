"""market messages (``depind.market.v1``) and their stateless checks. What depends on state
or params (prices within ``max_price``, durations within the params, the provider's
hardware, the deposit against the price) is checked by the handlers."""

from __future__ import annotations

import re

from genesis.market import MarketParams
from protos.depind.market.v1 import tx_pb2
from vm.codec import type_url
from vm.errors import InvalidRequest
from vm.market.errors import InvalidDuration, InvalidJobKind, InvalidPricing, ListTooLong
from vm.market.params import validate_params
from vm.market.types import GpuClass, Pricing, Requirements
from vm.msg import Msg
from vm.types import Coin, Uint64, parse_address, validate_coin

MAX_LIST = 8  # GPU models, regions, job kinds
MAX_GPUS = 1_024  # per offer or order: what one provider can register (16 entries of 64)
_MODEL = re.compile(r"^[\x20-\x7e]{1,64}$")  # as vm/provider/msgs.py
_CAPABILITY = re.compile(r"^[1-9][0-9]?\.[0-9]$")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")  # as vm/provider/msgs.py
_JOB_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # gpu/jobs.py's kinds: gemm, batched_gemm, mlp


# -- field checks ------------------------------------------------------------------------------


def validate_id(value: int, what: str) -> None:
    if value == 0:
        raise InvalidRequest(f"{what} must be positive")


def validate_model(model: str) -> None:
    if not _MODEL.match(model):
        raise InvalidRequest("gpu model must be 1-64 printable ASCII characters")


def validate_capability(text: str) -> None:
    if not _CAPABILITY.match(text):
        raise InvalidRequest(f"compute capability {text[:16]!r} is not major.minor")


def validate_region(region: str) -> None:
    if not _REGION.match(region):
        raise InvalidRequest("region must be 1-32 chars of [a-z0-9-], e.g. eu-west")


def validate_gpu_class(gpu_class: GpuClass) -> None:
    validate_model(gpu_class.model)
    if gpu_class.memory_mib == 0:
        raise InvalidRequest("gpu memory_mib must be positive")
    validate_capability(gpu_class.compute_capability)


def validate_gpus(count: int) -> None:
    if not 1 <= count <= MAX_GPUS:
        raise InvalidRequest(f"gpu count must be 1 to {MAX_GPUS}")


def validate_list(items: list[str], what: str, least: int = 0) -> None:
    if not least <= len(items) <= MAX_LIST:
        raise ListTooLong(f"give {least} to {MAX_LIST} {what}, got {len(items)}")
    if len(set(items)) != len(items):
        raise InvalidRequest(f"duplicate {what}")


def validate_job_kinds(kinds: list[str], least: int) -> None:
    validate_list(kinds, "job kinds", least)
    for kind in kinds:
        validate_job_kind(kind)


def validate_job_kind(kind: str) -> None:
    if not _JOB_KIND.match(kind):
        raise InvalidJobKind(
            f"job kind {kind[:40]!r} must be 1-32 chars of [a-z0-9_], starting with a letter"
        )


def validate_pricing(pricing: Pricing) -> None:
    """Fixed: a positive price and nothing else. Indexed: a positive factor and floor, a cap
    at or above the floor, no fixed price."""
    if not pricing.indexed:
        if pricing.price == 0 or pricing.floor or pricing.cap:
            raise InvalidPricing("a fixed price is positive, without floor or cap")
        return
    if pricing.price or pricing.floor == 0 or pricing.cap < pricing.floor:
        raise InvalidPricing("an indexed price has no fixed price, a positive floor and a cap >= floor")


def validate_durations(min_s: int, max_s: int) -> None:
    if min_s == 0 or max_s == 0:
        raise InvalidDuration("durations must be positive")
    if min_s > max_s:
        raise InvalidDuration(f"min_duration_s {min_s} is above max_duration_s {max_s}")


def validate_requirements(wanted: Requirements) -> None:
    validate_gpus(wanted.gpus)
    validate_list(wanted.gpu_models, "gpu models")
    for model in wanted.gpu_models:
        validate_model(model)
    validate_list(wanted.regions, "regions")
    for region in wanted.regions:
        validate_region(region)
    if wanted.min_compute_capability:
        validate_capability(wanted.min_compute_capability)
    if wanted.job_kind:
        validate_job_kind(wanted.job_kind)


# -- offers ------------------------------------------------------------------------------------


class MsgCreateOffer(Msg, tag=type_url(tx_pb2.MsgCreateOffer), frozen=True):
    provider: str
    gpu_class: GpuClass
    count: Uint64
    pricing: Pricing
    min_duration_s: Uint64
    max_duration_s: Uint64
    job_kinds: list[str]

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_gpu_class(self.gpu_class)
        validate_gpus(self.count)
        validate_pricing(self.pricing)
        validate_durations(self.min_duration_s, self.max_duration_s)
        validate_job_kinds(self.job_kinds, least=1)


class MsgUpdateOffer(Msg, tag=type_url(tx_pb2.MsgUpdateOffer), frozen=True):
    """Zero, empty or unset fields are left unchanged; ``pause`` takes the offer off the
    book, ``resume`` puts it back."""

    provider: str
    offer_id: Uint64
    pricing: Pricing | None
    count: Uint64
    min_duration_s: Uint64
    max_duration_s: Uint64
    job_kinds: list[str]
    pause: bool
    resume: bool

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.offer_id, "offer_id")
        changes = (self.pricing, self.count, self.min_duration_s, self.max_duration_s, self.job_kinds)
        if not any(changes) and not (self.pause or self.resume):
            raise InvalidRequest("update changes nothing")
        if self.pause and self.resume:
            raise InvalidRequest("pause or resume, not both")
        if self.pricing is not None:
            validate_pricing(self.pricing)
        if self.count:
            validate_gpus(self.count)
        if self.min_duration_s and self.max_duration_s:
            validate_durations(self.min_duration_s, self.max_duration_s)
        if self.job_kinds:
            validate_job_kinds(self.job_kinds, least=1)


class MsgCloseOffer(Msg, tag=type_url(tx_pb2.MsgCloseOffer), frozen=True):
    provider: str
    offer_id: Uint64

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.offer_id, "offer_id")


# -- orders ------------------------------------------------------------------------------------


class MsgCreateOrder(Msg, tag=type_url(tx_pb2.MsgCreateOrder), frozen=True):
    requester: str
    requirements: Requirements
    duration_s: Uint64
    max_price: Uint64  # per GPU-hour
    deposit: Coin  # at least max_price x gpus x duration_s / 3600, rounded up
    expires_ns: Uint64  # header time after which it is refunded unmatched; 0: never

    def signer(self) -> str:
        return self.requester

    def validate(self) -> None:
        parse_address(self.requester, "requester")
        validate_requirements(self.requirements)
        if self.duration_s == 0:
            raise InvalidDuration("duration_s must be positive")
        if self.max_price == 0:
            raise InvalidPricing("max_price must be positive")
        validate_coin(self.deposit, "deposit")


class MsgCancelOrder(Msg, tag=type_url(tx_pb2.MsgCancelOrder), frozen=True):
    requester: str
    order_id: Uint64

    def signer(self) -> str:
        return self.requester

    def validate(self) -> None:
        parse_address(self.requester, "requester")
        validate_id(self.order_id, "order_id")


# -- leases ------------------------------------------------------------------------------------


class MsgDepositEscrow(Msg, tag=type_url(tx_pb2.MsgDepositEscrow), frozen=True):
    """Top up a lease's escrow, extend its duration, or both."""

    requester: str
    lease_id: Uint64
    amount: Coin | None
    extend_s: Uint64

    def signer(self) -> str:
        return self.requester

    def validate(self) -> None:
        parse_address(self.requester, "requester")
        validate_id(self.lease_id, "lease_id")
        if self.amount is None and self.extend_s == 0:
            raise InvalidRequest("deposit an amount, extend the duration, or both")
        if self.amount is not None:
            validate_coin(self.amount, "amount")


class MsgAcceptLease(Msg, tag=type_url(tx_pb2.MsgAcceptLease), frozen=True):
    provider: str
    lease_id: Uint64

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.lease_id, "lease_id")


class MsgCloseLease(Msg, tag=type_url(tx_pb2.MsgCloseLease), frozen=True):
    """Sent by the requester (requester_closed) or the provider (provider_closed)."""

    sender: str
    lease_id: Uint64

    def signer(self) -> str:
        return self.sender

    def validate(self) -> None:
        parse_address(self.sender, "sender")
        validate_id(self.lease_id, "lease_id")


class MsgWithdrawLease(Msg, tag=type_url(tx_pb2.MsgWithdrawLease), frozen=True):
    provider: str
    lease_id: Uint64

    def signer(self) -> str:
        return self.provider

    def validate(self) -> None:
        parse_address(self.provider, "provider")
        validate_id(self.lease_id, "lease_id")


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the market params; only the chain's authority may sign it."""

    authority: str
    params: MarketParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        validate_params(self.params)
