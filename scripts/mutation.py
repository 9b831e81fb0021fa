"""Mutation testing of vm/, consensus/ and gpu/ with mutmut, on each package's focused tests.

mutmut rewrites source files, so each group runs in a scratch copy of the checkout (tracked and
untracked files that git does not ignore) under build/mutation/<group>; the working tree is never
touched. A group is a few modules that carry a package's safety checks and the test files that pin
them; mutmut runs, for each mutant, only the tests that cover the mutated function.

One worker at the lowest priority (`nice -n 19`): this is a slow, occasional audit, not a CI job.
Per module it prints the mutants and how many the tests killed, how many survived, timed out or
had no covering test, and the score (killed + timed out over all), then the surviving mutants by
name; `mutmut show NAME` in the group's scratch copy prints one's diff. docs/reliability.md
("Mutation testing") records the scores and why each remaining survivor is equivalent.

    uv run python scripts/mutation.py [--group NAME]... [--keep]
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "build" / "mutation"
PACKAGES = ("consensus", "genesis", "gpu", "node", "protos", "vm")


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    # Tests that read a module's own source: mutmut's rewritten copy imports mutmut, so they
    # fail on the unmutated code too, and mutmut refuses to start.
    source_checks: tuple[str, ...] = ()


GROUPS = {
    "vm": Group(modules=("vm/store/smt.py",), tests=("tests/vm/store/test_smt.py",)),
    "consensus": Group(
        modules=("consensus/commit.py", "consensus/validators.py", "consensus/tendermint/votes.py"),
        tests=(
            "tests/consensus/test_commit.py",
            "tests/consensus/test_validators.py",
            "tests/consensus/tendermint/test_votes.py",
        ),
    ),
    "vm-bank": Group(
        modules=("vm/bank/keeper.py", "vm/bank/msgs.py"),
        tests=(
            "tests/vm/bank/test_send.py",
            "tests/vm/bank/test_multi_send.py",
            "tests/vm/bank/test_supply.py",
            "tests/vm/bank/test_keeper.py",
            "tests/vm/bank/test_msgs.py",
        ),
    ),
    "vm-tx": Group(
        modules=("vm/tx.py", "vm/auth/ante.py"),
        tests=("tests/vm/test_tx.py", "tests/vm/auth/test_ante.py"),
    ),
    "vm-staking": Group(
        modules=("vm/staking/delegation.py", "vm/staking/slash.py", "vm/staking/validator_set.py"),
        tests=(
            "tests/vm/staking/test_delegations.py",
            "tests/vm/staking/test_redelegations.py",
            "tests/vm/staking/test_slash.py",
            "tests/vm/staking/test_validator_set.py",
            "tests/vm/staking/test_hooks.py",
        ),
    ),
    "engine": Group(
        modules=("consensus/tendermint/state.py", "consensus/tendermint/evidence.py"),
        tests=(
            "tests/consensus/tendermint/test_state.py",
            "tests/consensus/tendermint/test_bft_time.py",
            "tests/consensus/tendermint/test_evidence.py",
        ),
    ),
    "gpu": Group(
        modules=("gpu/onchain.py", "gpu/challenge.py"),
        tests=("tests/gpu/test_onchain.py", "tests/gpu/test_challenge.py"),
        source_checks=(
            "tests/gpu/test_onchain.py::test_chain_modules_use_no_floats_clocks_randomness_or_io",
        ),
    ),
}

# The module registry is cached for the whole process, so its keepers are built by whichever test
# asks first: mutmut would tie a keeper's constructor to that one test, and in the forks that run
# each mutant's tests the registry built before the fork would hide the mutant. Each test builds
# its own.
FRESH_REGISTRY = """

def pytest_runtest_setup(item):
    from vm.modules import default_registry

    default_registry.cache_clear()
"""

# mutmut's names for outcomes, as `mutmut results --all true` prints them.
KILLED, SURVIVED, TIMEOUT, NO_TESTS = "killed", "survived", "timeout", "no tests"


def copy_checkout(target: Path) -> None:
    """Copy the files git knows of (committed or not, but not ignored) that the tests need."""
    if target.exists():
        shutil.rmtree(target)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        top = name.split("/", 1)[0]
        source = ROOT / name
        if (top in PACKAGES or top == "tests" or name in ("pyproject.toml", "uv.lock")) and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def mutmut_config(group: Group) -> str:
    """The [tool.mutmut] table for one group: every package is importable, only its modules mutate."""

    def toml_list(items: tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    deselected = tuple(f"--deselect={test}" for test in group.source_checks)

    return (
        "\n[tool.mutmut]\n"
        f"source_paths = {toml_list(PACKAGES)}\n"
        f"only_mutate = {toml_list(group.modules)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}\n"
        f"pytest_add_cli_args = {toml_list(('-p', 'no:cacheprovider', *deselected))}\n"
    )


def run_group(name: str, group: Group) -> dict[str, str]:
    """Run mutmut over one group in a fresh scratch copy; the outcome of every mutant by name."""
    scratch = SCRATCH / name
    copy_checkout(scratch)
    with (scratch / "pyproject.toml").open("a") as pyproject:
        pyproject.write(mutmut_config(group))
    with (scratch / "tests" / "conftest.py").open("a") as conftest:
        conftest.write(FRESH_REGISTRY)
    mutmut = ["nice", "-n", "19", sys.executable, "-m", "mutmut"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([*mutmut, "run", "--max-children", "1"], cwd=scratch, env=env, check=True)
    printed = subprocess.run(
        [*mutmut, "results", "--all", "true"], cwd=scratch, env=env, check=True, capture_output=True
    ).stdout.decode()
    outcomes = {}
    for line in printed.splitlines():
        mutant, _, outcome = line.strip().rpartition(": ")
        if mutant:
            outcomes[mutant] = outcome
    return outcomes


def module_of(mutant: str) -> str:
    """`vm.store.smt.xǁProofǁdecode__mutmut_3` -> `vm.store.smt`: mutmut prefixes the function with x."""
    return mutant.split("__mutmut_")[0].rsplit(".", 1)[0]


def score_table(outcomes: dict[str, str]) -> str:
    rows = ["| module | mutants | killed | survived | timeout | no tests | score |", "|---" * 7 + "|"]
    for module in sorted({module_of(m) for m in outcomes}):
        counts = Counter(o for m, o in outcomes.items() if module_of(m) == module)
        total = sum(counts.values())
        caught = counts[KILLED] + counts[TIMEOUT]
        rows.append(
            f"| {module} | {total} | {counts[KILLED]} | {counts[SURVIVED]} | {counts[TIMEOUT]} "
            f"| {counts[NO_TESTS]} | {100 * caught / total:.1f}% |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--group", choices=sorted(GROUPS), action="append", help="default: every group")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies (for `mutmut show`)")
    args = parser.parse_args()
    for name in args.group or list(GROUPS):
        outcomes = run_group(name, GROUPS[name])
        print(f"\n## {name}\n\n{score_table(outcomes)}\n")
        for mutant, outcome in sorted(outcomes.items()):
            if outcome not in (KILLED, TIMEOUT):
                print(f"- {outcome}: {mutant}")
        if not args.keep:
            shutil.rmtree(SCRATCH / name)


if __name__ == "__main__":
    main()
