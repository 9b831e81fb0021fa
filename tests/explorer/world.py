"""The browser tests' world: one real validator (``depind testnet --validators 1``, its verifier
service on, committees of one) holding real data made by real transactions.

Two providers register with their workers' output servers as endpoints and offer GPUs; a
requester's order on each is matched into a lease that the provider's worker accepts
(tests/e2e/market_setup.py). On the honest provider's lease (``depind worker``) a GEMM job is
run, checked by the validator's verifier service and ends valid; on the other's
(tests/e2e/corrupt_worker.py, one output entry off by one) the same job is proven wrong by the
verifier's fraud proof: the job ends invalid, the provider's collateral is slashed and its
lease closed. The node keeps making blocks afterwards, so pages can be seen updating live.

``build_world`` returns what the pages should show: the node's URLs and the ids and addresses
made. Every wait is bounded; whatever was started is stopped by the caller's ``ExitStack``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from genesis import doc as genesis_doc
from genesis.compute import ComputeGenesis, ComputeParams
from genesis.schema import set_section
from gpu.jobs import GemmSpec, job_header
from tests.e2e.harness import DENOM, Wallet, eventually
from tests.e2e.market_setup import FEE, GAS, H100, L4, Market, WorkerProcess, open_market, warm_up_kernels
from tests.e2e.network import Network, ValidatorNode
from vm.compute.msgs import MsgSubmitJob
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.types import Coin

COMMITTEE_SIZE = 1  # the one validator
ATTEST_BLOCKS = 16
WINDOW_BLOCKS = 16  # a valid verdict is taken at the window's end
JOB = GemmSpec(m=128, k=128, n=128, bound=64, seed=5)
PRICE = 1_000_000  # the job's deposit
DEADLINE_BLOCKS = 60
VERDICT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Job:
    id: int
    tx_hash: str  # of its MsgSubmitJob
    height: int  # of that tx's block


@dataclass(frozen=True)
class World:
    """A running node and what was made on it, as the pages should show it."""

    node: ValidatorNode
    chain_id: str
    validator: str  # the validator's operator address (depinvaloper1...)
    validator_account: str  # its account (depin1...), which signs its attestations
    provider: str  # honest: its job is verified valid
    requester: str
    offer_id: int
    order_id: int
    lease_id: int  # active
    valid_job: Job
    slashed_provider: str  # its job's result was proven wrong
    slashed_requester: str
    slashed_lease_id: int  # closed: slashed
    invalid_job: Job

    @property
    def rpc_url(self) -> str:
        return self.node.url

    @property
    def websocket_url(self) -> str:
        return self.node.ws_url

    @property
    def explorer_url(self) -> str:
        return f"{self.node.url}/explorer/"

    @property
    def tx_hash(self) -> str:
        return self.valid_job.tx_hash


def build_world(root: Path, cleanup: contextlib.ExitStack) -> World:
    """Start the network and make the world's data; ``cleanup`` stops every process made."""
    warm_up_kernels(root)
    network = Network(root / "net", 1)
    cleanup.callback(network.close)
    node = network.nodes[0]
    doc = genesis_doc.load(node.home.genesis_file)
    params = ComputeParams(
        committee_size=COMMITTEE_SIZE, attest_blocks=ATTEST_BLOCKS, challenge_window_blocks=WINDOW_BLOCKS
    )
    set_section(doc, "compute", ComputeGenesis(params=params))
    genesis_doc.save(doc, node.home.genesis_file)
    network.start_all()
    workers: list[WorkerProcess] = []
    cleanup.callback(stop_all, workers)
    funder = Wallet(node, node.account_key)
    honest = open_market(node, funder, root / "honest", H100, "node.cli.main", workers)
    dishonest = open_market(node, funder, root / "dishonest", L4, "tests.e2e.corrupt_worker", workers)
    valid_job, invalid_job = submit_job(node, honest), submit_job(node, dishonest)
    wait_verdict(node, valid_job, "valid")
    wait_verdict(node, invalid_job, "invalid")
    lease = node.rpc("lease", id=honest.lease_id)["lease"]
    return World(
        node=node,
        chain_id=network.chain_id,
        validator=address_from_pubkey(node.account_key.public_key, VALOPER_HRP),
        validator_account=node.account_address,
        provider=honest.provider.address,
        requester=honest.requester.address,
        offer_id=int(lease["offer_id"]),
        order_id=int(lease["order_id"]),
        lease_id=honest.lease_id,
        valid_job=valid_job,
        slashed_provider=dishonest.provider.address,
        slashed_requester=dishonest.requester.address,
        slashed_lease_id=dishonest.lease_id,
        invalid_job=invalid_job,
    )


def stop_all(workers: list[WorkerProcess]) -> None:
    with contextlib.ExitStack() as stack:
        for worker in workers:
            stack.callback(worker.stop)


def submit_job(node: ValidatorNode, market: Market) -> Job:
    """The requester's GEMM job on the market's lease, committed."""
    header = msgspec.msgpack.encode(job_header(JOB))
    message = MsgSubmitJob(
        market.requester.address, market.lease_id, header, DEADLINE_BLOCKS, Coin(DENOM, PRICE)
    )
    result = node.commit_tx(market.requester.sign([message], fee=FEE, gas=GAS))
    market.requester.sequence += 1
    height = int(result["height"])
    (job,) = [
        job
        for job in node.rpc("jobs", lease_id=market.lease_id)["jobs"]
        if int(job["submitted_height"]) == height
    ]
    return Job(int(job["id"]), result["hash"], height)


def wait_verdict(node: ValidatorNode, job: Job, expected: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        found: dict[str, Any] = node.rpc("job", id=job.id)["job"]
        return found if found["state"] in ("valid", "invalid", "unverified", "provider_fault") else None

    final: dict[str, Any] = eventually(ended, f"job {job.id}'s verdict", timeout=VERDICT_TIMEOUT_S)
    assert final["state"] == expected, final
    return final
