"""consensus.tendermint.signer: the round state machine's Signer over privval.FilePV."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import pytest

from consensus import privval
from consensus.privval import STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE, DoubleSignError, FilePV
from consensus.tendermint.messages import (
    NO_ROUND,
    Broadcast,
    Output,
    Proposal,
    Signer,
    VoteMsg,
    block_id,
)
from consensus.tendermint.signer import PVSigner
from consensus.tendermint.state import RoundStateMachine
from consensus.types import ZERO_BLOCK_ID, Block, Vote, VoteType
from consensus.validators import ValidatorSet, address_of
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    is_valid_block,
    make_block,
    signed_proposal,
    signers,
)

SECRET = hashlib.sha256(b"pv signer test 2").digest()  # not the first proposer among OTHERS
X = make_block(1, b"", [b"x"])
Y = make_block(1, b"", [b"y"])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    privval.write_key_file(tmp_path / "priv_validator_key.json", SECRET)
    return tmp_path


def open_signer(home: Path) -> PVSigner:
    """A signer over the key and last-sign state on disk, as a (re)started node opens it."""
    return PVSigner(FilePV(home / "priv_validator_key.json", home / "priv_validator_state.json"))


def vote(
    signer: PVSigner, vote_type: VoteType, block: Block | None, round_: int = 0, height: int = 1
) -> Vote:
    value, time_ns = (ZERO_BLOCK_ID, 0) if block is None else (block_id(block), block.header.time_ns)
    return Vote(vote_type, height, round_, value, time_ns, signer.address, 0, b"")


def proposal(signer: PVSigner, block: Block, round_: int = 0) -> Proposal:
    return Proposal(1, round_, NO_ROUND, block_id(block), block.header.time_ns, signer.address, b"")


def test_is_a_signer(home: Path) -> None:
    signer: Signer = open_signer(home)
    assert signer.address == address_of(privval.public_key(SECRET))


def test_signed_vote_verifies(home: Path) -> None:
    signer = open_signer(home)
    unsigned = vote(signer, VoteType.PREVOTE, X)
    signed = signer.sign_vote(CHAIN_ID, unsigned)
    assert signed.signature
    assert signed == msgspec.structs.replace(unsigned, signature=signed.signature)
    assert privval.verify(signer.pub_key, unsigned.sign_bytes(CHAIN_ID), signed.signature)
    assert not privval.verify(signer.pub_key, unsigned.sign_bytes("other-chain"), signed.signature)


def test_signed_proposal_verifies(home: Path) -> None:
    signer = open_signer(home)
    unsigned = proposal(signer, X)
    signed = signer.sign_proposal(CHAIN_ID, unsigned)
    assert privval.verify(signer.pub_key, unsigned.sign_bytes(CHAIN_ID), signed.signature)


def test_steps_of_one_round_in_order(home: Path) -> None:
    signer = open_signer(home)
    pv = signer._pv
    signer.sign_proposal(CHAIN_ID, proposal(signer, X))
    assert (pv.last.height, pv.last.round, pv.last.step) == (1, 0, STEP_PROPOSE)
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, X))
    assert pv.last.step == STEP_PREVOTE
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PRECOMMIT, X))
    assert pv.last.step == STEP_PRECOMMIT
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, None, round_=1))
    assert (pv.last.round, pv.last.step) == (1, STEP_PREVOTE)


def test_resigning_an_identical_vote_returns_the_same_signature(home: Path) -> None:
    signer = open_signer(home)
    first = signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PRECOMMIT, X))
    assert signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PRECOMMIT, X)) == first


def test_a_vote_signed_again_at_another_time_keeps_its_first_time(home: Path) -> None:
    """A restarted node rebuilds its vote at a later clock: it gets the vote it signed
    before, time and signature (CometBFT's FilePV: votes that differ only by timestamp)."""
    before = open_signer(home)
    first = before.sign_vote(
        CHAIN_ID, msgspec.structs.replace(vote(before, VoteType.PRECOMMIT, X), timestamp_ns=5)
    )
    after = open_signer(home)
    later = msgspec.structs.replace(vote(after, VoteType.PRECOMMIT, X), timestamp_ns=9)
    assert after.sign_vote(CHAIN_ID, later) == first


def test_invalid_other_vote_at_another_time(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_vote(CHAIN_ID, msgspec.structs.replace(vote(signer, VoteType.PREVOTE, X), timestamp_ns=5))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(CHAIN_ID, msgspec.structs.replace(vote(signer, VoteType.PREVOTE, Y), timestamp_ns=9))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(
            "other-chain", msgspec.structs.replace(vote(signer, VoteType.PREVOTE, X), timestamp_ns=9)
        )


def test_invalid_conflicting_prevote(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, X))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, Y))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, None))


def test_invalid_conflicting_proposal(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_proposal(CHAIN_ID, proposal(signer, X))
    with pytest.raises(DoubleSignError):
        signer.sign_proposal(CHAIN_ID, proposal(signer, Y))


def test_invalid_proposal_after_prevote(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, X))
    with pytest.raises(DoubleSignError):
        signer.sign_proposal(CHAIN_ID, proposal(signer, X))


def test_invalid_prevote_after_precommit(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PRECOMMIT, X))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, X))


def test_invalid_earlier_round(home: Path) -> None:
    signer = open_signer(home)
    signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PREVOTE, None, round_=2))
    with pytest.raises(DoubleSignError):
        signer.sign_vote(CHAIN_ID, vote(signer, VoteType.PRECOMMIT, X, round_=1))


def test_invalid_unknown_vote_type(home: Path) -> None:
    signer = open_signer(home)
    with pytest.raises(ValueError, match="type 32"):
        signer.sign_vote(CHAIN_ID, Vote(32, 1, 0, ZERO_BLOCK_ID, 0, signer.address, 0, b""))


def test_restart_mid_round_cannot_double_sign(home: Path) -> None:
    before = open_signer(home)
    prevote = before.sign_vote(CHAIN_ID, vote(before, VoteType.PREVOTE, X))
    after = open_signer(home)  # the process died; the last-sign state is on disk
    with pytest.raises(DoubleSignError):
        after.sign_vote(CHAIN_ID, vote(after, VoteType.PREVOTE, Y))
    assert after.sign_vote(CHAIN_ID, vote(after, VoteType.PREVOTE, X)) == prevote
    assert after.sign_vote(CHAIN_ID, vote(after, VoteType.PRECOMMIT, X)).signature


# ---- with the round state machine -------------------------------------------------------------

OTHERS = signers(3, seed=7)


def validators(signer: PVSigner) -> ValidatorSet:
    keys = [(signer.pub_key, 10), *((key.pub_key, 10) for key in OTHERS)]
    return ValidatorSet.from_keys(keys)


def started_machine(home: Path, now_ns: int = 10**18) -> RoundStateMachine:
    """A node of four at height 1, round 0, its clock at ``now_ns``; not the proposer."""
    signer = open_signer(home)
    machine = RoundStateMachine(
        CHAIN_ID, signer, lambda h, r: X, is_valid_block, privval.verify, now=lambda: now_ns
    )
    machine.start(1, validators(signer))
    return machine


def prevotes(outputs: list[Output]) -> list[Vote]:
    return [
        o.message.vote
        for o in outputs
        if isinstance(o, Broadcast)
        and isinstance(o.message, VoteMsg)
        and o.message.vote.type == VoteType.PREVOTE
    ]


def test_restarted_machine_cannot_prevote_another_block(home: Path) -> None:
    """An equivocating proposer shows the restarted node another block: the guard keeps it honest."""
    machine = started_machine(home)
    proposer = next(key for key in OTHERS if key.address == machine.proposer(0))
    [sent] = prevotes(machine.handle(signed_proposal(proposer, 1, 0, X)))
    assert sent.block_id == block_id(X)

    restarted = started_machine(home, now_ns=10**18 + 10**9)
    assert prevotes(restarted.handle(signed_proposal(proposer, 1, 0, Y))) == []

    again = started_machine(home, now_ns=10**18 + 2 * 10**9)
    assert prevotes(again.handle(signed_proposal(proposer, 1, 0, X))) == [sent]  # the same vote, re-sent
