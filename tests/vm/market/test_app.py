"""The market on a whole chain, through signed txs and committed blocks: the take reaches the
fee collector and distribution pays it out, the same blocks give the same app hash on every
node, queries answer from committed state, and genesis export then init round-trips."""

from __future__ import annotations

from typing import Any

import msgspec

from genesis.market import MarketGenesis
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    GENESIS_TIME_NS,
    apply_block,
    assert_code,
    balance,
    clone,
    committed_values,
    new_app,
    query_json,
    register_msg,
    section,
    signed,
    with_app_state,
)
from tests.vm.market.helpers import H100, PARAMS, PRICE, gpu_spec, market_genesis, offer_msg, order_msg
from vm.app import App, FinalizeResult, validate_genesis
from vm.errors import InvalidTx
from vm.market.msgs import (
    MsgAcceptLease,
    MsgCancelOrder,
    MsgCloseLease,
    MsgCloseOffer,
    MsgDepositEscrow,
    MsgUpdateOffer,
    MsgWithdrawLease,
)
from vm.market.store import ESCROW
from vm.market.types import Pricing
from vm.msg import Msg
from vm.store.kv import MemoryKV
from vm.types import format_address, module_address

GAS = 2_000_000
FEE = GAS // 100


def tx(app: App, k: PrivateKey, *msgs: Msg) -> bytes:
    return signed(app, k, list(msgs), fee=FEE, gas=GAS)


def block(app: App, *txs: bytes, at_s: int | None = None) -> FinalizeResult:
    """A block whose txs must all succeed; ``at_s`` seconds after genesis, if given."""
    time_ns = None if at_s is None else GENESIS_TIME_NS + at_s * 10**9
    result = apply_block(app, list(txs), time_ns=time_ns)
    for outcome in result.tx_results:
        assert_code(outcome, 0)
    return result


def busy_chain() -> App:
    """Two providers, offers active, paused and closed, orders open, cancelled and matched,
    leases pending, active (extended so it runs out: warned) and closed (by the requester,
    and by an accept timeout)."""
    app = new_app(market_genesis())
    block(
        app,
        tx(app, ALICE, register_msg(ALICE, [gpu_spec(H100, 8)], collateral=10_000_000)),
        tx(app, DAVE, register_msg(DAVE, [gpu_spec(H100, 4)], collateral=10_000_000, region="us-east")),
    )
    block(
        app,
        tx(app, ALICE, offer_msg(ALICE, 3, PRICE // 2), offer_msg(ALICE, 1, PRICE * 4)),
        tx(app, DAVE, offer_msg(DAVE, 2, pricing=Pricing(0, 40_000, 1, 10**9))),  # 4 x the reference
    )
    pause = MsgUpdateOffer(ALICE.address, 2, None, 0, 0, 0, [], True, False)
    block(
        app,
        tx(app, ALICE, pause),
        tx(app, BOB, order_msg(BOB, 2, 7_200, PRICE), order_msg(BOB, 1, 3_600, PRICE, regions=["mars"])),
        tx(app, CAROL, order_msg(CAROL, 1, 3_600, PRICE, expires_ns=GENESIS_TIME_NS + 10**12)),
    )  # leases 1 (Bob) and 2 (Carol) from Alice's first offer
    block(
        app,
        tx(app, ALICE, MsgAcceptLease(ALICE.address, 1)),
        tx(app, CAROL, order_msg(CAROL, 1, 600, 2 * PRICE)),
    )
    block(
        app,
        tx(app, BOB, MsgDepositEscrow(BOB.address, 1, None, 3_600 * 10)),  # runs out: warned
        tx(app, CAROL, MsgCloseLease(CAROL.address, 2)),
    )
    block(app, tx(app, DAVE, MsgCloseOffer(DAVE.address, 3)), tx(app, BOB, MsgCancelOrder(BOB.address, 2)))
    block(app, tx(app, ALICE, MsgWithdrawLease(ALICE.address, 1)))  # lease 3 times out
    block(app, tx(app, BOB, order_msg(BOB, 1, 600, 2 * PRICE)))  # lease 4, pending
    return app


def test_busy_chain_keeps_every_invariant() -> None:
    app = busy_chain()
    assert app.registry.broken_invariants(app.state.values) == []
    states = [
        (lease["lease"]["state"], (lease["lease"]["closed"] or {}).get("reason")) for lease in leases(app)
    ]
    assert states == [
        ("active", None),
        ("closed", "requester_closed"),
        ("closed", "provider_fault"),
        ("pending", None),
    ]


def leases(app: App) -> list[dict[str, Any]]:
    answer = query_json(app, "/market/leases")
    assert isinstance(answer, dict)
    found: list[dict[str, Any]] = answer["leases"]
    return found


def test_the_take_reaches_the_fee_collector_and_distribution_pays_it_out() -> None:
    app = new_app(market_genesis())
    block(app, tx(app, ALICE, register_msg(ALICE, [gpu_spec(H100, 8)], collateral=10_000_000)))
    block(app, tx(app, ALICE, offer_msg(ALICE, 1)))
    block(app, tx(app, BOB, order_msg(BOB)))
    block(app, tx(app, ALICE, MsgAcceptLease(ALICE.address, 1)))
    start_s = (app.state.last_time_ns() - GENESIS_TIME_NS) // 10**9
    block(app, at_s=start_s + 3_600)  # the lease completes; no txs, so no tx fees
    collector, distribution = module_address("fee_collector"), module_address("distribution")
    assert balance(app, collector) == PRICE * PARAMS.take_rate_bps // 10_000
    held = balance(app, distribution)
    block(app)  # distribution's begin block takes what the collector holds
    assert balance(app, collector) == 0
    assert balance(app, distribution) == held + PRICE * PARAMS.take_rate_bps // 10_000


def test_same_blocks_give_the_same_app_hash() -> None:
    first = busy_chain()
    second = busy_chain()
    assert first.info() == second.info()
    assert committed_values(first) == committed_values(second)
    later = clone(first)
    one = block(first, at_s=10_000)
    other = block(later, at_s=10_000)
    assert one.app_hash == other.app_hash


def test_queries_answer_from_committed_state() -> None:
    app = busy_chain()
    lease = query_json(app, "/market/lease", {"id": 1})
    assert isinstance(lease, dict)
    escrow = lease["escrow"]
    assert escrow["time_ns"] == app.state.last_time_ns()
    assert escrow["earned"] + escrow["remaining"] == lease["lease"]["deposit"]
    offers = query_json(app, "/market/offers", {"provider": ALICE.address, "state": "paused"})
    assert isinstance(offers, dict) and [o["id"] for o in offers["offers"]] == [2]
    orders = query_json(app, "/market/orders", {"requester": BOB.address})
    assert isinstance(orders, dict) and [o["state"] for o in orders["orders"]] == [
        "matched",
        "cancelled",
        "matched",
    ]
    index = query_json(
        app,
        "/market/price_index",
        {"model": H100.model, "memory_mib": H100.memory_mib, "compute_capability": H100.compute_capability},
    )
    assert isinstance(index, dict) and index["history"]


def test_export_then_init_round_trips() -> None:
    app = busy_chain()
    doc = market_genesis()
    exported = app.export_genesis(doc)
    market = msgspec.convert(exported.app_state["market"], MarketGenesis)
    assert (len(market.offers), len(market.orders), len(market.leases)) == (3, 5, 4)
    assert market.leases[0].warn_ns > 0 and market.clock.height == app.state.height()
    imported = App(MemoryKV())
    imported.init_chain(msgspec.structs.replace(exported, initial_height=app.state.height() + 1), 0)
    assert imported.info()[1] == app.info()[1]
    assert committed_values(imported) == committed_values(app)


def test_default_genesis_validates() -> None:
    validate_genesis(market_genesis())


def test_invalid_genesis_escrow_not_backed() -> None:
    app = busy_chain()
    exported = app.export_genesis(market_genesis())
    bank = section(exported, "bank")
    escrow = format_address(module_address(ESCROW))
    balances = [b for b in bank.balances if b.address != escrow]
    broken = with_app_state(exported, bank=msgspec.structs.replace(bank, balances=balances, supply=[]))
    try:
        validate_genesis(msgspec.structs.replace(broken, initial_height=app.state.height() + 1))
    except InvalidTx as error:
        assert "escrow-backed" in error.log
    else:
        raise AssertionError("a genesis whose escrow is not backed was accepted")
