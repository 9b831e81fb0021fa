"""A misbehaving validator as a real process (CometBFT's "maverick" nodes), for fault tests.

``python -m tests.e2e.maverick start --home H --misbehave KIND`` runs the node of
home ``H`` as ``depind start`` does, except that its Tendermint engine misbehaves:

- ``double-sign``: every prevote it sends for a block is followed by a prevote for
  nil at the same height and round, signed with the validator key directly (past
  the ``FilePV`` guard, which would refuse it) and gossiped too;
- ``double-sign-on-memo``: the same, but only for blocks that carry a tx whose memo
  is ``DOUBLE_SIGN_MEMO``, so a test chooses the infraction height by sending one;
- ``invalid-proposal``: every block it builds carries a wrong ``app_hash``, in a
  properly signed proposal, so honest validators reject it and prevote nil.

Everything else (storage, application, p2p, JSON-RPC, logging, signals) is the
honest node's.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import click
import msgspec
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.message import DecodeError

from consensus import privval
from consensus.tendermint.engine import Network, TendermintEngine
from consensus.tendermint.messages import Message, VoteMsg
from consensus.types import ZERO_BLOCK_ID, Block, Vote, VoteType
from node.cli.common import DepindGroup, home_option
from node.cli.node_cmds import run_node
from node.home import Home
from node.node import Node

log = logging.getLogger("depind.maverick")

DOUBLE_SIGN = "double-sign"
DOUBLE_SIGN_ON_MEMO = "double-sign-on-memo"
DOUBLE_SIGN_MEMO = "maverick: double-sign this block"
INVALID_PROPOSAL = "invalid-proposal"


class MaverickEngine(TendermintEngine):
    """A Tendermint engine made of the parts the honest node chose for its own."""

    def __init__(self, honest: TendermintEngine) -> None:
        super().__init__(
            honest.executor, honest.signer, honest.wal, honest.network, honest.on_commit, honest.config
        )


class DoubleSigningEngine(MaverickEngine):
    """Sends a conflicting nil prevote after each of its prevotes for a block."""

    def __init__(self, honest: TendermintEngine, secret: bytes) -> None:
        super().__init__(honest)
        self._key = Ed25519PrivateKey.from_private_bytes(secret)

    def _send(self, message: Message) -> None:
        super()._send(message)
        if isinstance(message, VoteMsg) and self._equivocates_on(message.vote):
            conflicting = self._sign(nil_twin(message.vote))
            log.warning(
                "double-signing a nil prevote at height %d round %d", conflicting.height, conflicting.round
            )
            self._gossip(VoteMsg(conflicting))

    def _equivocates_on(self, vote: Vote) -> bool:
        return is_prevote_for_block(vote)

    def _sign(self, vote: Vote) -> Vote:
        signature = self._key.sign(vote.sign_bytes(self.executor.params.chain_id))
        return msgspec.structs.replace(vote, signature=signature)


class MemoDoubleSigningEngine(DoubleSigningEngine):
    """Double-signs only the prevotes for blocks that carry a tx with ``DOUBLE_SIGN_MEMO``."""

    def _equivocates_on(self, vote: Vote) -> bool:
        if not is_prevote_for_block(vote):
            return False
        block = self._proposed_block(vote)
        return block is not None and any(memo_of(tx) == DOUBLE_SIGN_MEMO for tx in block.data.txs)

    def _proposed_block(self, vote: Vote) -> Block | None:
        for kept in self.machine.state.proposals.values():
            if vote.block_id in kept:
                return kept[vote.block_id].block
        return None


class InvalidProposalEngine(MaverickEngine):
    """Proposes blocks whose header names an app hash that no honest state has."""

    def _propose_block(self, height: int, round_: int) -> Block:
        block = super()._propose_block(height, round_)
        log.warning("proposing an invalid block at height %d round %d (wrong app_hash)", height, round_)
        return with_wrong_app_hash(block)


def is_prevote_for_block(vote: Vote) -> bool:
    return vote.type == VoteType.PREVOTE and not vote.block_id.is_zero()


def nil_twin(vote: Vote) -> Vote:
    """The unsigned nil vote of the same validator, height, round and type."""
    return msgspec.structs.replace(vote, block_id=ZERO_BLOCK_ID, timestamp_ns=0, signature=b"")


def memo_of(raw: bytes) -> str | None:
    """The memo of a Cosmos ``TxRaw``, or None if it does not parse as one."""
    try:
        memo: str = tx_pb2.TxBody.FromString(tx_pb2.TxRaw.FromString(raw).body_bytes).memo
    except DecodeError:
        return None
    return memo


def with_wrong_app_hash(block: Block) -> Block:
    wrong = hashlib.sha256(b"wrong app hash" + block.header.app_hash).digest()
    return msgspec.structs.replace(block, header=msgspec.structs.replace(block.header, app_hash=wrong))


class DoubleSigningNode(Node):
    def tendermint(self, network: Network) -> TendermintEngine:
        secret = privval.read_key_file(self.home.key_file)
        return DoubleSigningEngine(super().tendermint(network), secret)


class MemoDoubleSigningNode(Node):
    def tendermint(self, network: Network) -> TendermintEngine:
        secret = privval.read_key_file(self.home.key_file)
        return MemoDoubleSigningEngine(super().tendermint(network), secret)


class InvalidProposalNode(Node):
    def tendermint(self, network: Network) -> TendermintEngine:
        return InvalidProposalEngine(super().tendermint(network))


NODES: dict[str, type[Node]] = {
    DOUBLE_SIGN: DoubleSigningNode,
    DOUBLE_SIGN_ON_MEMO: MemoDoubleSigningNode,
    INVALID_PROPOSAL: InvalidProposalNode,
}


def maverick_command(home: Path, misbehavior: str) -> list[str]:
    """The argv that runs the node of ``home`` as a maverick (for ``DepindProcess.command``)."""
    return [
        sys.executable,
        "-m",
        "tests.e2e.maverick",
        "start",
        "--home",
        str(home),
        "--misbehave",
        misbehavior,
    ]


@click.group(cls=DepindGroup)
def cli() -> None:
    """A misbehaving depind validator, for fault tests."""


@cli.command()
@home_option
@click.option("--misbehave", type=click.Choice(list(NODES)), required=True, help="How to misbehave.")
def start(home: Path, misbehave: str) -> None:
    """Run the node of an initialised home as ``depind start`` does, misbehaving."""
    node = NODES[misbehave].open(Home(home))
    print(f"this validator misbehaves: {misbehave}", file=sys.stderr)
    run_node(node)


if __name__ == "__main__":
    cli(prog_name="maverick")
