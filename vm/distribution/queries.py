"""distribution queries: Cosmos's ``cosmos.distribution.v1beta1.Query`` services and the
JSON paths the CLI and JSON-RPC read.

``DecCoin`` amounts are LegacyDec values, which Cosmos's protobuf carries as the
integer text of their atomics ("1500000000000000000" is 1.5); the JSON paths write
them as decimal text ("1.500000000000000000"), as Cosmos's REST gateway does.
A delegation's rewards are computed as a withdrawal would compute them now, on a
scratch copy of the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.distribution.v1beta1 import distribution_pb2 as pb
from cosmpy.protos.cosmos.distribution.v1beta1 import query_pb2 as query

from vm import dec
from vm.distribution.deccoins import EMPTY, DecCoins
from vm.distribution.errors import (
    EmptyDelegatorAddr,
    EmptyValidatorAddr,
    NoDelegationExists,
    NoValidatorExists,
)
from vm.distribution.expected import DelegationI, ValidatorI
from vm.distribution.keeper import DistributionKeeper
from vm.distribution.types import SlashEvent, format_valoper, parse_valoper
from vm.errors import InvalidRequest
from vm.module import Service
from vm.pagination import paginate
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

SERVICE = "/cosmos.distribution.v1beta1.Query/"


NUMBER_SIZE = 8  # a height or a period in a slash event's page key


def _number(value: int) -> bytes:
    return value.to_bytes(NUMBER_SIZE, "big")


def dec_coins_pb(coins: DecCoins) -> list[coin_pb2.DecCoin]:
    return [coin_pb2.DecCoin(denom=denom, amount=str(amount)) for denom, amount in coins.items()]


def dec_coins_json(coins: DecCoins) -> list[dict[str, str]]:
    return [{"denom": denom, "amount": dec.format(amount)} for denom, amount in coins.items()]


# -- request fields ---------------------------------------------------------------------------


def _validator_address(text: str) -> Address:
    if not text:
        raise EmptyValidatorAddr()
    return parse_valoper(text)


def _delegator_address(text: str) -> Address:
    if not text:
        raise EmptyDelegatorAddr()
    return parse_address(text)


def _validator(keeper: DistributionKeeper, store: ReadStore, text: str) -> ValidatorI:
    validator = keeper.staking.get_validator(store, _validator_address(text))
    if validator is None:
        raise NoValidatorExists(text)
    return validator


def _delegation(
    keeper: DistributionKeeper, store: ReadStore, delegator: Address, operator: bytes
) -> DelegationI:
    delegation = keeper.staking.get_delegation(store, delegator, operator)
    if delegation is None:
        raise NoDelegationExists()
    return delegation


def delegation_rewards_of(
    keeper: DistributionKeeper, store: ReadStore, delegator: Address
) -> Iterator[tuple[Address, DecCoins]]:
    """(validator, rewards) of each of ``delegator``'s delegations, in validator order."""
    for delegation in keeper.staking.delegations_of(store, delegator):
        validator = keeper.staking.get_validator(store, delegation.validator)
        if validator is not None:
            yield Address(delegation.validator), keeper.delegation_rewards(store, validator, delegation)


# -- gRPC ---------------------------------------------------------------------------------------


def params(keeper: DistributionKeeper, store: ReadStore, _: Any) -> query.QueryParamsResponse:
    current = keeper.get_params(store)
    return query.QueryParamsResponse(
        params=pb.Params(
            community_tax=str(current.community_tax),
            base_proposer_reward="0",
            bonus_proposer_reward="0",
            withdraw_addr_enabled=current.withdraw_addr_enabled,
        )
    )


def validator_distribution_info(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorDistributionInfoResponse:
    """The operator's self-delegation rewards and the validator's commission."""
    validator = _validator(keeper, store, request.validator_address)
    operator_account = Address(validator.operator)  # the operator's account: the same 20 bytes
    delegation = _delegation(keeper, store, operator_account, validator.operator)
    return query.QueryValidatorDistributionInfoResponse(
        operator_address=format_address(operator_account),
        self_bond_rewards=dec_coins_pb(keeper.delegation_rewards(store, validator, delegation)),
        commission=dec_coins_pb(keeper.get_commission(store, validator.operator)),
    )


def validator_outstanding_rewards(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorOutstandingRewardsResponse:
    validator = _validator(keeper, store, request.validator_address)
    rewards = keeper.get_outstanding(store, validator.operator)
    return query.QueryValidatorOutstandingRewardsResponse(
        rewards=pb.ValidatorOutstandingRewards(rewards=dec_coins_pb(rewards))
    )


def validator_commission(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorCommissionResponse:
    validator = _validator(keeper, store, request.validator_address)
    commission = keeper.get_commission(store, validator.operator)
    return query.QueryValidatorCommissionResponse(
        commission=pb.ValidatorAccumulatedCommission(commission=dec_coins_pb(commission))
    )


def validator_slashes(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorSlashesResponse:
    """Slash events from ``starting_height`` to ``ending_height`` (both included), paged."""
    if request.starting_height > request.ending_height:
        raise InvalidRequest("starting height greater than ending height")
    operator = _validator_address(request.validator_address)

    def entries(key: bytes) -> Iterator[tuple[bytes, SlashEvent]]:
        for event in keeper.slash_events(store, operator, request.starting_height, request.ending_height):
            event_key = _number(event.height) + _number(event.validator_period)
            if event_key >= key:
                yield event_key, event

    events, page = paginate(entries, request.pagination)
    slashes = [
        pb.ValidatorSlashEvent(validator_period=e.validator_period, fraction=str(e.fraction)) for e in events
    ]
    return query.QueryValidatorSlashesResponse(slashes=slashes, pagination=page)


def delegation_rewards(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryDelegationRewardsResponse:
    delegator = _delegator_address(request.delegator_address)
    validator = _validator(keeper, store, request.validator_address)
    delegation = _delegation(keeper, store, delegator, validator.operator)
    rewards = keeper.delegation_rewards(store, validator, delegation)
    return query.QueryDelegationRewardsResponse(rewards=dec_coins_pb(rewards))


def delegation_total_rewards(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryDelegationTotalRewardsResponse:
    delegator = _delegator_address(request.delegator_address)
    rewards, total = [], EMPTY
    for operator, reward in delegation_rewards_of(keeper, store, delegator):
        rewards.append(
            pb.DelegationDelegatorReward(
                validator_address=format_valoper(operator), reward=dec_coins_pb(reward)
            )
        )
        total += reward
    return query.QueryDelegationTotalRewardsResponse(rewards=rewards, total=dec_coins_pb(total))


def delegator_validators(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorValidatorsResponse:
    delegator = _delegator_address(request.delegator_address)
    operators = [format_valoper(d.validator) for d in keeper.staking.delegations_of(store, delegator)]
    return query.QueryDelegatorValidatorsResponse(validators=operators)


def delegator_withdraw_address(
    keeper: DistributionKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorWithdrawAddressResponse:
    delegator = _delegator_address(request.delegator_address)
    withdraw = keeper.get_withdraw_address(store, delegator)
    return query.QueryDelegatorWithdrawAddressResponse(withdraw_address=format_address(withdraw))


def community_pool(keeper: DistributionKeeper, store: ReadStore, _: Any) -> query.QueryCommunityPoolResponse:
    return query.QueryCommunityPoolResponse(pool=dec_coins_pb(keeper.get_community_pool(store)))


def services(keeper: DistributionKeeper) -> dict[str, Service]:
    methods = {
        "Params": (query.QueryParamsRequest, params),
        "ValidatorDistributionInfo": (
            query.QueryValidatorDistributionInfoRequest,
            validator_distribution_info,
        ),
        "ValidatorOutstandingRewards": (
            query.QueryValidatorOutstandingRewardsRequest,
            validator_outstanding_rewards,
        ),
        "ValidatorCommission": (query.QueryValidatorCommissionRequest, validator_commission),
        "ValidatorSlashes": (query.QueryValidatorSlashesRequest, validator_slashes),
        "DelegationRewards": (query.QueryDelegationRewardsRequest, delegation_rewards),
        "DelegationTotalRewards": (query.QueryDelegationTotalRewardsRequest, delegation_total_rewards),
        "DelegatorValidators": (query.QueryDelegatorValidatorsRequest, delegator_validators),
        "DelegatorWithdrawAddress": (query.QueryDelegatorWithdrawAddressRequest, delegator_withdraw_address),
        "CommunityPool": (query.QueryCommunityPoolRequest, community_pool),
    }
    return {
        SERVICE + name: Service(request, partial(answer, keeper))
        for name, (request, answer) in methods.items()
    }


# -- JSON paths (the CLI, through JSON-RPC) -------------------------------------------------------


def query_rewards(keeper: DistributionKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """One delegation's rewards (with ``validator``), or each of a delegator's and their total."""
    delegator = _delegator_address(text_arg(request, "delegator"))
    operator = request.get("validator")
    if operator is not None:
        validator = _validator(keeper, store, text_arg(request, "validator"))
        delegation = _delegation(keeper, store, delegator, validator.operator)
        return {"rewards": dec_coins_json(keeper.delegation_rewards(store, validator, delegation))}
    rewards, total = [], EMPTY
    for address, reward in delegation_rewards_of(keeper, store, delegator):
        rewards.append({"validator_address": format_valoper(address), "reward": dec_coins_json(reward)})
        total += reward
    return {"rewards": rewards, "total": dec_coins_json(total)}


def query_commission(keeper: DistributionKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    validator = _validator(keeper, store, text_arg(request, "validator"))
    return {"commission": dec_coins_json(keeper.get_commission(store, validator.operator))}


def query_community_pool(keeper: DistributionKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    return {"pool": dec_coins_json(keeper.get_community_pool(store))}


def query_slashes(keeper: DistributionKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A ``validator``'s slash events, oldest first, ``limit`` per page: the height, the
    period the slash ended and the fraction of its tokens taken. ``next_key`` is opaque hex
    (a height and a period), as the staking pages', ``""`` on the last page."""
    operator = _validator_address(text_arg(request, "validator"))
    start = _slash_key(text_arg(request, "next_key", ""))
    first_height = int.from_bytes(start[:NUMBER_SIZE], "big")

    def entries(key: bytes) -> Iterator[tuple[bytes, SlashEvent]]:
        for event in keeper.slash_events(store, operator, first_height):
            event_key = _number(event.height) + _number(event.validator_period)
            if event_key >= key:
                yield event_key, event

    events, page = paginate(entries, PageRequest(key=start, limit=limit_arg(request)))
    slashes = [
        {"height": str(e.height), "period": str(e.validator_period), "fraction": dec.format(e.fraction)}
        for e in events
    ]
    return {"slashes": slashes, "next_key": page.next_key.hex()}


def _slash_key(text: str) -> bytes:
    """A slash page's start: empty, or the 16 bytes (height, period) a previous page gave."""
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest("next_key must be the hex a previous page gave") from None
    if len(key) not in (0, 2 * NUMBER_SIZE):
        raise InvalidRequest("next_key must be the hex a previous page gave")
    return key
