"""The worker's plumbing: where it connects, and that it waits for a missing node and stops
when told (its work on leases is tested against a real node in tests/e2e/test_market.py);
and its job loop against a fake node: a pending seeded job is run on the runner's thread,
written, served and submitted; a restart serves and submits what is on disk without running
it again; a supplied-input job waits, logged once, until its inputs are uploaded, then runs
from them (end to end: tests/e2e/test_compute.py); the chain's capacity challenges run before
the other pending jobs (end to end: tests/e2e/test_capacity.py); a tx refused for a sequence
another client moved makes it take the chain's."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec
import numpy as np
import pytest

from gpu.backend import NumpyBackend
from gpu.header import header_digest
from gpu.jobs import GemmSpec, SuppliedInputs, job_header, spec_from_header
from gpu.proofs import decode_opening
from gpu.run import JobResult, run_job
from node.client import BroadcastResult, Client, ClientError, Signer
from node.keys.hd import PrivateKey
from node.outputs.inputs import encode_inputs
from node.worker import Worker, WorkerConfig, chunks, run, websocket_url
from node.worker_jobs import JobRunner
from vm.compute.availability import opened_chunks, output_chunk_count
from vm.compute.msgs import MsgPostChunks, MsgSubmitResult
from vm.errors import WrongSequence
from vm.msg import Msg


@pytest.mark.parametrize(
    ("node", "url"),
    [
        ("http://127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("tcp://127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("https://rpc.example.org", "wss://rpc.example.org/websocket"),
    ],
)
def test_websocket_url(node: str, url: str) -> None:
    assert websocket_url(node) == url


def test_chunks_keep_order_and_size() -> None:
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []


def test_waits_for_a_missing_node_and_stops_when_told(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    node = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    with Client(node, timeout=2) as client:
        worker = Worker(
            client, Signer(client, PrivateKey(bytes([7]) * 32)), WorkerConfig(reconnect_max_s=0.4)
        )
        thread = threading.Thread(target=run, args=(worker, node, stop))
        with caplog.at_level(logging.WARNING, logger="depind.worker"):
            thread.start()
            time.sleep(1.5)
            stop.set()
            thread.join(timeout=5)
    assert not thread.is_alive()
    retries = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(retries) >= 3, retries  # 0.5 s, then at most reconnect_max_s between tries
    assert all(f"127.0.0.1:{port}" in text for text in retries)


# -- compute jobs ------------------------------------------------------------------------------------


class FakeClient:
    """The node as the worker reads it: pages of jobs, filtered by state."""

    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self.jobs = jobs

    def call(self, method: str, **params: Any) -> Any:
        if method == "leases":
            return {"leases": [], "next_key": None}
        assert method == "jobs" and params["state"] in ("pending", "verifying")
        return {"jobs": [j for j in self.jobs if j["state"] == params["state"]], "next_key": None}


@dataclass
class FakeSigner:
    """Records what the worker sends; every tx is admitted."""

    key: PrivateKey
    sent: list[Msg] = field(default_factory=list)

    def send(self, messages: Sequence[Msg]) -> BroadcastResult:
        self.sent.extend(messages)
        return BroadcastResult("AB" * 32, 0, "", "")

    def refresh(self) -> None:
        pass


PROVIDER_KEY = PrivateKey(bytes([7]) * 32)
SEEDED = GemmSpec(m=24, k=16, n=20, bound=8, seed=3)
SUPPLIED = GemmSpec(m=2, k=2, n=2, bound=8, a=bytes([1, 2, 3, 4]))
SUPPLIED_BOTH = GemmSpec(
    m=6,
    k=5,
    n=4,
    bound=8,
    a=(np.arange(30) % 17 - 8).astype(np.int8).tobytes(),
    b=(np.arange(20) % 5 - 2).astype(np.int8).tobytes(),
)


def pending_job(job_id: int, spec: GemmSpec, deadline: int = 100) -> dict[str, Any]:
    header = msgspec.msgpack.encode(job_header(spec))
    return {"id": job_id, "header": header.hex(), "deadline_height": deadline, "state": "pending"}


def jobs_worker(tmp_path: Path, jobs: list[dict[str, Any]]) -> tuple[Worker, FakeSigner, JobRunner]:
    runner = JobRunner(tmp_path / "work", NumpyBackend())
    signer = FakeSigner(PROVIDER_KEY)
    worker = Worker(cast(Client, FakeClient(jobs)), cast(Signer, signer), WorkerConfig(), runner)
    return worker, signer, runner


def wait_idle(runner: JobRunner) -> None:
    deadline = time.monotonic() + 30
    while runner.pending_runs() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not runner.pending_runs()


def test_spec_from_header_gives_back_a_seeded_spec() -> None:
    assert spec_from_header(job_header(SEEDED)) == SEEDED
    with pytest.raises(SuppliedInputs):
        spec_from_header(job_header(SUPPLIED))


def test_runs_a_pending_job_then_submits_its_served_result(tmp_path: Path) -> None:
    worker, signer, runner = jobs_worker(tmp_path, [pending_job(4, SEEDED)])
    worker.on_block(10)  # the job runs on the runner's thread; nothing to submit yet
    assert signer.sent == []
    wait_idle(runner)
    worker.on_block(11)
    (message,) = signer.sent
    expected = run_job(SEEDED, NumpyBackend())
    assert isinstance(message, MsgSubmitResult)
    assert (message.job_id, message.output_root) == (4, expected.output_root)
    assert (message.energy_known, message.energy_mj) == (False, 0)  # no NVML on the CPU
    assert runner.store.lookup(expected.result_root) is not None  # served under its result root
    worker.on_block(12)
    assert len(signer.sent) == 1  # not sent again while it may still land


def test_a_restart_republishes_and_resubmits_without_running_again(tmp_path: Path) -> None:
    worker, _, runner = jobs_worker(tmp_path, [pending_job(4, SEEDED)])
    worker.on_block(10)
    wait_idle(runner)
    runner.close()
    root = run_job(SEEDED, NumpyBackend()).result_root
    runner.store.withdraw(root)

    def no_run(*args: object) -> JobResult:
        raise AssertionError("a job with a result on disk runs again")

    again = JobRunner(tmp_path / "work", NumpyBackend(), run=no_run)
    assert again.republish() == 1 and again.store.lookup(root) is not None
    signer = FakeSigner(PROVIDER_KEY)
    Worker(
        cast(Client, FakeClient([pending_job(4, SEEDED)])), cast(Signer, signer), WorkerConfig(), again
    ).on_block(20)
    assert [m.job_id for m in signer.sent if isinstance(m, MsgSubmitResult)] == [4]


def test_waits_for_supplied_inputs_and_skips_past_deadlines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = [pending_job(5, SUPPLIED), pending_job(6, SEEDED, deadline=9)]
    worker, signer, runner = jobs_worker(tmp_path, jobs)
    with caplog.at_level(logging.INFO, logger="depind.worker"):
        worker.on_block(10)
        worker.on_block(11)
    wait_idle(runner)
    waiting = [r.getMessage() for r in caplog.records if "waiting" in r.getMessage()]
    digest = header_digest(job_header(SUPPLIED)).hex()
    assert len(waiting) == 1 and "job 5" in waiting[0] and f"/inputs/{digest}" in waiting[0]
    assert signer.sent == [] and not any(runner.results_dir.iterdir())
    cast(FakeClient, worker.client).jobs = [pending_job(5, SUPPLIED, deadline=11)]
    runner.inputs.put(header_digest(job_header(SUPPLIED)), encode_inputs(SUPPLIED))
    worker.on_block(12)  # past its deadline: not run, though its inputs have come
    assert runner.pending_runs() == 0 and not any(runner.results_dir.iterdir())


def test_runs_a_supplied_job_once_its_inputs_are_uploaded(tmp_path: Path) -> None:
    worker, signer, runner = jobs_worker(tmp_path, [pending_job(5, SUPPLIED_BOTH)])
    worker.on_block(10)
    assert runner.pending_runs() == 0  # waiting for its inputs
    digest = header_digest(job_header(SUPPLIED_BOTH))
    assert runner.inputs.put(digest, encode_inputs(SUPPLIED_BOTH))
    worker.on_block(11)
    wait_idle(runner)
    worker.on_block(12)
    (message,) = signer.sent
    expected = run_job(SUPPLIED_BOTH, NumpyBackend())
    assert isinstance(message, MsgSubmitResult)
    assert (message.job_id, message.output_root) == (5, expected.output_root)
    assert runner.store.lookup(expected.result_root) is not None
    claimed = runner.inputs.lookup(digest)  # kept for the verifiers, out of reach of eviction
    assert claimed is not None and claimed.path.parent == runner.inputs.jobs
    assert runner.inputs.unclaimed() == []


def challenged_job(job_id: int, spec: GemmSpec, chunks: list[int], deadline: int = 30) -> dict[str, Any]:
    """A verifying job whose availability challenge samples ``chunks``, as the ``jobs`` query
    answers it."""
    challenge = {"chunks": chunks, "deadline_height": deadline, "answered_height": 0}
    return pending_job(job_id, spec) | {"state": "verifying", "availability": challenge}


def test_answers_an_availability_challenge_from_the_result_folder(tmp_path: Path) -> None:
    worker, signer, runner = jobs_worker(tmp_path, [pending_job(4, SEEDED)])
    worker.on_block(10)
    wait_idle(runner)
    worker.on_block(11)  # the result goes on chain
    output_root = run_job(SEEDED, NumpyBackend()).output_root
    count = output_chunk_count(job_header(SEEDED))
    assert count == 2  # 24 x 20 int32: 1,920 bytes
    cast(FakeClient, worker.client).jobs = [challenged_job(4, SEEDED, [0, 1])]
    worker.on_block(12)
    message = signer.sent[-1]
    assert isinstance(message, MsgPostChunks) and message.job_id == 4
    openings = [decode_opening(data) for data in message.openings]
    data = opened_chunks([0, 1], count, output_root, openings)  # each checked against the root
    assert [len(chunk) for chunk in data] == [1024, 896]
    worker.on_block(13)
    assert signer.sent[-1] is message  # not sent again while it may still land


def test_leaves_answered_and_expired_challenges_and_logs_a_missing_result(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    answered = challenged_job(7, SEEDED, [0])
    answered["availability"]["answered_height"] = 20
    jobs = [answered, challenged_job(8, SEEDED, [0], deadline=19), challenged_job(9, SEEDED, [1])]
    worker, signer, _ = jobs_worker(tmp_path, jobs)
    with caplog.at_level(logging.WARNING, logger="depind.worker"):
        worker.on_block(20)
    assert signer.sent == []
    [warning] = [r.getMessage() for r in caplog.records if "availability" in r.getMessage()]
    assert "job 9" in warning and "missing" in warning


def test_runs_capacity_challenges_before_other_jobs(tmp_path: Path) -> None:
    seeds: list[int] = []

    def recording(spec: Any, backend: Any, meter: Any) -> JobResult:
        seeds.append(spec.seed)
        return run_job(spec, backend, meter)

    challenge = pending_job(5, msgspec.structs.replace(SEEDED, seed=9)) | {"capacity": {"claim": 10**6}}
    runner = JobRunner(tmp_path / "work", NumpyBackend(), run=recording)
    jobs = cast(Client, FakeClient([pending_job(4, SEEDED), challenge]))
    Worker(jobs, cast(Signer, FakeSigner(PROVIDER_KEY)), WorkerConfig(), runner).on_block(10)
    wait_idle(runner)
    assert seeds == [9, SEEDED.seed]  # job 5, the challenge, then job 4


@dataclass
class StaleSigner(FakeSigner):
    """A signer whose key another client used: its first tx's simulation is refused for its
    sequence, until it takes the chain's."""

    refreshed: int = 0

    def send(self, messages: Sequence[Msg]) -> BroadcastResult:
        if not self.refreshed:
            raise ClientError("simulation failed: account sequence mismatch", WrongSequence.code)
        return super().send(messages)

    def refresh(self) -> None:
        self.refreshed += 1


def test_takes_the_chains_sequence_after_a_refused_simulation(tmp_path: Path) -> None:
    runner = JobRunner(tmp_path / "work", NumpyBackend())
    signer = StaleSigner(PROVIDER_KEY)
    jobs = cast(Client, FakeClient([pending_job(4, SEEDED)]))
    worker = Worker(jobs, cast(Signer, signer), WorkerConfig(), runner)
    worker.on_block(10)
    wait_idle(runner)
    worker.on_block(11)  # refused: the signer takes the chain's sequence
    worker.on_block(12)
    assert signer.refreshed == 1
    assert [m.job_id for m in signer.sent if isinstance(m, MsgSubmitResult)] == [4]
