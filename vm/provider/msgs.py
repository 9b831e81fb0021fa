"""provider messages."""

from __future__ import annotations

import re

from genesis.schema import ProviderParams
from protos.depind.provider.v1 import tx_pb2
from vm.codec import type_url
from vm.encoding import Canonical
from vm.errors import InvalidCoins, InvalidRequest
from vm.msg import Msg
from vm.provider.params import validate_params
from vm.types import Coin, Uint64, is_valid_denom, parse_address, validate_coin

MAX_GPU_ENTRIES = 16
MAX_GPUS_PER_ENTRY = 64
_MODEL = re.compile(r"^[\x20-\x7e]{1,64}$")
_CAPABILITY = re.compile(r"^[1-9][0-9]?\.[0-9]$")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_ENDPOINT = re.compile(r"^(https?://)?[A-Za-z0-9.-]{1,200}(:[0-9]{1,5})?(/[\x21-\x7e]*)?$")


class GpuSpec(Canonical, frozen=True):
    model: str  # as NVML names it, e.g. "NVIDIA H100 80GB HBM3"
    memory_mib: Uint64
    compute_capability: str  # "major.minor"
    count: Uint64
    uuid_hashes: list[bytes]  # SHA-256 of each GPU's NVML UUID; empty if undeclared

    def validate(self) -> None:
        if not _MODEL.match(self.model):
            raise InvalidRequest("gpu model must be 1-64 printable ASCII characters")
        if self.memory_mib == 0:
            raise InvalidRequest("gpu memory_mib must be positive")
        if not _CAPABILITY.match(self.compute_capability):
            raise InvalidRequest(f"compute capability {self.compute_capability!r} is not major.minor")
        if not 1 <= self.count <= MAX_GPUS_PER_ENTRY:
            raise InvalidRequest(f"gpu count must be 1 to {MAX_GPUS_PER_ENTRY}")
        if self.uuid_hashes and len(self.uuid_hashes) != self.count:
            raise InvalidRequest("give one uuid hash per gpu, or none")
        if any(len(h) != 32 for h in self.uuid_hashes):
            raise InvalidRequest("uuid hashes are 32-byte SHA-256 digests")
        if len(set(self.uuid_hashes)) != len(self.uuid_hashes):
            raise InvalidRequest("duplicate gpu uuid hash")


def validate_gpus(gpus: list[GpuSpec]) -> None:
    if not 1 <= len(gpus) <= MAX_GPU_ENTRIES:
        raise InvalidRequest(f"declare 1 to {MAX_GPU_ENTRIES} gpu entries")
    for gpu in gpus:
        gpu.validate()
    hashes = [h for gpu in gpus for h in gpu.uuid_hashes]
    if len(set(hashes)) != len(hashes):
        raise InvalidRequest("duplicate gpu uuid hash")


def validate_region(region: str) -> None:
    if not _REGION.match(region):
        raise InvalidRequest("region must be 1-32 chars of [a-z0-9-], e.g. eu-west")


def validate_endpoint(endpoint: str) -> None:
    if not _ENDPOINT.match(endpoint):
        raise InvalidRequest("endpoint must be host[:port][/path], optionally with http(s)://")


def validate_price(price: Coin) -> None:
    if not is_valid_denom(price.denom):
        raise InvalidCoins(f"price hint has invalid denom {price.denom!r}")


class MsgRegisterProvider(Msg, tag=type_url(tx_pb2.MsgRegisterProvider), frozen=True):
    owner: str
    gpus: list[GpuSpec]
    region: str
    endpoint: str
    price_hint: Coin  # per GPU-hour; zero allowed
    collateral: Coin

    def signer(self) -> str:
        return self.owner

    def validate(self) -> None:
        parse_address(self.owner, "owner")
        validate_gpus(self.gpus)
        validate_region(self.region)
        validate_endpoint(self.endpoint)
        validate_price(self.price_hint)
        validate_coin(self.collateral, "collateral")


class MsgUpdateProvider(Msg, tag=type_url(tx_pb2.MsgUpdateProvider), frozen=True):
    """Empty or None fields are left unchanged; ``add_collateral`` bonds more."""

    owner: str
    gpus: list[GpuSpec]
    region: str
    endpoint: str
    price_hint: Coin | None
    add_collateral: Coin | None

    def signer(self) -> str:
        return self.owner

    def validate(self) -> None:
        parse_address(self.owner, "owner")
        if not (self.gpus or self.region or self.endpoint or self.price_hint or self.add_collateral):
            raise InvalidRequest("update changes nothing")
        if self.gpus:
            validate_gpus(self.gpus)
        if self.region:
            validate_region(self.region)
        if self.endpoint:
            validate_endpoint(self.endpoint)
        if self.price_hint is not None:
            validate_price(self.price_hint)
        if self.add_collateral is not None:
            validate_coin(self.add_collateral, "add_collateral")


class MsgExitProvider(Msg, tag=type_url(tx_pb2.MsgExitProvider), frozen=True):
    """Stop offering; collateral returns after the unbonding delay."""

    owner: str

    def signer(self) -> str:
        return self.owner

    def validate(self) -> None:
        parse_address(self.owner, "owner")


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the provider params; only the chain's authority may sign it."""

    authority: str
    params: ProviderParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
        validate_params(self.params)
