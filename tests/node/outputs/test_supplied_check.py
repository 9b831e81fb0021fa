"""The verifier's check of a job with supplied inputs (node/verifier.py ``check_assignment``)
against a real output server that serves the job's inputs and its result, on a chain where the
job is verifying (tests/vm/compute/helpers.py): an honest result is attested valid; a corrupted
one gets a fraud verdict whose proof opens a row of A and a column of B, and the chain takes the
attestation and proof and finds the job invalid; a provider that serves no inputs is not
checked, and the failure does not count toward an availability challenge."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
from prometheus_client import CollectorRegistry

from gpu.header import header_digest
from gpu.jobs import job_header
from gpu.onchain import check_fraud_proof
from gpu.proofs import decode_attestation, decode_fraud_proof
from gpu.results import write_result
from gpu.run import JobResult
from node.config import VerifierConfig
from node.metrics.verifier import VerifierMetrics
from node.outputs.fetch import BadAnswer, FetchError
from node.outputs.input_store import InputStore
from node.outputs.inputs import encode_inputs
from node.outputs.server import OutputLimits, OutputStore
from node.verifier import FETCH_DIR, Assignment, InputsUnavailable, Outcome, check_assignment
from tests.node.outputs.support import SUPPLIED_GEMM, dishonest_result, honest_result, start_server
from tests.vm.compute.helpers import PROVIDER, ComputeChain, Work
from tests.vm.helpers import raw
from vm.compute.msgs import MsgAttest
from vm.compute.types import JobState

CONFIG = VerifierConfig(enable=True, key="operator", check_threads=1, fetch_timeout_s=5.0)
WRONG_ENTRY = (0, 5, 7)  # tensor, row, col


class Market:
    """A chain on which job `job_id` (SUPPLIED_GEMM) is verifying the committed `result`, and a
    provider that serves the result and, if told, the job's inputs."""

    def __init__(self, result: JobResult, folder: Path) -> None:
        self.chain = ComputeChain()
        self.result = result
        self.job_id = self.chain.submit(SUPPLIED_GEMM)
        self.chain.commit(self.job_id, Work(SUPPLIED_GEMM, result.outputs, result.commitment))
        self.outputs = OutputStore(folder / "outputs")
        self.outputs.publish(write_result(folder / "result", SUPPLIED_GEMM, result).parent)
        self.inputs = InputStore(folder / "inputs")
        self.member = self.chain.members(self.job_id)[0]
        self.registry = CollectorRegistry()
        self.metrics = VerifierMetrics(self.registry)

    def timed(self, step: str) -> float | None:
        """How many times the check observed ``step`` (fetch, check)."""
        return self.registry.get_sample_value(f"depind_verifier_{step}_seconds_count")

    def serve_inputs(self) -> None:
        self.inputs.put(header_digest(job_header(SUPPLIED_GEMM)), encode_inputs(SUPPLIED_GEMM))

    def assignment(self) -> Assignment:
        committee = self.chain.job(self.job_id).committee
        assert committee is not None
        return Assignment(
            self.job_id,
            PROVIDER.address,
            job_header(SUPPLIED_GEMM),
            self.result.result_root,
            committee.beacon,
            committee.rounds,
            committee.attest_deadline_height,
            committee.window_end_height,
            challenged=False,
        )

    async def check(self, nursery: trio.Nursery, work_dir: Path) -> Outcome:
        url = await start_server(nursery, self.outputs, OutputLimits(), self.inputs)
        return await trio.to_thread.run_sync(
            check_assignment,
            self.assignment(),
            url,
            raw(self.member),
            work_dir,
            CONFIG,
            self.metrics,
            CONFIG.fetch_timeout_s,
        )

    def attest(self, outcome: Outcome) -> None:
        self.chain.block(
            MsgAttest(self.member.address, self.job_id, outcome.attestation, outcome.fraud_proof)
        )


async def test_a_supplied_job_is_checked_with_the_served_inputs(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    market = Market(honest_result(SUPPLIED_GEMM), tmp_path)
    market.serve_inputs()
    outcome = await market.check(nursery, tmp_path / "verifier")
    assert outcome.verdict == "valid" and outcome.fraud_proof == b""
    assert decode_attestation(outcome.attestation).result_root == market.result.result_root
    assert (market.timed("fetch"), market.timed("check")) == (1, 1)
    market.attest(outcome)  # the chain takes it: the member's own C r root, the right result
    chain = market.chain
    assert chain.keeper.get_attestation(chain.store, market.job_id, raw(market.member)) is not None


async def test_a_corrupted_supplied_result_is_proven_wrong_on_chain(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    market = Market(dishonest_result(SUPPLIED_GEMM, *WRONG_ENTRY), tmp_path)
    market.serve_inputs()
    outcome = await market.check(nursery, tmp_path / "verifier")
    assert outcome.verdict == "fraud"
    proof = decode_fraud_proof(outcome.fraud_proof)
    assert (proof.tensor, proof.row, proof.col) == WRONG_ENTRY
    _, row, column = proof.openings  # the entry's chunk, row 5 of A and column 7 of B, opened
    assert (row.first, len(row.data)) == (5, SUPPLIED_GEMM.k)
    assert (column.first, len(column.data)) == (7, SUPPLIED_GEMM.k)
    check_fraud_proof(job_header(SUPPLIED_GEMM), market.result.result_root, proof)
    market.attest(outcome)
    assert market.chain.job(market.job_id).state == JobState.INVALID


async def test_a_provider_that_serves_no_inputs_is_not_checked(tmp_path: Path, nursery: trio.Nursery) -> None:
    market = Market(honest_result(SUPPLIED_GEMM), tmp_path)
    with pytest.raises(InputsUnavailable, match="answered 404") as raised:
        await market.check(nursery, tmp_path / "verifier")
    assert "/inputs/" in str(raised.value)
    # Not a FetchError: the service does not count it toward an availability challenge, which
    # samples output chunks that this provider serves (it would answer and take the bond).
    assert isinstance(raised.value.__cause__, BadAnswer) and not isinstance(raised.value, FetchError)
    assert not any((tmp_path / "verifier" / FETCH_DIR).iterdir())  # the fetched outputs deleted
    assert (market.timed("fetch"), market.timed("check")) == (0, 0)  # only a whole fetch is timed
