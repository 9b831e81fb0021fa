"""Stateless checks of the market messages: each rejection with its stable code."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.vm.helpers import ALICE, BOB, DENOM
from tests.vm.market.vectors import H100, INDEXED, MARKET_MESSAGES, WANTED
from vm.errors import InvalidTx
from vm.market.msgs import (
    MAX_LIST,
    MsgAcceptLease,
    MsgCreateOffer,
    MsgCreateOrder,
    MsgDepositEscrow,
    MsgUpdateOffer,
)
from vm.market.types import Pricing
from vm.msg import Msg
from vm.types import Coin


def rejected(msg: Msg) -> tuple[str, int]:
    with pytest.raises(InvalidTx) as caught:
        msg.validate()
    return caught.value.codespace, caught.value.code


def offer(**fields: Any) -> MsgCreateOffer:
    base = MsgCreateOffer(ALICE.address, H100, 4, Pricing(5, 0, 0, 0), 60, 3_600, ["gemm"])
    return msgspec.structs.replace(base, **fields)


def order(**fields: Any) -> MsgCreateOrder:
    base = MsgCreateOrder(BOB.address, WANTED, 3_600, 10, Coin(DENOM, 20), 0)
    wanted = {k: fields.pop(k) for k in list(fields) if k in WANTED.__struct_fields__}
    return msgspec.structs.replace(base, requirements=msgspec.structs.replace(WANTED, **wanted), **fields)


def test_vectors_are_valid() -> None:
    for msg in MARKET_MESSAGES:
        msg.validate()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"provider": "depin1xyz"}, ("sdk", 7)),
        ({"gpu_class": msgspec.structs.replace(H100, model="")}, ("sdk", 18)),
        ({"gpu_class": msgspec.structs.replace(H100, memory_mib=0)}, ("sdk", 18)),
        ({"gpu_class": msgspec.structs.replace(H100, compute_capability="9")}, ("sdk", 18)),
        ({"count": 0}, ("sdk", 18)),
        ({"count": 1_025}, ("sdk", 18)),
        ({"pricing": Pricing(0, 0, 0, 0)}, ("market", 19)),  # no price
        ({"pricing": Pricing(5, 0, 1, 0)}, ("market", 19)),  # a fixed price with a floor
        ({"pricing": Pricing(5, 10_000, 1, 9)}, ("market", 19)),  # indexed with a fixed price
        ({"pricing": Pricing(0, 10_000, 0, 9)}, ("market", 19)),  # no floor
        ({"pricing": Pricing(0, 10_000, 10, 9)}, ("market", 19)),  # cap below floor
        ({"min_duration_s": 0}, ("market", 15)),
        ({"min_duration_s": 7_200}, ("market", 15)),  # above the max
        ({"job_kinds": []}, ("market", 18)),
        ({"job_kinds": ["gemm"] * 2}, ("sdk", 18)),
        ({"job_kinds": [f"k{n}" for n in range(MAX_LIST + 1)]}, ("market", 18)),
        ({"job_kinds": ["GEMM"]}, ("market", 22)),
    ],
)
def test_invalid_create_offer(fields: dict[str, Any], expected: tuple[str, int]) -> None:
    assert rejected(offer(**fields)) == expected


def test_indexed_offer_is_valid() -> None:
    offer(pricing=INDEXED).validate()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"requester": ALICE.address[:-1]}, ("sdk", 7)),
        ({"gpus": 0}, ("sdk", 18)),
        ({"duration_s": 0}, ("market", 15)),  # zero duration
        ({"max_price": 0}, ("market", 19)),
        ({"deposit": Coin(DENOM, 0)}, ("sdk", 10)),
        ({"gpu_models": ["m"] * 2}, ("sdk", 18)),
        ({"gpu_models": [f"m{n}" for n in range(MAX_LIST + 1)]}, ("market", 18)),  # oversized list
        ({"regions": [f"r{n}" for n in range(MAX_LIST + 1)]}, ("market", 18)),
        ({"regions": ["EU"]}, ("sdk", 18)),
        ({"min_compute_capability": "high"}, ("sdk", 18)),
        ({"job_kind": "Gemm!"}, ("market", 22)),
    ],
)
def test_invalid_create_order(fields: dict[str, Any], expected: tuple[str, int]) -> None:
    assert rejected(order(**fields)) == expected


def test_order_with_any_requirement_is_valid() -> None:
    order(gpu_models=[], regions=[], min_compute_capability="", job_kind="").validate()


def update(**fields: Any) -> MsgUpdateOffer:
    base = MsgUpdateOffer(ALICE.address, 1, None, 0, 0, 0, [], False, False)
    return msgspec.structs.replace(base, **fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ("sdk", 18)),  # changes nothing
        ({"pause": True, "resume": True}, ("sdk", 18)),
        ({"offer_id": 0, "count": 1}, ("sdk", 18)),
        ({"pricing": Pricing(0, 0, 0, 0)}, ("market", 19)),
        ({"min_duration_s": 9, "max_duration_s": 8}, ("market", 15)),
        ({"job_kinds": ["a"] * 9}, ("market", 18)),
    ],
)
def test_invalid_update_offer(fields: dict[str, Any], expected: tuple[str, int]) -> None:
    assert rejected(update(**fields)) == expected


def test_invalid_deposit_of_nothing() -> None:
    assert rejected(MsgDepositEscrow(BOB.address, 1, None, 0)) == ("sdk", 18)
    assert rejected(MsgDepositEscrow(BOB.address, 1, Coin(DENOM, 0), 0)) == ("sdk", 10)


def test_invalid_zero_ids() -> None:
    assert rejected(MsgAcceptLease(ALICE.address, 0)) == ("sdk", 18)
