"""Running targets under atheris (libFuzzer), one process per target.

``fuzz`` instruments the project's packages, imports the target, and hands libFuzzer
two corpus folders: a scratch one in the work folder (where libFuzzer keeps the new
inputs it finds) and the committed seeds, which it only reads. A crash, an escaped
exception, an input that runs past ``timeout_s`` or a process past ``rss_limit_mb``
stops the run with a non-zero exit and leaves the input as ``<work>/<target>/crash-*``
(or ``timeout-*``, ``oom-*``). atheris exits the process when it is done, so
``fuzz_all`` runs each target in a child process and reads its summary line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz import targets
from tests.fuzz.support import CORPUS

PACKAGES = ["consensus", "genesis", "gpu", "node", "vm"]
DEFAULT_WORK = Path(__file__).parents[2] / "build" / "fuzz"
RSS_LIMIT_MB = 4096
_DONE = re.compile(rb"Done (\d+) runs in (\d+) second")


@dataclass(frozen=True)
class Budget:
    iterations: int  # libFuzzer -runs, the seeds' first pass included
    seconds: int  # libFuzzer -max_total_time
    timeout_s: int = 10  # one input running longer is a hang


def fuzz(name: str, budget: Budget, work: Path) -> None:
    """Fuzz one target in this process; does not return (libFuzzer exits)."""
    import atheris

    with atheris.instrument_imports(include=PACKAGES):
        target = targets.load(name)
    folder = work / name
    scratch = folder / "corpus"
    scratch.mkdir(parents=True, exist_ok=True)
    args = [
        sys.argv[0],
        f"-runs={budget.iterations}",
        f"-max_total_time={budget.seconds}",
        f"-timeout={budget.timeout_s}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-artifact_prefix={folder}/",
        "-print_final_stats=1",
    ]
    words = targets.tokens(target)
    if words:
        dictionary = folder / "tokens.dict"
        dictionary.write_text("".join(f"{_quoted(word)}\n" for word in words))
        args.append(f"-dict={dictionary}")
    longest = targets.max_len(target)
    if longest is not None:
        args.append(f"-max_len={longest}")
    atheris.Setup([*args, str(scratch), str(CORPUS / name)], target.fuzz_one)
    atheris.Fuzz()


def _quoted(word: bytes) -> str:
    """A libFuzzer dictionary entry: printable ASCII as is, anything else as \\xNN."""
    escaped = "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in word)
    return f'"{escaped}"'


@dataclass(frozen=True)
class Outcome:
    target: str
    ok: bool
    runs: int  # -1 when the run stopped before its summary
    seconds: float
    log: Path


def fuzz_in_child(name: str, budget: Budget, work: Path, wall_s: float) -> Outcome:
    """``fuzz`` in a child process, killed after ``wall_s`` seconds; its output goes to a log."""
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "fuzz.log"
    command = [
        sys.executable,
        "-m",
        "tests.fuzz",
        "run",
        f"--target={name}",
        f"--iterations={budget.iterations}",
        f"--seconds={budget.seconds}",
        f"--timeout={budget.timeout_s}",
        f"--work={work}",
    ]
    started = time.monotonic()
    with log.open("wb") as out:
        try:
            code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=wall_s).returncode
        except subprocess.TimeoutExpired:  # subprocess.run kills the child first
            code = -1
    elapsed = time.monotonic() - started
    done = _DONE.search(log.read_bytes())
    return Outcome(name, code == 0 and done is not None, int(done.group(1)) if done else -1, elapsed, log)


def fuzz_all(names: list[str], budget: Budget, work: Path) -> list[Outcome]:
    """Each target in turn, one child process each; a table of the outcomes on stdout."""
    outcomes = []
    for name in names:
        outcome = fuzz_in_child(name, budget, work, wall_s=budget.seconds * 2 + 120)
        verdict = "ok" if outcome.ok else f"FAILED, see {outcome.log}"
        print(f"{name:14} {outcome.runs:>10} runs {outcome.seconds:8.1f} s  {verdict}", flush=True)
        outcomes.append(outcome)
    return outcomes
