"""A committed chain with slashing state, made through the App as consensus drives it
(signed txs, last commits, evidence), for tests of the node's query paths:

    height 1: Alice and Bob create validators of 1000 tokens (bonded at its end)
    height 2: Bob's vote is absent from the last commit
    height 3: evidence that Alice double-signed at height 2: slashed, jailed, tombstoned
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from consensus.abci import CommitInfo, FinalizeBlockRequest, Misbehavior, VoteInfo
from tests.vm.helpers import (
    ALICE,
    BLOCK_INTERVAL_NS,
    BOB,
    GENESIS_TIME_NS,
    PROPOSER,
    apply_block,
    new_app,
    signed,
)
from tests.vm.slashing.helpers import slashing_genesis
from tests.vm.staking.helpers import create_validator
from tests.vm.staking.vectors import cons_key
from vm.app import App, FinalizeResult
from vm.block import ABSENT_FLAG, COMMIT_FLAG
from vm.staking.types import consensus_address

ALICE_CONS = consensus_address(cons_key(1))
BOB_CONS = consensus_address(cons_key(2))
QUERY_HEIGHT = 3


def finalize(app: App, votes: Sequence[VoteInfo], misbehavior: Sequence[Misbehavior] = ()) -> FinalizeResult:
    """The next block, empty, with this last commit and evidence; committed."""
    height = app.state.height() + 1
    result = app.finalize_block(
        FinalizeBlockRequest(
            height=height,
            time_ns=time_at(height),
            proposer=PROPOSER,
            hash=hashlib.sha256(b"block %d" % height).digest(),
            last_block_hash=hashlib.sha256(b"block %d" % (height - 1)).digest(),
            txs=[],
            decided_last_commit=CommitInfo(0, tuple(votes)),
            misbehavior=list(misbehavior),
        )
    )
    app.commit()
    return result


def time_at(height: int) -> int:
    return GENESIS_TIME_NS + height * BLOCK_INTERVAL_NS


def slashed_app() -> App:
    app = new_app(slashing_genesis())
    txs = [
        signed(app, ALICE, [create_validator(ALICE, 1000)]),
        signed(app, BOB, [create_validator(BOB, 1000)]),
    ]
    apply_block(app, txs)
    finalize(app, [VoteInfo(ALICE_CONS, 1000, COMMIT_FLAG), VoteInfo(BOB_CONS, 1000, ABSENT_FLAG)])
    evidence = Misbehavior("duplicate_vote", ALICE_CONS, 2, time_at(2), 2000, 1000)
    finalize(
        app, [VoteInfo(ALICE_CONS, 1000, COMMIT_FLAG), VoteInfo(BOB_CONS, 1000, COMMIT_FLAG)], [evidence]
    )
    return app
