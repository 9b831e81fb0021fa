"""staking queries over abci_query: every ``cosmos.staking.v1beta1.Query`` method with
Cosmos SDK v0.50's protobuf answers (read with cosmpy's classes) and error logs, paging,
and depind's JSON paths, on the chain of tests/vm/staking/query_chain.py."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.crypto.ed25519 import keys_pb2 as ed25519_keys
from cosmpy.protos.cosmos.staking.v1beta1 import query_pb2 as query
from cosmpy.protos.cosmos.staking.v1beta1 import staking_pb2 as pb
from google.protobuf.message import Message

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, GENESIS_TIME_NS, STRANGER, assert_code, raw
from tests.vm.staking.query_chain import (
    ALICE_STAKE,
    BOB_STAKE,
    CAROL_STAKE,
    DAVE_STAKE,
    DEPIN,
    ERIN,
    ERIN_STAKE,
    FRANK,
    QUERY_HEIGHT,
    REDELEGATED,
    UNBONDING_BLOCKS,
    UNDELEGATED,
    staked_app,
)
from tests.vm.staking.vectors import cons_key, valoper
from vm import dec
from vm.app import App, QueryResult
from vm.staking.types import consensus_address

QUERY = "/cosmos.staking.v1beta1.Query/"
BOB_TOKENS = BOB_STAKE + DEPIN - UNDELEGATED
CAROL_TOKENS = CAROL_STAKE + DEPIN // 2 - REDELEGATED
DAVE_TOKENS = DAVE_STAKE + 300_000 + REDELEGATED
ALL = (ALICE, BOB, CAROL, DAVE, ERIN)
BY_OPERATOR = sorted(ALL, key=raw)  # the store's order


@pytest.fixture(scope="module")
def app() -> App:
    return staked_app()


def ask(app: App, method: str, request: Message) -> QueryResult:
    return app.query(QUERY + method, request.SerializeToString())


def answer(app: App, method: str, request: Message, response: Any) -> Any:
    result = ask(app, method, request)
    assert_code(result, 0)
    assert result.height == QUERY_HEIGHT
    return response.FromString(result.value)


def failure(app: App, method: str, request: Message, code: int) -> str:
    result = ask(app, method, request)
    assert_code(result, code)
    return result.log


def operators(validators: Any) -> list[str]:
    return [v.operator_address for v in validators]


def atomics(amount: int) -> str:
    """A LegacyDec of ``amount`` as Cosmos's protobuf carries it."""
    return str(dec.from_int(amount))


# -- validators ----------------------------------------------------------------------------------


def test_validators_all_in_operator_order(app: App) -> None:
    found = answer(app, "Validators", query.QueryValidatorsRequest(), query.QueryValidatorsResponse)
    assert operators(found.validators) == [valoper(k) for k in BY_OPERATOR]
    assert found.pagination.next_key == b"" and found.pagination.total == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("BOND_STATUS_BONDED", (BOB, CAROL, DAVE)),
        ("BOND_STATUS_UNBONDING", (ALICE,)),
        ("BOND_STATUS_UNBONDED", (ERIN,)),
    ],
)
def test_validators_of_one_status(app: App, status: str, expected: tuple[Any, ...]) -> None:
    request = query.QueryValidatorsRequest(status=status)
    found = answer(app, "Validators", request, query.QueryValidatorsResponse)
    assert operators(found.validators) == [valoper(k) for k in sorted(expected, key=raw)]
    assert {pb.BondStatus.Name(v.status) for v in found.validators} == {status}


def test_validators_pages_count_only_matching_ones(app: App) -> None:
    bonded = sorted((BOB, CAROL, DAVE), key=raw)
    page = PageRequest(limit=2, count_total=True)
    request = query.QueryValidatorsRequest(status="BOND_STATUS_BONDED", pagination=page)
    first = answer(app, "Validators", request, query.QueryValidatorsResponse)
    assert operators(first.validators) == [valoper(k) for k in bonded[:2]]
    assert first.pagination.total == 3 and first.pagination.next_key == raw(bonded[2])
    request.pagination.CopyFrom(PageRequest(limit=2, key=first.pagination.next_key))
    second = answer(app, "Validators", request, query.QueryValidatorsResponse)
    assert operators(second.validators) == [valoper(bonded[2])]
    assert second.pagination.next_key == b""
    request.pagination.CopyFrom(PageRequest(offset=1, limit=1))
    offset = answer(app, "Validators", request, query.QueryValidatorsResponse)
    assert operators(offset.validators) == [valoper(bonded[1])]


def test_invalid_validators_status(app: App) -> None:
    request = query.QueryValidatorsRequest(status="bonded")
    log = failure(app, "Validators", request, 18)
    assert log == "rpc error: code = InvalidArgument desc = invalid validator status bonded"


def test_validator_answer_has_every_cosmos_field(app: App) -> None:
    found = answer(
        app,
        "Validator",
        query.QueryValidatorRequest(validator_addr=valoper(BOB)),
        query.QueryValidatorResponse,
    ).validator
    assert found.operator_address == valoper(BOB)
    assert found.consensus_pubkey.type_url == "/cosmos.crypto.ed25519.PubKey"
    pubkey = ed25519_keys.PubKey()
    assert found.consensus_pubkey.Unpack(pubkey) and pubkey.key == cons_key(2)
    assert (found.jailed, found.status) == (False, pb.BOND_STATUS_BONDED)
    assert found.tokens == str(BOB_TOKENS)
    assert found.delegator_shares == atomics(BOB_TOKENS)  # one share per token: nothing was slashed
    assert found.description == pb.Description(moniker="node")
    assert found.unbonding_height == 0
    assert found.HasField("unbonding_time") and found.unbonding_time.ToNanoseconds() == 0
    rates = found.commission.commission_rates
    assert (rates.rate, rates.max_rate, rates.max_change_rate) == (
        "100000000000000000",
        "200000000000000000",
        "10000000000000000",
    )
    assert found.commission.update_time.ToNanoseconds() == GENESIS_TIME_NS + 1 * 10**9  # block 1's time
    assert found.min_self_delegation == "1"
    assert (found.unbonding_on_hold_ref_count, list(found.unbonding_ids)) == (0, [])


def test_unbonding_validator_has_its_unbonding_height(app: App) -> None:
    request = query.QueryValidatorRequest(validator_addr=valoper(ALICE))
    found = answer(app, "Validator", request, query.QueryValidatorResponse).validator
    assert (found.status, found.unbonding_height) == (pb.BOND_STATUS_UNBONDING, 2)
    assert found.unbonding_time.ToNanoseconds() == 0  # depind's is a height: see the JSON answer


def test_invalid_validator_not_found(app: App) -> None:
    address = valoper(STRANGER)
    log = failure(app, "Validator", query.QueryValidatorRequest(validator_addr=address), 38)
    assert log == f"rpc error: code = NotFound desc = validator {address} not found"


def test_invalid_validator_address(app: App) -> None:
    log = failure(app, "Validator", query.QueryValidatorRequest(), 18)
    assert log == "rpc error: code = InvalidArgument desc = validator address cannot be empty"
    log = failure(app, "Validator", query.QueryValidatorRequest(validator_addr=FRANK.address), 7)
    assert log.startswith("rpc error: code = InvalidArgument desc = validator address: ")


# -- delegations ---------------------------------------------------------------------------------


def test_validator_delegations_with_balances(app: App) -> None:
    request = query.QueryValidatorDelegationsRequest(validator_addr=valoper(BOB))
    found = answer(app, "ValidatorDelegations", request, query.QueryValidatorDelegationsResponse)
    by_delegator = {d.delegation.delegator_address: d for d in found.delegation_responses}
    assert list(by_delegator) == sorted([BOB.address, FRANK.address], key=raw)
    frank = by_delegator[FRANK.address]
    assert frank.delegation == pb.Delegation(
        delegator_address=FRANK.address, validator_address=valoper(BOB), shares=atomics(DEPIN - UNDELEGATED)
    )
    assert (frank.balance.denom, frank.balance.amount) == (DENOM, str(DEPIN - UNDELEGATED))
    assert by_delegator[BOB.address].balance.amount == str(BOB_STAKE)


def test_validator_delegations_of_no_validator_are_empty(app: App) -> None:
    request = query.QueryValidatorDelegationsRequest(validator_addr=valoper(STRANGER))
    found = answer(app, "ValidatorDelegations", request, query.QueryValidatorDelegationsResponse)
    assert list(found.delegation_responses) == []


def test_delegation(app: App) -> None:
    request = query.QueryDelegationRequest(delegator_addr=FRANK.address, validator_addr=valoper(DAVE))
    found = answer(app, "Delegation", request, query.QueryDelegationResponse).delegation_response
    assert found.delegation.shares == atomics(300_000 + REDELEGATED)
    assert found.balance.amount == str(300_000 + REDELEGATED)


def test_invalid_delegation_not_found(app: App) -> None:
    request = query.QueryDelegationRequest(delegator_addr=FRANK.address, validator_addr=valoper(ALICE))
    assert failure(app, "Delegation", request, 38) == (
        f"rpc error: code = NotFound desc = delegation with delegator {FRANK.address} "
        f"not found for validator {valoper(ALICE)}"
    )
    request = query.QueryDelegationRequest(validator_addr=valoper(ALICE))
    log = failure(app, "Delegation", request, 18)
    assert log == "rpc error: code = InvalidArgument desc = delegator address cannot be empty"


def test_delegator_delegations_page_by_validator(app: App) -> None:
    mine = sorted((BOB, CAROL, DAVE), key=raw)
    request = query.QueryDelegatorDelegationsRequest(
        delegator_addr=FRANK.address, pagination=PageRequest(limit=1, count_total=True)
    )
    seen = []
    while True:
        found = answer(app, "DelegatorDelegations", request, query.QueryDelegatorDelegationsResponse)
        seen += [d.delegation.validator_address for d in found.delegation_responses]
        if not found.pagination.next_key:
            break
        assert found.pagination.total in (0, 3)
        request.pagination.CopyFrom(PageRequest(limit=1, key=found.pagination.next_key))
    assert seen == [valoper(k) for k in mine]


def test_delegator_without_delegations_has_an_empty_answer(app: App) -> None:
    """As Cosmos v0.50: an empty list, not NotFound."""
    request = query.QueryDelegatorDelegationsRequest(delegator_addr=STRANGER.address)
    found = answer(app, "DelegatorDelegations", request, query.QueryDelegatorDelegationsResponse)
    assert list(found.delegation_responses) == []


def test_delegator_validators(app: App) -> None:
    request = query.QueryDelegatorValidatorsRequest(delegator_addr=FRANK.address)
    found = answer(app, "DelegatorValidators", request, query.QueryDelegatorValidatorsResponse)
    assert operators(found.validators) == [valoper(k) for k in sorted((BOB, CAROL, DAVE), key=raw)]
    assert {v.tokens for v in found.validators} == {str(BOB_TOKENS), str(CAROL_TOKENS), str(DAVE_TOKENS)}


def test_delegator_validator(app: App) -> None:
    request = query.QueryDelegatorValidatorRequest(
        delegator_addr=FRANK.address, validator_addr=valoper(CAROL)
    )
    found = answer(app, "DelegatorValidator", request, query.QueryDelegatorValidatorResponse)
    assert found.validator.tokens == str(CAROL_TOKENS)
    request.validator_addr = valoper(ALICE)
    log = failure(app, "DelegatorValidator", request, 38)
    assert log == "rpc error: code = NotFound desc = no delegation for (address, validator) tuple"


# -- unbonding delegations -----------------------------------------------------------------------


def test_unbonding_delegation(app: App) -> None:
    request = query.QueryUnbondingDelegationRequest(delegator_addr=FRANK.address, validator_addr=valoper(BOB))
    found = answer(app, "UnbondingDelegation", request, query.QueryUnbondingDelegationResponse).unbond
    assert (found.delegator_address, found.validator_address) == (FRANK.address, valoper(BOB))
    [entry] = found.entries
    assert entry.creation_height == QUERY_HEIGHT
    assert (entry.initial_balance, entry.balance) == (str(UNDELEGATED), str(UNDELEGATED))
    assert entry.unbonding_id > 0 and entry.unbonding_on_hold_ref_count == 0
    assert entry.HasField("completion_time") and entry.completion_time.ToNanoseconds() == 0


def test_invalid_unbonding_delegation_not_found(app: App) -> None:
    request = query.QueryUnbondingDelegationRequest(
        delegator_addr=FRANK.address, validator_addr=valoper(DAVE)
    )
    assert failure(app, "UnbondingDelegation", request, 38) == (
        f"rpc error: code = NotFound desc = unbonding delegation with delegator {FRANK.address} "
        f"not found for validator {valoper(DAVE)}"
    )


def test_validator_and_delegator_unbonding_delegations(app: App) -> None:
    request = query.QueryValidatorUnbondingDelegationsRequest(validator_addr=valoper(BOB))
    by_validator = answer(
        app, "ValidatorUnbondingDelegations", request, query.QueryValidatorUnbondingDelegationsResponse
    )
    request_of = query.QueryDelegatorUnbondingDelegationsRequest(delegator_addr=FRANK.address)
    by_delegator = answer(
        app, "DelegatorUnbondingDelegations", request_of, query.QueryDelegatorUnbondingDelegationsResponse
    )
    assert list(by_validator.unbonding_responses) == list(by_delegator.unbonding_responses)
    assert [u.delegator_address for u in by_delegator.unbonding_responses] == [FRANK.address]
    request.validator_addr = valoper(CAROL)
    none = answer(
        app, "ValidatorUnbondingDelegations", request, query.QueryValidatorUnbondingDelegationsResponse
    )
    assert list(none.unbonding_responses) == []


# -- redelegations -------------------------------------------------------------------------------


def redelegations(app: App, **fields: str) -> Any:
    return answer(
        app, "Redelegations", query.QueryRedelegationsRequest(**fields), query.QueryRedelegationsResponse
    )


def test_redelegations_of_a_delegator(app: App) -> None:
    [found] = redelegations(app, delegator_addr=FRANK.address).redelegation_responses
    assert found.redelegation == pb.Redelegation(  # Cosmos lists the entries beside it, not in it
        delegator_address=FRANK.address,
        validator_src_address=valoper(CAROL),
        validator_dst_address=valoper(DAVE),
    )
    [entry] = found.entries
    assert entry.balance == str(REDELEGATED)
    assert entry.redelegation_entry.creation_height == QUERY_HEIGHT
    assert entry.redelegation_entry.initial_balance == str(REDELEGATED)
    assert entry.redelegation_entry.shares_dst == atomics(REDELEGATED)
    assert entry.redelegation_entry.completion_time.ToNanoseconds() == 0


def test_redelegations_by_source_and_by_all_three(app: App) -> None:
    mine = redelegations(app, delegator_addr=FRANK.address).redelegation_responses
    assert redelegations(app, src_validator_addr=valoper(CAROL)).redelegation_responses == mine
    assert list(redelegations(app, src_validator_addr=valoper(DAVE)).redelegation_responses) == []
    one = redelegations(
        app, delegator_addr=FRANK.address, src_validator_addr=valoper(CAROL), dst_validator_addr=valoper(DAVE)
    )
    assert one.redelegation_responses == mine and not one.HasField("pagination")


def test_redelegations_of_a_delegator_ignore_a_lone_source_as_cosmos_does(app: App) -> None:
    mine = redelegations(app, delegator_addr=FRANK.address).redelegation_responses
    other = redelegations(app, delegator_addr=FRANK.address, src_validator_addr=valoper(BOB))
    assert other.redelegation_responses == mine


def test_invalid_redelegation_not_found(app: App) -> None:
    request = query.QueryRedelegationsRequest(
        delegator_addr=FRANK.address, src_validator_addr=valoper(DAVE), dst_validator_addr=valoper(CAROL)
    )
    assert failure(app, "Redelegations", request, 38) == (
        f"rpc error: code = NotFound desc = redelegation not found for delegator address {FRANK.address} "
        f"from validator address {valoper(DAVE)}"
    )
    log = failure(app, "Redelegations", query.QueryRedelegationsRequest(), 18)
    assert log == "rpc error: code = InvalidArgument desc = delegator address cannot be empty"


# -- pool and params -----------------------------------------------------------------------------


def test_pool_holds_bonded_and_not_bonded_stake(app: App) -> None:
    found = answer(app, "Pool", query.QueryPoolRequest(), query.QueryPoolResponse).pool
    assert found.bonded_tokens == str(BOB_TOKENS + CAROL_TOKENS + DAVE_TOKENS)
    assert found.not_bonded_tokens == str(ALICE_STAKE + ERIN_STAKE + UNDELEGATED)


def test_params(app: App) -> None:
    found = answer(app, "Params", query.QueryParamsRequest(), query.QueryParamsResponse).params
    assert found.HasField("unbonding_time") and found.unbonding_time.ToNanoseconds() == 0
    assert (found.max_validators, found.max_entries, found.historical_entries) == (3, 7, 0)
    assert (found.bond_denom, found.min_commission_rate) == (DENOM, "0")


def test_invalid_historical_info_is_not_served(app: App) -> None:
    log = failure(app, "HistoricalInfo", query.QueryHistoricalInfoRequest(), 6)
    assert log.startswith("rpc error: code = Unimplemented desc = ")


# -- JSON paths ----------------------------------------------------------------------------------


def ask_json(app: App, path: str, request: dict[str, Any]) -> QueryResult:
    return app.query(path, msgspec.json.encode(request))


def json_answer(app: App, path: str, **request: Any) -> Any:
    result = ask_json(app, path, request)
    assert_code(result, 0)
    return msgspec.json.decode(result.value)


def test_json_validators_with_status_and_pages(app: App) -> None:
    first = json_answer(app, "/staking/validators", status="BOND_STATUS_BONDED", limit=2)
    bonded = [valoper(k) for k in sorted((BOB, CAROL, DAVE), key=raw)]
    assert [v["operator_address"] for v in first["validators"]] == bonded[:2]
    rest = json_answer(app, "/staking/validators", status="BOND_STATUS_BONDED", next_key=first["next_key"])
    assert [v["operator_address"] for v in rest["validators"]] == bonded[2:]
    assert rest["next_key"] == ""


def test_json_validator_by_operator_or_consensus_address(app: App) -> None:
    alice = json_answer(app, "/staking/validator", address=valoper(ALICE))
    assert alice["status"] == "BOND_STATUS_UNBONDING" and alice["power"] == "0"
    assert (alice["unbonding_height"], alice["unbonding_completion_height"]) == (
        "2",
        str(2 + UNBONDING_BLOCKS),
    )
    assert alice["delegator_shares"] == "2000000.000000000000000000"
    assert alice["commission"]["commission_rates"]["rate"] == "0.100000000000000000"
    cons = consensus_address(cons_key(4)).hex()
    dave = json_answer(app, "/staking/validator", cons_address=cons)
    assert dave["operator_address"] == valoper(DAVE) and dave["consensus_address"] == cons.upper()
    assert (dave["tokens"], dave["power"], dave["jailed"]) == (str(DAVE_TOKENS), "8", False)


def test_invalid_json_validator(app: App) -> None:
    result = ask_json(app, "/staking/validator", {"cons_address": "00" * 20})
    assert_code(result, 38)
    assert result.log == f"validator with consensus address {'00' * 20} not found"
    assert_code(ask_json(app, "/staking/validator", {"cons_address": "xyz"}), 18)
    assert_code(ask_json(app, "/staking/validators", {"status": "BOND_STATUS_UNSPECIFIED"}), 18)


def test_json_delegations_of_a_delegator_a_validator_or_both(app: App) -> None:
    mine = json_answer(app, "/staking/delegations", delegator=FRANK.address)["delegation_responses"]
    assert len(mine) == 3 and {d["balance"]["denom"] for d in mine} == {DENOM}
    to_dave = json_answer(app, "/staking/delegations", validator=valoper(DAVE))["delegation_responses"]
    assert [d["delegation"]["delegator_address"] for d in to_dave] == sorted(
        [DAVE.address, FRANK.address], key=raw
    )
    [one] = json_answer(app, "/staking/delegations", delegator=FRANK.address, validator=valoper(DAVE))[
        "delegation_responses"
    ]
    assert one["delegation"]["shares"] == "500000.000000000000000000" and one["balance"]["amount"] == "500000"
    missing = ask_json(app, "/staking/delegations", {"delegator": FRANK.address, "validator": valoper(ALICE)})
    assert_code(missing, 38)


def test_json_unbonding_delegations_carry_completion_heights(app: App) -> None:
    [ubd] = json_answer(app, "/staking/unbonding_delegations", delegator=FRANK.address)["unbonding_responses"]
    assert ubd["entries"] == [
        {
            "creation_height": str(QUERY_HEIGHT),
            "completion_height": str(QUERY_HEIGHT + UNBONDING_BLOCKS),
            "initial_balance": str(UNDELEGATED),
            "balance": str(UNDELEGATED),
            "unbonding_id": ubd["entries"][0]["unbonding_id"],
        }
    ]
    by_validator = json_answer(app, "/staking/unbonding_delegations", validator=valoper(BOB))
    assert by_validator["unbonding_responses"] == [ubd]


def test_json_redelegations_filtered_by_validators(app: App) -> None:
    [red] = json_answer(app, "/staking/redelegations", delegator=FRANK.address)["redelegation_responses"]
    assert (red["validator_src_address"], red["validator_dst_address"]) == (valoper(CAROL), valoper(DAVE))
    assert red["entries"][0]["completion_height"] == str(QUERY_HEIGHT + UNBONDING_BLOCKS)
    assert red["entries"][0]["balance"] == str(REDELEGATED)
    other = json_answer(app, "/staking/redelegations", delegator=FRANK.address, src_validator=valoper(BOB))
    assert other["redelegation_responses"] == []
    to_dave = json_answer(
        app, "/staking/redelegations", src_validator=valoper(CAROL), dst_validator=valoper(DAVE)
    )
    assert to_dave["redelegation_responses"] == [red]
    assert_code(ask_json(app, "/staking/redelegations", {}), 18)


def test_json_pool(app: App) -> None:
    assert json_answer(app, "/staking/pool") == {
        "bonded_tokens": str(BOB_TOKENS + CAROL_TOKENS + DAVE_TOKENS),
        "not_bonded_tokens": str(ALICE_STAKE + ERIN_STAKE + UNDELEGATED),
    }
