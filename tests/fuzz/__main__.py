"""``python -m tests.fuzz``: list the targets, write their seed corpora, or fuzz them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.fuzz import targets
from tests.fuzz.runner import DEFAULT_WORK, Budget, fuzz, fuzz_all
from tests.fuzz.support import write_seeds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the targets and what each fuzzes")
    seed = commands.add_parser("seed", help="write tests/fuzz/corpus/<target>/ from the encoders")
    seed.add_argument("--target", choices=list(targets.TARGETS))
    replay = commands.add_parser("replay", help="feed files to a target, as a test would")
    replay.add_argument("--target", choices=list(targets.TARGETS), required=True)
    replay.add_argument("files", nargs="+", type=Path)
    run = commands.add_parser("run", help="fuzz one target, or each in turn")
    run.add_argument("--target", choices=list(targets.TARGETS))
    run.add_argument("--iterations", type=int, default=100_000, help="inputs per target (libFuzzer -runs)")
    run.add_argument("--seconds", type=int, default=120, help="time per target (libFuzzer -max_total_time)")
    run.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it is a hang")
    run.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch corpora, logs and crash inputs")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, what in targets.TARGETS.items():
            print(f"{name:14} {what}")
        return 0
    if args.command == "seed":
        for name in [args.target] if args.target else list(targets.TARGETS):
            written = write_seeds(name, targets.load(name).seeds())
            print(f"{name:14} {len(written)} seeds, {sum(p.stat().st_size for p in written)} bytes")
        return 0
    if args.command == "replay":
        target = targets.load(args.target)
        for path in args.files:
            target.fuzz_one(path.read_bytes())  # a finding raises, with its traceback
            print(f"{path}: handled")
        return 0
    budget = Budget(args.iterations, args.seconds, args.timeout)
    if args.target:
        fuzz(args.target, budget, args.work)  # libFuzzer exits the process when it is done
        return 0
    outcomes = fuzz_all(list(targets.TARGETS), budget, args.work)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
