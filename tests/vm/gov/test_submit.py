"""Submitting a proposal (Cosmos's ``SubmitProposal``): what is stored and taken, and each
rejection of the proposal's messages, text and initial deposit."""

from __future__ import annotations

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx

from genesis.gov import GovParams
from tests.vm.gov.helpers import (
    DEPOSIT_BLOCKS,
    EXPEDITED_MIN_DEPOSIT,
    GOV,
    MIN_DEPOSIT,
    GovChain,
    coins_json,
    disable_sends,
    gov_send,
    params,
    proposal_message,
    submit,
)
from tests.vm.helpers import ALICE, BOB, DENOM, FUNDS, events_of, raw
from vm.bank.msgs import MsgSend
from vm.errors import InvalidTx
from vm.gov.types import ProposalMessage, ProposalStatus
from vm.types import Coin


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


UNROUTABLE = ("gov", 10)
INVALID_PROPOSAL_MSG = ("gov", 12)
INVALID_SIGNER = ("gov", 13)
METADATA_TOO_LONG = ("gov", 15)
MIN_DEPOSIT_TOO_SMALL = ("gov", 16)
SUMMARY_TOO_LONG = ("gov", 22)
INVALID_DEPOSIT_DENOM = ("gov", 23)
TITLE_TOO_LONG = ("gov", 24)


def test_submit_stores_the_proposal_and_takes_the_deposit() -> None:
    chain = GovChain()
    height, time_ns = chain.height, chain.time_ns
    emitted = chain.run(submit([disable_sends()], deposit=400, metadata="ipfs://m"))
    found = chain.proposal(1)
    assert found is not None
    assert (found.status, found.submit_height, found.submit_time_ns) == (
        ProposalStatus.DEPOSIT_PERIOD,
        height,
        time_ns,
    )
    assert found.deposit_end_height == height + DEPOSIT_BLOCKS
    assert found.messages == [proposal_message(disable_sends())]
    assert (found.metadata, found.title, found.summary, found.proposer) == (
        "ipfs://m",
        "A title",
        "A summary",
        raw(ALICE),
    )
    assert found.total_deposit == [Coin(DENOM, 400)] and chain.deposit_of(1, ALICE) == [Coin(DENOM, 400)]
    assert chain.balance(ALICE) == FUNDS - 10_000_000 - 400 and chain.gov_balance() == 400
    assert events_of(emitted, "submit_proposal") == [
        {
            "proposal_id": "1",
            "proposal_proposer": ALICE.address,
            "proposal_messages": ",/cosmos.bank.v1beta1.MsgUpdateParams,",
        }
    ]
    assert events_of(emitted, "proposal_deposit") == [
        {"amount": f"400{DENOM}", "proposal_id": "1", "depositor": ALICE.address}
    ]
    assert chain.broken() == []


def test_ids_follow_each_other_and_a_proposal_needs_no_deposit_or_messages() -> None:
    chain = GovChain()
    assert chain.submit(submit(deposit=0)) == 1
    assert chain.submit(submit([disable_sends(), gov_send(1)])) == 2
    first = chain.proposal(1)
    assert first is not None and first.total_deposit == [] and first.messages == []
    assert chain.gov_balance() == MIN_DEPOSIT
    assert chain.broken() == []


def test_a_full_initial_deposit_starts_voting_at_once() -> None:
    chain = GovChain()
    emitted = chain.run(submit(deposit=MIN_DEPOSIT))
    assert chain.status(1) == ProposalStatus.VOTING_PERIOD
    # Cosmos's order: the submission, its deposit, then the start of voting
    assert [(e.type, e.attributes[0].key) for e in emitted[1:]] == [
        ("submit_proposal", "proposal_id"),
        ("proposal_deposit", "amount"),
        ("submit_proposal", "voting_period_start"),
    ]
    assert events_of(emitted, "submit_proposal")[1] == {"voting_period_start": "1"}


def test_invalid_unknown_message_in_a_proposal() -> None:
    chain = GovChain()
    unknown = ProposalMessage("/cosmos.nothing.v1.MsgNothing", b"")
    assert code(chain.fails(submit([disable_sends(), unknown]))) == UNROUTABLE
    assert chain.proposal(1) is None and chain.gov_balance() == 0


def test_invalid_signer_of_a_proposal_message() -> None:
    chain = GovChain()
    assert code(chain.fails(submit([disable_sends(authority=ALICE.address)]))) == INVALID_SIGNER
    assert (
        code(chain.fails(submit([MsgSend(BOB.address, ALICE.address, [Coin(DENOM, 1)])]))) == INVALID_SIGNER
    )


def test_invalid_proposal_message() -> None:
    chain = GovChain()
    # decodes, but fails its own checks
    assert code(chain.fails(submit([gov_send(0)]))) == INVALID_PROPOSAL_MSG
    # does not decode
    garbage = ProposalMessage("/" + bank_tx.MsgSend.DESCRIPTOR.full_name, b"\xff\xff")
    assert code(chain.fails(submit([garbage]))) == INVALID_PROPOSAL_MSG
    # a field MsgSend does not have
    extra = bank_tx.MsgSend(from_address=GOV, to_address=ALICE.address).SerializeToString() + b"\x20\x01"
    stray = ProposalMessage("/" + bank_tx.MsgSend.DESCRIPTOR.full_name, extra)
    assert code(chain.fails(submit([stray]))) == INVALID_PROPOSAL_MSG


def test_invalid_metadata_too_long() -> None:
    chain = GovChain()
    assert code(chain.fails(submit(metadata="m" * 256))) == METADATA_TOO_LONG
    assert code(chain.fails(submit(metadata="é" * 128))) == METADATA_TOO_LONG  # 256 bytes
    chain.run(submit(metadata="m" * 255))


def test_invalid_title_too_long() -> None:
    chain = GovChain()
    assert code(chain.fails(submit(title="t" * 256))) == TITLE_TOO_LONG
    chain.run(submit(title="t" * 255))


def test_invalid_summary_too_long() -> None:
    chain = GovChain()
    assert code(chain.fails(submit(summary="s" * 10_201))) == SUMMARY_TOO_LONG
    chain.run(submit(summary="s" * 10_200))


def test_invalid_initial_deposit_denom() -> None:
    chain = GovChain()
    assert code(chain.fails(submit(deposit_coins=[Coin("uatom", 1_000)]))) == INVALID_DEPOSIT_DENOM
    both = [Coin("uatom", 1_000), Coin(DENOM, 1_000)]
    assert code(chain.fails(submit(deposit_coins=both))) == INVALID_DEPOSIT_DENOM


def test_invalid_initial_deposit_below_min_deposit_ratio() -> None:
    chain = GovChain()  # min_deposit_ratio 0.01: a deposit of at least 10
    assert code(chain.fails(submit(deposit=9))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(submit(deposit=10))


def test_invalid_initial_deposit_below_min_initial_deposit_ratio() -> None:
    chain = GovChain(gov_params=params(min_initial_deposit_ratio="0.500000000000000000"))
    assert code(chain.fails(submit(deposit=499))) == MIN_DEPOSIT_TOO_SMALL
    assert code(chain.fails(submit(deposit=0))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(submit(deposit=500))
    # an expedited proposal's ratio is of the expedited minimum (5,000)
    assert code(chain.fails(submit(deposit=2_499, expedited=True))) == MIN_DEPOSIT_TOO_SMALL
    chain.run(submit(deposit=EXPEDITED_MIN_DEPOSIT // 2, expedited=True))


def test_the_initial_minimum_rounds_half_to_even() -> None:
    # Cosmos's validateInitialDeposit: RoundInt(min_deposit * ratio)
    half = "0.500000000000000000"
    odd = GovChain(gov_params=params(min_deposit=coins_json(1_003), min_initial_deposit_ratio=half))
    assert code(odd.fails(submit(deposit=501))) == MIN_DEPOSIT_TOO_SMALL  # 501.5 rounds to 502
    odd.run(submit(deposit=502))
    even = GovChain(gov_params=params(min_deposit=coins_json(1_001), min_initial_deposit_ratio=half))
    even.run(submit(deposit=500))  # 500.5 rounds to 500


def test_invalid_initial_deposit_beyond_the_proposers_funds() -> None:
    chain = GovChain()
    poor = submit(deposit=FUNDS)
    assert code(chain.fails(poor)) == ("sdk", 5)
    assert chain.proposal(1) is None


def test_rejected_submission_takes_no_id() -> None:
    chain = GovChain()
    chain.fails(submit(title="t" * 256))
    assert chain.submit(submit()) == 1


def test_defaults_are_cosmos_defaults() -> None:
    defaults = GovParams()
    assert (defaults.quorum, defaults.threshold, defaults.veto_threshold) == (
        "0.334000000000000000",
        "0.500000000000000000",
        "0.334000000000000000",
    )
    assert defaults.expedited_threshold == "0.667000000000000000" and defaults.burn_vote_veto
