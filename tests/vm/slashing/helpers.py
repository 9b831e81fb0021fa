"""Slashing test helpers: the staking ``Chain`` (tests/vm/staking/helpers.py) with blocks
that begin too, given the last commit's votes and the block's evidence, and small
slashing params (a window of 10 blocks, half of them to sign, 60 s of jail) with a power
reduction of 1, so tokens and power are the same numbers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from genesis.schema import EvidenceParams, SlashingGenesis, SlashingParams
from node.keys.hd import PrivateKey
from tests.vm.helpers import raw, with_app_state
from tests.vm.staking.helpers import PARAMS as STAKING_PARAMS
from tests.vm.staking.helpers import Chain, staking_genesis
from vm.block import ABSENT_FLAG, COMMIT_FLAG, NO_COMMIT, CommitInfoLike, MisbehaviorLike
from vm.context import BlockEnv, Event
from vm.registry import Registry
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.types import SigningInfo

NIL_FLAG = 3  # a precommit for nil: in the commit, so not missed
WINDOW = 10
JAIL_NS = 60 * 10**9
SLASHING = SlashingParams(
    signed_blocks_window=WINDOW,
    min_signed_per_window="0.5",
    downtime_jail_duration_ns=JAIL_NS,
    slash_fraction_double_sign="0.05",
    slash_fraction_downtime="0.01",
)
UNBONDING = 10  # blocks
STAKING = msgspec.structs.replace(STAKING_PARAMS, power_reduction=1, unbonding_blocks=UNBONDING)


@dataclass(frozen=True)
class Vote:
    validator_address: bytes
    power: int
    block_id_flag: int = COMMIT_FLAG


@dataclass(frozen=True)
class Commit:
    round: int = 0
    votes: tuple[Vote, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Committed double signing, as consensus hands it to the application."""

    validator_address: bytes
    height: int
    validator_power: int
    time_ns: int = 0
    total_voting_power: int = 0
    kind: str = "duplicate_vote"


def slashing_genesis(slashing: SlashingParams = SLASHING, staking: Any = STAKING) -> Any:
    return with_app_state(staking_genesis(staking), slashing=SlashingGenesis(params=slashing))


class SlashingChain(Chain):
    """``begin_block`` runs every module's begin-block hook with a last commit and evidence;
    ``block`` is a whole block whose last commit has the last set's votes."""

    def __init__(self, doc: Any = None, registry: Registry | None = None) -> None:
        super().__init__(doc if doc is not None else slashing_genesis(), registry)
        self.commit: CommitInfoLike = NO_COMMIT
        self.misbehavior: Sequence[MisbehaviorLike] = ()
        self.max_evidence_age_blocks = EvidenceParams().max_age_num_blocks

    @property
    def slashing(self) -> SlashingKeeper:
        keeper: SlashingKeeper = self.registry.keeper("slashing")
        return keeper

    def env(self) -> BlockEnv:
        return BlockEnv(
            "depin-test-1",
            self.height,
            self.time_ns,
            b"",
            b"",
            last_commit=self.commit,
            misbehavior=self.misbehavior,
            max_evidence_age_blocks=self.max_evidence_age_blocks,
        )

    def begin_block(self, votes: Sequence[Vote] = (), evidence: Sequence[Evidence] = ()) -> list[Event]:
        self.commit = Commit(0, tuple(votes))
        self.misbehavior = tuple(evidence)
        ctx = self.ctx()
        self.registry.begin_block(ctx)
        self.events.extend(ctx.events)
        return ctx.events

    def block(self, absent: Collection[PrivateKey] = (), evidence: Sequence[Evidence] = ()) -> list[Event]:
        """A whole block whose last commit lacks the votes of ``absent``."""
        events = self.begin_block(self.votes(absent), evidence)
        self.end_block()
        return events

    def votes(self, absent: Collection[PrivateKey] = ()) -> list[Vote]:
        """A vote from each validator of the last set, absent for the operators ``absent``."""
        missing = {raw(operator) for operator in absent}
        return [
            Vote(v.cons_address, power, ABSENT_FLAG if v.operator in missing else COMMIT_FLAG)
            for v, power in self.keeper.bonded_validators(self.store)
        ]

    # -- reads -----------------------------------------------------------------------------

    def cons(self, operator: PrivateKey) -> bytes:
        return self.validator(operator).cons_address

    def signing_info(self, operator: PrivateKey) -> SigningInfo | None:
        return self.slashing.get_signing_info(self.store, self.cons(operator))

    def info(self, operator: PrivateKey) -> SigningInfo:
        found = self.signing_info(operator)
        assert found is not None, f"no signing info for {operator.address}"
        return found

    def jailed(self, operator: PrivateKey) -> bool:
        return self.validator(operator).jailed
