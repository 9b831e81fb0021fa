"""Governance on a running network of four validators (real ``depind start`` processes),
read over RPC as Cosmos clients read it (the ``cosmos.gov.v1.Query`` gRPC paths on
``abci_query``):

- a market parameter change passes and takes effect in the block that tallies it, and its
  deposit comes back;
- a vetoed proposal burns its deposit;
- a delegator's own vote overrides its validator's for its stake;
- cosmjs votes, unchanged (tests/cosmjs/gov.mjs), signing directly and with Amino JSON as Keplr does;
- a software upgrade plan stops all four nodes after the block before its height, and the
  next release (tests/e2e/upgraded.py) migrates once and goes on. It stops the network,
  so it comes last.

The tests share one network, whose genesis shortens gov's periods (a proposal takes about
ten seconds) and sets inflation to zero, so that the supply moves only when gov burns.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import msgspec
import pytest
from cosmpy.protos.cosmos.gov.v1 import gov_pb2
from cosmpy.protos.cosmos.gov.v1 import query_pb2 as gov_query
from cosmpy.protos.cosmos.upgrade.v1beta1 import query_pb2 as upgrade_query
from cosmpy.protos.cosmos.upgrade.v1beta1 import upgrade_pb2
from google.protobuf.message import Message
from mnemonic import Mnemonic

from genesis import doc as genesis_docs
from genesis.gov import GovGenesis
from genesis.market import MarketGenesis
from genesis.schema import CoinJSON, GenesisDoc, MinterJSON, MintGenesis, get_section, set_section
from node.keys.hd import PrivateKey
from node.upgrade import EXIT_UPGRADE_NEEDED, INFO_FILE
from protos.depind.market.v1 import query_pb2 as market_query
from tests.e2e.conftest import report_node_logs
from tests.e2e.harness import (
    COSMJS_DIR,
    DENOM,
    DepindProcess,
    NodeFailure,
    Wallet,
    b64,
    e2e_key,
    eventually,
    tx_hash,
)
from tests.e2e.network import Network, check_same_chain
from tests.e2e.upgraded import upgraded_command
from vm.codec import codec_for, pack
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.gov.msgs import MsgSubmitProposal, MsgVote
from vm.gov.tally import VoteOption
from vm.gov.types import ProposalMessage
from vm.market.msgs import MsgUpdateParams as MsgUpdateMarketParams
from vm.modules import AUTHORITY
from vm.msg import Msg
from vm.staking.msgs import MsgDelegate
from vm.types import Coin, format_address
from vm.upgrade.msgs import MsgSoftwareUpgrade, ProposedPlan

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
MIN_DEPOSIT = 1_000_000
MAX_DEPOSIT_BLOCKS = 10
VOTING_BLOCKS = 20  # ~9 s at the ~2 blocks a second four local nodes make
EXPEDITED_VOTING_BLOCKS = 10
GAS = 400_000
FEE = 4_000  # the minimum for GAS at the default gas price
ZERO = "0.000000000000000000"
PROPOSAL_TIMEOUT_S = 120.0
CLIENT_TIMEOUT_S = 120.0
UPGRADE = "v2"
UPGRADE_INFO = '{"binaries":{"linux/amd64":"https://example.org/depind-v2"}}'
# The plan's height past the voting end of a proposal submitted at once: room for the
# submission to land, and for the plan to be read before the nodes stop.
UPGRADE_MARGIN = 12
EXIT_TIMEOUT_S = 120.0
GOV = format_address(AUTHORITY)
GOV_QUERY = "/cosmos.gov.v1.Query/"
UPGRADE_QUERY = "/cosmos.upgrade.v1beta1.Query/"
MARKET_PARAMS = "/depind.market.v1.Query/Params"
COSMJS_MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-cosmjs-gov").digest())
COSMJS_AMINO_MNEMONIC = Mnemonic("english").to_mnemonic(hashlib.sha256(b"e2e-cosmjs-gov-amino").digest())
ENDED = (gov_pb2.PROPOSAL_STATUS_PASSED, gov_pb2.PROPOSAL_STATUS_REJECTED, gov_pb2.PROPOSAL_STATUS_FAILED)
M = TypeVar("M", bound=Message)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Network]:
    """Four validators on a genesis with short gov periods and no inflation, shared by the
    module's tests; stopped when they are done, each log checked as ``network_factory`` does."""
    failed_before = request.session.testsfailed
    created = Network(tmp_path_factory.mktemp("gov"), VALIDATORS)
    try:
        created.edit_genesis(short_governance)
        created.start_all()
        yield created
    finally:
        created.close()
    report_node_logs(created.nodes, failed=request.session.testsfailed > failed_before)


def short_governance(genesis: GenesisDoc) -> None:
    gov = get_section(genesis, "gov", GovGenesis)
    params = msgspec.structs.replace(
        gov.params,
        min_deposit=[CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)],
        expedited_min_deposit=[CoinJSON(denom=DENOM, amount=2 * MIN_DEPOSIT)],
        max_deposit_blocks=MAX_DEPOSIT_BLOCKS,
        voting_blocks=VOTING_BLOCKS,
        expedited_voting_blocks=EXPEDITED_VOTING_BLOCKS,
    )
    set_section(genesis, "gov", msgspec.structs.replace(gov, params=params))
    mint = get_section(genesis, "mint", MintGenesis)
    no_inflation = msgspec.structs.replace(
        mint.params, inflation_rate_change=ZERO, inflation_max=ZERO, inflation_min=ZERO
    )
    set_section(
        genesis,
        "mint",
        MintGenesis(minter=MinterJSON(inflation=ZERO, annual_provisions=ZERO), params=no_inflation),
    )


# -- the checks --------------------------------------------------------------------------------


def test_a_parameter_change_takes_effect_in_the_block_that_tallies_it(network: Network) -> None:
    node0 = network.nodes[0]
    voters = wallets(network)
    proposer = voters[0]
    market = get_section(shared_genesis(network), "market", MarketGenesis).params
    old_rate, new_rate = market.take_rate_bps, market.take_rate_bps + 250
    assert take_rate(node0)[1] == old_rate
    update = MsgUpdateMarketParams(GOV, msgspec.structs.replace(market, take_rate_bps=new_rate))
    balance = node0.balance(proposer.address)

    proposal_id, submitted = submit(network, proposer, [update], title="Raise the take rate")
    cast(network, proposal_id, [(wallet, VoteOption.YES) for wallet in voters])
    seen = watch_take_rate(node0, proposal_id)

    ended = proposal_record(node0, proposal_id)
    end = int(ended["voting_end_height"])
    assert end == submitted + VOTING_BLOCKS  # the deposit met the minimum at submission
    assert tally_event(node0, end, proposal_id) == "proposal_passed"
    assert {rate for height, rate in seen if height < end} == {old_rate}
    assert {rate for height, rate in seen if height >= end} == {new_rate}
    assert take_rate(node0)[1] == new_rate
    proposal = read_proposal(node0, proposal_id)
    assert proposal.status == gov_pb2.PROPOSAL_STATUS_PASSED
    assert tally_counts(proposal) == (bonded_tokens(node0), 0, 0, 0)
    assert node0.balance(proposer.address) == balance - 2 * FEE  # the deposit back, less two fees
    assert not deposits(node0, proposal_id)


def test_a_vetoed_proposal_burns_its_deposit(network: Network) -> None:
    node0 = network.nodes[0]
    voters = wallets(network)
    proposer = voters[1]
    supply, balance = node0.supply(), node0.balance(proposer.address)

    proposal_id, _ = submit(network, proposer, [], title="Vetoed")
    vetoes = [(wallet, VoteOption.NO_WITH_VETO) for wallet in voters[:3]]
    cast(network, proposal_id, [*vetoes, (voters[3], VoteOption.YES)])
    proposal = wait_ended(node0, proposal_id)

    assert proposal.status == gov_pb2.PROPOSAL_STATUS_REJECTED
    tokens = [validator_tokens(node0, node.account_key) for node in network.nodes]
    assert tally_counts(proposal) == (tokens[3], 0, 0, sum(tokens[:3]))
    assert node0.supply() == supply - MIN_DEPOSIT
    assert node0.balance(proposer.address) == balance - MIN_DEPOSIT - 2 * FEE
    assert not deposits(node0, proposal_id)


def test_a_delegators_vote_overrides_its_validators(network: Network) -> None:
    node0 = network.nodes[0]
    voters = wallets(network)
    funder = voters[3]
    delegator_key = e2e_key(16)
    validator_a = valoper(network.nodes[0].account_key)
    commit(network, funder, [funder.send_msg(delegator_key.address, 10 * MIN_DEPOSIT)])
    delegator = Wallet(node0, delegator_key)
    commit(network, delegator, [MsgDelegate(delegator.address, validator_a, Coin(DENOM, 3 * MIN_DEPOSIT))])

    proposal_id, _ = submit(network, voters[2], [], title="A delegator disagrees")
    cast(
        network,
        proposal_id,
        [(voters[0], VoteOption.YES), (delegator, VoteOption.NO), (voters[1], VoteOption.YES)],
    )
    proposal = wait_ended(node0, proposal_id)

    delegated = delegation_tokens(node0, delegator.address, validator_a)
    assert delegated == 3 * MIN_DEPOSIT
    a_tokens = validator_tokens(node0, network.nodes[0].account_key)
    b_tokens = validator_tokens(node0, network.nodes[1].account_key)
    assert tally_counts(proposal) == (a_tokens - delegated + b_tokens, 0, delegated, 0)
    assert proposal.status == gov_pb2.PROPOSAL_STATUS_PASSED


def test_cosmjs_votes(network: Network, cosmjs: str) -> None:
    node0 = network.nodes[0]
    voter = PrivateKey.from_mnemonic(COSMJS_MNEMONIC).address
    funder = wallets(network)[3]
    commit(network, funder, [funder.send_msg(voter, 10 * MIN_DEPOSIT)])
    proposal_id, _ = submit(network, funder, [], title="cosmjs votes")

    sent, vote = cosmjs_vote(cosmjs, node0, proposal_id, COSMJS_MNEMONIC, VoteOption.YES, "direct")
    assert (sent["address"], sent["code"]) == (voter, 0), sent
    assert sent["msgResponses"] == ["/cosmos.gov.v1.MsgVoteResponse"]
    assert (vote.proposal_id, vote.voter, vote.metadata) == (proposal_id, voter, "cosmjs")
    assert [(o.option, o.weight) for o in vote.options] == [(gov_pb2.VOTE_OPTION_YES, "1.000000000000000000")]


def test_cosmjs_votes_as_keplr_signs_with_amino_json(network: Network, cosmjs: str) -> None:
    node0 = network.nodes[0]
    voter = PrivateKey.from_mnemonic(COSMJS_AMINO_MNEMONIC).address
    funder = wallets(network)[3]
    commit(network, funder, [funder.send_msg(voter, 10 * MIN_DEPOSIT)])
    proposal_id, _ = submit(network, funder, [], title="cosmjs votes with Amino JSON")

    sent, vote = cosmjs_vote(
        cosmjs, node0, proposal_id, COSMJS_AMINO_MNEMONIC, VoteOption.NO_WITH_VETO, "amino"
    )
    assert (sent["address"], sent["code"]) == (voter, 0), sent
    assert sent["msgResponses"] == ["/cosmos.gov.v1beta1.MsgVoteResponse"]
    assert (vote.proposal_id, vote.voter, vote.metadata) == (proposal_id, voter, "")
    assert [(o.option, o.weight) for o in vote.options] == [
        (gov_pb2.VOTE_OPTION_NO_WITH_VETO, "1.000000000000000000")
    ]


def test_an_upgrade_halts_every_node_at_its_height_and_the_next_release_goes_on(network: Network) -> None:
    node0 = network.nodes[0]
    voters = wallets(network)
    blocks_per_year = mint_blocks_per_year(node0)
    height = node0.height() + VOTING_BLOCKS + UPGRADE_MARGIN
    plan = ProposedPlan(name=UPGRADE, time=None, height=height, info=UPGRADE_INFO)

    proposal_id, _ = submit(network, voters[0], [MsgSoftwareUpgrade(GOV, plan)], title="Upgrade to v2")
    cast(network, proposal_id, [(wallet, VoteOption.YES) for wallet in voters])
    assert wait_ended(node0, proposal_id).status == gov_pb2.PROPOSAL_STATUS_PASSED
    planned = current_plan(node0)
    assert planned is not None
    assert (planned.name, planned.height, planned.info) == (UPGRADE, height, UPGRADE_INFO)

    for node in network.nodes:
        assert node.wait_exit(EXIT_TIMEOUT_S) == EXIT_UPGRADE_NEEDED, node.log_tail()
    for node in network.nodes:
        assert f"upgrade {UPGRADE} needed at height {height}" in node.log_tail()
        assert node.stored_height() == height - 1
        info = json.loads((node.home.data_dir / INFO_FILE).read_text())
        assert info == {"name": UPGRADE, "height": height, "info": UPGRADE_INFO}

    for node in network.nodes:
        node.command = upgraded_command(node.home.root, UPGRADE)
    network.start_all(min_height=height + 2)
    check_same_chain(network.nodes, height + 1)
    for node in network.nodes:
        assert applied_height(node, UPGRADE) == height
        assert mint_blocks_per_year(node) == blocks_per_year + 1  # migrated, once
    events = node0.rpc("block_results", height=height)["finalize_block_events"]
    applied = [attributes(e) for e in events if e["type"] == "upgrade_applied"]
    assert applied == [{"name": UPGRADE, "height": str(height)}]
    assert current_plan(node0) is None


# -- txs ----------------------------------------------------------------------------------------


def wallets(network: Network) -> list[Wallet]:
    """Each validator's operator account, the key it votes with."""
    return [Wallet(network.nodes[0], node.account_key) for node in network.nodes]


def sign(network: Network, wallet: Wallet, messages: Sequence[Msg]) -> bytes:
    """A tx of ``messages`` signed by ``wallet``, whose sequence moves on."""
    raw = wallet.sign(messages, fee=FEE, gas=GAS, chain_id=network.chain_id)
    wallet.sequence += 1
    return raw


def commit(network: Network, wallet: Wallet, messages: Sequence[Msg]) -> dict[str, Any]:
    """A tx of ``messages`` signed by ``wallet``, committed; its ``tx`` answer."""
    return network.nodes[0].commit_tx(sign(network, wallet, messages))


def submit(network: Network, proposer: Wallet, messages: Sequence[Msg], title: str) -> tuple[int, int]:
    """Submit a proposal of ``messages`` with the minimum deposit, so that its voting period
    starts at once; (its id, the height it was submitted at)."""
    carried = [proposal_message(message) for message in messages]
    deposit = [Coin(DENOM, MIN_DEPOSIT)]
    msg = MsgSubmitProposal(carried, deposit, proposer.address, "", title, f"{title}.", False)
    result = commit(network, proposer, [msg])
    (proposal_id,) = {
        int(attributes(event)["proposal_id"])
        for event in result["tx_result"]["events"]
        if event["type"] == "submit_proposal" and "proposal_id" in attributes(event)
    }
    return proposal_id, int(result["height"])


def proposal_message(message: Msg) -> ProposalMessage:
    """``message`` as a proposal carries it: the ``Any`` of its protobuf."""
    packed = pack(codec_for(type(message)).write(message))
    return ProposalMessage(packed.type_url, packed.value)


def cast(network: Network, proposal_id: int, votes: Sequence[tuple[Wallet, VoteOption]]) -> None:
    """Every vote broadcast at once (they may share a block), then each waited for."""
    node0 = network.nodes[0]
    raws = [
        sign(network, wallet, [MsgVote(proposal_id, wallet.address, option, "")]) for wallet, option in votes
    ]
    for raw in raws:
        checked = node0.rpc("broadcast_tx_sync", tx=b64(raw))
        if checked["code"] != 0:
            raise NodeFailure(f"vote refused: {checked['log']}")
    for raw in raws:
        result = node0.wait_tx(tx_hash(raw))
        assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]


def cosmjs_vote(
    cosmjs: str, node: DepindProcess, proposal_id: int, mnemonic: str, option: VoteOption, mode: str
) -> tuple[dict[str, Any], gov_pb2.Vote]:
    """tests/cosmjs/gov.mjs votes ``option`` with ``mnemonic``'s key, signing in ``mode``
    (direct or amino); (what it
    reports, the vote the gov query shows). The vote is read as soon as it lands, while voting
    is open: cosmjs reports a tx seconds after its block."""
    voter = PrivateKey.from_mnemonic(mnemonic).address
    command = [
        cosmjs,
        "gov.mjs",
        node.url,
        mnemonic,
        DENOM,
        str(proposal_id),
        str(int(option)),
        mode,
    ]
    with subprocess.Popen(
        command, cwd=COSMJS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as client:

        def landed() -> gov_pb2.Vote | None:
            if client.poll() not in (None, 0):
                raise AssertionError(f"gov.mjs exited with {client.returncode}: {client.communicate()[1]}")
            return read_vote(node, proposal_id, voter)

        try:
            vote: gov_pb2.Vote = eventually(landed, "the cosmjs vote", CLIENT_TIMEOUT_S)
            stdout, stderr = client.communicate(timeout=CLIENT_TIMEOUT_S)
        finally:
            if client.poll() is None:
                client.kill()
    assert client.returncode == 0, stderr
    sent: dict[str, Any] = json.loads(stdout)
    return sent, vote


# -- reads --------------------------------------------------------------------------------------


def grpc(node: DepindProcess, path: str, request: Message, answer: type[M]) -> M:
    return grpc_at(node, path, request, answer)[0]


def grpc_at(node: DepindProcess, path: str, request: Message, answer: type[M]) -> tuple[M, int]:
    """A gRPC query over ``abci_query``: the answer and the height of the state it read."""
    response = node.rpc("abci_query", path=path, data=request.SerializeToString().hex())["response"]
    assert response["code"] == 0, response
    return answer.FromString(base64.b64decode(response["value"])), int(response["height"])


def read_proposal(node: DepindProcess, proposal_id: int) -> gov_pb2.Proposal:
    request = gov_query.QueryProposalRequest(proposal_id=proposal_id)
    return grpc(node, GOV_QUERY + "Proposal", request, gov_query.QueryProposalResponse).proposal


def read_vote(node: DepindProcess, proposal_id: int, voter: str) -> gov_pb2.Vote | None:
    """The voter's vote on the proposal while it is open; None if it has none."""
    request = gov_query.QueryVoteRequest(proposal_id=proposal_id, voter=voter)
    response = node.rpc("abci_query", path=GOV_QUERY + "Vote", data=request.SerializeToString().hex())[
        "response"
    ]
    if response["code"] != 0:
        assert "not found for proposal" in response["log"], response
        return None
    answer = gov_query.QueryVoteResponse.FromString(base64.b64decode(response["value"]))
    return answer.vote


def deposits(node: DepindProcess, proposal_id: int) -> list[gov_pb2.Deposit]:
    request = gov_query.QueryDepositsRequest(proposal_id=proposal_id)
    return list(grpc(node, GOV_QUERY + "Deposits", request, gov_query.QueryDepositsResponse).deposits)


def proposal_record(node: DepindProcess, proposal_id: int) -> dict[str, Any]:
    """depind's JSON of a proposal, with the heights Cosmos's protobuf has no field for."""
    data = json.dumps({"proposal_id": proposal_id}).encode().hex()
    response = node.rpc("abci_query", path="/gov/proposal", data=data)["response"]
    assert response["code"] == 0, response
    found: dict[str, Any] = json.loads(base64.b64decode(response["value"]))["proposal"]
    return found


def wait_ended(node: DepindProcess, proposal_id: int) -> gov_pb2.Proposal:
    def ended() -> gov_pb2.Proposal | None:
        proposal = read_proposal(node, proposal_id)
        return proposal if proposal.status in ENDED else None

    found: gov_pb2.Proposal = eventually(ended, f"proposal {proposal_id} tallied", PROPOSAL_TIMEOUT_S)
    return found


def take_rate(node: DepindProcess) -> tuple[int, int]:
    """(height of the state read, the market's take rate there)."""
    request = market_query.QueryParamsRequest()
    answer, height = grpc_at(node, MARKET_PARAMS, request, market_query.QueryParamsResponse)
    return height, int(answer.params.take_rate_bps)


def watch_take_rate(node: DepindProcess, proposal_id: int) -> list[tuple[int, int]]:
    """The take rate at each height read, until the proposal has ended and one read more.
    A node keeps only its latest state, so the heights around the tally are watched as
    they pass."""
    seen = []

    def ended() -> bool:
        seen.append(take_rate(node))
        return read_proposal(node, proposal_id).status in ENDED

    eventually(ended, f"proposal {proposal_id} tallied", PROPOSAL_TIMEOUT_S)
    seen.append(take_rate(node))
    return seen


def tally_event(node: DepindProcess, height: int, proposal_id: int) -> str:
    """The ``proposal_result`` of the proposal's ``active_proposal`` event in the block."""
    events = node.rpc("block_results", height=height)["finalize_block_events"]
    (result,) = [
        attributes(e)["proposal_result"]
        for e in events
        if e["type"] == "active_proposal" and attributes(e)["proposal_id"] == str(proposal_id)
    ]
    return str(result)


def attributes(event: dict[str, Any]) -> dict[str, str]:
    return {a["key"]: a["value"] for a in event["attributes"]}


def tally_counts(proposal: gov_pb2.Proposal) -> tuple[int, int, int, int]:
    """(yes, abstain, no, no_with_veto) of the final tally."""
    tally = proposal.final_tally_result
    return int(tally.yes_count), int(tally.abstain_count), int(tally.no_count), int(tally.no_with_veto_count)


def bonded_tokens(node: DepindProcess) -> int:
    return int(node.rpc("staking_pool")["bonded_tokens"])


def valoper(key: PrivateKey) -> str:
    return address_from_pubkey(key.public_key, VALOPER_HRP)


def validator_tokens(node: DepindProcess, operator: PrivateKey) -> int:
    return int(node.rpc("validator_staking", address=valoper(operator))["tokens"])


def delegation_tokens(node: DepindProcess, delegator: str, validator: str) -> int:
    found = node.rpc("delegations", delegator=delegator, validator=validator)["delegation_responses"]
    (response,) = found
    return int(response["balance"]["amount"])


def current_plan(node: DepindProcess) -> upgrade_pb2.Plan | None:
    request = upgrade_query.QueryCurrentPlanRequest()
    answer = grpc(node, UPGRADE_QUERY + "CurrentPlan", request, upgrade_query.QueryCurrentPlanResponse)
    return answer.plan if answer.HasField("plan") else None


def applied_height(node: DepindProcess, name: str) -> int:
    request = upgrade_query.QueryAppliedPlanRequest(name=name)
    return int(
        grpc(node, UPGRADE_QUERY + "AppliedPlan", request, upgrade_query.QueryAppliedPlanResponse).height
    )


def mint_blocks_per_year(node: DepindProcess) -> int:
    return int(node.rpc("params", module="mint")["mint"]["blocks_per_year"])


def shared_genesis(network: Network) -> GenesisDoc:
    return genesis_docs.load(network.nodes[0].home.genesis_file)
