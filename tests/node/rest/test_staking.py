"""The staking routes through the REST app, over the chain of
tests/vm/staking/query_chain.py: Cosmos's paths and proto3 JSON shapes (LegacyDec values
as decimal text, ``Any`` with ``@type``, timestamps in RFC 3339), grpc-gateway's errors,
and cosmpy's own staking REST client and ``LedgerClient``, unchanged."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import trio
from cosmpy.aerial.client import LedgerClient, NetworkConfig, ValidatorStatus
from cosmpy.aerial.client.utils import get_paginated
from cosmpy.crypto.address import Address
from cosmpy.protos.cosmos.staking.v1beta1 import query_pb2 as query
from google.protobuf import json_format

from node.node import Node
from node.rest import routes
from node.rest.server import build_app
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, STRANGER, raw
from tests.vm.staking.query_chain import (
    ALICE_STAKE,
    DEPIN,
    ERIN,
    FRANK,
    QUERY_HEIGHT,
    REDELEGATED,
    UNDELEGATED,
    staked_app,
)
from tests.vm.staking.vectors import cons_key, valoper

STAKING = "/cosmos/staking/v1beta1"
ZERO_TIME = "1970-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def node() -> Node:
    return app_node(staked_app())


@pytest.fixture
async def rest(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(node) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str, **params: Any) -> Any:
    return await get_ok(rest, path, QUERY_HEIGHT, **params)


async def test_validator_in_proto3_json_as_cosmos_writes_it(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, f"{STAKING}/validators/{valoper(ALICE)}")
    assert answer == {
        "validator": {
            "operator_address": valoper(ALICE),
            "consensus_pubkey": {
                "@type": "/cosmos.crypto.ed25519.PubKey",
                "key": answer["validator"]["consensus_pubkey"]["key"],
            },
            "jailed": False,
            "status": "BOND_STATUS_UNBONDING",
            "tokens": str(ALICE_STAKE),
            "delegator_shares": "2000000.000000000000000000",
            "description": {
                "moniker": "node",
                "identity": "",
                "website": "",
                "security_contact": "",
                "details": "",
            },
            "unbonding_height": "2",
            "unbonding_time": ZERO_TIME,
            "commission": {
                "commission_rates": {
                    "rate": "0.100000000000000000",
                    "max_rate": "0.200000000000000000",
                    "max_change_rate": "0.010000000000000000",
                },
                "update_time": "2024-01-01T00:00:01Z",
            },
            "min_self_delegation": "1",
            "unbonding_on_hold_ref_count": "0",
            "unbonding_ids": [],
        }
    }
    assert base64.b64decode(answer["validator"]["consensus_pubkey"]["key"]) == cons_key(1)


async def test_validators_by_status_and_page(rest: httpx.AsyncClient) -> None:
    bonded = [valoper(k) for k in sorted((BOB, CAROL, DAVE), key=raw)]
    first = await get(rest, f"{STAKING}/validators", status="BOND_STATUS_BONDED", **{"pagination.limit": 2})
    assert [v["operator_address"] for v in first["validators"]] == bonded[:2]
    assert first["pagination"]["next_key"]
    rest_page = await get(
        rest,
        f"{STAKING}/validators",
        status="BOND_STATUS_BONDED",
        **{"pagination.key": first["pagination"]["next_key"]},
    )
    assert [v["operator_address"] for v in rest_page["validators"]] == bonded[2:]
    unbonded = await get(rest, f"{STAKING}/validators", status="BOND_STATUS_UNBONDED")
    assert [v["operator_address"] for v in unbonded["validators"]] == [valoper(ERIN)]
    counted = await get(
        rest, f"{STAKING}/validators", **{"pagination.count_total": "true", "pagination.limit": 1}
    )
    assert counted["pagination"]["total"] == "5"


async def test_delegation_routes(rest: httpx.AsyncClient) -> None:
    one = await get(rest, f"{STAKING}/validators/{valoper(DAVE)}/delegations/{FRANK.address}")
    assert one == {
        "delegation_response": {
            "delegation": {
                "delegator_address": FRANK.address,
                "validator_address": valoper(DAVE),
                "shares": "500000.000000000000000000",
            },
            "balance": {"denom": DENOM, "amount": "500000"},
        }
    }
    to_dave = await get(rest, f"{STAKING}/validators/{valoper(DAVE)}/delegations")
    assert one["delegation_response"] in to_dave["delegation_responses"]
    mine = await get(rest, f"{STAKING}/delegations/{FRANK.address}", **{"pagination.limit": 1})
    assert len(mine["delegation_responses"]) == 1 and mine["pagination"]["next_key"]
    validators = await get(rest, f"{STAKING}/delegators/{FRANK.address}/validators")
    assert len(validators["validators"]) == 3
    dave = await get(rest, f"{STAKING}/delegators/{FRANK.address}/validators/{valoper(DAVE)}")
    assert dave["validator"]["operator_address"] == valoper(DAVE)


async def test_unbonding_routes(rest: httpx.AsyncClient) -> None:
    one = await get(
        rest, f"{STAKING}/validators/{valoper(BOB)}/delegations/{FRANK.address}/unbonding_delegation"
    )
    [entry] = one["unbond"]["entries"]
    assert entry == {
        "creation_height": str(QUERY_HEIGHT),
        "completion_time": ZERO_TIME,
        "initial_balance": str(UNDELEGATED),
        "balance": str(UNDELEGATED),
        "unbonding_id": entry["unbonding_id"],
        "unbonding_on_hold_ref_count": "0",
    }
    by_validator = await get(rest, f"{STAKING}/validators/{valoper(BOB)}/unbonding_delegations")
    by_delegator = await get(rest, f"{STAKING}/delegators/{FRANK.address}/unbonding_delegations")
    assert by_validator["unbonding_responses"] == by_delegator["unbonding_responses"] == [one["unbond"]]


async def test_redelegations_route(rest: httpx.AsyncClient) -> None:
    answer = await get(rest, f"{STAKING}/delegators/{FRANK.address}/redelegations")
    [found] = answer["redelegation_responses"]
    assert found["redelegation"] == {
        "delegator_address": FRANK.address,
        "validator_src_address": valoper(CAROL),
        "validator_dst_address": valoper(DAVE),
        "entries": [],
    }
    [entry] = found["entries"]
    assert entry["balance"] == str(REDELEGATED)
    assert entry["redelegation_entry"]["shares_dst"] == "200000.000000000000000000"
    one = await get(
        rest,
        f"{STAKING}/delegators/{FRANK.address}/redelegations",
        src_validator_addr=valoper(CAROL),
        dst_validator_addr=valoper(DAVE),
    )
    assert one["redelegation_responses"] == [found]


async def test_pool_and_params(rest: httpx.AsyncClient) -> None:
    pool = (await get(rest, f"{STAKING}/pool"))["pool"]
    assert int(pool["bonded_tokens"]) + int(pool["not_bonded_tokens"]) > 0
    params = (await get(rest, f"{STAKING}/params"))["params"]
    assert params == {
        "unbonding_time": "0s",
        "max_validators": 3,
        "max_entries": 7,
        "historical_entries": 0,
        "bond_denom": DENOM,
        "min_commission_rate": "0.000000000000000000",
    }


async def test_invalid_requests_answer_grpc_gateway_errors(rest: httpx.AsyncClient) -> None:
    missing = await rest.get(f"{STAKING}/validators/{valoper(STRANGER)}")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 5,
        "message": f"rpc error: code = NotFound desc = validator {valoper(STRANGER)} not found",
        "details": [],
    }
    no_delegation = await rest.get(f"{STAKING}/validators/{valoper(ALICE)}/delegations/{FRANK.address}")
    assert no_delegation.status_code == 404
    bad_status = await rest.get(f"{STAKING}/validators", params={"status": "BONDED"})
    assert bad_status.status_code == 400 and bad_status.json()["code"] == 3
    bad_address = await rest.get(f"{STAKING}/validators/{FRANK.address}")
    assert bad_address.status_code == 400


@pytest.mark.parametrize(
    ("path", "response"),
    [
        (f"{STAKING}/validators", query.QueryValidatorsResponse),
        (f"{STAKING}/validators/{valoper(BOB)}", query.QueryValidatorResponse),
        (f"{STAKING}/validators/{valoper(BOB)}/delegations", query.QueryValidatorDelegationsResponse),
        (f"{STAKING}/validators/{valoper(BOB)}/delegations/{FRANK.address}", query.QueryDelegationResponse),
        (
            f"{STAKING}/validators/{valoper(BOB)}/unbonding_delegations",
            query.QueryValidatorUnbondingDelegationsResponse,
        ),
        (
            f"{STAKING}/validators/{valoper(BOB)}/delegations/{FRANK.address}/unbonding_delegation",
            query.QueryUnbondingDelegationResponse,
        ),
        (f"{STAKING}/delegations/{FRANK.address}", query.QueryDelegatorDelegationsResponse),
        (
            f"{STAKING}/delegators/{FRANK.address}/unbonding_delegations",
            query.QueryDelegatorUnbondingDelegationsResponse,
        ),
        (f"{STAKING}/delegators/{FRANK.address}/redelegations", query.QueryRedelegationsResponse),
        (f"{STAKING}/delegators/{FRANK.address}/validators", query.QueryDelegatorValidatorsResponse),
        (
            f"{STAKING}/delegators/{FRANK.address}/validators/{valoper(BOB)}",
            query.QueryDelegatorValidatorResponse,
        ),
        (f"{STAKING}/pool", query.QueryPoolResponse),
        (f"{STAKING}/params", query.QueryParamsResponse),
    ],
)
async def test_every_answer_parses_as_cosmpy_parses_it(
    rest: httpx.AsyncClient, path: str, response: Any
) -> None:
    """cosmpy's REST clients read answers with ``json_format.Parse``: no unknown fields,
    every value of its field's type."""
    answer = (await rest.get(path)).text
    json_format.Parse(answer, response())


def test_every_staking_route_is_cosmos_s_path() -> None:
    staking = {
        route.template: route.method.name for route in routes.ROUTES if route.template.startswith(STAKING)
    }
    assert staking == {
        f"{STAKING}/validators": "Validators",
        f"{STAKING}/validators/{{validator_addr}}": "Validator",
        f"{STAKING}/validators/{{validator_addr}}/delegations": "ValidatorDelegations",
        f"{STAKING}/validators/{{validator_addr}}/delegations/{{delegator_addr}}": "Delegation",
        f"{STAKING}/validators/{{validator_addr}}/unbonding_delegations": "ValidatorUnbondingDelegations",
        f"{STAKING}/validators/{{validator_addr}}/delegations/{{delegator_addr}}/unbonding_delegation": (
            "UnbondingDelegation"
        ),
        f"{STAKING}/delegations/{{delegator_addr}}": "DelegatorDelegations",
        f"{STAKING}/delegators/{{delegator_addr}}/unbonding_delegations": "DelegatorUnbondingDelegations",
        f"{STAKING}/delegators/{{delegator_addr}}/redelegations": "Redelegations",
        f"{STAKING}/delegators/{{delegator_addr}}/validators": "DelegatorValidators",
        f"{STAKING}/delegators/{{delegator_addr}}/validators/{{validator_addr}}": "DelegatorValidator",
        f"{STAKING}/pool": "Pool",
        f"{STAKING}/params": "Params",
    }


# -- cosmpy's LedgerClient, unchanged --------------------------------------------------------


class InProcessSession:
    """What cosmpy's RestClient asks of its ``requests`` session, answered by the REST app
    in process."""

    def __init__(self, node: Node) -> None:
        self.app = build_app(node)

    def get(self, url: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app)) as http:
                return await http.get(url)

        return trio.run(fetch)

    def close(self) -> None:
        pass


@pytest.fixture
def ledger(node: Node) -> LedgerClient:
    """cosmpy's LedgerClient over ``rest+http``, unchanged but for its HTTP session."""
    config = NetworkConfig(
        chain_id="depin-test-1",
        url="rest+http://rest",
        fee_minimum_gas_price=0.01,
        fee_denomination=DENOM,
        staking_denomination=DENOM,
    )
    client = LedgerClient(config)
    client.staking._rest_api._session = InProcessSession(node)
    return client


def test_cosmpy_query_validators(ledger: LedgerClient) -> None:
    bonded = ledger.query_validators()  # cosmpy's default: bonded ones
    assert [str(v.address) for v in bonded] == [valoper(k) for k in sorted((BOB, CAROL, DAVE), key=raw)]
    assert {v.status for v in bonded} == {ValidatorStatus.BONDED}
    assert {v.moniker for v in bonded} == {"node"}
    everyone = ledger.query_validators(ValidatorStatus.UNSPECIFIED)
    assert len(everyone) == 5
    [erin] = ledger.query_validators(ValidatorStatus.UNBONDED)
    assert (str(erin.address), erin.tokens, erin.moniker) == (valoper(ERIN), DEPIN, "erin")


def test_cosmpy_pages_delegations_as_its_staking_summary_does(ledger: LedgerClient) -> None:
    """query_staking_summary's staking half: delegations one per page, following
    ``next_key``, then the unbonding delegations."""
    request = query.QueryDelegatorDelegationsRequest(delegator_addr=FRANK.address)
    pages = get_paginated(request, ledger.staking.DelegatorDelegations, per_page_limit=1)
    assert [len(page.delegation_responses) for page in pages] == [1, 1, 1]
    found = [
        (r.delegation.validator_address, int(r.balance.amount))
        for page in pages
        for r in page.delegation_responses
    ]
    assert found == [
        (valoper(k), amount)
        for k, amount in sorted(
            [(BOB, DEPIN - UNDELEGATED), (CAROL, DEPIN // 2 - REDELEGATED), (DAVE, 300_000 + REDELEGATED)],
            key=lambda pair: raw(pair[0]),
        )
    ]
    unbonding = query.QueryDelegatorUnbondingDelegationsRequest(delegator_addr=FRANK.address)
    [page] = get_paginated(unbonding, ledger.staking.DelegatorUnbondingDelegations)
    assert [(u.validator_address, [e.balance for e in u.entries]) for u in page.unbonding_responses] == [
        (valoper(BOB), [str(UNDELEGATED)])
    ]


def test_cosmpy_query_staking_summary(ledger: LedgerClient) -> None:
    """Pages the delegations one by one (``next_key``), reads each one's rewards from the
    distribution routes, and sums the unbonding entries."""
    summary = ledger.query_staking_summary(Address(FRANK.address))
    assert sorted((str(p.validator), p.amount) for p in summary.current_positions) == sorted(
        [
            (valoper(BOB), DEPIN - UNDELEGATED),
            (valoper(CAROL), DEPIN // 2 - REDELEGATED),
            (valoper(DAVE), 300_000 + REDELEGATED),
        ]
    )
    assert [(str(p.validator), p.amount) for p in summary.unbonding_positions] == [
        (valoper(BOB), UNDELEGATED)
    ]
