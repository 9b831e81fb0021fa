"""consensus params in the module registry. Its genesis is the genesis document's
top-level ``consensus_params`` (as CometBFT's), not a section of ``app_state``."""

from __future__ import annotations

from genesis.schema import ConsensusParams
from vm.consensus_params.msgs import MsgUpdateParams
from vm.consensus_params.params import validate_params
from vm.context import Context
from vm.module import Module, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix
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
        params=params,
    )


MODULE = ModuleDef(NAME, build)
