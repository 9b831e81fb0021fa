"""slashing in the module registry. It comes right after staking, whose keeper it uses
and whose hooks it registers for (a validator's window starts when it bonds)."""

from __future__ import annotations

from functools import partial

from genesis.schema import SlashingGenesis, SlashingParams
from vm.module import Module, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix
from vm.slashing import genesis, handlers, invariants, queries
from vm.slashing.hooks import SlashingHooks
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.msgs import MsgUnjail, MsgUpdateParams
from vm.slashing.params import validate_params

NAME = "slashing"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(SlashingParams, validate_params, store_prefix(NAME))
    staking = wiring.keeper("staking")
    keeper = SlashingKeeper(store_prefix(NAME), params, staking)
    staking.set_hooks(SlashingHooks(keeper))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            SlashingGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgUnjail: partial(handlers.handle_unjail, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
        },
        queries={
            "signing_info": partial(queries.query_signing_info, keeper),
            "summary": partial(queries.query_summary, keeper),
        },
        services=queries.services(keeper),
        params=params,
        begin_block=partial(handlers.begin_block, keeper),
        invariants={
            "missed-blocks-counter": partial(invariants.missed_blocks_counter, keeper),
            "signing-infos-have-validators": partial(invariants.signing_infos_have_validators, keeper),
        },
    )


MODULE = ModuleDef(NAME, build)
