"""A lazy committee member as a real process, for fault tests.

``python -m tests.e2e.lazy_verifier start --home H`` runs the node of home ``H`` as
``depind start`` does, verifier service included, except that the service never fetches
nor checks a result: it attests every job it is sampled for as valid, with the root of a
C r commitment whose entries are all zero. It keeps that commitment under
``work_dir/cr/<job id>`` as an honest member keeps its own, and its dispute service
(node/verifier_disputes.py, unchanged) answers a row dispute from it: the zero entry it
opens is not the row of C times r, so the answer itself shows the attestation false. Having
read no outputs, it keeps no rows and audits no one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gpu.attestation import commit_cr, gemm_tensors
from gpu.header import layout
from gpu.proofs import Attestation, encode_attestation
from node import verifier
from node.cli.main import cli
from node.config import VerifierConfig
from node.metrics.verifier import VerifierMetrics
from node.outputs.check import save_cr
from node.verifier import CR_DIR, Assignment, Outcome


def attest_unchecked(
    assignment: Assignment,
    endpoint: str,
    operator: bytes,
    work_dir: Path,
    config: VerifierConfig,
    metrics: VerifierMetrics,
    budget_s: float,
) -> Outcome:
    """``node.verifier.check_assignment``'s signature; nothing fetched, nothing checked."""
    steps = layout(assignment.header)
    zeros = {t: [[0] * steps[t].shape[0] for _ in range(assignment.rounds)] for t in gemm_tensors(steps)}
    cr = commit_cr(steps, zeros)
    save_cr(work_dir / CR_DIR / str(assignment.job_id), cr)
    attestation = Attestation("valid", assignment.rounds, assignment.result_root, cr.root)
    return Outcome(assignment.job_id, "valid", "not checked", encode_attestation(attestation), b"")


def lazy_command(home: Path) -> list[str]:
    """The argv that runs the node of ``home`` as a lazy member (for ``DepindProcess.command``)."""
    return [sys.executable, "-m", "tests.e2e.lazy_verifier", "start", "--home", str(home)]


if __name__ == "__main__":
    vars(verifier)["check_assignment"] = attest_unchecked  # what Verifier.check runs on its thread
    print("this validator attests every result valid without checking it", file=sys.stderr)
    cli(prog_name="lazy-verifier")
