"""Capacity challenges end to end: one ``depind start`` validator running the verifier
service (``depind testnet``), a provider running ``depind worker`` (NumPy), genesis params
under which every block issues a challenge to a due provider.

An order asking for a measured capacity finds no offer while the provider has none. The
provider claims 10^8 multiply-adds per second (``depind tx compute claim-capacity``, with the
key its running worker signs with); the next block challenges it with a seeded GEMM sized to
take 2 s at that rate; the worker runs it first and commits its result; the validator's
verifier checks it and attests; at the end of the window the challenge is valid, the
provider's measured capacity is work / block time from the challenge to the result (at most
the claim), as ``depind query compute capacity`` shows, and the waiting order matches the
provider's offer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genesis import doc as genesis_doc
from genesis.compute import ComputeGenesis, ComputeParams
from genesis.schema import set_section
from tests.e2e.harness import DENOM, REPO_ROOT, Wallet, eventually
from tests.e2e.market_setup import (
    DEPOSIT,
    FEE,
    GAS,
    H100,
    LEASE_S,
    RATE,
    Market,
    WorkerProcess,
    open_market,
    submit,
    warm_up_kernels,
)
from tests.e2e.network import Network, NetworkFactory, ValidatorNode
from vm.market.msgs import MsgCreateOrder
from vm.market.types import Requirements
from vm.types import Coin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLAIM = 10**8  # multiply-adds per second: a 512 x 762 by 762 x 512 challenge, well under 1 s here
PARAMS = ComputeParams(
    committee_size=1,
    attest_blocks=10,
    challenge_window_blocks=12,
    capacity_rate_bps=10_000,  # every block challenges a due provider
    capacity_target_ms=2_000,
    capacity_latency_ms=60_000,  # the result's way to a block on two loaded cores
    capacity_result_blocks=400,
)
NS_PER_S = 10**9
VERDICT_S = 180.0


def capacity_genesis(network: Network) -> None:
    for node in network.nodes:
        doc = genesis_doc.load(node.home.genesis_file)
        set_section(doc, "compute", ComputeGenesis(params=PARAMS))
        genesis_doc.save(doc, node.home.genesis_file)


@pytest.fixture
def market(network_factory: NetworkFactory, tmp_path: Path) -> Iterator[tuple[ValidatorNode, Market]]:
    warm_up_kernels(tmp_path)
    network = network_factory(1, start=False)
    capacity_genesis(network)
    network.start_all()
    node = network.nodes[0]
    workers: list[WorkerProcess] = []
    try:
        funder = Wallet(node, node.account_key)
        yield node, open_market(node, funder, tmp_path / "gpu", H100, "node.cli.main", workers)
    finally:
        for worker in workers:
            worker.stop()
    for worker in workers:
        assert "Traceback" not in worker.log(), worker.log()


def depind(*args: str) -> str:
    """Run the ``depind`` command line; its stdout (it must succeed)."""
    command = [sys.executable, "-m", "node.cli.main", *args]
    ran = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def claim_capacity(node: ValidatorNode, world: Market, claim: int) -> None:
    """The provider claims through the command line, with the key its worker signs with."""
    depind(
        *("tx", "compute", "claim-capacity", str(claim), "--from", "provider", "--yes"),
        *("--home", str(world.home), "--keyring-backend", "test", "--node", node.url),
        *("--gas", str(GAS), "--fees", f"{FEE}{DENOM}"),
    )


def capacity_job(node: ValidatorNode, provider: str) -> dict[str, Any] | None:
    jobs = node.rpc("jobs", provider=provider)["jobs"]
    return next((job for job in jobs if job["capacity"] is not None), None)


def settled(node: ValidatorNode, job_id: int) -> dict[str, Any] | None:
    job: dict[str, Any] = node.rpc("job", id=job_id)["job"]
    return job if job["verdict_height"] else None


def matched(node: ValidatorNode, order_id: int) -> dict[str, Any] | None:
    order: dict[str, Any] = node.rpc("order", id=order_id)["order"]
    return order if order["state"] == "matched" else None


def event_at(node: ValidatorNode, height: int, kind: str) -> dict[str, str]:
    """The ``kind`` event the block at ``height`` emitted (in its hooks or its txs)."""
    results = node.rpc("block_results", height=height)
    events = list(results["finalize_block_events"])
    for tx in results["txs_results"] or []:
        events += tx["events"]
    for event in events:
        if event["type"] == kind:
            return {a["key"]: a["value"] for a in event["attributes"]}
    raise AssertionError(f"no {kind} event at height {height}")


def test_a_met_challenge_is_measured_and_lets_an_order_match(market: tuple[ValidatorNode, Market]) -> None:
    node, world = market
    provider, requester = world.provider, world.requester
    wanted = Requirements([H100.model], 0, "", 1, [], 0, 1, "")  # any measured capacity
    order = MsgCreateOrder(requester.address, wanted, LEASE_S, RATE, Coin(DENOM, DEPOSIT), 0)
    height = submit(node, requester, [order])
    (waiting,) = node.rpc("orders", requester=requester.address, state="open")["orders"]
    node.wait_height(height + 2)
    assert node.rpc("order", id=waiting["id"])["order"]["state"] == "open"  # nothing measured yet

    claim_capacity(node, world, CLAIM)
    challenge = eventually(lambda: capacity_job(node, provider.address), "the challenge")
    assert (challenge["lease_id"], challenge["price"], challenge["capacity"]["claim"]) == (0, 0, CLAIM)
    job = eventually(lambda: settled(node, int(challenge["id"])), "the verdict", timeout=VERDICT_S)
    assert job["state"] == "valid", job
    (member,) = job["committee"]["members"]
    assert member["operator"] == node.account_address
    (attestation,) = node.rpc("attestations", job_id=job["id"])["attestations"]
    assert attestation["verdict"] == "valid"

    terms = job["capacity"]
    elapsed = int(terms["result_time_ns"]) - int(terms["issued_time_ns"])
    assert elapsed > 0 and int(terms["result_time_ns"]) <= int(terms["deadline_time_ns"])
    expected = min(CLAIM, int(job["work_units"]) * NS_PER_S // elapsed)
    capacity = node.rpc("capacity", provider=provider.address)["capacity"]
    assert capacity["measured"] == expected > 0
    query = ("query", "compute", "capacity", provider.address, "--node", node.url)
    assert json.loads(depind(*query, "--output", "json"))["capacity"] == capacity
    assert f"{expected} multiply-adds/s" in depind(*query)
    assert (capacity["claim"], capacity["passed"], capacity["failed"]) == (CLAIM, 1, 0)
    assert node.rpc("provider", owner=provider.address)["measured_capacity"] == expected
    measured = event_at(node, int(job["verdict_height"]), "capacity_measured")
    assert (measured["job_id"], measured["measured"]) == (str(job["id"]), str(expected))

    filled = eventually(lambda: matched(node, waiting["id"]), "the order's match")
    lease = node.rpc("lease", id=filled["lease_id"])["lease"]
    assert lease["provider"] == provider.address
    log = world.worker.log()
    assert f"job {job['id']}: a capacity challenge, queued first" in log
    assert f"job {job['id']}: done" in log
