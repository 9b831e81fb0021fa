"""``python -m tests.runner MANIFEST.toml [--report out.json] [--workdir DIR]``: run the
network a manifest describes, print the report, write it as JSON, and exit 0 if every
check passed, 1 on any violation or a run that could not finish, 2 on a bad manifest."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from tests.runner.manifest import ManifestError, load
from tests.runner.report import render, write_json
from tests.runner.run import run

EXIT_VIOLATION = 1
EXIT_BAD_MANIFEST = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.runner",
        description="Run a depind network under load and faults, then check it.",
    )
    parser.add_argument("manifest", type=Path, help="the TOML manifest (tests/runner/manifests/)")
    parser.add_argument("--report", type=Path, help="also write the JSON report here")
    parser.add_argument("--workdir", type=Path, help="an empty or new folder for the homes and logs")
    args = parser.parse_args(argv)
    try:
        manifest = load(args.manifest)
    except ManifestError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_MANIFEST
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="depind-runner-"))
    if workdir.exists() and any(workdir.iterdir()):
        print(f"{workdir} is not empty", file=sys.stderr)
        return EXIT_BAD_MANIFEST
    workdir.mkdir(parents=True, exist_ok=True)
    report = run(manifest, str(args.manifest), workdir.absolute())
    print(render(report), flush=True)
    write_json(report, workdir / "report.json")
    if args.report is not None:
        write_json(report, args.report)
    return 0 if report.passed else EXIT_VIOLATION


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_sigterm)  # so that every node is stopped on the way out
    sys.exit(main())
