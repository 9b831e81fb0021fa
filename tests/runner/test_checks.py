"""The runner's checks on fabricated chains: a healthy one passes, and each fault the
checks look for (a fork, an app hash that differs, a lost or moved tx, evidence, an
unexplained or a missing slash) is reported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from tests.runner import checks
from tests.runner.chain import BlockRecord, Misbehavior, Slash
from tests.runner.checks import LivenessRule, ValidatorInfo
from tests.runner.load import Committed, LaneStats

A = ValidatorInfo("validator0", "AA" * 20, "depinvalcons1aaa", 0)
B = ValidatorInfo("validator1", "BB" * 20, "depinvalcons1bbb", 0)
VALIDATORS = [A, B]
RULE = LivenessRule(window=20, min_signed=Fraction(1, 2))  # more than 10 of 20 missed jails


def view(through: int, fork_at: int | None = None, app_at: int | None = None) -> dict[int, tuple[str, str]]:
    return {
        h: (f"F{h}" if h == fork_at else f"B{h}", f"X{h}" if h == app_at else f"A{h}")
        for h in range(1, through + 1)
    }


def record(
    height: int,
    absent: Sequence[str] = (),
    slashes: Sequence[Slash] = (),
    evidence: int = 0,
    misbehavior: Sequence[Misbehavior] = (),
) -> BlockRecord:
    everyone = [v.address for v in VALIDATORS]
    return BlockRecord(
        height=height,
        block_hash=f"B{height}",
        app_hash=f"A{height}",
        validators_hash="V",
        node="validator0",
        signed=tuple(a for a in everyone if a not in absent),
        absent=tuple(absent),
        evidence=evidence,
        misbehavior=tuple(misbehavior),
        slashes=tuple(slashes),
    )


def chain(
    through: int, down: range = range(0), slash_at: int | None = None, reason: str = ""
) -> list[BlockRecord]:
    """Blocks 1 .. ``through``; B's vote is absent from the last commits of ``down``."""
    return [
        record(
            h,
            absent=[B.address] if h in down else [],
            slashes=[Slash(h, B.valcons, reason)] if h == slash_at else [],
        )
        for h in range(1, through + 1)
    ]


# -- safety ---------------------------------------------------------------------------------------


def test_one_chain_everywhere_passes() -> None:
    assert checks.same_chain({"validator0": view(30), "full0": view(30), "served": view(30)}, 30) == []


def test_a_fork_is_reported_with_its_heights() -> None:
    found = checks.same_chain({"validator0": view(30), "full0": view(30, fork_at=12)}, 30)
    assert found == ["full0 has other blocks than validator0 at heights 12"]


def test_an_app_hash_that_differs_is_reported() -> None:
    found = checks.same_chain({"validator0": view(30), "validator1": view(30, app_at=7)}, 30)
    assert found == ["validator1 has other app hashes than validator0 in the headers of 7"]


def test_missing_heights_are_reported() -> None:
    short = {h: v for h, v in view(30).items() if h not in (4, 5, 6, 9)}
    assert checks.same_chain({"validator0": short, "full0": view(30)}, 30) == [
        "validator0 lacks heights 4-6, 9"
    ]


def test_committed_txs_found_everywhere_pass() -> None:
    committed = {"AB" * 32: Committed("sends", 5, "B5", 0, "validator1")}
    lookups = {"validator0": {"AB" * 32: (5, 0)}, "full0": {"AB" * 32: (5, 0)}}
    assert checks.committed_in_chain(committed, lookups, view(10)) == []


def test_a_committed_tx_lost_moved_or_in_another_block_is_reported() -> None:
    lost, moved, replaced = "01" * 32, "02" * 32, "03" * 32
    committed = {
        lost: Committed("sends", 5, "B5", 0, "validator1"),
        moved: Committed("delegations", 6, "B6", 0, "validator1"),
        replaced: Committed("sends", 7, "B7-on-a-fork", 0, "validator2"),
    }
    lookups = {"validator0": {lost: None, moved: (8, 0), replaced: (7, 0)}}
    assert checks.committed_in_chain(committed, lookups, view(10)) == [
        "sends tx 010101010101 (in block 5 from validator1): validator0 does not find it",
        "delegations tx 020202020202 (in block 6 from validator1): validator0 has it at height 8 with code 0",
        "sends tx 030303030303 (in block 7 from validator2): the chain has another block at 7",
    ]


def test_a_tx_in_two_blocks_is_reported() -> None:
    assert checks.committed_once([("0A" * 32, 9)]) == ["tx 0A0A0A0A0A0A is in a block again at height 9"]


def test_broken_invariants_are_reported_per_node() -> None:
    broken = {"validator0": [], "full0": ["bank/total-supply: total supply 5 differs"]}
    assert checks.invariants_hold(broken) == ["full0: bank/total-supply: total supply 5 differs"]


def test_evidence_against_an_honest_validator_is_reported() -> None:
    assert checks.double_signing(chain(10), VALIDATORS, set()) == []
    records = [*chain(4), record(5, evidence=1, misbehavior=[Misbehavior(5, B.address, "duplicate_vote")])]
    assert checks.double_signing(records, VALIDATORS, {"validator0"}) == [
        "block 5 reports duplicate_vote evidence against validator1, an honest validator",
        "validator0 double-signed and no evidence against it was committed",
    ]
    assert checks.double_signing([*chain(4), record(5, evidence=2)], VALIDATORS, set()) == [
        "block 5 carries 2 evidence item(s) against no one"
    ]


def test_evidence_against_the_double_signer_passes() -> None:
    records = [*chain(4), record(5, evidence=1, misbehavior=[Misbehavior(5, B.address, "duplicate_vote")])]
    assert checks.double_signing(records, VALIDATORS, {"validator1"}) == []


# -- slashes ----------------------------------------------------------------------------------------


def test_the_liveness_rule_rounds_as_cosmos() -> None:
    assert LivenessRule(100, Fraction(1, 2)).max_missed == 50
    assert LivenessRule(10, Fraction(5, 100)).max_missed == 10  # 0.5 rounds to even: 0


def test_missed_windows_slide() -> None:
    entries = [(1, True), (2, True), (3, False), (4, True), (5, False)]
    assert list(checks.missed_windows(entries, 3)) == [(1, 1), (2, 2), (3, 2), (4, 2), (5, 1)]


def test_no_slash_and_no_long_downtime_passes() -> None:
    assert checks.slashes_match_faults(chain(80, down=range(30, 36)), VALIDATORS, {"validator1"}, RULE) == []


def test_a_downtime_slash_of_a_stopped_validator_that_missed_enough_passes() -> None:
    records = chain(80, down=range(30, 45), slash_at=41, reason="missing_signature")
    assert checks.slashes_match_faults(records, VALIDATORS, {"validator1"}, RULE) == []


def test_a_downtime_slash_without_a_fault_injected_is_reported() -> None:
    records = chain(80, down=range(30, 45), slash_at=41, reason="missing_signature")
    assert checks.slashes_match_faults(records, VALIDATORS, set(), RULE) == [
        "validator1 slashed for missing_signature at height 41: no perturbation stopped it"
    ]


def test_a_downtime_slash_the_commits_do_not_bear_out_is_reported() -> None:
    records = chain(80, down=range(30, 34), slash_at=41, reason="missing_signature")
    assert checks.slashes_match_faults(records, VALIDATORS, {"validator1"}, RULE) == [
        "validator1 slashed for missing_signature at height 41: the commits show at most 4 of 20 votes missed"
    ]


def test_a_downtime_slash_that_never_came_is_reported() -> None:
    found = checks.slashes_match_faults(chain(80, down=range(30, 50)), VALIDATORS, {"validator1"}, RULE)
    assert found == [
        "validator1 missed 13 of 20 votes by height 42 (more than 10) and was not slashed for downtime"
    ]


def test_downtime_before_the_first_window_ends_is_not_due() -> None:
    early = checks.slashes_match_faults(chain(30, down=range(2, 16)), VALIDATORS, {"validator1"}, RULE)
    assert early == []


def test_double_signing_and_false_attestation_slashes_of_the_honest_are_never_explained() -> None:
    for reason in ("double_sign", "false_attestation"):
        records = chain(40, slash_at=20, reason=reason)
        (found,) = checks.slashes_match_faults(records, VALIDATORS, {"validator1"}, RULE)
        assert found == f"validator1 slashed for {reason} at height 20: no such fault was injected"


def test_a_double_signer_must_be_slashed_for_it() -> None:
    punished = chain(40, slash_at=20, reason="double_sign")
    assert checks.slashes_match_faults(punished, VALIDATORS, {"validator1"}, RULE, {"validator1"}) == []
    assert checks.slashes_match_faults(chain(40), VALIDATORS, {"validator1"}, RULE, {"validator1"}) == [
        "validator1 double-signed and was not slashed for it"
    ]


def test_a_slash_of_a_stranger_is_reported() -> None:
    records = [*chain(9), record(10, slashes=[Slash(10, "depinvalcons1zzz", "missing_signature")])]
    assert checks.slashes_match_faults(records, VALIDATORS, set(), RULE) == [
        "block 10 slashes depinvalcons1zzz, no validator of the network"
    ]


# -- the run ----------------------------------------------------------------------------------------


def test_load_that_committed_nothing_is_reported() -> None:
    stats = {"sends": LaneStats(sent=10, committed=9), "delegations": LaneStats(sent=4, failed=Counter())}
    assert checks.load_committed(stats, []) == ["no delegations tx was committed (4 sent)"]
    assert checks.load_committed({"sends": LaneStats(committed=1)}, ["a traceback"]) == ["a traceback"]


def test_an_upgrade_that_ran_elsewhere_or_nowhere_is_reported() -> None:
    assert checks.upgrade_applied(None, {}) == []
    applied = {"validator0": 40, "validator1": 0, "full0": 41}
    assert checks.upgrade_applied(("v2", 40), applied) == [
        "validator1: upgrade v2 ran at height none, not 40",
        "full0: upgrade v2 ran at height 41, not 40",
    ]


def test_long_lists_are_cut_to_examples() -> None:
    lookups: dict[str, dict[str, checks.Lookup]] = {"full0": {}}
    committed = {f"{i:064X}": Committed("sends", 2, "B2", 0, "validator0") for i in range(12)}
    found = checks.committed_in_chain(committed, lookups, view(3))
    assert len(found) == 6 and found[-1] == "... and 7 more like these"
