"""Every fuzz target on its committed corpus (seeds and the inputs that once found bugs),
then a short coverage-guided run of each under atheris, in a child process killed if it
overruns. Longer runs are for ``python -m tests.fuzz run`` (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz import targets
from tests.fuzz.runner import Budget, fuzz_in_child
from tests.fuzz.support import corpus_files

NAMES = list(targets.TARGETS)
SHORT_RUN = Budget(iterations=3_000, seconds=3)
SHORT_RUN_WALL_S = 90  # startup (imports, a node for the RPC targets) and the run itself


@pytest.mark.parametrize("name", NAMES)
def test_corpus_is_handled(name: str) -> None:
    files = corpus_files(name)
    assert files, f"tests/fuzz/corpus/{name}/ is empty: run `python -m tests.fuzz seed --target {name}`"
    target = targets.load(name)
    for path in files:
        target.fuzz_one(path.read_bytes())


@pytest.mark.parametrize("name", NAMES)
def test_seeds_are_committed(name: str) -> None:
    """The seeds the encoders make now are in the corpus (names at least: a few hold times or keys
    that differ between runs)."""
    committed = {path.name for path in corpus_files(name)}
    missing = sorted(set(targets.load(name).seeds()) - committed)
    assert not missing, f"run `python -m tests.fuzz seed --target {name}`; missing: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_short_fuzzing_run_finds_nothing(name: str, tmp_path: Path) -> None:
    outcome = fuzz_in_child(name, SHORT_RUN, tmp_path, wall_s=SHORT_RUN_WALL_S)
    log = outcome.log.read_text(errors="replace")
    assert outcome.ok, f"fuzzing {name} failed after {outcome.seconds:.0f} s:\n{log[-6000:]}"
    assert outcome.runs > 0
