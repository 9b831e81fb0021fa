"""beacon in the module registry. The application itself applies each block's entry
before anything else runs, so every hook and tx of the block sees the new value."""

from __future__ import annotations

from functools import partial
from typing import Any

from vm.beacon import genesis
from vm.beacon.genesis import BeaconGenesis
from vm.beacon.keeper import BeaconKeeper
from vm.module import Module, ModuleDef, ModuleGenesis, Wiring, store_prefix
from vm.store.cache import ReadStore

NAME = "beacon"


def build(wiring: Wiring) -> Module:
    keeper = BeaconKeeper(store_prefix(NAME))

    def query_value(store: ReadStore, request: dict[str, Any]) -> Any:
        return {"value": keeper.value(store).hex()}

    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            BeaconGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        queries={"value": query_value},
    )


MODULE = ModuleDef(NAME, build)
