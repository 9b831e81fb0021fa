"""Simulations: honest and Byzantine validators (just under 1/3 of the power) in one
trio loop under the autojump clock, over a network that loses, duplicates,
delays, reorders and partitions messages until GST (see ``sim`` and ``network``).

For every seed (derived from the loop index; a failure names its seed):
SAFETY: no two honest nodes decide different blocks at a height, and every
decision carries a commit with more than 2/3 of the power, of a valid block.
LIVENESS: after GST, every honest node decides each of the next K heights
within ``SimConfig.liveness_bound_s``. EVIDENCE: only Byzantine validators are accused,
with two correctly signed, conflicting votes; mutants (which send conflicting
votes directly) are caught in every seed where they equivocate.

Rerun one seed by hand with ``trio.run(run_simulation, config_for(seed, honest,
byzantine), clock=trio.testing.MockClock(autojump_threshold=0))``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import pytest
import trio

from consensus.privval import verify
from consensus.tendermint.messages import DuplicateVoteEvidence
from tests.consensus.tendermint.network import NetworkConfig
from tests.consensus.tendermint.sim import SimConfig, SimResult, config_for, run_simulation
from tests.consensus.tendermint.support import CHAIN_ID, signers

pytestmark = pytest.mark.slow  # many seeds; about 45 s on 2 cores

K = 3  # heights every honest node must decide after GST


def describe(result: SimResult) -> str:
    config = result.config
    return (
        f"seed {config.seed} ({config.honest} honest, Byzantine {result.kinds}, "
        f"GST {config.network.gst_s:.1f} s, drop {config.network.drop_p:.2f}): "
        + "; ".join(result.final_states)
    )


def check_safety(result: SimResult) -> None:
    assert not result.recorder.violations, f"{describe(result)}: {result.recorder.violations}"


def check_liveness(result: SimResult) -> None:
    bound = result.config.liveness_bound_s(result.lag_at_gst)
    assert result.liveness_s is not None, (
        f"{describe(result)}: honest nodes did not all reach height {result.recorder.target} "
        f"within {bound:.0f} s of GST"
    )


def check_evidence(result: SimResult) -> None:
    """Every accusation is of a Byzantine validator, backed by two conflicting signed votes."""
    keys = signers(result.config.honest + result.config.byzantine, seed=result.config.seed)
    pub_keys = {key.address: key.pub_key for key in keys}
    for endpoint, evidence in result.recorder.evidence:
        assert endpoint in result.recorder.honest_endpoints
        assert is_genuine(evidence, pub_keys), f"{describe(result)}: bad evidence {evidence}"
        assert evidence.vote_a.validator_address in result.recorder.byzantine, describe(result)


def is_genuine(evidence: DuplicateVoteEvidence, pub_keys: dict[bytes, bytes]) -> bool:
    a, b = evidence.vote_a, evidence.vote_b
    same_step = (a.height, a.round, a.type, a.validator_address) == (
        b.height,
        b.round,
        b.type,
        b.validator_address,
    )
    pub_key = pub_keys[a.validator_address]
    signed = all(verify(pub_key, vote.sign_bytes(CHAIN_ID), vote.signature) for vote in (a, b))
    return same_step and signed and a.block_id != b.block_id


def accused(result: SimResult) -> set[bytes]:
    return {evidence.vote_a.validator_address for _, evidence in result.recorder.evidence}


def mutants(result: SimResult) -> set[bytes]:
    byzantine = signers(result.config.honest + result.config.byzantine, seed=result.config.seed)[
        result.config.honest :
    ]
    return {key.address for key, kind in zip(byzantine, result.kinds, strict=True) if kind == "mutant"}


def check_mutants_caught(result: SimResult) -> None:
    equivocating = mutants(result) & result.recorder.equivocators()
    assert equivocating <= accused(result), f"{describe(result)}: no evidence against a mutant"


async def run_seeds(configs: Iterable[SimConfig]) -> list[SimResult]:
    results = []
    for config in configs:
        result = await run_simulation(config)
        check_safety(result)
        check_liveness(result)
        check_evidence(result)
        check_mutants_caught(result)
        results.append(result)
    return results


def check_equivocation_is_detected(results: list[SimResult]) -> None:
    """Split brains are caught whenever their two halves' conflicting votes meet at one
    honest node, which most, not all, runs bring about."""
    equivocated = [r for r in results if r.recorder.equivocators()]
    caught = [r for r in equivocated if accused(r)]
    assert len(caught) >= 0.8 * len(equivocated), f"evidence in only {len(caught)} of {len(equivocated)} runs"


async def test_4_validators(autojump_clock: trio.abc.Clock) -> None:
    results = await run_seeds(
        config_for(seed, honest=3, byzantine=1, heights_after_gst=K) for seed in range(120)
    )
    check_equivocation_is_detected(results)


async def test_7_validators(autojump_clock: trio.abc.Clock) -> None:
    results = await run_seeds(
        config_for(seed, honest=5, byzantine=2, heights_after_gst=K) for seed in range(60)
    )
    check_equivocation_is_detected(results)


async def test_16_validators(autojump_clock: trio.abc.Clock) -> None:
    results = await run_seeds(
        config_for(seed, honest=11, byzantine=5, heights_after_gst=K) for seed in range(1000, 1010)
    )
    check_equivocation_is_detected(results)


async def test_31_validators(autojump_clock: trio.abc.Clock) -> None:
    await run_seeds(config_for(seed, honest=21, byzantine=10, heights_after_gst=K) for seed in (2000, 2001))


async def test_isolated_validator_catches_up_after_gst(autojump_clock: trio.abc.Clock) -> None:
    """One honest validator is cut off for 30 s while the rest (enough power without it,
    Byzantine included) decide a dozen heights; after GST it catches up and all go on."""
    network = NetworkConfig(gst_s=30.0, pre_gst_mean_delay_s=0.05, drop_p=0.05, isolated=(0,))
    configs = [
        SimConfig(seed, 5, 2, network=network, powers=(10, 10, 10, 10, 10, 4, 4), heights_after_gst=K)
        for seed in range(3000, 3006)
    ]
    results = await run_seeds(configs)
    assert all(result.lag_at_gst >= 5 for result in results), [r.lag_at_gst for r in results]


async def test_a_third_byzantine_breaks_safety(autojump_clock: trio.abc.Clock) -> None:
    """The control: the same split-brain adversary with half the power makes honest nodes
    decide different blocks, so the safety check and the adversary both have teeth."""
    configs = [
        dataclasses.replace(
            config_for(seed, honest=2, byzantine=2), kinds=("split",), powers=(10, 10, 10, 10), settle_s=5.0
        )
        for seed in range(8)
    ]
    results = [await run_simulation(config) for config in configs]
    broken = [r.config.seed for r in results if any("SAFETY" in v for v in r.recorder.violations)]
    assert broken, "a Byzantine third never broke safety"


async def test_a_seed_replays_exactly(autojump_clock: trio.abc.Clock) -> None:
    config = config_for(4000, honest=5, byzantine=2, heights_after_gst=K)
    first, second = await run_simulation(config), await run_simulation(config)
    assert first.recorder.decisions == second.recorder.decisions
    assert first.recorder.evidence == second.recorder.evidence
    assert (first.sent, first.delivered) == (second.sent, second.delivered)
    assert first.liveness_s == pytest.approx(second.liveness_s, abs=1e-6)
