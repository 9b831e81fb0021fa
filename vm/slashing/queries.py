"""slashing queries: Cosmos's ``cosmos.slashing.v1beta1.Query`` services and two JSON paths
(``signing_info``, and ``summary``: the validators slashed by reason, JSON integers).

LegacyDec params are ``bytes`` holding the ASCII integer text of their atomics, as
Cosmos's gRPC encodes them; consensus addresses are bech32 (``depinvalcons1...``).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import msgspec
from cosmpy.protos.cosmos.slashing.v1beta1 import query_pb2, slashing_pb2
from google.protobuf import duration_pb2, json_format, timestamp_pb2

from vm.errors import InvalidRequest, NotFound
from vm.module import Service
from vm.pagination import paginate
from vm.query_args import text_arg
from vm.slashing.genesis import export_slash_counts
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.types import NANOS_PER_SECOND, SigningInfo, format_cons_address, parse_cons_address
from vm.store.cache import ReadStore

HEX_ADDRESS = re.compile(r"[0-9A-Fa-f]{40}")


def signing_info_pb(cons_address: bytes, info: SigningInfo) -> slashing_pb2.ValidatorSigningInfo:
    return slashing_pb2.ValidatorSigningInfo(
        address=format_cons_address(cons_address),
        start_height=info.start_height,
        index_offset=info.index_offset,
        jailed_until=timestamp_pb2.Timestamp(
            seconds=info.jailed_until.seconds, nanos=info.jailed_until.nanos
        ),
        tombstoned=info.tombstoned,
        missed_blocks_counter=info.missed_blocks_counter,
    )


def params(keeper: SlashingKeeper, store: ReadStore, _: Any) -> query_pb2.QueryParamsResponse:
    value = keeper.get_parsed_params(store)
    seconds, nanos = divmod(value.downtime_jail_duration_ns, NANOS_PER_SECOND)
    return query_pb2.QueryParamsResponse(
        params=slashing_pb2.Params(
            signed_blocks_window=value.signed_blocks_window,
            min_signed_per_window=str(value.min_signed_per_window).encode(),
            downtime_jail_duration=duration_pb2.Duration(seconds=seconds, nanos=nanos),
            slash_fraction_double_sign=str(value.slash_fraction_double_sign).encode(),
            slash_fraction_downtime=str(value.slash_fraction_downtime).encode(),
        )
    )


def _find(keeper: SlashingKeeper, store: ReadStore, text: str) -> slashing_pb2.ValidatorSigningInfo:
    if not text:
        raise InvalidRequest("invalid request: empty consensus address")
    cons_address = parse_cons_address(text)
    info = keeper.get_signing_info(store, cons_address)
    if info is None:
        raise NotFound(f"SigningInfo not found for validator {text}")
    return signing_info_pb(cons_address, info)


def signing_info(
    keeper: SlashingKeeper, store: ReadStore, request: Any
) -> query_pb2.QuerySigningInfoResponse:
    return query_pb2.QuerySigningInfoResponse(val_signing_info=_find(keeper, store, request.cons_address))


def signing_infos(
    keeper: SlashingKeeper, store: ReadStore, request: Any
) -> query_pb2.QuerySigningInfosResponse:
    found, page = paginate(partial(keeper.signing_infos_from, store), request.pagination)
    return query_pb2.QuerySigningInfosResponse(
        info=[signing_info_pb(*entry) for entry in found], pagination=page
    )


def query_signing_info(keeper: SlashingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """The signing info in proto3 JSON, as Cosmos's REST writes it (RFC 3339 jail time).
    ``cons_address`` is bech32, or hex as CometBFT's RPC shows validator addresses."""
    text = text_arg(request, "cons_address")
    if HEX_ADDRESS.fullmatch(text):
        text = format_cons_address(bytes.fromhex(text))
    found = _find(keeper, store, text)
    return json_format.MessageToDict(
        found, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def query_summary(keeper: SlashingKeeper, store: ReadStore, _: dict[str, Any]) -> Any:
    """How many times validators were slashed, by the reason their ``slash`` event carries."""
    return {"slashes": msgspec.to_builtins(export_slash_counts(keeper, store))}


def services(keeper: SlashingKeeper) -> dict[str, Service]:
    query = "/cosmos.slashing.v1beta1.Query/"
    return {
        query + "Params": Service(query_pb2.QueryParamsRequest, partial(params, keeper)),
        query + "SigningInfo": Service(query_pb2.QuerySigningInfoRequest, partial(signing_info, keeper)),
        query + "SigningInfos": Service(query_pb2.QuerySigningInfosRequest, partial(signing_infos, keeper)),
    }
