"""Running a provider's compute jobs for ``depind worker`` (docs/compute.md, "Running the agents").

A seeded job is run from its on-chain header alone: its spec is its header
(``gpu.jobs.spec_from_header``). A job whose header commits to supplied tensors needs their data,
which is not on chain: its requester uploads it to the output server (``PUT /inputs/{header
digest}``, node/outputs/input_store.py under ``work_dir/inputs``). Until the upload arrives the
job waits, logged once, and the worker asks again on each block up to the job's deadline; once it
has arrived it is claimed for the job (kept, and served to the verifiers) and the job runs from
it. Jobs run one at a time on a thread of their own, so the worker's block loop (accepting
leases, withdrawing, submitting results) never waits for one; at most ``max_queued`` wait
behind it.

Each result is a folder (gpu/results.py) named by its job id under ``work_dir/results``,
written beside it and renamed in once complete, then published in the output store
(node/outputs/server.py) under its result root. What is on disk survives a restart:
``republish`` serves every folder again, and a pending job whose folder holds a result for
its header is submitted without being run again. The same folder answers availability
challenges: ``open_chunks`` opens sampled leaves of its output tree.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpu.backend import Backend
from gpu.commit import OUTPUT_DTYPE, commit_arrays
from gpu.energy import EnergyMeter, energy_meter
from gpu.errors import GpuError, ResultFileError
from gpu.header import JobHeader, header_digest, layout, output_layout, work_units
from gpu.jobs import JobSpec, is_seeded, spec_from_header
from gpu.merkle import Opening
from gpu.results import ResultRecord, read_record, write_result
from gpu.run import JobResult, run_job
from node.outputs.files import open_result_files
from node.outputs.input_store import InputStore
from node.outputs.layout import inputs_path
from node.outputs.server import OutputStore

log = logging.getLogger("depind.worker")

RESULTS_DIR = "results"
OUTPUTS_DIR = "outputs"  # the output store's links, one per published result root
INPUTS_DIR = "inputs"  # supplied inputs: uploads, and those claimed by jobs
STAGING_SUFFIX = ".partial"

JobId = int
RunJob = Callable[[JobSpec, Backend, EnergyMeter], JobResult]


@dataclass(frozen=True)
class FinishedJob:
    """A result on disk, ready to be submitted: what ``MsgSubmitResult`` carries."""

    job_id: JobId
    output_root: bytes
    energy_mj: int | None  # None: not measured (no NVML, as on a CPU)
    compute_ms: int

    @classmethod
    def from_record(cls, job_id: JobId, record: ResultRecord) -> FinishedJob:
        return cls(
            job_id, bytes.fromhex(record.output_root), record.energy_mj, round(record.compute_s * 1000)
        )


class JobRunner:
    """Runs jobs on ``backend``, one at a time, into result folders under ``work_dir``."""

    def __init__(
        self,
        work_dir: Path,
        backend: Backend,
        max_queued: int = 4,
        run: RunJob | None = None,
        meter: Callable[[Backend], EnergyMeter] = energy_meter,
    ) -> None:
        self.results_dir = work_dir / RESULTS_DIR
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.store = OutputStore(work_dir / OUTPUTS_DIR)
        self.inputs = InputStore(work_dir / INPUTS_DIR)
        self.backend = backend
        self.max_queued = max_queued
        self._run = run or run_job
        self._meter = meter
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="depind-job")
        self._running: dict[JobId, Future[None]] = {}
        self._waiting: set[JobId] = set()  # jobs whose inputs have not arrived (logged once)

    def folder(self, job_id: JobId) -> Path:
        return self.results_dir / str(job_id)

    def republish(self) -> int:
        """Serve every result folder in the work dir again (after a restart); how many."""
        published = 0
        for folder in sorted(self.results_dir.iterdir()):
            if folder.name.endswith(STAGING_SUFFIX):
                shutil.rmtree(folder, ignore_errors=True)  # a run cut short: run it again
                continue
            try:
                self.store.publish(folder)
                published += 1
            except ResultFileError as err:
                log.warning("not serving %s: %s", folder, err)
        return published

    def finished(self, job_id: JobId, header: JobHeader) -> FinishedJob | None:
        """The job's result on disk, if one was written for this header."""
        folder = self.folder(job_id)
        if not folder.is_dir():
            return None
        try:
            record = read_record(folder)
        except ResultFileError as err:
            log.warning("job %d: its result folder is unreadable (%s); running it again", job_id, err)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if record.spec_digest != header_digest(header).hex():
            log.warning("job %d: %s holds another job's result; running it again", job_id, folder)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return FinishedJob.from_record(job_id, record)

    def open_chunks(self, job_id: JobId, header: JobHeader, chunks: Sequence[int]) -> list[Opening]:
        """Leaves ``chunks`` of the job's output tree with their Merkle paths, from its folder."""
        return open_result_chunks(self.folder(job_id), header, chunks)

    def schedule(self, job_id: JobId, header: JobHeader) -> bool:
        """Queue the job unless it is queued, running, waits for its inputs, or the queue is full."""
        self.collect()
        if job_id in self._running or len(self._running) > self.max_queued:
            return False
        if not self.has_inputs(job_id, header):
            return False
        self._running[job_id] = self._executor.submit(self._run_into_folder, job_id, header)
        return True

    def has_inputs(self, job_id: JobId, header: JobHeader) -> bool:
        """Whether the job can run: it is seeded, or its supplied inputs have been uploaded (and
        are now claimed for it). Waiting is logged once per job."""
        if is_seeded(header):
            return True
        digest = header_digest(header)
        if self.inputs.claim(digest) is not None:
            self._waiting.discard(job_id)
            return True
        if job_id not in self._waiting:
            self._waiting.add(job_id)
            log.info(
                "job %d: waiting for its supplied inputs: the requester uploads them to PUT %s",
                job_id,
                inputs_path(digest),
            )
        return False

    def spec_of(self, header: JobHeader) -> JobSpec:
        """The job's spec: its header, or its claimed inputs (checked against the header)."""
        if is_seeded(header):
            return spec_from_header(header)
        return self.inputs.load(header_digest(header))

    def collect(self) -> None:
        """Forget jobs that are done; log those that failed (they are tried again later)."""
        for job_id, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[job_id]
            error = future.exception()
            if error is not None:
                log.error("job %d: failed: %s: %s", job_id, type(error).__name__, error)

    def pending_runs(self) -> int:
        self.collect()
        return len(self._running)

    def close(self) -> None:
        """Drop queued jobs; a running one finishes in its thread (NumPy and CUDA cannot be
        interrupted) and its folder is used after the next start."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run_into_folder(self, job_id: JobId, header: JobHeader) -> None:
        kind = header.__struct_config__.tag
        spec = self.spec_of(header)
        log.info(
            "job %d: running %s (%d work units) on %s", job_id, kind, work_units(header), self.backend.name
        )
        try:
            result = self._run(spec, self.backend, self._meter(self.backend))
        except GpuError as err:
            log.error("job %d: cannot run: %s", job_id, err)
            raise
        staging = self.folder(job_id).with_name(f"{job_id}{STAGING_SUFFIX}")
        shutil.rmtree(staging, ignore_errors=True)
        write_result(staging, spec, result)
        staging.replace(self.folder(job_id))
        self.store.publish(self.folder(job_id))
        energy = "unknown" if result.energy_mj is None else f"{result.energy_mj} mJ"
        log.info(
            "job %d: done in %.2f s (energy %s), result root %s",
            job_id,
            result.compute_s,
            energy,
            result.result_root.hex(),
        )


def open_result_chunks(folder: Path, header: JobHeader, chunks: Sequence[int]) -> list[Opening]:
    """Leaves ``chunks`` of the output tree of the result in ``folder`` (node/outputs/files.py
    reads its canonical bytes) with their Merkle paths: what ``MsgPostChunks`` carries.
    ResultFileError if the folder is missing, holds another header's result, or does not hash
    to the output root its record holds; IndexError for a leaf outside the tree."""
    if not folder.is_dir():
        raise ResultFileError(f"{folder} is missing")
    files = open_result_files(folder)
    if files.record.spec_digest != header_digest(header).hex():
        raise ResultFileError(f"{folder} holds another job's result")
    chunked = output_layout(layout(header))
    data, arrays, start = files.read(0, files.size), [], 0
    for rows, cols in chunked.shapes:
        arrays.append(np.frombuffer(data, dtype=OUTPUT_DTYPE, count=rows * cols, offset=start))
        start += rows * cols * OUTPUT_DTYPE.itemsize
    commitment = commit_arrays(chunked, arrays)
    if commitment.root.hex() != files.record.output_root.lower():
        raise ResultFileError(f"{folder}: the outputs do not hash to the recorded output root")
    return [commitment.open_leaf(chunk) for chunk in chunks]
