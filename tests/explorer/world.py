"""The browser tests' world: one real validator (``depind testnet --validators 1``, its verifier
service on, committees of one) holding real data made by real transactions.

Two providers register with their workers' output servers as endpoints and offer GPUs; a
requester's order on each is matched into a lease that the provider's worker accepts
(tests/e2e/market_setup.py). On the honest provider's lease (``depind worker``) a GEMM job is
run, checked by the validator's verifier service and ends valid; on the other's
(tests/e2e/corrupt_worker.py, one output entry off by one) the same job is proven wrong by the
verifier's fraud proof: the job ends invalid, the provider's collateral is slashed and its
lease closed. The node keeps making blocks afterwards, so pages can be seen updating live.

Governance, on a genesis whose expedited voting period is short and whose regular one outlasts
the session: an expedited proposal raising the market's offers per provider, voted yes by the
validator, passes while the jobs are verified; a text proposal stays in its voting period, with
the validator's weighted vote, and the requester's deposit and vote (the requester has no stake:
its vote counts nothing). Both are submitted in one tx and voted on in the next.

``build_world`` returns what the pages should show: the node's URLs and the ids and addresses
made. Every wait is bounded; whatever was started is stopped by the caller's ``ExitStack``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from genesis import doc as genesis_doc
from genesis.compute import ComputeGenesis, ComputeParams
from genesis.gov import GovGenesis
from genesis.market import MarketGenesis, MarketParams
from genesis.schema import CoinJSON, GenesisDoc, get_section, set_section
from gpu.jobs import GemmSpec, job_header
from tests.e2e.harness import DENOM, Wallet, eventually
from tests.e2e.market_setup import FEE, GAS, H100, L4, Market, WorkerProcess, open_market, warm_up_kernels
from tests.e2e.network import Network, ValidatorNode
from vm.codec import codec_for
from vm.compute.msgs import MsgSubmitJob
from vm.crypto import VALOPER_HRP, address_from_pubkey
from vm.gov.msgs import MsgDeposit, MsgSubmitProposal, MsgVote, MsgVoteWeighted, WeightedVoteOption
from vm.gov.tally import VoteOption
from vm.gov.types import ProposalMessage
from vm.market.msgs import MsgUpdateParams as MsgUpdateMarketParams
from vm.modules import AUTHORITY
from vm.msg import Msg
from vm.types import Coin, format_address

COMMITTEE_SIZE = 1  # the one validator
ATTEST_BLOCKS = 16
WINDOW_BLOCKS = 16  # a valid verdict is taken at the window's end
JOB = GemmSpec(m=128, k=128, n=128, bound=64, seed=5)
PRICE = 1_000_000  # the job's deposit
DEADLINE_BLOCKS = 60
VERDICT_TIMEOUT_S = 60.0
MIN_DEPOSIT = 1_000_000
VOTING_BLOCKS = 1_000_000  # the proposal in its voting period stays there for the whole session
EXPEDITED_VOTING_BLOCKS = 10  # the expedited proposal passes while the jobs are verified
PROPOSAL_TIMEOUT_S = 60.0
GOV = format_address(AUTHORITY)
PASSED_TITLE = "Allow 48 offers per provider"
VOTING_TITLE = "Fund a public GPU benchmark"
VALIDATOR_WEIGHTS = (("0.7", VoteOption.YES), ("0.2", VoteOption.NO), ("0.1", VoteOption.ABSTAIN))


@dataclass(frozen=True)
class Job:
    id: int
    tx_hash: str  # of its MsgSubmitJob
    height: int  # of that tx's block


@dataclass(frozen=True)
class Proposals:
    passed: int  # expedited, its market params change executed
    voting: int  # a text proposal in its voting period, with two deposits and two votes


@dataclass(frozen=True)
class World:
    """A running node and what was made on it, as the pages should show it."""

    node: ValidatorNode
    chain_id: str
    validator: str  # the validator's operator address (depinvaloper1...)
    validator_account: str  # its account (depin1...), which signs its attestations
    provider: str  # honest: its job is verified valid
    requester: str
    offer_id: int
    order_id: int
    lease_id: int  # active
    valid_job: Job
    slashed_provider: str  # its job's result was proven wrong
    slashed_requester: str
    slashed_lease_id: int  # closed: slashed
    invalid_job: Job
    proposals: Proposals

    @property
    def rpc_url(self) -> str:
        return self.node.url

    @property
    def websocket_url(self) -> str:
        return self.node.ws_url

    @property
    def explorer_url(self) -> str:
        return f"{self.node.url}/explorer/"

    @property
    def tx_hash(self) -> str:
        return self.valid_job.tx_hash


def build_world(root: Path, cleanup: contextlib.ExitStack) -> World:
    """Start the network and make the world's data; ``cleanup`` stops every process made."""
    warm_up_kernels(root)
    network = Network(root / "net", 1)
    cleanup.callback(network.close)
    node = network.nodes[0]
    doc = genesis_doc.load(node.home.genesis_file)
    params = ComputeParams(
        committee_size=COMMITTEE_SIZE, attest_blocks=ATTEST_BLOCKS, challenge_window_blocks=WINDOW_BLOCKS
    )
    set_section(doc, "compute", ComputeGenesis(params=params))
    short_expedited_voting(doc)
    genesis_doc.save(doc, node.home.genesis_file)
    network.start_all()
    workers: list[WorkerProcess] = []
    cleanup.callback(stop_all, workers)
    funder = Wallet(node, node.account_key)
    market_params = get_section(doc, "market", MarketGenesis).params
    proposals = submit_proposals(node, funder, market_params)
    honest = open_market(node, funder, root / "honest", H100, "node.cli.main", workers)
    dishonest = open_market(node, funder, root / "dishonest", L4, "tests.e2e.corrupt_worker", workers)
    valid_job, invalid_job = submit_job(node, honest), submit_job(node, dishonest)
    deposit_and_vote(node, honest.requester, proposals.voting)
    wait_verdict(node, valid_job, "valid")
    wait_verdict(node, invalid_job, "invalid")
    wait_passed(node, proposals.passed)
    lease = node.rpc("lease", id=honest.lease_id)["lease"]
    return World(
        node=node,
        chain_id=network.chain_id,
        validator=address_from_pubkey(node.account_key.public_key, VALOPER_HRP),
        validator_account=node.account_address,
        provider=honest.provider.address,
        requester=honest.requester.address,
        offer_id=int(lease["offer_id"]),
        order_id=int(lease["order_id"]),
        lease_id=honest.lease_id,
        valid_job=valid_job,
        slashed_provider=dishonest.provider.address,
        slashed_requester=dishonest.requester.address,
        slashed_lease_id=dishonest.lease_id,
        invalid_job=invalid_job,
        proposals=proposals,
    )


def stop_all(workers: list[WorkerProcess]) -> None:
    with contextlib.ExitStack() as stack:
        for worker in workers:
            stack.callback(worker.stop)


def submit_job(node: ValidatorNode, market: Market) -> Job:
    """The requester's GEMM job on the market's lease, committed."""
    header = msgspec.msgpack.encode(job_header(JOB))
    message = MsgSubmitJob(
        market.requester.address, market.lease_id, header, DEADLINE_BLOCKS, Coin(DENOM, PRICE)
    )
    result = node.commit_tx(market.requester.sign([message], fee=FEE, gas=GAS))
    market.requester.sequence += 1
    height = int(result["height"])
    (job,) = [
        job
        for job in node.rpc("jobs", lease_id=market.lease_id)["jobs"]
        if int(job["submitted_height"]) == height
    ]
    return Job(int(job["id"]), result["hash"], height)


def wait_verdict(node: ValidatorNode, job: Job, expected: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        found: dict[str, Any] = node.rpc("job", id=job.id)["job"]
        return found if found["state"] in ("valid", "invalid", "unverified", "provider_fault") else None

    final: dict[str, Any] = eventually(ended, f"job {job.id}'s verdict", timeout=VERDICT_TIMEOUT_S)
    assert final["state"] == expected, final
    return final


# -- governance -------------------------------------------------------------------------------------


def short_expedited_voting(doc: GenesisDoc) -> None:
    gov = get_section(doc, "gov", GovGenesis)
    params = msgspec.structs.replace(
        gov.params,
        min_deposit=[CoinJSON(denom=DENOM, amount=MIN_DEPOSIT)],
        expedited_min_deposit=[CoinJSON(denom=DENOM, amount=2 * MIN_DEPOSIT)],
        max_deposit_blocks=VOTING_BLOCKS,
        voting_blocks=VOTING_BLOCKS,
        expedited_voting_blocks=EXPEDITED_VOTING_BLOCKS,
    )
    set_section(doc, "gov", msgspec.structs.replace(gov, params=params))


def submit_proposals(node: ValidatorNode, validator: Wallet, market: MarketParams) -> Proposals:
    """Both proposals, each with its minimum deposit so that voting starts at once, then the
    validator's votes: yes on the expedited one, weighted on the other."""
    change = MsgUpdateMarketParams(GOV, msgspec.structs.replace(market, max_offers_per_provider=48))
    expedited = MsgSubmitProposal(
        [proposal_message(change)],
        [Coin(DENOM, 2 * MIN_DEPOSIT)],
        validator.address,
        "",
        PASSED_TITLE,
        "Providers with many GPU classes run out of offers at 32.",
        True,
    )
    summary = "Pay for a benchmark suite that any provider can run.\n\nResults are public."
    text = MsgSubmitProposal(
        [], [Coin(DENOM, MIN_DEPOSIT)], validator.address, "ipfs://benchmark", VOTING_TITLE, summary, False
    )
    result = commit(node, validator, [expedited, text])
    passed, voting = sorted(
        int(attribute["value"])
        for event in result["tx_result"]["events"]
        if event["type"] == "submit_proposal"
        for attribute in event["attributes"]
        if attribute["key"] == "proposal_id"
    )
    weights = [WeightedVoteOption(option, weight) for weight, option in VALIDATOR_WEIGHTS]
    votes: list[Msg] = [
        MsgVote(passed, validator.address, VoteOption.YES, ""),
        MsgVoteWeighted(voting, validator.address, weights, "benchmarks help requesters"),
    ]
    commit(node, validator, votes)
    return Proposals(passed=passed, voting=voting)


def deposit_and_vote(node: ValidatorNode, wallet: Wallet, proposal_id: int) -> None:
    deposit = MsgDeposit(proposal_id, wallet.address, [Coin(DENOM, MIN_DEPOSIT // 2)])
    commit(node, wallet, [deposit, MsgVote(proposal_id, wallet.address, VoteOption.NO, "")])


def commit(node: ValidatorNode, wallet: Wallet, messages: list[Msg]) -> dict[str, Any]:
    result = node.commit_tx(wallet.sign(messages, fee=FEE, gas=GAS))
    wallet.sequence += 1
    return result


def proposal_message(message: Msg) -> ProposalMessage:
    packed = codec_for(type(message)).write(message)
    return ProposalMessage("/" + packed.DESCRIPTOR.full_name, packed.SerializeToString(deterministic=True))


def wait_passed(node: ValidatorNode, proposal_id: int) -> None:
    def ended() -> str | None:
        status: str = node.rpc("gov_proposal", proposal_id=proposal_id)["proposal"]["status"]
        return None if status == "PROPOSAL_STATUS_VOTING_PERIOD" else status

    status = eventually(ended, f"proposal {proposal_id}'s tally", timeout=PROPOSAL_TIMEOUT_S)
    assert status == "PROPOSAL_STATUS_PASSED", node.rpc("gov_proposal", proposal_id=proposal_id)
