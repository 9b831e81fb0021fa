"""The checks at the end of a run: pure functions of what the nodes said (chain.py) and
what the load and the perturbations did, each returning its violations as sentences.

- ``same_chain``: every node up at the end, and every block served during the run, has
  one block hash and one app hash at each height;
- ``committed_in_chain``: every tx a node showed a client in a block is found with ``tx``
  on every node, at that height, with that result, in that very block;
- ``committed_once``: no tx is in two blocks;
- ``invariants_hold``: the ``invariants`` query finds nothing broken on any node;
- ``double_signing``: evidence names only the validators made to double-sign, and each of
  them; the honest ones never;
- ``slashes_match_faults``: every slash is of a validator a perturbation stopped, for a
  fault that stopping explains (downtime, a missed attestation) and that its missed votes
  in the commits bear out, or of a double-signer for double signing; a validator whose
  commits show more misses than the window allows was slashed, and every double-signer
  was slashed for it;
- the load committed txs of each kind, every node caught up, every perturbation ran,
  an upgrade ran at its height everywhere, and no node logged a traceback.

Missed-vote counts come from the blocks' last commits, which is where x/slashing reads
them; the window's bounds are allowed ``MARGIN`` blocks either way, so the check passes
a slash that is borderline and flags one that is plainly unexplained.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from fractions import Fraction

from tests.runner.chain import BlockRecord
from tests.runner.load import Committed, LaneStats
from vm.slashing.events import DOUBLE_SIGN, FALSE_ATTESTATION, MISSED_ATTESTATION, MISSING_SIGNATURE

MARGIN = 2  # blocks of slack on the liveness window's edges
EXAMPLES = 5  # violations of one kind listed one by one; the rest counted

View = Mapping[int, tuple[str, str]]  # height -> (block hash, header app hash)
Lookup = tuple[int, int] | None  # what ``tx`` says: (height, code), or not found


@dataclass(frozen=True)
class CheckResult:
    name: str
    what: str
    violations: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class ValidatorInfo:
    name: str
    address: str  # consensus address, upper-case hex
    valcons: str  # the same, bech32
    start_height: int  # where its liveness window began


@dataclass(frozen=True)
class LivenessRule:
    """x/slashing's: missing more than ``max_missed`` of the last ``window`` votes, past
    ``start_height + window``, jails and slashes."""

    window: int
    min_signed: Fraction

    @property
    def max_missed(self) -> int:
        return self.window - round(self.min_signed * self.window)  # LegacyDec rounds half to even


def examples(problems: Sequence[str]) -> list[str]:
    """The first few of a long list, and how many more there were."""
    if len(problems) <= EXAMPLES:
        return list(problems)
    return [*problems[:EXAMPLES], f"... and {len(problems) - EXAMPLES} more like these"]


def spans(heights: Sequence[int]) -> str:
    """``3-5, 9`` for [3, 4, 5, 9]."""
    runs: list[list[int]] = []
    for height in sorted(heights):
        if runs and height == runs[-1][-1] + 1:
            runs[-1].append(height)
        else:
            runs.append([height])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


# -- safety ---------------------------------------------------------------------------------------


def same_chain(views: Mapping[str, View], through: int) -> list[str]:
    """Each view against the first: a height where the block or app hash differs, or missing."""
    if not views:
        return ["no node could be read"]
    (first, reference), *others = views.items()
    problems = []
    missing = [h for h in range(1, through + 1) if h not in reference]
    if missing:
        problems.append(f"{first} lacks heights {spans(missing)}")
    for name, view in others:
        blocks = [
            h for h in range(1, through + 1) if h in view and h in reference and view[h][0] != reference[h][0]
        ]
        apps = [
            h for h in range(1, through + 1) if h in view and h in reference and view[h][1] != reference[h][1]
        ]
        if blocks:
            problems.append(f"{name} has other blocks than {first} at heights {spans(blocks)}")
        if apps:
            problems.append(f"{name} has other app hashes than {first} in the headers of {spans(apps)}")
    return problems


def committed_in_chain(
    committed: Mapping[str, Committed], lookups: Mapping[str, Mapping[str, Lookup]], reference: View
) -> list[str]:
    """Every committed tx, as ``tx`` finds it on each node and in the final chain's block."""
    problems = []
    for hash_, seen in sorted(committed.items(), key=lambda item: item[1].height):
        told = f"{seen.lane} tx {hash_[:12]} (in block {seen.height} from {seen.node})"
        final = reference.get(seen.height)
        if final is not None and final[0] != seen.block_hash:
            problems.append(f"{told}: the chain has another block at {seen.height}")
        for node, found in lookups.items():
            answer = found.get(hash_)
            if answer is None:
                problems.append(f"{told}: {node} does not find it")
            elif answer != (seen.height, seen.code):
                problems.append(f"{told}: {node} has it at height {answer[0]} with code {answer[1]}")
    return examples(problems)


def committed_once(repeated: Sequence[tuple[str, int]]) -> list[str]:
    return examples([f"tx {hash_[:12]} is in a block again at height {height}" for hash_, height in repeated])


def invariants_hold(broken: Mapping[str, Sequence[str]]) -> list[str]:
    return [f"{node}: {problem}" for node, problems in broken.items() for problem in problems]


def double_signing(
    records: Sequence[BlockRecord], validators: Sequence[ValidatorInfo], double_signers: Set[str]
) -> list[str]:
    """Evidence against the validators made to double-sign, each of them, and no other."""
    names = {v.address: v.name for v in validators}
    accused = set()
    problems = []
    for record in records:
        if record.evidence and not record.misbehavior:
            problems.append(
                f"block {record.height} carries {record.evidence} evidence item(s) against no one"
            )
        for item in record.misbehavior:
            name = names.get(item.validator, item.validator)
            accused.add(name)
            if name not in double_signers:
                problems.append(
                    f"block {item.height} reports {item.kind} evidence against {name}, an honest validator"
                )
    unpunished = sorted(set(double_signers) - accused)
    problems += [f"{name} double-signed and no evidence against it was committed" for name in unpunished]
    return examples(problems)


# -- slashes ----------------------------------------------------------------------------------------


def missed_windows(entries: Sequence[tuple[int, bool]], window: int) -> Iterator[tuple[int, int]]:
    """(height, votes missed among the last ``window``) after each of a validator's entries
    (height, missed) in the blocks' last commits."""
    missed = 0
    for index, (height, absent) in enumerate(entries):
        missed += absent
        if index >= window:
            missed -= entries[index - window][1]
        yield height, missed


def liveness_entries(records: Sequence[BlockRecord], address: str) -> list[tuple[int, bool]]:
    return [(r.height, address in r.absent) for r in records if address in r.absent or address in r.signed]


def slashes_match_faults(
    records: Sequence[BlockRecord],
    validators: Sequence[ValidatorInfo],
    faulted: Set[str],
    rule: LivenessRule,
    double_signers: Set[str] = frozenset(),
) -> list[str]:
    by_valcons = {v.valcons: v for v in validators}
    slashed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    problems = []
    for record in records:
        for slash in record.slashes:
            validator = by_valcons.get(slash.address)
            if validator is None:
                problems.append(f"block {slash.height} slashes {slash.address}, no validator of the network")
            else:
                slashed[validator.name].append((slash.height, slash.reason))
    for validator in validators:
        entries = liveness_entries(records, validator.address)
        windows = list(missed_windows(entries, rule.window))
        most = max((missed for _, missed in windows), default=0)
        for height, reason in slashed[validator.name]:
            if reason == DOUBLE_SIGN and validator.name in double_signers:
                continue
            problems += unexplained(validator.name, height, reason, validator.name in faulted, most, rule)
        if validator.name in double_signers and (DOUBLE_SIGN not in {r for _, r in slashed[validator.name]}):
            problems.append(f"{validator.name} double-signed and was not slashed for it")
        if not any(reason == MISSING_SIGNATURE for _, reason in slashed[validator.name]):
            due = [
                (height, missed)
                for height, missed in windows
                if missed > rule.max_missed + MARGIN
                and height > validator.start_height + rule.window + MARGIN
            ]
            if due:
                height, missed = due[0]
                problems.append(
                    f"{validator.name} missed {missed} of {rule.window} votes by height {height} "
                    f"(more than {rule.max_missed}) and was not slashed for downtime"
                )
    return problems


def unexplained(
    name: str, height: int, reason: str, faulted: bool, most: int, rule: LivenessRule
) -> list[str]:
    """Why a slash of an honest validator is not explained by the faults injected, if it is not."""
    what = f"{name} slashed for {reason} at height {height}"
    if reason in (DOUBLE_SIGN, FALSE_ATTESTATION):
        return [f"{what}: no such fault was injected"]
    if reason not in (MISSING_SIGNATURE, MISSED_ATTESTATION):
        return [f"{what}: a reason the runner does not know"]
    if not faulted:
        return [f"{what}: no perturbation stopped it"]
    if reason == MISSING_SIGNATURE and most < rule.max_missed + 1 - MARGIN:
        return [f"{what}: the commits show at most {most} of {rule.window} votes missed"]
    return []


# -- the run ----------------------------------------------------------------------------------------


def load_committed(stats: Mapping[str, LaneStats], faults: Sequence[str]) -> list[str]:
    """Each kind of load got txs into blocks; no node answered with a traceback."""
    problems = [
        f"no {kind} tx was committed ({s.sent} sent)" for kind, s in stats.items() if s.committed == 0
    ]
    return problems + examples(list(faults))


def caught_up(lagging: Mapping[str, str]) -> list[str]:
    return [f"{node} {why}" for node, why in lagging.items()]


def upgrade_applied(expected: tuple[str, int] | None, applied: Mapping[str, int]) -> list[str]:
    if expected is None:
        return []
    name, height = expected
    return [
        f"{node}: upgrade {name} ran at height {at or 'none'}, not {height}"
        for node, at in applied.items()
        if at != height
    ]


def clean_logs(tracebacks: Mapping[str, Sequence[str]]) -> list[str]:
    return [
        f"{process} logged {len(found)} traceback(s); the first:\n{found[0]}"
        for process, found in tracebacks.items()
        if found
    ]
