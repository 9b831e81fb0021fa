"""The chain and gpu/ agree: on random small jobs, honest or with one entry corrupted, the
NumPy verifier's verdict (gpu/verify.py) is the chain's. Its fraud proofs make the job invalid;
its valid attestations are accepted and survive disputes of any entry."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.challenge import derive_challenge_seed
from gpu.header import GemmLayout, layout
from gpu.jobs import BatchedGemmSpec, GemmSpec, JobSpec, MlpSpec, job_header
from gpu.proofs import AttestationDispute, encode_attestation, encode_dispute, encode_fraud_proof
from gpu.verify import verify_result
from tests.vm.compute.helpers import WATCHER, ComputeChain, Work, corrupted, fraud_proof, honest
from tests.vm.helpers import raw
from vm.compute.msgs import MsgAttest, MsgDisputeAttestation, MsgSubmitFraudProof
from vm.compute.types import JobState

CASES = 16
Rng = np.random.Generator


def random_spec(rng: Rng) -> JobSpec:
    kind = rng.integers(3)
    seed = int(rng.integers(2**62))
    if kind == 0:
        m, k, n = (int(x) for x in rng.integers(1, 24, 3))
        if rng.random() < 0.5:
            a = rng.integers(-5, 6, (m, k), dtype=np.int8).tobytes()
            return GemmSpec(m=m, k=k, n=n, bound=5, seed=seed, a=a)
        return GemmSpec(m=m, k=k, n=n, bound=int(rng.integers(1, 200)), seed=seed)
    if kind == 1:
        batch, m, k, n = (int(x) for x in rng.integers(1, 8, 4))
        return BatchedGemmSpec(batch=batch, m=m, k=k, n=n, bound=int(rng.integers(1, 100)), seed=seed)
    widths = [int(x) for x in rng.integers(1, 12, int(rng.integers(2, 4)))]
    shifts = [int(x) for x in rng.integers(0, 6, len(widths) - 1)]
    return MlpSpec(
        rows=int(rng.integers(1, 8)), widths=widths, shifts=shifts, weight_bound=9, bias_bound=300, seed=seed
    )


def maybe_corrupted(work: Work, rng: Rng) -> Work:
    if rng.random() < 0.4:
        return work
    tensor = int(rng.integers(len(work.outputs)))
    rows, cols = work.outputs[tensor].shape
    delta = int(rng.choice([-1, 1])) * int(rng.integers(1, 1_000))
    return corrupted(work, tensor, int(rng.integers(rows)), int(rng.integers(cols)), delta)


@pytest.mark.parametrize("case", range(CASES))
def test_the_chain_reaches_the_verifiers_verdict(case: int) -> None:
    rng = np.random.default_rng(case)
    spec = random_spec(rng)
    work = maybe_corrupted(honest(spec), rng)
    chain = ComputeChain()
    job_id = chain.submit(spec)
    chain.commit(job_id, work)
    committee = chain.job(job_id).committee
    assert committee is not None
    member = chain.members(job_id)[0]
    seed = derive_challenge_seed(work.result_root, raw(member), committee.beacon)
    verdict = verify_result(spec, work.outputs, work.result_root, seed, workers=1)
    assert verdict.attestation is not None
    attestation = encode_attestation(verdict.attestation)
    if verdict.status == "fraud":
        assert verdict.proof is not None
        proof = encode_fraud_proof(verdict.proof)
        sent = MsgAttest(member.address, job_id, attestation, proof) if case % 2 else None
        chain.block(sent or MsgSubmitFraudProof(WATCHER.address, job_id, proof))
        assert chain.job(job_id).state == JobState.INVALID
        return
    assert verdict.status == "valid" and verdict.cr is not None
    # No fraud proof holds against a result the verifier found valid, at any entry.
    tensor = int(rng.integers(len(work.outputs)))
    rows, cols = work.outputs[tensor].shape
    row, col = int(rng.integers(rows)), int(rng.integers(cols))
    error = chain.fails(MsgSubmitFraudProof(WATCHER.address, job_id, fraud_proof(work, tensor, row, col)))
    assert error.code == 15 and "is correct" in error.log
    # Its attestation is accepted, and no dispute of an entry of its C r holds.
    chain.block(MsgAttest(member.address, job_id, attestation, b""))
    gemms = [t for t, step in enumerate(layout(job_header(spec))) if isinstance(step, GemmLayout)]
    tensor = gemms[int(rng.integers(len(gemms)))]
    rows, cols = work.outputs[tensor].shape
    row = int(rng.integers(rows))
    dispute = AttestationDispute(
        verdict.cr.open_entry(tensor, int(rng.integers(3)), row),
        work.commitment.root,
        work.commitment.open_entries(tensor, row * cols, cols),
    )
    error = chain.fails(
        MsgDisputeAttestation(WATCHER.address, job_id, member.address, encode_dispute(dispute))
    )
    assert error.code == 16 and "is correct" in error.log
