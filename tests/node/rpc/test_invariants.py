"""The ``invariants`` JSON-RPC method: the registry's broken invariants in the latest state,
none on a healthy chain, and the one a balance written behind the bank's back breaks."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import trio

from node.node import Node
from tests.node.rpc.support import rpc
from tests.vm.helpers import ALICE, DENOM, FUNDS, new_app, raw
from vm.app import App
from vm.state import VALUE_PREFIX
from vm.store.kv import MemoryKV

STRANGER = b"\x07" * 20


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


def call(app: App, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc, cast(Node, AppNode(app)), method, **params))


def test_a_healthy_chain_breaks_no_invariant() -> None:
    answer = call(new_app(), "invariants")
    assert answer == {"broken": [], "height": "0"}


def test_a_balance_from_nowhere_breaks_the_supply_invariant() -> None:
    app = new_app()
    bank = app.registry.keeper("bank")
    kv = MemoryKV(dict(app.kv.iterate(b"")))
    alices = kv.get(VALUE_PREFIX + bank.balance_key(raw(ALICE), DENOM))
    assert alices is not None
    kv.write({VALUE_PREFIX + bank.balance_key(STRANGER, DENOM): alices})  # coins no tx minted
    broken = call(App(kv, app.registry), "invariants")["broken"]
    assert len(broken) == 1 and broken[0].startswith("bank/total-supply: total supply")
    assert f"'{DENOM}': {4 * FUNDS}" in broken[0]
