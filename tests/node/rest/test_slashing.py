"""The slashing routes through the REST app, over the chain of
tests/vm/slashing/app_chain.py: Cosmos's paths and proto3 JSON shapes (LegacyDec params as
decimal text, the jail duration as a Duration, jail times in RFC 3339)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from node.node import Node
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.slashing.app_chain import ALICE_CONS, BOB_CONS, QUERY_HEIGHT, slashed_app
from vm.slashing.types import format_cons_address

SLASHING = "/cosmos/slashing/v1beta1"


@pytest.fixture(scope="module")
def node() -> Node:
    return app_node(slashed_app())


@pytest.fixture
async def rest(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(node) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str, **params: Any) -> Any:
    return await get_ok(rest, path, QUERY_HEIGHT, **params)


def alice(**changes: Any) -> dict[str, Any]:
    return {
        "address": format_cons_address(ALICE_CONS),
        "start_height": "1",
        "index_offset": "2",
        "jailed_until": "9999-12-31T23:59:59Z",
        "tombstoned": True,
        "missed_blocks_counter": "0",
    } | changes


def bob() -> dict[str, Any]:
    return alice(
        address=format_cons_address(BOB_CONS),
        jailed_until="1970-01-01T00:00:00Z",
        tombstoned=False,
        missed_blocks_counter="1",
    )


async def test_params_as_cosmos_writes_them(rest: httpx.AsyncClient) -> None:
    assert await get(rest, f"{SLASHING}/params") == {
        "params": {
            "signed_blocks_window": "10",
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": "60s",
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.010000000000000000",
        }
    }


async def test_signing_info(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, f"{SLASHING}/signing_infos/{format_cons_address(ALICE_CONS)}")
    assert answer == {"val_signing_info": alice()}


async def test_signing_infos_in_address_order(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, f"{SLASHING}/signing_infos", **{"pagination.count_total": "true"})
    expected = [alice(), bob()] if ALICE_CONS < BOB_CONS else [bob(), alice()]
    assert answer["info"] == expected
    assert answer["pagination"]["total"] == "2"


async def test_invalid_signing_info_of_no_validator(rest: httpx.AsyncClient) -> None:
    unknown = format_cons_address(bytes(20))
    response = await rest.get(f"{SLASHING}/signing_infos/{unknown}")
    assert response.status_code == 404
    assert "SigningInfo not found" in response.json()["message"]
