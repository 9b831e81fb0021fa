"""consensus.commit: a commit proves its block when more than 2/3 of the power precommitted it."""

from __future__ import annotations

import msgspec
import pytest

from consensus.commit import InvalidCommit, verify_commit
from consensus.tendermint.messages import block_id
from consensus.types import BlockIDFlag, Commit, CommitSig
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.support import (
    ABSENT_SIG,
    CHAIN_ID,
    KeySigner,
    commit_sig,
    make_block,
    signed_commit,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])
HEIGHT = 5
ROUND = 1
BLOCK = make_block(HEIGHT, KEYS[0].address, [b"tx"])
OTHER_BLOCK = make_block(HEIGHT, KEYS[0].address, [b"other tx"])


def key_of(validators: ValidatorSet, index: int) -> KeySigner:
    address = validators.validators[index].address
    return next(key for key in KEYS if key.address == address)


def commit_of(signatures: list[CommitSig]) -> Commit:
    return Commit(HEIGHT, ROUND, block_id(BLOCK), signatures)


def precommit(index: int, validators: ValidatorSet = VALIDATORS) -> CommitSig:
    """The precommit for BLOCK by the validator at ``index``."""
    return commit_sig(key_of(validators, index), validators, HEIGHT, ROUND, BLOCK)


def nil_precommit(index: int) -> CommitSig:
    return commit_sig(key_of(VALIDATORS, index), VALIDATORS, HEIGHT, ROUND, None)


def three_of_four() -> Commit:
    return commit_of([precommit(0), precommit(1), precommit(2), ABSENT_SIG])


def test_three_of_four_equal_validators_commit() -> None:
    verify_commit(CHAIN_ID, VALIDATORS, three_of_four(), block_id(BLOCK))


def test_all_validators_commit() -> None:
    verify_commit(
        CHAIN_ID, VALIDATORS, signed_commit(KEYS, VALIDATORS, HEIGHT, ROUND, BLOCK), block_id(BLOCK)
    )


def test_invalid_half_of_the_power() -> None:
    commit = commit_of([precommit(0), precommit(1), ABSENT_SIG, ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="20 of 40 power"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


@pytest.mark.parametrize(
    ("powers", "signing"),
    [((10, 10, 10), 2), ((3, 1, 1, 1), 2)],
    ids=["two-of-three-equal", "heavy-and-one-light"],
)
def test_invalid_exactly_two_thirds(powers: tuple[int, ...], signing: int) -> None:
    validators = validator_set(KEYS[: len(powers)], powers)
    signatures = [precommit(i, validators) for i in range(signing)]
    signatures += [ABSENT_SIG] * (len(powers) - signing)
    total = sum(powers)
    signed = sum(v.voting_power for v in validators.validators[:signing])
    assert 3 * signed == 2 * total
    with pytest.raises(InvalidCommit, match="needs > 2/3"):
        verify_commit(CHAIN_ID, validators, commit_of(signatures), block_id(BLOCK))


def test_one_more_than_two_thirds_commits() -> None:
    validators = validator_set(KEYS, [3, 1, 1, 1])
    signatures = [precommit(0, validators), precommit(1, validators), precommit(2, validators), ABSENT_SIG]
    verify_commit(CHAIN_ID, validators, commit_of(signatures), block_id(BLOCK))


def test_invalid_wrong_block_id() -> None:
    with pytest.raises(InvalidCommit, match="another block"):
        verify_commit(CHAIN_ID, VALIDATORS, three_of_four(), block_id(OTHER_BLOCK))


@pytest.mark.parametrize("count", [3, 5], ids=["one-short", "one-extra"])
def test_invalid_signature_count_differs_from_the_set(count: int) -> None:
    signatures = [precommit(0), precommit(1), precommit(2), precommit(3), ABSENT_SIG][:count]
    with pytest.raises(InvalidCommit, match=f"{count} signatures for 4 validators"):
        verify_commit(CHAIN_ID, VALIDATORS, commit_of(signatures), block_id(BLOCK))


@pytest.mark.parametrize("flag", [0, 4, 255])
def test_invalid_unknown_flag(flag: int) -> None:
    unknown = msgspec.structs.replace(precommit(3), block_id_flag=flag)
    commit = commit_of([precommit(0), precommit(1), precommit(2), unknown])
    with pytest.raises(InvalidCommit, match=f"unknown flag {flag}"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_signatures_out_of_set_order() -> None:
    commit = commit_of([precommit(1), precommit(0), precommit(2), precommit(3)])
    with pytest.raises(InvalidCommit, match="signature 0 is not by validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_address_is_not_the_validator_at_its_index() -> None:
    outsider = signers(1, seed=9)[0]
    forged = msgspec.structs.replace(precommit(2), validator_address=outsider.address)
    commit = commit_of([precommit(0), precommit(1), forged, precommit(3)])
    with pytest.raises(InvalidCommit, match="signature 2 is not by validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_nil_entry_with_another_validators_address() -> None:
    nil = msgspec.structs.replace(nil_precommit(3), validator_address=VALIDATORS.validators[0].address)
    commit = commit_of([precommit(0), precommit(1), precommit(2), nil])
    with pytest.raises(InvalidCommit, match="signature 3 is not by validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_bad_signature() -> None:
    signature = precommit(1).signature
    tampered = msgspec.structs.replace(precommit(1), signature=bytes([signature[0] ^ 1]) + signature[1:])
    commit = commit_of([precommit(0), tampered, precommit(2), ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="bad signature"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_signature_over_another_timestamp() -> None:
    moved = msgspec.structs.replace(precommit(1), timestamp_ns=precommit(1).timestamp_ns + 1)
    commit = commit_of([precommit(0), moved, precommit(2), ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="bad signature"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_precommit_for_another_block() -> None:
    other = commit_sig(key_of(VALIDATORS, 2), VALIDATORS, HEIGHT, ROUND, OTHER_BLOCK)
    commit = commit_of([precommit(0), precommit(1), other, ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="bad signature"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


@pytest.mark.parametrize(("field", "value"), [("height", HEIGHT + 1), ("round", ROUND + 1)])
def test_invalid_precommits_of_another_height_or_round(field: str, value: int) -> None:
    commit = msgspec.structs.replace(three_of_four(), **{field: value})
    with pytest.raises(InvalidCommit, match="bad signature"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_signatures_from_another_chain() -> None:
    with pytest.raises(InvalidCommit, match="bad signature"):
        verify_commit("another-chain", VALIDATORS, three_of_four(), block_id(BLOCK))


def test_nil_entries_count_for_nothing() -> None:
    commit = commit_of([precommit(0), precommit(1), nil_precommit(2), nil_precommit(3)])
    with pytest.raises(InvalidCommit, match="20 of 40 power"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_nil_entry_beside_a_quorum_commits() -> None:
    commit = commit_of([precommit(0), precommit(1), precommit(2), nil_precommit(3)])
    verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_absent_entries_count_for_nothing() -> None:
    commit = commit_of([ABSENT_SIG, precommit(1), ABSENT_SIG, precommit(3)])
    with pytest.raises(InvalidCommit, match="20 of 40 power"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


@pytest.mark.parametrize(
    ("field", "value"),
    [("validator_address", KEYS[3].address), ("timestamp_ns", 1), ("signature", b"junk")],
    ids=["address", "timestamp", "signature"],
)
def test_invalid_absent_entry_that_is_not_empty(field: str, value: object) -> None:
    filled = msgspec.structs.replace(ABSENT_SIG, **{field: value})
    commit = commit_of([precommit(0), precommit(1), precommit(2), filled])
    with pytest.raises(InvalidCommit, match="absent signature 3 is not empty"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_absent_entry_keeping_a_precommit() -> None:
    """A quorum's spare precommit relabelled absent: it would verify, with another hash."""
    absent = msgspec.structs.replace(precommit(3), block_id_flag=BlockIDFlag.ABSENT)
    commit = commit_of([precommit(0), precommit(1), precommit(2), absent])
    with pytest.raises(InvalidCommit, match="absent signature 3 is not empty"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_absent_precommit_does_not_make_up_a_quorum() -> None:
    absent = msgspec.structs.replace(
        ABSENT_SIG, validator_address=precommit(2).validator_address, signature=precommit(2).signature
    )
    commit = commit_of([precommit(0), precommit(1), absent, ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="absent signature 2 is not empty"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


# ---- nil entries carry a signature over the nil precommit ---------------------------------------


def test_invalid_nil_entry_with_a_bad_signature() -> None:
    signature = nil_precommit(3).signature
    tampered = msgspec.structs.replace(nil_precommit(3), signature=bytes([signature[0] ^ 1]) + signature[1:])
    commit = commit_of([precommit(0), precommit(1), precommit(2), tampered])
    with pytest.raises(InvalidCommit, match="bad signature from validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


@pytest.mark.parametrize("signature", [b"", b"\x01" * 64], ids=["empty", "made-up"])
def test_invalid_nil_entry_without_the_validators_signature(signature: bytes) -> None:
    forged = msgspec.structs.replace(nil_precommit(3), signature=signature)
    commit = commit_of([precommit(0), precommit(1), precommit(2), forged])
    with pytest.raises(InvalidCommit, match="bad signature from validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_precommit_for_the_block_presented_as_nil() -> None:
    relabelled = msgspec.structs.replace(precommit(3), block_id_flag=BlockIDFlag.NIL)
    commit = commit_of([precommit(0), precommit(1), precommit(2), relabelled])
    with pytest.raises(InvalidCommit, match="bad signature from validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


def test_invalid_nil_precommit_presented_as_one_for_the_block() -> None:
    relabelled = msgspec.structs.replace(nil_precommit(2), block_id_flag=BlockIDFlag.COMMIT)
    commit = commit_of([precommit(0), precommit(1), relabelled, ABSENT_SIG])
    with pytest.raises(InvalidCommit, match="bad signature from validator"):
        verify_commit(CHAIN_ID, VALIDATORS, commit, block_id(BLOCK))


# ---- no entry can change without changing validity ---------------------------------------------

MIXED_KEYS = signers(5, seed=4)
MIXED_SET = validator_set(MIXED_KEYS, [10, 10, 10, 1, 1])


def mixed_commit() -> Commit:
    """30 of 32 power for BLOCK, then one nil precommit and one absent entry, in set order."""
    by_address = {key.address: key for key in MIXED_KEYS}
    keys = [by_address[v.address] for v in MIXED_SET.validators]
    signatures = [commit_sig(key, MIXED_SET, HEIGHT, ROUND, BLOCK) for key in keys[:3]]
    signatures += [commit_sig(keys[3], MIXED_SET, HEIGHT, ROUND, None), ABSENT_SIG]
    return commit_of(signatures)


def alterations(sig: CommitSig, other_address: bytes) -> list[CommitSig]:
    """Every one-field change of ``sig``: each other flag, address, timestamp and signature."""
    flags = [flag for flag in BlockIDFlag if flag != sig.block_id_flag]
    addresses = [address for address in (b"", other_address) if address != sig.validator_address]
    signature = sig.signature or b"\x01" * 64
    signatures = [bytes([signature[0] ^ 1]) + signature[1:], b""]
    changes: list[dict[str, object]] = [{"block_id_flag": flag} for flag in flags]
    changes += [{"validator_address": address} for address in addresses]
    changes += [{"timestamp_ns": sig.timestamp_ns + 1}]
    changes += [{"signature": s} for s in signatures if s != sig.signature]
    return [msgspec.structs.replace(sig, **change) for change in changes]


def test_mixed_commit_is_valid() -> None:
    flags = [sig.block_id_flag for sig in mixed_commit().signatures]
    assert flags == [BlockIDFlag.COMMIT] * 3 + [BlockIDFlag.NIL, BlockIDFlag.ABSENT]
    verify_commit(CHAIN_ID, MIXED_SET, mixed_commit(), block_id(BLOCK))


@pytest.mark.parametrize("index", range(5), ids=["commit-0", "commit-1", "commit-2", "nil", "absent"])
def test_invalid_any_one_field_of_any_entry_changed(index: int) -> None:
    commit = mixed_commit()
    other_address = MIXED_SET.validators[(index + 1) % 5].address
    for altered in alterations(commit.signatures[index], other_address):
        signatures = [*commit.signatures[:index], altered, *commit.signatures[index + 1 :]]
        with pytest.raises(InvalidCommit):
            verify_commit(CHAIN_ID, MIXED_SET, commit_of(signatures), block_id(BLOCK))
