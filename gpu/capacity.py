"""Proof of capacity: a timed, seeded GEMM sized to the hardware a provider claims.

1. The provider claims a sustained exact-GEMM rate R (GFLOP/s) and its memory.
2. The verifier picks a fresh seed, so inputs cannot be computed in advance, and derives the
   challenge: a seeded gemm (M = N = n, inner size K) of F = 2 n^2 K flops, sized so that it
   takes about `target_s` at rate R and fits in the claimed memory, and a deadline
   D = slack * F / R + (output bytes) / HASH_FLOOR + latency.
3. The provider computes and commits; the verifier times seed -> result root.
4. The verifier checks the result with Freivalds, under a challenge seed derived from the root,
   its own identity and a beacon value drawn after the root arrived (gpu/challenge.py).
5. Pass = verified and elapsed <= D. The figure reported is F / elapsed.

Bound: whatever the hardware, passing requires F exact multiply-adds' worth of work within D, so
a pass shows a rate of at least F / D = R / max_slowdown, with max_slowdown = D * R / F (about
1.6 for a 2 s target; stated in each challenge). A wrong result passes Freivalds with probability
<= 2^-60. What it cannot show: that the claimed card did the work (it could be outsourced to a
faster one), or the memory (a GEMM can be tiled); the memory only sizes the challenge.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gpu.backend import EXACT_LIMIT, Backend
from gpu.challenge import derive_challenge_seed
from gpu.header import MAX_DIM, MAX_INNER
from gpu.jobs import GemmSpec, SeededMatrix
from gpu.run import K_TILE, JobResult, run_job
from gpu.verify import DEFAULT_ROUNDS, Verdict, verify_result

DEFAULT_TARGET_S = 2.0
DEFAULT_SLACK = 1.25
DEFAULT_LATENCY_S = 0.5
# A floor for the leaf hash (keyed BLAKE3 of 1 KiB chunks, gpu/hash_kernels.py) on one core of any
# current server CPU (1.6 GB/s measured with AVX-512, and the provider hashes in parts on every
# core): the provider hashes its output before it can answer, and must not fail for that.
HASH_FLOOR_BYTES_PER_S = 500_000_000
MIN_SIDE = 256
K_STEP = 256

Clock = Callable[[], float]


@dataclass(frozen=True)
class CapacityClaim:
    gflops: int  # sustained exact small-integer GEMM rate
    memory_mib: int


@dataclass(frozen=True)
class CapacityChallenge:
    spec: GemmSpec
    flops: int
    deadline_s: float
    max_slowdown: float  # a pass proves at least claim / max_slowdown


@dataclass(frozen=True)
class CapacityVerdict:
    passed: bool
    reason: str
    elapsed_s: float
    measured_gflops: float
    verdict: Verdict


def capacity_challenge(
    claim: CapacityClaim,
    seed: int,
    target_s: float = DEFAULT_TARGET_S,
    slack: float = DEFAULT_SLACK,
    latency_s: float = DEFAULT_LATENCY_S,
) -> CapacityChallenge:
    """The challenge, among output sides that fit the memory, with the tightest stated bound."""
    if claim.gflops < 1 or claim.memory_mib < 1:
        raise ValueError("a capacity claim needs a positive rate and memory")
    candidates = [
        _challenge(side, claim, seed, target_s, slack, latency_s)
        for side in _sides()
        if side == MIN_SIDE or _fits(side, claim)
    ]
    return min(candidates, key=lambda challenge: challenge.max_slowdown)


def _challenge(
    side: int, claim: CapacityClaim, seed: int, target_s: float, slack: float, latency_s: float
) -> CapacityChallenge:
    """Output side `side`, and K to reach `target_s` at the claimed rate (within the K limit).

    A long K keeps the output, which the provider must hash before the deadline, small against
    the work.
    """
    rate = claim.gflops * 1e9
    inner = int(rate * target_s / (2 * side * side)) // K_STEP * K_STEP
    inner = min(MAX_INNER, max(K_STEP, inner))
    spec = GemmSpec(m=side, k=inner, n=side, bound=math.isqrt(EXACT_LIMIT // inner), seed=seed)
    flops = 2 * side * side * inner
    deadline = slack * flops / rate + 4 * side * side / HASH_FLOOR_BYTES_PER_S + latency_s
    return CapacityChallenge(spec, flops, deadline, deadline * rate / flops)


def answer_challenge(
    challenge: CapacityChallenge, backend: Backend, clock: Clock = time.perf_counter
) -> tuple[JobResult, float]:
    """The provider's side: run the challenge and report the time to the result root."""
    started = clock()
    result = run_job(challenge.spec, backend)
    return result, clock() - started


def judge_capacity(
    challenge: CapacityChallenge,
    outputs: Sequence[NDArray[np.int32]],
    committed_root: bytes,
    elapsed_s: float,
    verifier: bytes,
    beacon: bytes,
    rounds: int = DEFAULT_ROUNDS,
) -> CapacityVerdict:
    """Pass when the committed result verifies and arrived within the deadline; `beacon` is drawn
    after the result root arrived (a chain beacon value, or fresh random bytes off chain)."""
    seed = derive_challenge_seed(committed_root, verifier, beacon)
    verdict = verify_result(challenge.spec, outputs, committed_root, seed, rounds)
    measured = challenge.flops / elapsed_s / 1e9 if elapsed_s > 0 else math.inf
    if verdict.status != "valid":
        return CapacityVerdict(
            False, f"the result is not valid: {verdict.reason}", elapsed_s, measured, verdict
        )
    if elapsed_s > challenge.deadline_s:
        reason = f"too slow: {elapsed_s:.3f} s against a deadline of {challenge.deadline_s:.3f} s"
        return CapacityVerdict(False, reason, elapsed_s, measured, verdict)
    floor = challenge.flops / challenge.deadline_s / 1e9
    reason = f"verified in time: at least {floor:.1f} GFLOP/s proven, {measured:.1f} GFLOP/s measured"
    return CapacityVerdict(True, reason, elapsed_s, measured, verdict)


def measure_gemm_throughput(
    backend: Backend, side: int, repeats: int, on_repeat: Callable[[], None] = lambda: None
) -> list[float]:
    """Seconds for each of `repeats` exact fp32 GEMMs of side `side` (inputs generated once)."""
    bound = math.isqrt(EXACT_LIMIT // side)
    full = ((0, side), (0, side))
    a = SeededMatrix(1, 0, side, side, bound).block(*full, backend.xp).astype(backend.xp.float32)
    b = SeededMatrix(1, 1, side, side, bound).block(*full, backend.xp).astype(backend.xp.float32)
    backend.matmul_fp32(a, b)  # warm-up: library load, kernel selection
    backend.synchronize()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        backend.matmul_fp32(a, b)
        backend.synchronize()
        seconds.append(time.perf_counter() - started)
        on_repeat()
    return seconds


def _sides() -> list[int]:
    return [MIN_SIDE << shift for shift in range((MAX_DIM // MIN_SIDE).bit_length())]


def _fits(side: int, claim: CapacityClaim) -> bool:
    # fp32 output and accumulator, plus one K tile of each input, within half the memory.
    need = 4 * (2 * side * side + 2 * side * K_TILE)
    return need <= claim.memory_mib * (1 << 20) // 2
