"""The GPU market on a running node, with ``depind worker`` as the provider's process.

A provider registers its GPUs and offers them; a requester orders; the order is matched
in its own block; the worker accepts the lease and withdraws its earnings; the escrow
flows block by block, exact to the unit at each block's time; a top-up extends the
lease; the requester closes it and gets back exactly what was not earned. A lease
extended beyond what its escrow pays closes in the first block at or after its run-out
time with ``insufficient_funds``, charged exactly the deposit. The worker comes back
after the node restarts. The provider's exit closes its last lease with a refund, and the
``summary`` method counts every offer, order and lease by state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genesis.market import MarketGenesis, MarketParams
from genesis.schema import GenesisDoc, set_section
from node.light import parse_rfc3339
from tests.e2e.harness import DENOM, KEYS, NodeFactory, NodeProcess, Wallet, eventually
from tests.e2e.market_setup import FEE, H100, WorkerProcess, key_in_keyring, submit
from vm.market.msgs import (
    MsgCloseLease,
    MsgCreateOffer,
    MsgCreateOrder,
    MsgDepositEscrow,
)
from vm.market.types import Pricing, Requirements
from vm.provider.msgs import GpuSpec, MsgExitProvider, MsgRegisterProvider
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NS_PER_HOUR = 3_600 * 10**9
RATE = 3_600_000  # udepin per GPU-hour: 1 per GPU-millisecond
GPUS = 2
COLLATERAL = 5_000_000
ESCROW_LOW_WARNING_S = 3


def short_market(doc: GenesisDoc) -> None:
    """Leases of seconds, so the test sees them run out."""
    params = MarketParams(min_duration_s=1, escrow_low_warning_s=ESCROW_LOW_WARNING_S)
    set_section(doc, "market", MarketGenesis(params=params))


def test_a_lease_from_order_to_refund(node_factory: NodeFactory, tmp_path: Path) -> None:
    node = node_factory(edit_genesis=short_market)
    worker_home = tmp_path / "worker"
    provider_key = key_in_keyring(worker_home, "provider")
    funder = Wallet(node, KEYS[0])
    submit(node, funder, [funder.send_msg(provider_key.address, 50_000_000)])
    provider = Wallet(node, provider_key)
    requester = Wallet(node, KEYS[1])
    register_and_offer(node, provider)

    worker = WorkerProcess("node.cli.main", worker_home, node, withdraw_every=3)
    try:
        lease = check_matched_and_accepted(node, requester, duration_s=600)
        check_escrow_flows(node, lease)
        lease = check_top_up_extends(node, requester, lease)
        eventually(
            lambda: int(lease_of(node, lease["id"])["lease"]["withdrawn"]) > 0, "the worker's withdrawal"
        )
        check_requester_close_refunds(node, requester, lease)
        check_run_out_closes_exactly(node, requester)
        node.restart()
        lease = check_matched_and_accepted(node, requester, duration_s=600)
        assert "reconnecting" in worker.log()
    finally:
        assert worker.stop() == 0, worker.log()
    assert "Traceback" not in worker.log()
    # The stopped worker's last withdrawal may still wait in the mempool: the provider's
    # committed sequence is final only once it is in a block.
    eventually(lambda: node.rpc("num_unconfirmed_txs")["n_txs"] == "0", "an empty mempool")
    check_exit_closes_with_refund(node, Wallet(node, provider_key), requester, lease)


# -- the steps -------------------------------------------------------------------------------------


def register_and_offer(node: NodeProcess, provider: Wallet) -> None:
    gpus = [GpuSpec(H100.model, H100.memory_mib, H100.compute_capability, 4, [])]
    register = MsgRegisterProvider(
        provider.address, gpus, "eu-west", "gpu.example.org:8443", Coin(DENOM, 0), Coin(DENOM, COLLATERAL)
    )
    pricing = Pricing(price=RATE, factor_bps=0, floor=0, cap=0)
    offer = MsgCreateOffer(provider.address, H100, 4, pricing, 1, 3_600, ["gemm"])
    submit(node, provider, [register])
    submit(node, provider, [offer])


def check_matched_and_accepted(node: NodeProcess, requester: Wallet, duration_s: int) -> dict[str, Any]:
    """An order matched in its own block, then accepted by the worker; the active lease."""
    order = order_msg(requester, duration_s, deposit=minimum_deposit(duration_s))
    height = submit(node, requester, [order])
    found = node.rpc("leases", requester=requester.address, state="pending")["leases"]
    found += node.rpc("leases", requester=requester.address, state="active")["leases"]
    (matched,) = [entry["lease"] for entry in found if int(entry["lease"]["matched_height"]) == height]
    assert int(matched["rate"]) == RATE and int(matched["gpus"]) == GPUS
    assert int(matched["deposit"]) == minimum_deposit(duration_s)
    lease: dict[str, Any] = eventually(lambda: active(node, matched["id"]), "the worker's acceptance")
    assert height < int(lease["accepted_height"]) <= int(matched["accept_deadline"])
    assert int(lease["start_ns"]) == block_time_ns(node, int(lease["accepted_height"]))
    return lease


def check_escrow_flows(node: NodeProcess, lease: dict[str, Any]) -> None:
    """At each of a few blocks, earned is rate x GPUs x the block time since the start."""
    seen = []
    for _ in range(3):
        node.wait_height(node.height() + 1)
        answer = lease_of(node, lease["id"])
        escrow, now = answer["escrow"], int(answer["escrow"]["time_ns"])
        earned = RATE * GPUS * (now - int(lease["start_ns"])) // NS_PER_HOUR
        assert int(escrow["earned"]) == earned
        assert int(escrow["remaining"]) == int(answer["lease"]["deposit"]) - earned
        seen.append(earned)
    assert seen == sorted(seen) and seen[0] < seen[-1], seen


def check_top_up_extends(node: NodeProcess, requester: Wallet, lease: dict[str, Any]) -> dict[str, Any]:
    top_up = minimum_deposit(60)
    submit(node, requester, [MsgDepositEscrow(requester.address, int(lease["id"]), Coin(DENOM, top_up), 60)])
    answer = lease_of(node, lease["id"])
    extended: dict[str, Any] = answer["lease"]
    assert int(extended["deposit"]) == int(lease["deposit"]) + top_up
    assert int(extended["duration_s"]) == int(lease["duration_s"]) + 60
    assert int(answer["escrow"]["due_ns"]) == int(extended["start_ns"]) + int(extended["duration_s"]) * 10**9
    return extended


def check_requester_close_refunds(node: NodeProcess, requester: Wallet, lease: dict[str, Any]) -> None:
    before = node.balance(requester.address)
    height = submit(node, requester, [MsgCloseLease(requester.address, int(lease["id"]))])
    closed = lease_of(node, lease["id"])["lease"]
    record = closed["closed"]
    assert closed["state"] == "closed" and record["reason"] == "requester_closed"
    assert int(record["height"]) == height and int(record["time_ns"]) == block_time_ns(node, height)
    earned = RATE * GPUS * (int(record["time_ns"]) - int(closed["start_ns"])) // NS_PER_HOUR
    assert int(record["earned"]) == earned
    assert int(record["refunded"]) == int(closed["deposit"]) - earned
    assert node.balance(requester.address) == before - FEE + int(record["refunded"])


def check_run_out_closes_exactly(node: NodeProcess, requester: Wallet) -> None:
    """Extended to 10 minutes with 8 seconds paid: runs out at start + 8 s, warned before."""
    lease = check_matched_and_accepted(node, requester, duration_s=8)
    submit(node, requester, [MsgDepositEscrow(requester.address, int(lease["id"]), None, 600)])
    run_out = int(lease["start_ns"]) + 8 * 10**9  # the deposit pays exactly 8 s at the rate
    assert int(lease_of(node, lease["id"])["escrow"]["due_ns"]) == run_out
    closed: dict[str, Any] = eventually(lambda: closed_lease(node, lease["id"]), "the run-out close")
    record = closed["closed"]
    assert record["reason"] == "insufficient_funds"
    assert int(record["time_ns"]) == run_out
    assert int(record["earned"]) == int(closed["deposit"]) and int(record["refunded"]) == 0
    height = int(record["height"])
    assert block_time_ns(node, height - 1) < run_out <= block_time_ns(node, height)
    warned = [
        h for h in range(int(lease["accepted_height"]), height + 1) if escrow_low_events(node, h, lease["id"])
    ]
    assert len(warned) == 1, warned


def check_exit_closes_with_refund(
    node: NodeProcess, provider: Wallet, requester: Wallet, lease: dict[str, Any]
) -> None:
    before = node.balance(requester.address)
    height = submit(node, provider, [MsgExitProvider(provider.address)])
    closed = lease_of(node, lease["id"])["lease"]
    record = closed["closed"]
    assert record["reason"] == "provider_exited" and int(record["height"]) == height
    earned = RATE * GPUS * (int(record["time_ns"]) - int(closed["start_ns"])) // NS_PER_HOUR
    assert int(record["earned"]) == earned and int(record["refunded"]) == int(closed["deposit"]) - earned
    assert node.balance(requester.address) == before + int(record["refunded"])
    offers = node.rpc("offers", provider=provider.address)["offers"]
    assert {offer["state"] for offer in offers} == {"closed"}
    exiting = node.rpc("provider", owner=provider.address)
    assert exiting["status"] == "exiting"  # collateral is released only after the exit delay
    check_summary_counts_every_record(node, height)


def check_summary_counts_every_record(node: NodeProcess, since: int) -> None:
    """Three orders matched and their three leases closed; the one offer closed."""
    summary = node.rpc("summary")
    assert int(summary["height"]) >= since
    market = summary["market"]
    assert market["offers"] == {"active": 0, "paused": 0, "closed": 1}
    assert market["orders"] == {"open": 0, "matched": 3, "cancelled": 0, "expired": 0}
    assert market["leases"] == {"pending": 0, "active": 0, "closed": 3}
    assert market["classes"] == [] and market["next_key"] is None
    assert summary["compute"]["jobs"]["valid"] == 0 and summary["slashing"]["slashes"]["double_sign"] == 0


# -- helpers ---------------------------------------------------------------------------------------


def order_msg(requester: Wallet, duration_s: int, deposit: int) -> MsgCreateOrder:
    wanted = Requirements(
        gpu_models=[H100.model],
        min_memory_mib=0,
        min_compute_capability="",
        gpus=GPUS,
        regions=[],
        min_reputation=0,
        min_capacity=0,
        job_kind="",
    )
    return MsgCreateOrder(requester.address, wanted, duration_s, RATE, Coin(DENOM, deposit), 0)


def minimum_deposit(duration_s: int) -> int:
    return -(-RATE * GPUS * duration_s // 3_600)


def lease_of(node: NodeProcess, lease_id: str | int) -> dict[str, Any]:
    answer: dict[str, Any] = node.rpc("lease", id=int(lease_id))
    return answer


def active(node: NodeProcess, lease_id: str | int) -> dict[str, Any] | None:
    lease: dict[str, Any] = lease_of(node, lease_id)["lease"]
    return lease if lease["state"] == "active" else None


def closed_lease(node: NodeProcess, lease_id: str | int) -> dict[str, Any] | None:
    lease: dict[str, Any] = lease_of(node, lease_id)["lease"]
    return lease if lease["state"] == "closed" else None


def block_time_ns(node: NodeProcess, height: int) -> int:
    return parse_rfc3339(node.rpc("block", height=height)["block"]["header"]["time"])


def escrow_low_events(node: NodeProcess, height: int, lease_id: str | int) -> list[dict[str, str]]:
    events = node.rpc("block_results", height=height)["finalize_block_events"]
    found = []
    for event in events:
        attributes = {a["key"]: a["value"] for a in event["attributes"]}
        if event["type"] == "escrow_low" and attributes.get("lease_id") == str(lease_id):
            found.append(attributes)
    return found
