"""The governance module's genesis section and params (vm/gov, docs/governance.md): plain
data shapes, as genesis/schema.py's.

The params are Cosmos SDK v0.50's x/gov v1 ``Params`` with the periods in blocks (a
devnet's scale, as staking's unbonding period) and one per-block budget of depind's.
Fractions are Cosmos decimal strings ("0.334000000000000000")."""

from __future__ import annotations

import msgspec

from genesis.schema import DEFAULT_DENOM, CoinJSON, Doc, Positive, Uint64


def _coins(amount: int) -> list[CoinJSON]:
    return [CoinJSON(denom=DEFAULT_DENOM, amount=amount)]


class GovParams(Doc):
    min_deposit: list[CoinJSON] = msgspec.field(default_factory=lambda: _coins(10_000_000))
    max_deposit_blocks: Positive = 200  # Cosmos's max_deposit_period
    voting_blocks: Positive = 200  # Cosmos's voting_period
    quorum: str = "0.334000000000000000"
    threshold: str = "0.500000000000000000"
    veto_threshold: str = "0.334000000000000000"
    min_initial_deposit_ratio: str = "0.000000000000000000"
    proposal_cancel_ratio: str = "0.500000000000000000"
    proposal_cancel_dest: str = ""  # an address, or "" to burn the cancelled part
    expedited_voting_blocks: Positive = 100  # Cosmos's expedited_voting_period
    expedited_threshold: str = "0.667000000000000000"
    expedited_min_deposit: list[CoinJSON] = msgspec.field(default_factory=lambda: _coins(50_000_000))
    burn_vote_quorum: bool = False
    burn_proposal_deposit_prevote: bool = False
    burn_vote_veto: bool = True
    min_deposit_ratio: str = "0.010000000000000000"
    # Proposals whose deposit or voting period ends that one block processes; more wait a block.
    max_proposals_ended_per_block: Positive = 16
    # Votes one block counts (or deletes, once counted); a larger tally goes on the next block.
    max_votes_tallied_per_block: Positive = 10_000


class ProposalMessageJSON(Doc):
    """A message a proposal carries, as the ``Any`` it was submitted in (value in base64)."""

    type_url: str
    value: bytes


class TallyJSON(Doc):
    yes: Uint64 = 0
    abstain: Uint64 = 0
    no: Uint64 = 0
    no_with_veto: Uint64 = 0


class ProposalJSON(Doc):
    id: Positive
    status: str  # PROPOSAL_STATUS_DEPOSIT_PERIOD, _VOTING_PERIOD, _PASSED, _REJECTED, _FAILED
    submit_height: Uint64
    submit_time_ns: Uint64
    deposit_end_height: Uint64
    proposer: str
    messages: list[ProposalMessageJSON] = msgspec.field(default_factory=list)
    final_tally_result: TallyJSON | None = None
    total_deposit: list[CoinJSON] = msgspec.field(default_factory=list)
    voting_start_height: Uint64 = 0
    voting_start_time_ns: Uint64 = 0
    voting_end_height: Uint64 = 0
    voting_end_time_ns: Uint64 = 0
    metadata: str = ""
    title: str = ""
    summary: str = ""
    expedited: bool = False
    failed_reason: str = ""


class DepositJSON(Doc):
    proposal_id: Positive
    depositor: str
    amount: list[CoinJSON]


class WeightedOptionJSON(Doc):
    option: str  # VOTE_OPTION_YES, _ABSTAIN, _NO, _NO_WITH_VETO
    weight: str  # a Cosmos decimal


class VoteJSON(Doc):
    proposal_id: Positive
    voter: str
    options: list[WeightedOptionJSON]
    metadata: str = ""


class GovGenesis(Doc):
    starting_proposal_id: Positive = 1
    params: GovParams = msgspec.field(default_factory=GovParams)
    proposals: list[ProposalJSON] = msgspec.field(default_factory=list)
    deposits: list[DepositJSON] = msgspec.field(default_factory=list)
    votes: list[VoteJSON] = msgspec.field(default_factory=list)
    constitution: str = ""
