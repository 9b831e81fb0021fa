"""The ``upgrade`` perturbation: a software upgrade through governance, as an operator
team would run one.

Validator0's operator proposes ``MsgSoftwareUpgrade`` for a height past the end of the
voting period, every validator's operator votes yes, and every node must stop after the
block before that height with exit code 3 (docs/upgrades.md). Each is then started, as
soon as it stopped, as the next release (tests/e2e/upgraded.py, whose migration for the upgrade runs once) and
must serve blocks past the height. The proposal and the votes must be in by the
perturbation's ``duration_s``; the stop and the start again must each be done ``duration_s``
after the chain's last new block, so that blocks slow under load move the wait along.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import httpx

from node.upgrade import EXIT_UPGRADE_NEEDED
from tests.e2e.harness import DENOM, DepindProcess, NodeFailure, RPCFailure, Wallet, tx_hash
from tests.e2e.upgraded import upgraded_command
from tests.runner.testbed import MIN_DEPOSIT, Member, Testbed
from vm.codec import codec_for, pack
from vm.gov.msgs import MsgSubmitProposal, MsgVote
from vm.gov.tally import VoteOption
from vm.gov.types import ProposalMessage
from vm.modules import AUTHORITY
from vm.types import Coin, format_address
from vm.upgrade.msgs import MsgSoftwareUpgrade, ProposedPlan

NAME = "runner-v2"
MARGIN_BLOCKS = 10  # between the proposal's tally and the plan's height
GAS = 400_000
FEE = 4_000
MIN_WAIT_S = 1.0
POLL_S = 0.2  # how often the nodes are looked at while they stop for the upgrade
SEQUENCE_TRIES = 5
SEQUENCE_MISMATCH = re.compile(r"account sequence mismatch, expected (\d+)")


def propose(testbed: Testbed, deadline: float) -> tuple[str, int, int]:
    """Submit the upgrade proposal from validator0's operator; (name, plan height, proposal id)."""
    entry = testbed.members[0].process
    proposer = operators(testbed)[0]
    height = entry.height() + testbed.manifest.network.voting_blocks + MARGIN_BLOCKS
    plan = MsgSoftwareUpgrade(format_address(AUTHORITY), ProposedPlan(NAME, None, height, ""))
    packed = pack(codec_for(MsgSoftwareUpgrade).write(plan))
    proposal = MsgSubmitProposal(
        [ProposalMessage(packed.type_url, packed.value)],
        [Coin(DENOM, MIN_DEPOSIT)],
        proposer.address,
        "",
        f"Upgrade to {NAME}",
        f"Upgrade to {NAME} at height {height}.",
        False,
    )
    raw = broadcast(entry, testbed.chain_id, proposer, proposal)
    submitted = entry.wait_tx_ok(tx_hash(raw), remaining(deadline))
    (proposal_id,) = {
        int(attribute["value"])
        for event in submitted["tx_result"]["events"]
        if event["type"] == "submit_proposal"
        for attribute in event["attributes"]
        if attribute["key"] == "proposal_id"
    }
    return NAME, height, proposal_id


def vote_yes(testbed: Testbed, proposal_id: int, deadline: float) -> None:
    """Every validator's operator votes yes, all at once as operators would, each vote
    waited for until the deadline (blocks may come slowly under load)."""
    entry = testbed.members[0].process
    votes = [
        broadcast(
            entry, testbed.chain_id, operator, MsgVote(proposal_id, operator.address, VoteOption.YES, "")
        )
        for operator in operators(testbed)
    ]
    for raw in votes:
        entry.wait_tx_ok(tx_hash(raw), remaining(deadline))


def operators(testbed: Testbed) -> list[Wallet]:
    entry = testbed.members[0].process
    return [Wallet(entry, m.validator.account_key) for m in testbed.validators() if m.validator]


def broadcast(
    entry: DepindProcess, chain_id: str, wallet: Wallet, message: MsgSubmitProposal | MsgVote
) -> bytes:
    """Sign ``message`` and hand it to CheckTx; the tx's bytes. A validator's node sends its
    PoUW attestations from the operator's account too, so the mempool may be a tx or more
    ahead of the committed sequence: a refusal that names the sequence expected is signed
    again with it, as a wallet would."""
    for _ in range(SEQUENCE_TRIES):
        raw = wallet.sign([message], fee=FEE, gas=GAS, chain_id=chain_id)
        try:
            entry.broadcast_tx(raw)
        except NodeFailure as refusal:
            expected = SEQUENCE_MISMATCH.search(str(refusal))
            if expected is None:
                raise
            wallet.sequence = int(expected[1])
            continue
        wallet.sequence += 1
        return raw
    raise NodeFailure(f"{wallet.address}: the account's sequence kept moving ({SEQUENCE_TRIES} tries)")


class ChainDeadline:
    """``allowed_s`` after the last new block seen: a wait for a height the chain is still
    climbing towards does not run out while blocks keep coming, however slowly. Bounded where
    it is used: each new block moves it once, and the wait ends at the upgrade's height."""

    def __init__(self, allowed_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.allowed_s = allowed_s
        self.clock = clock
        self.height = 0
        self.at = clock() + allowed_s

    def saw(self, height: int) -> None:
        if height > self.height:
            self.height = height
            self.at = self.clock() + self.allowed_s

    def passed(self) -> bool:
        return self.clock() > self.at

    def remaining(self) -> float:
        return max(self.at - self.clock(), MIN_WAIT_S)


def halt_and_restart(testbed: Testbed, height: int, allowed_s: float) -> None:
    """Each node stops for the upgrade and starts again as the next release, on its host, as a
    process supervisor (cosmovisor) does it: each as soon as it exits. A node a block behind
    when the others stopped reaches the upgrade height only once upgraded peers serve it that
    block, so none may wait for all the others to stop first."""
    deadline = ChainDeadline(allowed_s)
    waiting = list(testbed.members)
    while waiting:
        for member in [m for m in waiting if not m.process.is_running()]:
            code = member.process.wait_exit(MIN_WAIT_S)
            if code != EXIT_UPGRADE_NEEDED:
                expected = EXIT_UPGRADE_NEEDED
                raise NodeFailure(f"{member.name} exited with {code}, not {expected}, for the upgrade")
            upgraded = upgraded_command(member.process.home.root, NAME)
            member.process.command = [*testbed.prefix(member.name), *upgraded]
            member.process.launch()
            waiting.remove(member)
        deadline.saw(latest_height(waiting))
        if deadline.height >= height:  # the proposal did not pass, or a node ignored its plan
            raise NodeFailure(f"the chain went past height {height - 1} without stopping for the upgrade")
        if waiting and deadline.passed():
            late = ", ".join(m.name for m in waiting)
            raise NodeFailure(
                f"{late} did not stop for the upgrade at height {height} within {allowed_s} s "
                f"of block {deadline.height}"
            )
        time.sleep(POLL_S)
    for member in testbed.members:
        member.process.wait_started(height, deadline.remaining())


def latest_height(members: Sequence[Member]) -> int:
    """The latest height of the first of ``members`` still running that answers; 0 if none."""
    for member in members:
        if member.process.is_running():
            try:
                return member.process.height()
            except (httpx.HTTPError, RPCFailure):
                continue
    return 0


def remaining(deadline: float) -> float:
    return max(deadline - time.monotonic(), MIN_WAIT_S)
