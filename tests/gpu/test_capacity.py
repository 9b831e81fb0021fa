"""Proof of capacity: challenge sizing, the deadline, and the verdict."""

from __future__ import annotations

import itertools

import pytest

from gpu.backend import EXACT_LIMIT, NumpyBackend
from gpu.capacity import (
    CapacityClaim,
    answer_challenge,
    capacity_challenge,
    judge_capacity,
    measure_gemm_throughput,
)
from gpu.header import MAX_DIM, MAX_INNER
from gpu.jobs import validate_spec
from tests.gpu.jobs_helpers import commit, corrupted

VERIFIER = b"capacity verifier"
BEACON = bytes(range(32))  # drawn after the result root arrived
QUICK_S = 0.05  # a short target keeps the tests fast; sizing is tested above


@pytest.mark.parametrize(
    ("gflops", "memory_mib"),
    [(1, 100), (100, 24_000), (1_000, 24_000), (50_000, 80_000), (400_000, 80_000), (50_000, 4_000)],
)
def test_challenge_is_valid_exact_and_sized_to_the_claim(gflops: int, memory_mib: int) -> None:
    challenge = capacity_challenge(CapacityClaim(gflops, memory_mib), seed=7)
    spec = challenge.spec
    validate_spec(spec)
    assert spec.m == spec.n <= MAX_DIM and spec.k <= MAX_INNER
    assert spec.k * spec.bound**2 <= EXACT_LIMIT
    assert challenge.flops == 2 * spec.m * spec.n * spec.k
    seconds_at_claim = challenge.flops / (gflops * 1e9)
    assert seconds_at_claim <= 2.0 * 1.01
    assert challenge.max_slowdown == pytest.approx(challenge.deadline_s / seconds_at_claim)
    if seconds_at_claim > 1.9:  # not capped by the size limits: the slack alone, plus allowances
        assert challenge.max_slowdown < 3


def test_capped_challenge_states_a_weaker_bound() -> None:
    fast = capacity_challenge(CapacityClaim(400_000, 80_000), seed=1)
    assert fast.spec.k == MAX_INNER and fast.spec.m == MAX_DIM
    assert fast.max_slowdown > 5


def test_challenge_seed_changes_the_inputs() -> None:
    claim = CapacityClaim(10, 1000)
    assert capacity_challenge(claim, 1).spec != capacity_challenge(claim, 2).spec


def _fake_clock(elapsed: float) -> itertools.count[float]:
    return itertools.count(0.0, elapsed)


def test_honest_answer_in_time_passes() -> None:
    challenge = capacity_challenge(CapacityClaim(5, 1000), seed=3, target_s=QUICK_S)
    result, elapsed = answer_challenge(challenge, NumpyBackend(), clock=_fake_clock(0.5).__next__)
    assert elapsed == 0.5
    verdict = judge_capacity(challenge, result.outputs, result.result_root, elapsed, VERIFIER, BEACON)
    assert verdict.passed, verdict.reason
    assert verdict.measured_gflops == pytest.approx(challenge.flops / 0.5 / 1e9)


def test_late_answer_fails() -> None:
    challenge = capacity_challenge(CapacityClaim(5, 1000), seed=3, target_s=QUICK_S)
    result, _ = answer_challenge(challenge, NumpyBackend())
    verdict = judge_capacity(
        challenge, result.outputs, result.result_root, challenge.deadline_s + 0.01, VERIFIER, BEACON
    )
    assert not verdict.passed and verdict.reason.startswith("too slow")


def test_wrong_answer_fails_however_fast() -> None:
    challenge = capacity_challenge(CapacityClaim(5, 1000), seed=3, target_s=QUICK_S)
    result, _ = answer_challenge(challenge, NumpyBackend())
    cheat = commit(challenge.spec, corrupted(result.outputs, 0, 1, 2, 0))
    verdict = judge_capacity(challenge, cheat.outputs, cheat.root, 0.001, VERIFIER, BEACON)
    assert not verdict.passed and verdict.verdict.status == "fraud"


def test_invalid_claim() -> None:
    with pytest.raises(ValueError, match="positive rate and memory"):
        capacity_challenge(CapacityClaim(0, 1000), seed=1)


def test_measure_gemm_throughput_reports_each_repeat() -> None:
    ticks: list[int] = []
    seconds = measure_gemm_throughput(NumpyBackend(), 64, 3, lambda: ticks.append(1))
    assert len(seconds) == 3 and all(s > 0 for s in seconds) and len(ticks) == 3
