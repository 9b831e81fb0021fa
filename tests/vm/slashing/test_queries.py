"""slashing queries: Cosmos's ``cosmos.slashing.v1beta1.Query`` services, read with
cosmpy's generated classes, and the JSON path behind the ``signing_info`` RPC method."""

from __future__ import annotations

from typing import Any

import msgspec
from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest
from cosmpy.protos.cosmos.slashing.v1beta1 import query_pb2
from google.protobuf.message import Message

from tests.vm.helpers import ALICE, BOB, DAVE, new_app
from tests.vm.slashing.helpers import Evidence, SlashingChain
from tests.vm.staking.helpers import create_validator
from vm.errors import InvalidTx
from vm.slashing.types import format_cons_address

QUERY = "/cosmos.slashing.v1beta1.Query/"


def ask(chain: SlashingChain, method: str, request: Message, answer: type[Any]) -> Any:
    raw = chain.registry.service(QUERY + method, chain.store, request.SerializeToString())
    return answer.FromString(raw)


def three_validators() -> SlashingChain:
    chain = SlashingChain()
    for operator in (ALICE, BOB, DAVE):
        chain.run(create_validator(operator, 1000))
    chain.end_block()
    chain.block(absent=[BOB])
    chain.block(evidence=[Evidence(chain.cons(DAVE), 2, 1000)])
    return chain


def test_params_are_cosmos_s_defaults() -> None:
    app = new_app()
    result = app.query(QUERY + "Params", query_pb2.QueryParamsRequest().SerializeToString())
    params = query_pb2.QueryParamsResponse.FromString(result.value).params
    assert params.signed_blocks_window == 100
    assert params.min_signed_per_window == b"500000000000000000"  # LegacyDec atomics, as Cosmos's gRPC
    assert (params.downtime_jail_duration.seconds, params.downtime_jail_duration.nanos) == (600, 0)
    assert params.slash_fraction_double_sign == b"50000000000000000"
    assert params.slash_fraction_downtime == b"10000000000000000"


def test_signing_info_of_a_validator() -> None:
    chain = three_validators()
    address = format_cons_address(chain.cons(BOB))
    request = query_pb2.QuerySigningInfoRequest(cons_address=address)
    info = ask(chain, "SigningInfo", request, query_pb2.QuerySigningInfoResponse).val_signing_info
    assert (info.address, info.start_height, info.index_offset, info.missed_blocks_counter) == (
        address,
        1,
        2,
        1,
    )
    assert (info.tombstoned, info.jailed_until.seconds, info.jailed_until.nanos) == (False, 0, 0)
    dave = query_pb2.QuerySigningInfoRequest(cons_address=format_cons_address(chain.cons(DAVE)))
    info = ask(chain, "SigningInfo", dave, query_pb2.QuerySigningInfoResponse).val_signing_info
    assert info.tombstoned and info.jailed_until.seconds == 253_402_300_799


def test_signing_infos_page_in_address_order() -> None:
    chain = three_validators()
    everyone = [format_cons_address(c) for c in sorted(chain.cons(k) for k in (ALICE, BOB, DAVE))]
    first = ask(
        chain,
        "SigningInfos",
        query_pb2.QuerySigningInfosRequest(pagination=PageRequest(limit=2, count_total=True)),
        query_pb2.QuerySigningInfosResponse,
    )
    assert [i.address for i in first.info] == everyone[:2]
    assert first.pagination.total == 3 and first.pagination.next_key
    rest = ask(
        chain,
        "SigningInfos",
        query_pb2.QuerySigningInfosRequest(pagination=PageRequest(key=first.pagination.next_key)),
        query_pb2.QuerySigningInfosResponse,
    )
    assert [i.address for i in rest.info] == everyone[2:] and not rest.pagination.next_key


def test_json_signing_info_is_cosmos_s_json() -> None:
    chain = three_validators()
    address = format_cons_address(chain.cons(DAVE))
    answer = chain.registry.query("/slashing/signing_info", chain.store, {"cons_address": address})
    assert msgspec.json.decode(msgspec.json.encode(answer)) == {
        "address": address,
        "start_height": "1",
        "index_offset": "2",
        "jailed_until": "9999-12-31T23:59:59Z",
        "tombstoned": True,
        "missed_blocks_counter": "0",
    }


def failure(chain: SlashingChain, request: query_pb2.QuerySigningInfoRequest) -> tuple[int, str]:
    try:
        chain.registry.service(QUERY + "SigningInfo", chain.store, request.SerializeToString())
    except InvalidTx as error:
        return error.code, error.log
    raise AssertionError("the query was answered")


def test_invalid_signing_info_requests() -> None:
    chain = three_validators()
    unknown = format_cons_address(b"\x07" * 20)
    assert failure(chain, query_pb2.QuerySigningInfoRequest(cons_address=unknown)) == (
        38,
        f"SigningInfo not found for validator {unknown}: not found",
    )
    assert failure(chain, query_pb2.QuerySigningInfoRequest(cons_address=ALICE.address))[0] == 7
    assert failure(chain, query_pb2.QuerySigningInfoRequest())[0] == 18


def test_a_missing_signing_info_reads_as_a_grpc_not_found() -> None:
    app = new_app()
    request = query_pb2.QuerySigningInfoRequest(cons_address=format_cons_address(b"\x07" * 20))
    result = app.query(QUERY + "SigningInfo", request.SerializeToString())
    assert result.code == 38 and result.log.startswith(
        "rpc error: code = NotFound desc = SigningInfo not found"
    )
