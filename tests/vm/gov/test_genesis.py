"""gov genesis: the default validates; export then init round-trips a state with proposals
in every status, deposits and votes (and the chain goes on from it); and each rule of
``validate_genesis`` refuses what breaks it."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.gov import (
    DepositJSON,
    GovGenesis,
    ProposalJSON,
    TallyJSON,
    VoteJSON,
    WeightedOptionJSON,
)
from genesis.schema import Balance, CoinJSON, ConsensusParams, GenesisDoc
from tests.vm.gov.helpers import (
    GOV,
    NO,
    PARAMS,
    VETO,
    YES,
    GovChain,
    coins_json,
    deposit,
    disable_sends,
    everyone_votes,
    gov_genesis,
    gov_send,
    params,
    submit,
    vote,
    weighted,
)
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    committed_values,
    new_app,
    section,
    with_app_state,
)
from vm.app import App, validate_genesis
from vm.errors import InvalidTx
from vm.gov.genesis import validate_genesis as validate_section
from vm.gov.types import ProposalStatus
from vm.store.kv import prefix_end


def exported(chain: GovChain) -> GenesisDoc:
    """The chain's state now as a genesis to start the next height from."""
    consensus, sections = chain.registry.export_genesis(chain.store)
    return msgspec.structs.replace(
        gov_genesis(),
        consensus_params=msgspec.convert(consensus, ConsensusParams),
        app_state=sections,
        initial_height=chain.height,
    )


def gov_section(doc: GenesisDoc) -> GovGenesis:
    return msgspec.convert(doc.app_state["gov"], GovGenesis)


def every_status() -> GovChain:
    """Proposals 1 (passed), 2 (rejected), 3 (failed), 4 (voting, with votes and a second
    depositor) and 5 (deposit period, two depositors)."""
    chain = GovChain()
    chain.voting(disable_sends())
    chain.voting()
    chain.voting(gov_send(1))
    everyone_votes(chain, 1, YES, YES, NO)
    everyone_votes(chain, 2, NO, NO, YES)
    everyone_votes(chain, 3, YES, YES, YES)
    chain.end_voting(1)
    chain.voting()
    chain.run(deposit(4, DAVE, 300))
    chain.run(weighted(4, ALICE, (YES, "0.6"), (NO, "0.4")))
    chain.run(vote(4, BOB, VETO, metadata="too soon"))
    chain.run(submit(deposit=400, proposer=BOB, metadata="ipfs://five"))
    chain.run(deposit(5, DAVE, 100))
    return chain


def test_default_genesis_is_valid() -> None:
    validate_section(GovGenesis())
    validate_genesis(with_app_state(gov_genesis(), gov=GovGenesis()))


def test_export_then_init_round_trips() -> None:
    chain = every_status()
    assert [chain.status(i) for i in range(1, 6)] == [
        ProposalStatus.PASSED,
        ProposalStatus.REJECTED,
        ProposalStatus.FAILED,
        ProposalStatus.VOTING_PERIOD,
        ProposalStatus.DEPOSIT_PERIOD,
    ]
    doc = exported(chain)
    state = gov_section(doc)
    assert state.starting_proposal_id == 6 and state.params == PARAMS
    deposits = {(d.proposal_id, d.depositor): d.amount[0].amount for d in state.deposits}
    assert deposits == {
        (4, ALICE.address): 1_000,
        (4, DAVE.address): 300,
        (5, BOB.address): 400,
        (5, DAVE.address): 100,
    }
    assert len(state.deposits) == 4
    assert {(v.proposal_id, v.voter) for v in state.votes} == {(4, ALICE.address), (4, BOB.address)}
    assert [v.metadata for v in state.votes if v.voter == BOB.address] == ["too soon"]
    assert state.proposals[2].failed_reason != ""
    first = new_app(doc)
    again = exported_app(first, doc)
    assert again == doc.app_state
    second = new_app(msgspec.structs.replace(doc, app_state=again))
    assert second.info() == first.info()  # the same app hash
    assert committed_values(second) == committed_values(first)
    # init rebuilt gov's store as it was: records, status index, queues and their counts
    written = {k: v for k, v in committed_values(first).items() if k.startswith(b"gov/")}
    assert written == dict(chain.store.iterate(b"gov/", prefix_end(b"gov/")))


def exported_app(app: App, doc: GenesisDoc) -> dict[str, Any]:
    state: dict[str, Any] = app.export_genesis(doc).app_state
    return state


def test_the_chain_goes_on_from_an_exported_genesis() -> None:
    old = every_status()
    doc = exported(old)
    chain = GovChain(doc, validators=())
    chain.height, chain.time_ns = old.height, old.time_ns
    assert chain.broken() == []
    chain.run(vote(4, CAROL, YES))  # alice's 0.6 yes and carol's yes: 16 of 30, bob vetoes 10
    chain.end_voting(4)
    found = chain.proposal(4)
    assert found is not None and found.status == ProposalStatus.PASSED
    assert chain.balance(DAVE) == old.balance(DAVE) + 300  # refunded
    chain.blocks(10)
    assert chain.proposal(5) is None  # its deposit period ended short
    assert chain.gov_balance() == 0 and chain.broken() == []


# -- invalid sections --------------------------------------------------------------------------


def proposal(proposal_id: int, status: str, total: int = 0, **fields: Any) -> ProposalJSON:
    values: dict[str, Any] = {
        "id": proposal_id,
        "status": f"PROPOSAL_STATUS_{status}",
        "submit_height": 1,
        "submit_time_ns": 1,
        "deposit_end_height": 6,
        "proposer": ALICE.address,
        "total_deposit": coins_json(total) if total else [],
        "title": "t",
        "summary": "s",
    }
    if status == "VOTING_PERIOD":
        values.update(voting_start_height=2, voting_start_time_ns=2, voting_end_height=6)
    if status in ("PASSED", "REJECTED", "FAILED"):
        values.update(final_tally_result=TallyJSON(yes=1), voting_end_time_ns=3)
    values.update(fields)
    return ProposalJSON(**values)


def yes(proposal_id: int, voter: Any) -> VoteJSON:
    return VoteJSON(
        proposal_id=proposal_id,
        voter=voter.address,
        options=[WeightedOptionJSON(option="VOTE_OPTION_YES", weight="1")],
    )


def paid(proposal_id: int, depositor: Any, amount: int) -> DepositJSON:
    return DepositJSON(proposal_id=proposal_id, depositor=depositor.address, amount=coins_json(amount))


VALID = GovGenesis(
    starting_proposal_id=4,
    params=PARAMS,
    proposals=[
        proposal(1, "DEPOSIT_PERIOD", 400),
        proposal(2, "VOTING_PERIOD", 1_000),
        proposal(3, "PASSED", 1_000),
    ],
    deposits=[paid(1, ALICE, 400), paid(2, ALICE, 600), paid(2, BOB, 400)],
    votes=[yes(2, BOB), yes(2, CAROL)],
)


def changed(**fields: Any) -> GovGenesis:
    return msgspec.structs.replace(VALID, **fields)


def test_a_section_with_records_is_valid() -> None:
    validate_section(VALID)
    doc = with_app_state(gov_genesis(), gov=VALID)
    bank = section(doc, "bank")
    held = Balance(address=GOV, coins=[CoinJSON(denom=DENOM, amount=1_400)])
    bank = msgspec.structs.replace(bank, balances=[*bank.balances, held])
    validate_genesis(with_app_state(doc, bank=bank))


def test_invalid_deposits_the_gov_account_does_not_hold() -> None:
    with pytest.raises(InvalidTx, match="gov account holds nothing"):
        validate_genesis(with_app_state(gov_genesis(), gov=VALID))


@pytest.mark.parametrize(
    ("section_", "problem"),
    [
        (changed(proposals=[*VALID.proposals, proposal(3, "REJECTED")]), "share an id"),
        (changed(starting_proposal_id=3), "starting_proposal_id"),
        (changed(deposits=[*VALID.deposits, paid(3, BOB, 5)]), "not active"),
        (changed(deposits=[*VALID.deposits, paid(9, BOB, 5)]), "not active"),
        (changed(deposits=VALID.deposits[:-1]), "total deposit differs"),
        (changed(deposits=[*VALID.deposits, paid(1, BOB, 5)]), "total deposit differs"),
        (
            changed(deposits=[paid(1, ALICE, 200), paid(1, ALICE, 200), *VALID.deposits[1:]]),
            "duplicate deposit",
        ),
        (changed(deposits=[*VALID.deposits, paid(1, BOB, 0)]), "positive"),
        (
            changed(deposits=[*VALID.deposits, DepositJSON(proposal_id=1, depositor="x", amount=[])]),
            "depositor",
        ),
        (changed(votes=[*VALID.votes, yes(1, DAVE)]), "not in its voting period"),
        (changed(votes=[*VALID.votes, yes(3, DAVE)]), "not in its voting period"),
        (changed(votes=[*VALID.votes, yes(2, BOB)]), "duplicate vote"),
        (
            changed(
                votes=[
                    VoteJSON(
                        proposal_id=2,
                        voter=DAVE.address,
                        options=[WeightedOptionJSON(option="YES", weight="1")],
                    )
                ]
            ),
            "unknown vote option",
        ),
        (
            changed(
                votes=[
                    VoteJSON(
                        proposal_id=2,
                        voter=DAVE.address,
                        options=[WeightedOptionJSON(option="VOTE_OPTION_YES", weight="0.5")],
                    )
                ]
            ),
            "sum to",
        ),
        (changed(proposals=[*VALID.proposals[:2], proposal(3, "ENDED")]), "unknown status"),
        (changed(proposals=[*VALID.proposals[:2], proposal(3, "PASSED", proposer="x")]), "proposer"),
        (changed(params=params(expedited_voting_blocks=4)), "expedited voting period"),
        (changed(params=params(quorum="1.1")), "quorum"),
        (changed(params=params(min_deposit=[])), "min_deposit"),
        (changed(params=params(proposal_cancel_dest="x")), "proposal_cancel_dest"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_invalid_genesis(section_: GovGenesis, problem: str) -> None:
    with pytest.raises(InvalidTx, match=problem) as caught:
        validate_section(section_)
    assert (caught.value.codespace, caught.value.code) == ("gov", 8)
