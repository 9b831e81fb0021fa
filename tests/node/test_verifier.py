"""The verifier service against the committed chain of tests/node/compute_chain.py (job 2
verifying, its committee CAROL and DAVE, ALICE its provider) and a real output server on
127.0.0.1 serving ALICE's result: which jobs a member must judge, the attestation it signs
(admitted by the chain's CheckTx), the C r it keeps, and what it does when the provider is
unreachable: tried again later, and challenged to show its outputs once enough fetches
failed (end to end: tests/e2e/test_compute.py)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import pytest
import trio

from gpu.backend import NumpyBackend
from gpu.jobs import job_header
from gpu.proofs import decode_attestation
from gpu.results import write_result
from gpu.run import run_job
from node.config import VerifierConfig
from node.node import Node
from node.outputs.check import load_cr
from node.outputs.server import OutputLimits, OutputStore, serve
from node.verifier import (
    CR_DIR,
    FETCH_DIR,
    Assignment,
    Verifier,
    fetch_blocks,
    first_due,
    has_attested,
    is_challengeable,
)
from tests.node.compute_chain import JOB, QUERY_HEIGHT, compute_app
from tests.vm.helpers import ALICE, CAROL, DAVE
from vm.app import App
from vm.compute.msgs import MsgAttest, MsgChallengeAvailability
from vm.execute import TxResult

VERIFYING_JOB = 2
ATTEST_DEADLINE = 40  # job 2's committee was sampled at height 30, attest_blocks 10
JOB_HEADER = job_header(JOB)


@dataclass
class AppNode:
    """What the verifier uses of its node: the committed state, and the mempool's door."""

    app: App
    submitted: list[bytes] = field(default_factory=list)

    @property
    def chain_id(self) -> str:
        return self.app.state.chain_id()

    async def submit_tx(self, tx: bytes) -> TxResult:
        result = self.app.check_tx(tx, keep=False)
        if result.code == 0:
            self.submitted.append(tx)
        return result


@pytest.fixture
def node() -> AppNode:
    return AppNode(compute_app())


def verifier_for(node: AppNode, member: object, work_dir: Path, **settings: object) -> Verifier:
    config = VerifierConfig(enable=True, key="operator", check_threads=1, **settings)  # type: ignore[arg-type]
    return Verifier(cast(Node, node), member, config, work_dir)  # type: ignore[arg-type]


def test_finds_the_jobs_its_operator_must_attest(node: AppNode, tmp_path: Path) -> None:
    carol = verifier_for(node, CAROL, tmp_path)
    assert [a.job_id for a in carol.assignments(QUERY_HEIGHT)] == [VERIFYING_JOB]
    (assignment,) = carol.assignments(QUERY_HEIGHT)
    assert assignment.provider == ALICE.address and assignment.attest_deadline == ATTEST_DEADLINE
    assert list(carol.assignments(ATTEST_DEADLINE)) == []  # the next block would be too late
    assert list(verifier_for(node, ALICE, tmp_path).assignments(QUERY_HEIGHT)) == []  # no member


def test_selection_helpers() -> None:
    assert has_attested([{"member": CAROL.address}], CAROL.address)
    assert not has_attested([{"member": DAVE.address}], CAROL.address)
    assert first_due([]) is None


def test_checks_served_outputs_and_attests_valid(node: AppNode, tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "served")
    result = run_job(JOB, NumpyBackend())  # what ALICE committed for job 2
    write_result(tmp_path / "result", JOB, result)
    store.publish(tmp_path / "result")
    carol = verifier_for(node, CAROL, tmp_path / "verifier")

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            url = await nursery.start(serve, store, "127.0.0.1:0", OutputLimits())
            carol.endpoint_of = lambda provider: url  # type: ignore[method-assign]
            await carol.on_block(QUERY_HEIGHT)
            await carol.on_block(QUERY_HEIGHT + 1)  # sent: not checked again
            nursery.cancel_scope.cancel()

    trio.run(main)
    (tx,) = node.submitted  # admitted by CheckTx: signed by CAROL, with her sequence and fee
    (message,) = node.app.pipeline.decode(tx, len(tx)).body.messages
    assert isinstance(message, MsgAttest) and message.job_id == VERIFYING_JOB
    attestation = decode_attestation(message.attestation)
    assert attestation.verdict == "valid" and message.fraud_proof == b""
    assert attestation.result_root == result.result_root
    cr = load_cr(tmp_path / "verifier" / CR_DIR / str(VERIFYING_JOB), attestation.cr_root)
    assert cr.root == attestation.cr_root
    assert not any((tmp_path / "verifier" / FETCH_DIR).iterdir())  # outputs deleted once checked


def test_an_unreachable_provider_is_tried_again_later(
    node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    carol = verifier_for(node, CAROL, tmp_path, fetch_timeout_s=0.5, retry_after_blocks=3)
    carol.endpoint_of = lambda provider: f"127.0.0.1:{port}"  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="depind.verifier"):
        trio.run(carol.on_block, QUERY_HEIGHT)
    assert node.submitted == []
    (warning,) = [r.getMessage() for r in caplog.records if "not checked" in r.getMessage()]
    assert f"job {VERIFYING_JOB}" in warning and f"height {QUERY_HEIGHT + 3}" in warning
    assert list(carol.assignments(QUERY_HEIGHT + 2)) == []
    assert [a.job_id for a in carol.assignments(QUERY_HEIGHT + 3)] == [VERIFYING_JOB]


def refused_endpoint() -> str:
    """A local address nothing listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def test_a_provider_that_keeps_refusing_is_challenged_once(
    node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    carol = verifier_for(node, CAROL, tmp_path, fetch_timeout_s=0.5, retry_after_blocks=1)
    endpoint = refused_endpoint()
    carol.endpoint_of = lambda provider: endpoint  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="depind.verifier"):
        trio.run(carol.on_block, QUERY_HEIGHT)
        assert node.submitted == []  # one failed fetch: not yet
        trio.run(carol.on_block, QUERY_HEIGHT + 1)
        trio.run(carol.on_block, QUERY_HEIGHT + 2)  # not challenged twice
    (tx,) = node.submitted  # admitted by CheckTx: CAROL, a member, holds the bond
    (message,) = node.app.pipeline.decode(tx, len(tx)).body.messages
    assert message == MsgChallengeAvailability(CAROL.address, VERIFYING_JOB)
    (line,) = [r.getMessage() for r in caplog.records if "challenged the availability" in r.getMessage()]
    assert f"job {VERIFYING_JOB}" in line and "after 2 failed fetches" in line


def test_no_challenge_when_disabled_or_the_bond_is_out_of_reach(
    node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = refused_endpoint()
    never = verifier_for(node, CAROL, tmp_path, fetch_timeout_s=0.5, challenge_after_failures=0)
    poor = verifier_for(node, CAROL, tmp_path, fetch_timeout_s=0.5, challenge_after_failures=1)
    poor.balance = lambda denom: 0  # type: ignore[method-assign]
    for verifier in (never, poor):
        verifier.endpoint_of = lambda provider: endpoint  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="depind.verifier"):
        trio.run(never.on_block, QUERY_HEIGHT)
        trio.run(poor.on_block, QUERY_HEIGHT)
    assert node.submitted == []
    (warning,) = [r.getMessage() for r in caplog.records if "cannot challenge" in r.getMessage()]
    assert "the bond is 1000000udepin" in warning and f"operator {CAROL.address} holds 0udepin" in warning


def test_challenges_only_while_the_job_has_none_and_its_window_is_open() -> None:
    job = Assignment(1, ALICE.address, JOB_HEADER, b"", b"", 3, 40, 50, challenged=False)
    config = VerifierConfig(challenge_after_failures=2)
    assert is_challengeable(job, 2, 49, config)
    assert not is_challengeable(job, 1, 30, config)  # too few failed fetches, and time for another
    assert not is_challengeable(job, 2, 50, config)  # the next block is past the window
    assert not is_challengeable(replace(job, challenged=True), 2, 49, config)
    assert not is_challengeable(job, 5, 49, VerifierConfig(challenge_after_failures=0))


def test_one_failed_fetch_is_enough_when_no_other_would_end_before_the_attest_deadline() -> None:
    job = Assignment(1, ALICE.address, JOB_HEADER, b"", b"", 3, 40, 50, challenged=False)
    config = VerifierConfig(challenge_after_failures=2, retry_after_blocks=3)
    assert fetch_blocks(job, 34) == 4  # two blocks kept for the attestation or challenge to land
    assert not is_challengeable(job, 1, 34, config)  # tried again at 37, with a block to fetch in
    assert is_challengeable(job, 1, 35, config)  # at 38 no block would be left
    assert not is_challengeable(job, 0, 35, config)  # never tried: no ground for a challenge
    assert not is_challengeable(job, 1, 35, VerifierConfig(challenge_after_failures=0))


def paced(verifier: Verifier, seconds_per_block: float, up_to: int) -> None:
    """``verifier`` has seen the blocks up to ``up_to`` made every ``seconds_per_block``."""
    for height in range(up_to - 10, up_to + 1):
        verifier.pace.observe(height, height * seconds_per_block)


def test_a_silent_provider_gets_only_the_time_the_attest_window_leaves_then_is_challenged(
    node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A provider that takes the connection and never answers: each fetch ends when the blocks
    left before the attest deadline (less two) would have passed at the pace seen, not after the
    30 s wait between bytes, and the second failure, still before the deadline, challenges it."""
    carol = verifier_for(node, CAROL, tmp_path, retry_after_blocks=3)
    paced(carol, 0.1, QUERY_HEIGHT)
    tries: list[float] = []

    async def main() -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        carol.endpoint_of = lambda provider: f"127.0.0.1:{port}"  # type: ignore[method-assign]
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, hold, listeners)
            for height in (QUERY_HEIGHT, QUERY_HEIGHT + 3):
                started = trio.current_time()
                with trio.fail_after(20):
                    await carol.on_block(height)
                tries.append(trio.current_time() - started)
            nursery.cancel_scope.cancel()

    with caplog.at_level(logging.INFO, logger="depind.verifier"):
        trio.run(main)
    assert all(took < 10 for took in tries), tries  # 0.7 s and 0.4 s of fetching, then given up
    (tx,) = node.submitted
    (message,) = node.app.pipeline.decode(tx, len(tx)).body.messages
    assert message == MsgChallengeAvailability(CAROL.address, VERIFYING_JOB)
    budgets = [r.getMessage() for r in caplog.records if "checking the outputs" in r.getMessage()]
    assert ["0.7 s to fetch" in budgets[0], "0.4 s to fetch" in budgets[1]] == [True, True]
    assert sum("FetchTimeout" in r.getMessage() for r in caplog.records) == 2


async def hold(stream: trio.SocketStream) -> None:
    await trio.sleep_forever()


def test_too_late_to_fetch_challenges_a_provider_that_failed_before(
    node: AppNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two blocks before the attest deadline a fetch has no time left: none is tried, and a
    provider that failed one earlier fetch is challenged now, while it still spares the
    committee the liveness slash."""
    endpoint = refused_endpoint()
    carol = verifier_for(node, CAROL, tmp_path, fetch_timeout_s=0.5, retry_after_blocks=5)
    paced(carol, 0.1, QUERY_HEIGHT)
    carol.endpoint_of = lambda provider: endpoint  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="depind.verifier"):
        trio.run(carol.on_block, QUERY_HEIGHT)  # refused; tried again at 36
        assert node.submitted == []
        trio.run(carol.on_block, ATTEST_DEADLINE - 2)
    (tx,) = node.submitted
    (message,) = node.app.pipeline.decode(tx, len(tx)).body.messages
    assert message == MsgChallengeAvailability(CAROL.address, VERIFYING_JOB)
    lines = [r.getMessage() for r in caplog.records]
    assert sum("too late to fetch before its attest deadline 40" in line for line in lines) == 1
    assert sum("checking the outputs" in line for line in lines) == 1
