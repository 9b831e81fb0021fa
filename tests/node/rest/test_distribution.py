"""The distribution routes through the REST app, over an application whose validator
signed a few blocks with fees to share. DecCoin amounts are written as decimal text,
as Cosmos's gateway writes them (proto3 JSON would give the LegacyDec atomics)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from consensus.abci import VoteInfo
from node.rest import routes
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.distribution.test_begin_block import block
from tests.vm.helpers import ALICE, BOB, FUNDS, make_genesis, new_app, raw, signed
from tests.vm.staking.helpers import POWER, create_validator
from tests.vm.staking.vectors import valoper
from vm.app import App
from vm.block import COMMIT_FLAG
from vm.staking.keeper import StakingKeeper

DISTRIBUTION = "/cosmos/distribution/v1beta1"


def rewarded_app() -> App:
    """Alice's validator (10% commission, 10 power) signs the block that shares the first
    block's fee (4,000udepin, no inflation): 3,920 for her validator, 80 for the pool."""
    app = new_app(make_genesis({ALICE: FUNDS, BOB: FUNDS}))
    created = signed(app, ALICE, [create_validator(ALICE, 10 * POWER)], gas=400_000, fee=4_000)
    block(app, [created], ())
    staking: StakingKeeper = app.registry.keeper("staking")
    votes = (VoteInfo(staking.validator(app.state.values, raw(ALICE)).cons_address, 10, COMMIT_FLAG),)
    block(app, [], votes)
    return app


@pytest.fixture
async def rest() -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(app_node(rewarded_app())) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str) -> Any:
    return await get_ok(rest, path)


async def test_params(rest: httpx.AsyncClient) -> None:
    assert await get(rest, f"{DISTRIBUTION}/params") == {
        "params": {
            "community_tax": "0.020000000000000000",
            "base_proposer_reward": "0.000000000000000000",
            "bonus_proposer_reward": "0.000000000000000000",
            "withdraw_addr_enabled": True,
        }
    }


async def test_rewards_commission_and_pool(rest: httpx.AsyncClient) -> None:
    validator = valoper(ALICE)
    rewards = await get(rest, f"{DISTRIBUTION}/delegators/{ALICE.address}/rewards/{validator}")
    assert rewards == {"rewards": [{"denom": "udepin", "amount": "3528.000000000000000000"}]}
    total = await get(rest, f"{DISTRIBUTION}/delegators/{ALICE.address}/rewards")
    assert total["rewards"] == [{"validator_address": validator, "reward": rewards["rewards"]}]
    assert total["total"] == rewards["rewards"]
    commission = await get(rest, f"{DISTRIBUTION}/validators/{validator}/commission")
    assert commission["commission"]["commission"] == [{"denom": "udepin", "amount": "392.000000000000000000"}]
    outstanding = await get(rest, f"{DISTRIBUTION}/validators/{validator}/outstanding_rewards")
    assert outstanding["rewards"]["rewards"] == [{"denom": "udepin", "amount": "3920.000000000000000000"}]
    info = await get(rest, f"{DISTRIBUTION}/validators/{validator}")
    assert info["operator_address"] == ALICE.address
    assert await get(rest, f"{DISTRIBUTION}/community_pool") == {
        "pool": [{"denom": "udepin", "amount": "80.000000000000000000"}]
    }


async def test_delegator_records_and_slashes(rest: httpx.AsyncClient) -> None:
    validators = await get(rest, f"{DISTRIBUTION}/delegators/{ALICE.address}/validators")
    assert validators == {"validators": [valoper(ALICE)]}
    withdraw = await get(rest, f"{DISTRIBUTION}/delegators/{ALICE.address}/withdraw_address")
    assert withdraw == {"withdraw_address": ALICE.address}
    query = "starting_height=1&ending_height=9"
    slashes = await get(rest, f"{DISTRIBUTION}/validators/{valoper(ALICE)}/slashes?{query}")
    assert slashes["slashes"] == []


async def test_unknown_validator_is_not_found(rest: httpx.AsyncClient) -> None:
    response = await rest.get(f"{DISTRIBUTION}/validators/{valoper(BOB)}/commission")
    assert response.status_code != 200
    assert "validator does not exist" in response.text


def test_routes_resolve() -> None:
    route, found = routes.find("GET", f"{DISTRIBUTION}/delegators/{ALICE.address}/rewards/{valoper(ALICE)}")
    assert route.grpc_path == "/cosmos.distribution.v1beta1.Query/DelegationRewards"
    assert found == {"delegator_address": ALICE.address, "validator_address": valoper(ALICE)}
