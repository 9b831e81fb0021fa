"""A chain for distribution tests: the staking tests' ``Chain`` (messages routed without
signatures or fees) with whole blocks: ``block`` puts a known amount in the fee
collector, as the previous block's fees, runs every module's begin block with the
validators that signed the previous block, then the end block.

Numbers in these tests are chosen so that the F1 arithmetic can be followed by hand:
the default community tax (2%), a 10% commission, one power per 1,000,000 tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from consensus.abci import CommitInfo, VoteInfo
from genesis.schema import DistributionGenesis, MintGenesis
from node.keys.hd import PrivateKey
from tests.vm.helpers import DENOM, FUNDS, key, raw, with_app_state
from tests.vm.staking.helpers import OPERATORS, PARAMS, Chain, staking_genesis
from tests.vm.staking.vectors import cons_key
from vm.auth.ante import FEE_COLLECTOR_NAME
from vm.block import COMMIT_FLAG
from vm.context import BlockEnv
from vm.distribution.deccoins import DecCoins
from vm.distribution.keeper import DistributionKeeper
from vm.staking.types import consensus_address
from vm.types import Coin

PAYER = key(9)  # pays the fees every block collects
ABSENT_FLAG = 1
FEES = 12_345


def reward_genesis(
    funded: Mapping[Any, int] | None = None,
    mint: MintGenesis | None = None,
    distribution: DistributionGenesis | None = None,
) -> Any:
    doc = staking_genesis(PARAMS, funded or {k: FUNDS for k in (*OPERATORS, PAYER)})
    sections: dict[str, msgspec.Struct] = {}
    if mint is not None:
        sections["mint"] = mint
    if distribution is not None:
        sections["distribution"] = distribution
    return with_app_state(doc, **sections)


def vote(operator: PrivateKey, power: int, flag: int = COMMIT_FLAG) -> VoteInfo:
    """``operator``'s validator's vote in the last commit (its consensus key is ``cons_key``
    of its place in ``OPERATORS``, as the staking helpers create it)."""
    return VoteInfo(consensus_address(cons_key(OPERATORS.index(operator) + 1)), power, flag)


class RewardChain(Chain):
    def __init__(self, doc: Any = None) -> None:
        super().__init__(doc if doc is not None else reward_genesis())
        self._votes: tuple[VoteInfo, ...] = ()

    @property
    def distribution(self) -> DistributionKeeper:
        keeper: DistributionKeeper = self.registry.keeper("distribution")
        return keeper

    def env(self) -> BlockEnv:
        return BlockEnv("depin-test-1", self.height, self.time_ns, b"", b"", CommitInfo(0, self._votes))

    def begin_block(self, votes: Sequence[VoteInfo] = (), fees: int = 0) -> None:
        """Collect ``fees`` (from PAYER, as if the previous block's txs paid them) and run
        every module's begin block with ``votes`` as the last commit."""
        if fees:
            self.bank.send_to_module(self.store, raw(PAYER), FEE_COLLECTOR_NAME, [Coin(DENOM, fees)])
        self._votes = tuple(votes)
        ctx = self.ctx()
        self.registry.begin_block(ctx)
        self.events.extend(ctx.events)

    def block(self, votes: Sequence[VoteInfo] = (), fees: int = 0) -> None:
        self.begin_block(votes, fees)
        self.end_block()

    def pass_blocks(self, count: int, votes: Sequence[VoteInfo] = (), fees: int = 0) -> None:
        for _ in range(count):
            self.block(votes, fees)

    # -- reads -----------------------------------------------------------------------------

    def rewards(self, delegator: PrivateKey, operator: PrivateKey) -> DecCoins:
        validator = self.keeper.validator(self.store, raw(operator))
        delegation = self.delegation(delegator, operator)
        assert delegation is not None
        return self.distribution.delegation_rewards(self.store, validator, delegation)

    def outstanding(self, operator: PrivateKey) -> DecCoins:
        return self.distribution.get_outstanding(self.store, raw(operator))

    def commission(self, operator: PrivateKey) -> DecCoins:
        return self.distribution.get_commission(self.store, raw(operator))

    def community_pool(self) -> DecCoins:
        return self.distribution.get_community_pool(self.store)
