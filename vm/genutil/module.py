"""genutil in the module registry: its genesis section holds the gentxs.

The section is read by InitChain, which delivers every gentx after all modules'
genesis (``vm/app.py``); the module keeps no state, so it exports no gentxs: once
the chain runs, its validators are in the staking module's state."""

from __future__ import annotations

from typing import Any

import msgspec

from genesis.schema import Doc
from vm.context import Context
from vm.errors import InvalidRequest
from vm.module import Module, ModuleDef, ModuleGenesis, Wiring
from vm.store.cache import ReadStore

NAME = "genutil"
MAX_GENTXS = 1_000


class GenutilGenesis(Doc):
    gen_txs: list[dict[str, Any]] = msgspec.field(default_factory=list)


def _validate(genesis: GenutilGenesis) -> None:
    """The shape only; each gentx is decoded and checked with the messages the chain knows
    (``vm.app.validate_genesis``) and delivered at InitChain."""
    if len(genesis.gen_txs) > MAX_GENTXS:
        raise InvalidRequest(f"at most {MAX_GENTXS} gentxs, got {len(genesis.gen_txs)}")


def _init(ctx: Context, genesis: GenutilGenesis) -> None:
    """Nothing to store: InitChain delivers the gentxs once every module has its genesis."""


def _export(store: ReadStore) -> GenutilGenesis:
    return GenutilGenesis()


def build(wiring: Wiring) -> Module:
    return Module(
        name=NAME,
        keeper=None,
        genesis=ModuleGenesis(GenutilGenesis, _validate, _init, _export),
    )


MODULE = ModuleDef(NAME, build)
