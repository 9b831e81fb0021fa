"""A provider that withholds its outputs, as a real process, for fault tests.

``python -m tests.e2e.withholding_worker worker ...`` takes ``depind worker``'s options and
runs it as ``depind worker`` does, except that it publishes no result: its output server
answers 404 to every request, and it never answers an availability challenge. Its results
are honest and submitted; only a challenge that goes unanswered shows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from node.cli.main import cli
from node.outputs.files import open_result_files
from node.outputs.server import OutputStore
from node.worker import Worker
from node.worker_jobs import JobRunner


def publish_nothing(self: OutputStore, folder: Path) -> bytes:
    """``OutputStore.publish``'s signature; the result root, with nothing served under it."""
    return open_result_files(folder).result_root


def answer_nothing(self: Worker, runner: JobRunner, height: int) -> None:
    """``Worker.answer_challenges``'s signature; no chunk is ever posted."""


if __name__ == "__main__":
    OutputStore.publish = publish_nothing  # type: ignore[method-assign]
    Worker.answer_challenges = answer_nothing  # type: ignore[method-assign]
    print("this worker serves no outputs and answers no availability challenge", file=sys.stderr)
    cli(prog_name="withholding-worker")
