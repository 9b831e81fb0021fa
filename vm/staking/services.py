"""staking's ``cosmos.staking.v1beta1.Query`` services, served over ``abci_query`` with
Cosmos SDK v0.50's protobuf answers and error messages (x/staking/keeper/grpc_query.go).

LegacyDec fields (shares, commission rates, the minimum commission rate) carry the
integer text of their atomics, as Cosmos's gogoproto writes them ("1000000000000000000"
is 1). depind counts unbonding in blocks and keeps no time for it, so every
``completion_time`` and ``unbonding_time`` is the zero timestamp (1970-01-01T00:00:00Z,
what Cosmos shows for a validator that never unbonded) and the params' ``unbonding_time``
is a zero duration; the completion heights are in depind's JSON answers
(vm/staking/queries.py) and docs/staking.md says how to compute them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.crypto.ed25519 import keys_pb2 as ed25519_keys
from cosmpy.protos.cosmos.staking.v1beta1 import query_pb2 as query
from cosmpy.protos.cosmos.staking.v1beta1 import staking_pb2 as pb
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from vm.codec import coin_pb, pack
from vm.module import Service
from vm.staking.keeper import StakingKeeper
from vm.staking.params import min_commission_rate
from vm.staking.queries import (
    NotFoundStatus,
    delegation_balance,
    delegator_delegations_page,
    delegator_redelegations_page,
    delegator_unbondings_page,
    parse_status,
    redelegation_entry_balance,
    required_delegator,
    required_validator,
    source_redelegations_page,
    validator_delegations_page,
    validator_unbondings_page,
    validators_page,
)
from vm.staking.store import NOT_BONDED_POOL
from vm.staking.types import Delegation, Redelegation, UnbondingDelegation, Validator, format_valoper
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address

QUERY = "/cosmos.staking.v1beta1.Query/"


# -- protobuf values -----------------------------------------------------------------------------


def timestamp(time_ns: int) -> Timestamp:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return Timestamp(seconds=seconds, nanos=nanos)


def validator_pb(validator: Validator) -> pb.Validator:
    rates = validator.commission.rates
    description = validator.description
    return pb.Validator(
        operator_address=format_valoper(validator.operator),
        consensus_pubkey=pack(ed25519_keys.PubKey(key=validator.pubkey)),
        jailed=validator.jailed,
        status=int(validator.status),
        tokens=str(validator.tokens),
        delegator_shares=str(validator.delegator_shares),
        description=pb.Description(
            moniker=description.moniker,
            identity=description.identity,
            website=description.website,
            security_contact=description.security_contact,
            details=description.details,
        ),
        unbonding_height=validator.unbonding_height,
        unbonding_time=Timestamp(),  # depind's is a height: unbonding_completion
        commission=pb.Commission(
            commission_rates=pb.CommissionRates(
                rate=str(rates.rate), max_rate=str(rates.max_rate), max_change_rate=str(rates.max_change_rate)
            ),
            update_time=timestamp(validator.commission.update_time_ns),
        ),
        min_self_delegation=str(validator.min_self_delegation),
    )


def delegation_response(
    keeper: StakingKeeper, store: ReadStore, delegation: Delegation
) -> pb.DelegationResponse:
    balance = Coin(keeper.bond_denom(store), delegation_balance(keeper, store, delegation))
    return pb.DelegationResponse(
        delegation=pb.Delegation(
            delegator_address=format_address(Address(delegation.delegator)),
            validator_address=format_valoper(delegation.validator),
            shares=str(delegation.shares),
        ),
        balance=coin_pb(balance),
    )


def unbonding_pb(ubd: UnbondingDelegation) -> pb.UnbondingDelegation:
    return pb.UnbondingDelegation(
        delegator_address=format_address(Address(ubd.delegator)),
        validator_address=format_valoper(ubd.validator),
        entries=[
            pb.UnbondingDelegationEntry(
                creation_height=entry.creation_height,
                completion_time=Timestamp(),  # depind's is a height: completion_height
                initial_balance=str(entry.initial_balance),
                balance=str(entry.balance),
                unbonding_id=entry.unbonding_id,
            )
            for entry in ubd.entries
        ],
    )


def redelegation_response(
    keeper: StakingKeeper, store: ReadStore, red: Redelegation
) -> pb.RedelegationResponse:
    """As Cosmos's ``NewRedelegationResponse``: the entries, each with what it is worth at
    the destination now, beside a redelegation that lists none itself."""
    destination = keeper.get_validator(store, red.validator_dst)
    return pb.RedelegationResponse(
        redelegation=pb.Redelegation(
            delegator_address=format_address(Address(red.delegator)),
            validator_src_address=format_valoper(red.validator_src),
            validator_dst_address=format_valoper(red.validator_dst),
        ),
        entries=[
            pb.RedelegationEntryResponse(
                redelegation_entry=pb.RedelegationEntry(
                    creation_height=entry.creation_height,
                    completion_time=Timestamp(),
                    initial_balance=str(entry.initial_balance),
                    shares_dst=str(entry.shares_dst),
                    unbonding_id=entry.unbonding_id,
                ),
                balance=str(redelegation_entry_balance(destination, entry)),
            )
            for entry in red.entries
        ],
    )


# -- the services --------------------------------------------------------------------------------


def validators(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryValidatorsResponse:
    found, page = validators_page(keeper, store, parse_status(request.status), request.pagination)
    return query.QueryValidatorsResponse(validators=[validator_pb(v) for v in found], pagination=page)


def validator(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryValidatorResponse:
    found = keeper.get_validator(store, required_validator(request.validator_addr))
    if found is None:
        raise NotFoundStatus(f"validator {request.validator_addr} not found")
    return query.QueryValidatorResponse(validator=validator_pb(found))


def validator_delegations(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorDelegationsResponse:
    operator = required_validator(request.validator_addr)
    found, page = validator_delegations_page(keeper, store, operator, request.pagination)
    return query.QueryValidatorDelegationsResponse(
        delegation_responses=[delegation_response(keeper, store, d) for d in found], pagination=page
    )


def validator_unbonding_delegations(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryValidatorUnbondingDelegationsResponse:
    operator = required_validator(request.validator_addr)
    found, page = validator_unbondings_page(keeper, store, operator, request.pagination)
    return query.QueryValidatorUnbondingDelegationsResponse(
        unbonding_responses=[unbonding_pb(u) for u in found], pagination=page
    )


def delegation(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryDelegationResponse:
    delegator = required_delegator(request.delegator_addr)
    operator = required_validator(request.validator_addr)
    found = keeper.get_delegation(store, delegator, operator)
    if found is None:
        raise NotFoundStatus(
            f"delegation with delegator {request.delegator_addr} "
            f"not found for validator {request.validator_addr}"
        )
    return query.QueryDelegationResponse(delegation_response=delegation_response(keeper, store, found))


def unbonding_delegation(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryUnbondingDelegationResponse:
    delegator = required_delegator(request.delegator_addr)
    operator = required_validator(request.validator_addr)
    found = keeper.get_unbonding_delegation(store, delegator, operator)
    if found is None:
        raise NotFoundStatus(
            f"unbonding delegation with delegator {request.delegator_addr} "
            f"not found for validator {request.validator_addr}"
        )
    return query.QueryUnbondingDelegationResponse(unbond=unbonding_pb(found))


def delegator_delegations(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorDelegationsResponse:
    delegator = required_delegator(request.delegator_addr)
    found, page = delegator_delegations_page(keeper, store, delegator, request.pagination)
    return query.QueryDelegatorDelegationsResponse(
        delegation_responses=[delegation_response(keeper, store, d) for d in found], pagination=page
    )


def delegator_unbonding_delegations(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorUnbondingDelegationsResponse:
    delegator = required_delegator(request.delegator_addr)
    found, page = delegator_unbondings_page(keeper, store, delegator, request.pagination)
    return query.QueryDelegatorUnbondingDelegationsResponse(
        unbonding_responses=[unbonding_pb(u) for u in found], pagination=page
    )


def redelegations(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryRedelegationsResponse:
    """Cosmos's three cases: delegator, source and destination name one redelegation; a
    source alone pages its redelegations; otherwise the delegator's are paged, all of them
    (Cosmos ignores a source or a destination given with the delegator alone)."""
    delegator, source, destination = (
        request.delegator_addr,
        request.src_validator_addr,
        request.dst_validator_addr,
    )
    if delegator and source and destination:
        found = keeper.get_redelegation(
            store, required_delegator(delegator), required_validator(source), required_validator(destination)
        )
        if found is None:
            raise NotFoundStatus(
                f"redelegation not found for delegator address {delegator} from validator address {source}"
            )
        return query.QueryRedelegationsResponse(
            redelegation_responses=[redelegation_response(keeper, store, found)]
        )
    if source and not delegator and not destination:
        items, page = source_redelegations_page(keeper, store, required_validator(source), request.pagination)
    else:
        items, page = delegator_redelegations_page(
            keeper, store, required_delegator(delegator), request.pagination
        )
    return query.QueryRedelegationsResponse(
        redelegation_responses=[redelegation_response(keeper, store, r) for r in items], pagination=page
    )


def delegator_validators(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorValidatorsResponse:
    delegator = required_delegator(request.delegator_addr)
    found, page = delegator_delegations_page(keeper, store, delegator, request.pagination)
    return query.QueryDelegatorValidatorsResponse(
        validators=[validator_pb(keeper.validator(store, d.validator)) for d in found], pagination=page
    )


def delegator_validator(
    keeper: StakingKeeper, store: ReadStore, request: Any
) -> query.QueryDelegatorValidatorResponse:
    delegator = required_delegator(request.delegator_addr)
    operator = required_validator(request.validator_addr)
    if keeper.get_delegation(store, delegator, operator) is None:
        raise NotFoundStatus("no delegation for (address, validator) tuple")
    return query.QueryDelegatorValidatorResponse(validator=validator_pb(keeper.validator(store, operator)))


def pool(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryPoolResponse:
    return query.QueryPoolResponse(
        pool=pb.Pool(
            not_bonded_tokens=str(keeper.pool_balance(store, NOT_BONDED_POOL)),
            bonded_tokens=str(keeper.total_bonded_tokens(store)),
        )
    )


def params(keeper: StakingKeeper, store: ReadStore, request: Any) -> query.QueryParamsResponse:
    """Cosmos's params; depind's own (unbonding_blocks, power_reduction, the completion
    budget) are in the ``/params`` JSON query."""
    value = keeper.get_params(store)
    return query.QueryParamsResponse(
        params=pb.Params(
            unbonding_time=Duration(),  # depind's is unbonding_blocks
            max_validators=value.max_validators,
            max_entries=value.max_entries,
            historical_entries=0,
            bond_denom=value.bond_denom,
            min_commission_rate=str(min_commission_rate(value)),
        )
    )


def services(keeper: StakingKeeper) -> dict[str, Service]:
    def service(request: Any, answer: Any) -> Service:
        return Service(request, partial(answer, keeper))

    return {
        QUERY + "Validators": service(query.QueryValidatorsRequest, validators),
        QUERY + "Validator": service(query.QueryValidatorRequest, validator),
        QUERY + "ValidatorDelegations": service(
            query.QueryValidatorDelegationsRequest, validator_delegations
        ),
        QUERY + "ValidatorUnbondingDelegations": service(
            query.QueryValidatorUnbondingDelegationsRequest, validator_unbonding_delegations
        ),
        QUERY + "Delegation": service(query.QueryDelegationRequest, delegation),
        QUERY + "UnbondingDelegation": service(query.QueryUnbondingDelegationRequest, unbonding_delegation),
        QUERY + "DelegatorDelegations": service(
            query.QueryDelegatorDelegationsRequest, delegator_delegations
        ),
        QUERY + "DelegatorUnbondingDelegations": service(
            query.QueryDelegatorUnbondingDelegationsRequest, delegator_unbonding_delegations
        ),
        QUERY + "Redelegations": service(query.QueryRedelegationsRequest, redelegations),
        QUERY + "DelegatorValidators": service(query.QueryDelegatorValidatorsRequest, delegator_validators),
        QUERY + "DelegatorValidator": service(query.QueryDelegatorValidatorRequest, delegator_validator),
        QUERY + "Pool": service(query.QueryPoolRequest, pool),
        QUERY + "Params": service(query.QueryParamsRequest, params),
    }
