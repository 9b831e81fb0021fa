"""consensus params in the module registry. Its genesis is the genesis document's
top-level ``consensus_params`` (as CometBFT's), not a section of ``app_state``."""

from __future__ import annotations

from functools import partial
from typing import Any

from cosmpy.protos.cosmos.consensus.v1 import query_pb2 as consensus_query
from cosmpy.protos.tendermint.types import params_pb2 as cometbft_params
from google.protobuf.duration_pb2 import Duration

from genesis.schema import ConsensusParams
from vm.consensus_params.msgs import MsgUpdateParams
from vm.consensus_params.params import validate_params
from vm.context import Context
from vm.module import Module, ModuleDef, ModuleGenesis, ModuleParams, Service, Wiring, store_prefix
from vm.module import update_params_handler as update_params
from vm.store.cache import ReadStore

NAME = "consensus"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(ConsensusParams, validate_params, store_prefix(NAME))

    def init(ctx: Context, state: ConsensusParams) -> None:
        params.set(ctx.store, state)

    def export(store: ReadStore) -> ConsensusParams:
        return params.get(store)

    return Module(
        name=NAME,
        keeper=params,
        genesis=ModuleGenesis(ConsensusParams, validate_params, init, export),
        messages={MsgUpdateParams: update_params(params, wiring.authority)},
        services={
            "/cosmos.consensus.v1.Query/Params": Service(
                consensus_query.QueryParamsRequest, partial(answer_params, params)
            )
        },
        params=params,
    )


def answer_params(
    params: ModuleParams[ConsensusParams], store: ReadStore, _: Any
) -> consensus_query.QueryParamsResponse:
    """The params as CometBFT's ``ConsensusParams`` (its fields; ``max_tx_bytes`` is depind's
    own and is served by ``/depind.consensus.v1`` messages and the ``params`` RPC)."""
    value = params.get(store)
    answer = cometbft_params.ConsensusParams(
        block=cometbft_params.BlockParams(max_bytes=value.block.max_bytes, max_gas=value.block.max_gas),
        evidence=cometbft_params.EvidenceParams(
            max_age_num_blocks=value.evidence.max_age_num_blocks,
            max_age_duration=duration(value.evidence.max_age_duration_ns),
            max_bytes=value.evidence.max_bytes,
        ),
        validator=cometbft_params.ValidatorParams(pub_key_types=value.validator.pub_key_types),
    )
    return consensus_query.QueryParamsResponse(params=answer)


def duration(ns: int) -> Duration:
    return Duration(seconds=ns // 10**9, nanos=ns % 10**9)


MODULE = ModuleDef(NAME, build)
