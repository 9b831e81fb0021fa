"""distribution queries: Cosmos's gRPC answers (LegacyDec amounts as atomics text) and the
JSON paths the CLI reads (decimal text)."""

from __future__ import annotations

from typing import Any

import pytest
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.distribution.v1beta1 import query_pb2 as query
from google.protobuf.message import Message

from tests.vm.distribution.chain import FEES, vote
from tests.vm.distribution.test_rewards import one_validator
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, raw
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.distribution.msgs import MsgSetWithdrawAddress
from vm.errors import InvalidTx

SERVICE = "/cosmos.distribution.v1beta1.Query/"


def ask(chain: Any, method: str, request: Message, answer: type[Message]) -> Any:
    raw_answer = chain.registry.service(SERVICE + method, chain.store, request.SerializeToString())
    return answer.FromString(raw_answer)


def amounts(coins: Any) -> list[tuple[str, str]]:
    return [(coin.denom, coin.amount) for coin in coins]


def atomics(text: str) -> str:
    return str(dec.parse(text))


@pytest.fixture
def chain() -> Any:
    chain = one_validator()
    chain.pass_blocks(5, [vote(ALICE, 4)], FEES)
    return chain


def test_params(chain: Any) -> None:
    answer = ask(chain, "Params", query.QueryParamsRequest(), query.QueryParamsResponse)
    assert answer.params.community_tax == "20000000000000000"  # 0.02 as LegacyDec atomics
    assert answer.params.base_proposer_reward == answer.params.bonus_proposer_reward == "0"
    assert answer.params.withdraw_addr_enabled


def test_delegation_rewards_as_a_withdrawal_would_pay_them(chain: Any) -> None:
    request = query.QueryDelegationRewardsRequest(
        delegator_address=CAROL.address, validator_address=valoper(ALICE)
    )
    answer = ask(chain, "DelegationRewards", request, query.QueryDelegationRewardsResponse)
    assert amounts(answer.rewards) == [("udepin", atomics("40831.0875"))]
    # a query ends no period for real
    assert chain.distribution.get_current(chain.store, raw(ALICE)).period == 3


def test_delegation_total_rewards(chain: Any) -> None:
    request = query.QueryDelegationTotalRewardsRequest(delegator_address=ALICE.address)
    answer = ask(chain, "DelegationTotalRewards", request, query.QueryDelegationTotalRewardsResponse)
    assert [r.validator_address for r in answer.rewards] == [valoper(ALICE)]
    assert amounts(answer.rewards[0].reward) == [("udepin", atomics("13610.3625"))]
    assert amounts(answer.total) == [("udepin", atomics("13610.3625"))]


def test_validator_records(chain: Any) -> None:
    validator = valoper(ALICE)
    outstanding = ask(
        chain,
        "ValidatorOutstandingRewards",
        query.QueryValidatorOutstandingRewardsRequest(validator_address=validator),
        query.QueryValidatorOutstandingRewardsResponse,
    )
    assert amounts(outstanding.rewards.rewards) == [("udepin", atomics("60490.5"))]
    commission = ask(
        chain,
        "ValidatorCommission",
        query.QueryValidatorCommissionRequest(validator_address=validator),
        query.QueryValidatorCommissionResponse,
    )
    assert amounts(commission.commission.commission) == [("udepin", atomics("6049.05"))]
    info = ask(
        chain,
        "ValidatorDistributionInfo",
        query.QueryValidatorDistributionInfoRequest(validator_address=validator),
        query.QueryValidatorDistributionInfoResponse,
    )
    assert info.operator_address == ALICE.address
    assert amounts(info.self_bond_rewards) == [("udepin", atomics("13610.3625"))]
    assert amounts(info.commission) == [("udepin", atomics("6049.05"))]


def test_community_pool_and_delegator_records(chain: Any) -> None:
    pool = ask(chain, "CommunityPool", query.QueryCommunityPoolRequest(), query.QueryCommunityPoolResponse)
    assert amounts(pool.pool) == [("udepin", atomics("1234.5"))]
    validators = ask(
        chain,
        "DelegatorValidators",
        query.QueryDelegatorValidatorsRequest(delegator_address=CAROL.address),
        query.QueryDelegatorValidatorsResponse,
    )
    assert list(validators.validators) == [valoper(ALICE)]
    request = query.QueryDelegatorWithdrawAddressRequest(delegator_address=CAROL.address)
    answer = query.QueryDelegatorWithdrawAddressResponse
    assert ask(chain, "DelegatorWithdrawAddress", request, answer).withdraw_address == CAROL.address
    chain.run(MsgSetWithdrawAddress(CAROL.address, DAVE.address))
    assert ask(chain, "DelegatorWithdrawAddress", request, answer).withdraw_address == DAVE.address


def test_validator_slashes_by_height_and_page(chain: Any) -> None:
    cons = chain.validator(ALICE).cons_address
    heights = []
    for fraction in ("0.1", "0.05", "0.2"):  # each of 1 power's worth of tokens
        heights.append(chain.height)
        chain.keeper.slash(chain.ctx(), cons, chain.height, 1, dec.parse(fraction))
        chain.block()

    def slashes(start: int, end: int, page: PageRequest | None = None) -> Any:
        request = query.QueryValidatorSlashesRequest(
            validator_address=valoper(ALICE), starting_height=start, ending_height=end, pagination=page
        )
        return ask(chain, "ValidatorSlashes", request, query.QueryValidatorSlashesResponse)

    every = slashes(0, 1_000)
    assert [s.validator_period for s in every.slashes] == [3, 4, 5]
    assert every.slashes[0].fraction == atomics("0.025")  # 1 power's 10% of the 4,000,000 tokens
    assert [s.validator_period for s in slashes(heights[1], heights[2]).slashes] == [4, 5]
    first = slashes(0, 1_000, PageRequest(limit=2))
    assert [s.validator_period for s in first.slashes] == [3, 4]
    rest = slashes(0, 1_000, PageRequest(key=first.pagination.next_key))
    assert [s.validator_period for s in rest.slashes] == [5] and not rest.pagination.next_key
    with pytest.raises(InvalidTx, match="starting height greater than ending height"):
        slashes(5, 4)


def test_invalid_requests(chain: Any) -> None:
    cases: list[tuple[str, Message, tuple[str, int]]] = [
        (
            "ValidatorCommission",
            query.QueryValidatorCommissionRequest(validator_address=valoper(BOB)),
            ("distribution", 12),
        ),
        ("ValidatorCommission", query.QueryValidatorCommissionRequest(), ("distribution", 4)),
        (
            "DelegationRewards",
            query.QueryDelegationRewardsRequest(validator_address=valoper(ALICE)),
            ("distribution", 2),
        ),
        (
            "DelegationRewards",
            query.QueryDelegationRewardsRequest(
                delegator_address=DAVE.address, validator_address=valoper(ALICE)
            ),
            ("distribution", 13),
        ),
        (
            "DelegationTotalRewards",
            query.QueryDelegationTotalRewardsRequest(delegator_address="depin1nope"),
            ("sdk", 7),
        ),
    ]
    for method, request, expected in cases:
        with pytest.raises(InvalidTx) as failed:
            chain.registry.service(SERVICE + method, chain.store, request.SerializeToString())
        assert (failed.value.codespace, failed.value.code) == expected, method


def test_json_paths_write_decimals(chain: Any) -> None:
    store = chain.store
    one = chain.registry.query(
        "/distribution/rewards", store, {"delegator": CAROL.address, "validator": valoper(ALICE)}
    )
    assert one == {"rewards": [{"denom": "udepin", "amount": "40831.087500000000000000"}]}
    every = chain.registry.query("/distribution/rewards", store, {"delegator": CAROL.address})
    assert every == {
        "rewards": [
            {
                "validator_address": valoper(ALICE),
                "reward": [{"denom": "udepin", "amount": "40831.087500000000000000"}],
            }
        ],
        "total": [{"denom": "udepin", "amount": "40831.087500000000000000"}],
    }
    commission = chain.registry.query("/distribution/commission", store, {"validator": valoper(ALICE)})
    assert commission == {"commission": [{"denom": "udepin", "amount": "6049.050000000000000000"}]}
    pool = chain.registry.query("/distribution/community_pool", store, {})
    assert pool == {"pool": [{"denom": "udepin", "amount": "1234.500000000000000000"}]}


def test_json_slashes_by_page(chain: Any) -> None:
    cons = chain.validator(ALICE).cons_address
    heights = []
    for fraction in ("0.1", "0.05", "0.2"):
        heights.append(chain.height)
        chain.keeper.slash(chain.ctx(), cons, chain.height, 1, dec.parse(fraction))
        chain.block()

    def slashes(**request: Any) -> Any:
        request = {"validator": valoper(ALICE)} | request
        return chain.registry.query("/distribution/slashes", chain.store, request)

    every = slashes()
    assert every["next_key"] == ""
    assert [s["height"] for s in every["slashes"]] == [str(h) for h in heights]
    assert [s["period"] for s in every["slashes"]] == ["3", "4", "5"]
    assert every["slashes"][0]["fraction"] == "0.025000000000000000"  # as the gRPC answer's
    first = slashes(limit=2)
    assert first["slashes"] == every["slashes"][:2] and first["next_key"]
    rest = slashes(limit=2, next_key=first["next_key"])
    assert rest == {"slashes": every["slashes"][2:], "next_key": ""}
    assert slashes(validator=valoper(BOB)) == {"slashes": [], "next_key": ""}


def test_invalid_json_slashes(chain: Any) -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"validator": "depinvaloper1nope"},
        {"validator": valoper(ALICE), "next_key": "zz"},
        {"validator": valoper(ALICE), "next_key": "00"},
        {"validator": valoper(ALICE), "limit": 0},
    ]
    for request in cases:
        with pytest.raises(InvalidTx):
            chain.registry.query("/distribution/slashes", chain.store, request)
