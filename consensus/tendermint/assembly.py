"""Proposals whose blocks arrive in parts.

Every part travels with the signed proposal that names its block
(``wire.ProposalPart``), so a part is checked on arrival, in any order: the
proposal first (``RoundStateMachine.admit_proposal``: round window, proposer,
signature), then the part against the proposal's part set header (index, size,
Merkle proof). The first part of an admitted proposal opens a ``PartSetBuilder``,
whose memory the chain's ``block.max_bytes`` bounds; a height holds at most
``MAX_BUILDERS`` of them (a round has one proposal, two when its proposer
equivocates and someone votes for the second). When the last part arrives the
block is decoded and handed on, and the builder is dropped: the machine holds the
proposal from then on. Parts that make no block are the proposer's doing (each was
proved against the part set it signed), not their sender's: the proposal is
remembered as bad and its further parts refused.
"""

from __future__ import annotations

from consensus.codec import CodecError, decode
from consensus.parts import BadPart, Part, PartSetBuilder
from consensus.tendermint.messages import Proposal, ProposalMsg
from consensus.tendermint.wire import part_digest
from consensus.types import Block, BlockID

MAX_BUILDERS = 8  # per height: far above the rounds a height takes; each is bounded by block.max_bytes


class BadBlock(Exception):
    """Parts that verify against the signed header but do not make a block."""


class ProposalAssembly:
    def __init__(self) -> None:
        self._height = 0
        self._builders: dict[tuple[int, BlockID], tuple[Proposal, PartSetBuilder]] = {}
        self._bad: set[tuple[int, BlockID]] = set()  # at most MAX_BUILDERS: each had a builder

    def start(self, height: int) -> None:
        """Forget the parts of other heights."""
        if height != self._height:
            self._height, self._builders, self._bad = height, {}, set()

    def is_bad(self, proposal: Proposal) -> bool:
        """Whether ``proposal``'s parts were found to make no block, or not the one named."""
        return (proposal.round, proposal.block_id) in self._bad

    def refuse(self, proposal: Proposal) -> None:
        """``proposal``'s whole block is not the one it names: take no more of its parts."""
        self._bad.add((proposal.round, proposal.block_id))

    def holds(self, proposal: Proposal, index: int) -> bool:
        found = self._builders.get((proposal.round, proposal.block_id))
        return found is not None and found[1].has(index)

    def has_room(self, proposal: Proposal) -> bool:
        """Whether a part of ``proposal`` can be taken: its builder is open, or one more can be."""
        key = (proposal.round, proposal.block_id)
        return key in self._builders or len(self._builders) + len(self._bad) < MAX_BUILDERS

    def add(self, proposal: Proposal, part: Part, max_bytes: int) -> ProposalMsg | None:
        """Hold a part of an admitted ``proposal``; the whole proposal once its last part is
        in. Raises ``BadPart`` for a part that is not the one it claims to be and
        ``BadBlock`` for parts that make no block."""
        key = (proposal.round, proposal.block_id)
        found = self._builders.get(key)
        header = proposal.block_id.part_set_header
        builder = found[1] if found is not None else PartSetBuilder(header, max_bytes)
        builder.add(part)
        self._builders[key] = (proposal, builder)
        if not builder.complete:
            return None
        del self._builders[key]
        data = builder.data()
        try:
            block: Block = decode(data, Block, len(data))
        except CodecError as exc:
            self.refuse(proposal)
            raise BadBlock(f"the parts of round {proposal.round}'s proposal make no block: {exc}") from None
        return ProposalMsg(proposal, block)

    def held_digests(self) -> list[bytes]:
        """``wire.part_digest`` of every part held, for a sync request's ``have``."""
        return [
            part_digest(proposal, index)
            for proposal, builder in self._builders.values()
            for index in range(builder.header.total)
            if builder.has(index)
        ]


def check_part(proposal: Proposal, part: Part, max_bytes: int) -> str | None:
    """What is wrong with ``part`` as a part of ``proposal``'s block, if anything."""
    try:
        PartSetBuilder(proposal.block_id.part_set_header, max_bytes).check(part)
    except BadPart as exc:
        return str(exc)
    return None
