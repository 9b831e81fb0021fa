"""A committed chain with proposals in each period, built from signed txs in real blocks,
for the query tests (vm/gov services and JSON paths, REST, JSON-RPC):

    height 1: alice and bob create validators (11 and 5 power once carol delegates 1 to
              alice); carol delegates
    height 2: proposal 1 (alice: bank's MsgUpdateParams, full deposit: voting until 5);
              proposal 2 (bob: no messages, deposit 400 of 1,000: deposit period until 12)
    height 3: alice votes yes on 1, bob no; carol deposits 100 on 2
    height 4: proposal 3 (carol: two messages, full deposit: voting until 7)
    height 5: alice votes 0.6 yes 0.4 no on 3, carol no; proposal 1 is tallied and passes

So at height 5 proposal 1 has PASSED (yes 11, no 5 power; its deposit refunded and its
votes deleted), 2 is in its deposit period and 3 in its voting period, where the tally now
counts alice's validator less carol's delegation (10 power: 6 yes, 4 no) and carol's own
no (1 power).
"""

from __future__ import annotations

from genesis.gov import GovGenesis, GovParams
from genesis.schema import BankParams, CoinJSON
from node.keys.hd import PrivateKey
from tests.vm.gov.vectors import GOV, packed
from tests.vm.helpers import ALICE, BOB, CAROL, DENOM, apply_block, new_app, signed, with_app_state
from tests.vm.staking.helpers import POWER, create_validator, delegate, staking_genesis
from vm.app import App
from vm.bank.msgs import MsgUpdateParams as BankUpdateParams
from vm.gov.msgs import MsgDeposit, MsgSubmitProposal, MsgVote, MsgVoteWeighted, WeightedVoteOption
from vm.gov.tally import VoteOption
from vm.gov.types import ProposalMessage
from vm.modules import default_registry
from vm.msg import Msg
from vm.types import Coin

MIN_DEPOSIT = 1_000
PARAMS = GovParams(
    min_deposit=[CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)],
    expedited_min_deposit=[CoinJSON(denom=DENOM, amount=5 * MIN_DEPOSIT)],
    max_deposit_blocks=10,
    voting_blocks=3,
    expedited_voting_blocks=2,
)
QUERY_HEIGHT = 5
KEEP_SENDING = packed(BankUpdateParams(GOV, BankParams(default_send_enabled=True)))
GAS = 400_000
FEE = 4_000


def text(title: str) -> dict[str, str]:
    return {"metadata": f"ipfs://{title}", "title": title, "summary": f"{title}, at length"}


def submit(proposer: str, messages: list[ProposalMessage], deposit: int, title: str) -> MsgSubmitProposal:
    return MsgSubmitProposal(messages, [Coin(DENOM, deposit)], proposer, **text(title), expedited=False)


def vote(voter: str, proposal_id: int, option: VoteOption) -> MsgVote:
    return MsgVote(proposal_id, voter, int(option), "")


def block(app: App, *txs: tuple[PrivateKey, list[Msg]]) -> None:
    """The next block with one tx per (signer, messages), each of which must succeed."""
    result = apply_block(app, [signed(app, signer, messages, gas=GAS, fee=FEE) for signer, messages in txs])
    for tx in result.tx_results:
        assert tx.code == 0, tx.log


def gov_app() -> App:
    doc = with_app_state(staking_genesis(), gov=GovGenesis(params=PARAMS, constitution="Be excellent."))
    app = new_app(doc, registry=default_registry())
    block(
        app,
        (ALICE, [create_validator(ALICE, 10 * POWER)]),
        (BOB, [create_validator(BOB, 5 * POWER)]),
        (CAROL, [delegate(CAROL, ALICE, POWER)]),
    )
    block(
        app,
        (ALICE, [submit(ALICE.address, [KEEP_SENDING], MIN_DEPOSIT, "Keep sending")]),
        (BOB, [submit(BOB.address, [], 400, "Plant trees")]),
    )
    block(
        app,
        (ALICE, [vote(ALICE.address, 1, VoteOption.YES)]),
        (BOB, [vote(BOB.address, 1, VoteOption.NO)]),
        (CAROL, [MsgDeposit(2, CAROL.address, [Coin(DENOM, 100)])]),
    )
    block(app, (CAROL, [submit(CAROL.address, [KEEP_SENDING, KEEP_SENDING], MIN_DEPOSIT, "Twice")]))
    split = [WeightedVoteOption(int(VoteOption.YES), "0.6"), WeightedVoteOption(int(VoteOption.NO), "0.4")]
    block(
        app,
        (ALICE, [MsgVoteWeighted(3, ALICE.address, split, "split")]),
        (CAROL, [vote(CAROL.address, 3, VoteOption.NO)]),
    )
    assert app.state.height() == QUERY_HEIGHT
    return app
