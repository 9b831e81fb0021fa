"""Vote bookkeeping: who voted for what in each (round, type) of a height, and the tallies
the paper's rules ask about ("2f + 1 ⟨PREVOTE, h, r, id(v)⟩", "f + 1 ⟨∗, h, r, ∗⟩").

With voting power, ``2f + 1`` reads "more than 2/3 of the total power" and
``f + 1`` "more than 1/3". A validator's first valid vote in a (round, type)
counts towards "any". The paper counts messages per value, so a validator that
equivocates counts towards each value it voted for: without that, honest nodes
that saw different halves of an equivocation could never agree that a value
has 2f + 1 (CometBFT reaches the same end with its peers' majority claims). To
bound what a Byzantine validator can make us store, a conflicting vote is kept
only for a block some validator named in its first vote. Two votes of one
validator for different blocks are equivocation and yield evidence (once per
validator and (round, type)); votes from non-validators, with a bad signature,
for another height or of a malformed shape are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from consensus.tendermint.messages import DuplicateVoteEvidence, Verify, duplicate_vote_evidence
from consensus.types import ZERO_BLOCK_ID, BlockID, Vote, VoteType
from consensus.validators import ValidatorSet

HASH_SIZE = 32


class InvalidVote(Exception):
    """A vote that must not be counted: the message says why."""


@dataclass(frozen=True)
class AddResult:
    """``added``: the vote was new and now counts. ``evidence``: it conflicts with a counted one."""

    added: bool
    evidence: DuplicateVoteEvidence | None = None


def is_two_thirds(power: int, total: int) -> bool:
    """More than 2/3 of the total power: the paper's 2f + 1."""
    return 3 * power > 2 * total


def is_one_third(power: int, total: int) -> bool:
    """More than 1/3 of the total power: the paper's f + 1."""
    return 3 * power > total


class VoteSet:
    """The votes of one (height, round, type)."""

    def __init__(
        self,
        chain_id: str,
        height: int,
        round_: int,
        vote_type: VoteType,
        validators: ValidatorSet,
        verify: Verify,
    ) -> None:
        self.chain_id = chain_id
        self.height = height
        self.round = round_
        self.vote_type = vote_type
        self.validators = validators
        self.total_power = validators.total_power()
        self._verify = verify
        self._first: dict[bytes, Vote] = {}
        self._conflicting: dict[tuple[bytes, BlockID], Vote] = {}
        self._first_choices: set[BlockID] = set()
        self._power_by_block: dict[BlockID, int] = {}
        self._power = 0
        self._majority: BlockID | None = None
        self._accused: set[bytes] = set()

    def add(self, vote: Vote) -> AddResult:
        """Count ``vote`` if it is valid and new; evidence if it contradicts an earlier one."""
        first = self._first.get(vote.validator_address)
        if first == vote or self._conflicting.get((vote.validator_address, vote.block_id)) == vote:
            return AddResult(added=False)
        power = self._check(vote)
        if first is None:
            self._first[vote.validator_address] = vote
            self._first_choices.add(vote.block_id)
            self._power += power
            self._tally(vote, power)
            return AddResult(added=True)
        if first.block_id == vote.block_id:
            return AddResult(added=False)  # the same choice, signed again (another timestamp)
        return AddResult(self._add_conflicting(vote, power), self._accuse(first, vote, power))

    def would_count(self, vote: Vote) -> bool:
        """``add`` would keep ``vote`` or find equivocation in it (a read: nothing changes).

        False for a vote already kept, for the same choice signed again, and for a
        conflicting vote that is neither kept nor news (its validator is already accused)."""
        first = self._first.get(vote.validator_address)
        if first is None:
            return True
        if first == vote or first.block_id == vote.block_id:
            return False
        if (vote.validator_address, vote.block_id) in self._conflicting:
            return False
        return vote.block_id in self._first_choices or vote.validator_address not in self._accused

    def get(self, address: bytes) -> Vote | None:
        """The validator's first vote here."""
        return self._first.get(address)

    def vote_for(self, address: bytes, block_id: BlockID) -> Vote | None:
        """The validator's vote for ``block_id``, first or conflicting."""
        first = self._first.get(address)
        if first is not None and first.block_id == block_id:
            return first
        return self._conflicting.get((address, block_id))

    def votes(self) -> list[Vote]:
        """Every vote kept: first votes in arrival order, then conflicting ones."""
        return [*self._first.values(), *self._conflicting.values()]

    def power(self) -> int:
        """Power of every validator that voted here, whatever for."""
        return self._power

    def power_of(self, address: bytes) -> int:
        """The voting power of validator ``address`` (0 for a non-validator)."""
        found = self.validators.get(address)
        return 0 if found is None else found[1].voting_power

    def power_for(self, block_id: BlockID) -> int:
        """Power of the validators that voted for ``block_id`` (nil: ``ZERO_BLOCK_ID``)."""
        return self._power_by_block.get(block_id, 0)

    def has_two_thirds_for(self, block_id: BlockID) -> bool:
        """2f + 1 votes for ``block_id``."""
        return is_two_thirds(self.power_for(block_id), self.total_power)

    def has_two_thirds_any(self) -> bool:
        """2f + 1 votes, for anything (the paper's ``∗``)."""
        return is_two_thirds(self._power, self.total_power)

    def two_thirds_majority(self) -> BlockID | None:
        """The first block id (possibly nil) to reach 2f + 1 votes; with less than 1/3 of
        the power Byzantine no other can."""
        return self._majority

    def _add_conflicting(self, vote: Vote, power: int) -> bool:
        if vote.block_id not in self._first_choices:
            return False
        self._conflicting[(vote.validator_address, vote.block_id)] = vote
        self._tally(vote, power)
        return True

    def _accuse(self, first: Vote, vote: Vote, power: int) -> DuplicateVoteEvidence | None:
        if vote.validator_address in self._accused:
            return None
        self._accused.add(vote.validator_address)
        return duplicate_vote_evidence(first, vote, power, self.total_power)

    def _tally(self, vote: Vote, power: int) -> None:
        tally = self._power_by_block.get(vote.block_id, 0) + power
        self._power_by_block[vote.block_id] = tally
        if self._majority is None and is_two_thirds(tally, self.total_power):
            self._majority = vote.block_id

    def _check(self, vote: Vote) -> int:
        """The voter's power if ``vote`` belongs in this set and is correctly signed."""
        where = (vote.height, vote.round, vote.type)
        if where != (self.height, self.round, self.vote_type):
            raise InvalidVote(f"vote for {where} in the set for {(self.height, self.round, self.vote_type)}")
        return check_vote(self.chain_id, self.validators, self._verify, vote)


def check_vote(chain_id: str, validators: ValidatorSet, verify: Verify, vote: Vote) -> int:
    """The voter's power if ``vote`` is signed by the member of ``validators`` at its index
    and names nil or a well-formed block id; raises ``InvalidVote`` otherwise."""
    found = validators.get(vote.validator_address)
    if found is None:
        raise InvalidVote(f"{vote.validator_address.hex()} is not a validator at height {vote.height}")
    index, validator = found
    if vote.validator_index != index:
        raise InvalidVote(f"validator index {vote.validator_index}, expected {index}")
    _check_block_id(vote.block_id)
    if not verify(validator.pub_key, vote.sign_bytes(chain_id), vote.signature):
        raise InvalidVote(f"bad signature from {vote.validator_address.hex()}")
    return validator.voting_power


def _check_block_id(block_id: BlockID) -> None:
    """Nil is exactly ``ZERO_BLOCK_ID``; a block id names a 32-byte hash and parts."""
    if block_id.is_zero():
        if block_id != ZERO_BLOCK_ID:
            raise InvalidVote("nil vote with a part set header")
        return
    parts = block_id.part_set_header
    if len(block_id.hash) != HASH_SIZE or len(parts.hash) != HASH_SIZE or parts.total < 1:
        raise InvalidVote("malformed block id")


class HeightVoteSet:
    """Every round's prevotes and precommits of one height."""

    def __init__(self, chain_id: str, height: int, validators: ValidatorSet, verify: Verify) -> None:
        self.chain_id = chain_id
        self.height = height
        self.validators = validators
        self._verify = verify
        self._sets: dict[tuple[int, VoteType], VoteSet] = {}
        self._round_voters: dict[int, set[bytes]] = {}
        self._round_power: dict[int, int] = {}
        self._voter_rounds: dict[bytes, set[int]] = {}

    def add(self, vote: Vote) -> AddResult:
        """Count ``vote`` in its (round, type); raises ``InvalidVote`` for one that must not count.

        A set is kept only once a valid vote lands in it, so refused votes for
        ever new rounds cost no memory."""
        if vote.height != self.height:
            raise InvalidVote(f"vote for height {vote.height} at height {self.height}")
        if vote.type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            raise InvalidVote(f"unknown vote type {vote.type}")
        key = (vote.round, VoteType(vote.type))
        vote_set = self._sets.get(key)
        if vote_set is None:
            vote_set = self._new_set(*key)
        result = vote_set.add(vote)
        self._sets[key] = vote_set
        voters = self._round_voters.setdefault(vote.round, set())
        if result.added and vote.validator_address not in voters:
            voters.add(vote.validator_address)
            self._voter_rounds.setdefault(vote.validator_address, set()).add(vote.round)
            self._round_power[vote.round] = self._round_power.get(vote.round, 0) + vote_set.power_of(
                vote.validator_address
            )
        return result

    def would_count(self, vote: Vote) -> bool:
        """``add`` would change something for ``vote`` (assumed valid); a read."""
        vote_set = self._sets.get((vote.round, VoteType(vote.type)))
        return vote_set is None or vote_set.would_count(vote)

    def rounds_of(self, address: bytes) -> set[int]:
        """The rounds in which validator ``address`` has a counted vote."""
        return self._voter_rounds.get(address, set())

    def get(self, round_: int, vote_type: VoteType) -> VoteSet:
        """The (round, type)'s votes; an empty set, not kept, if none came (reads change nothing)."""
        return self._sets.get((round_, vote_type)) or self._new_set(round_, vote_type)

    def _new_set(self, round_: int, vote_type: VoteType) -> VoteSet:
        return VoteSet(self.chain_id, self.height, round_, vote_type, self.validators, self._verify)

    def prevotes(self, round_: int) -> VoteSet:
        return self.get(round_, VoteType.PREVOTE)

    def precommits(self, round_: int) -> VoteSet:
        return self.get(round_, VoteType.PRECOMMIT)

    def has_one_third_any(self, round_: int) -> bool:
        """f + 1 of power has voted (prevote or precommit, anything) in ``round_``: paper line 55."""
        return is_one_third(self._round_power.get(round_, 0), self.validators.total_power())

    def has_vote_for(self, round_: int, block_id: BlockID) -> bool:
        """Some validator has prevoted or precommitted ``block_id`` in ``round_``."""
        return any(
            self._sets[key].power_for(block_id) > 0
            for key in ((round_, VoteType.PREVOTE), (round_, VoteType.PRECOMMIT))
            if key in self._sets
        )

    def votes(self) -> list[Vote]:
        """Every vote kept, by round, prevotes before precommits."""
        return [vote for key in sorted(self._sets) for vote in self._sets[key].votes()]
