"""A dishonest provider as a real process, for fault tests.

``python -m tests.e2e.corrupt_worker worker ...`` takes ``depind worker``'s options and runs
it as ``depind worker`` does, except that every job's first output has entry (0, 0) one too
large, committed and served as if it were right: a result root that binds the wrong output,
which the committee's check catches and a fraud proof of that entry proves on chain.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from gpu.backend import Backend
from gpu.commit import commit_outputs
from gpu.energy import EnergyMeter
from gpu.header import result_root
from gpu.jobs import JobSpec
from gpu.run import JobResult, run_job
from node import worker_jobs
from node.cli.main import cli

CORRUPTED_ENTRY = (0, 0)


def run_corrupted(spec: JobSpec, backend: Backend, meter: EnergyMeter | None = None) -> JobResult:
    honest = run_job(spec, backend, meter)
    first = honest.outputs[0].copy()
    first[CORRUPTED_ENTRY] += 1
    outputs = (first, *honest.outputs[1:])
    commitment = commit_outputs(outputs)
    root = result_root(honest.spec_digest, commitment.root)
    return replace(honest, outputs=outputs, commitment=commitment, result_root=root)


if __name__ == "__main__":
    vars(worker_jobs)["run_job"] = run_corrupted  # what JobRunner runs jobs with
    print("this worker corrupts every job's first output", file=sys.stderr)
    cli(prog_name="corrupt-worker")
