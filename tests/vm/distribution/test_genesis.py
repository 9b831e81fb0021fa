"""distribution genesis: export then init round-trips every record; invalid sections are
refused; the module account must hold what the records count."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from genesis.schema import (
    ConsensusParams,
    DecCoinJSON,
    DistributionGenesis,
    DistributionParams,
    GenesisDoc,
    SlashEventJSON,
    ValidatorRewardsJSON,
)
from tests.vm.distribution.chain import FEES, reward_genesis, vote
from tests.vm.distribution.test_rewards import one_validator
from tests.vm.helpers import ALICE, CAROL, CHAIN_ID, DAVE, GENESIS_TIME
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.app import App, validate_genesis
from vm.distribution.msgs import MsgFundCommunityPool, MsgSetWithdrawAddress
from vm.errors import InvalidTx
from vm.store.kv import MemoryKV, prefix_end
from vm.types import Coin

PREFIX = b"distribution/"


def records(store: Any) -> dict[bytes, bytes]:
    return dict(store.iterate(PREFIX, prefix_end(PREFIX)))


def test_export_then_init_round_trips() -> None:
    chain = one_validator()
    chain.run(MsgSetWithdrawAddress(CAROL.address, DAVE.address))
    chain.run(MsgFundCommunityPool([Coin("udepin", 77)], DAVE.address))
    chain.pass_blocks(2, [vote(ALICE, 4)], FEES)
    cons = chain.validator(ALICE).cons_address
    chain.keeper.slash(chain.ctx(), cons, chain.height, 4, dec.parse("0.1"))
    chain.pass_blocks(2, [vote(ALICE, 3)], FEES)
    consensus, sections = chain.registry.export_genesis(chain.store)
    exported = msgspec.convert(sections["distribution"], DistributionGenesis)
    assert len(exported.slash_events) == 1 and len(exported.starting_infos) == 2
    assert exported.withdraw_addresses[0].withdraw_address == DAVE.address
    doc = GenesisDoc(
        genesis_time=GENESIS_TIME,
        chain_id=CHAIN_ID,
        initial_height=chain.height,
        consensus_params=msgspec.convert(consensus, ConsensusParams),
        app_state=sections,
    )
    imported = App(MemoryKV())
    imported.init_chain(doc, 0)
    assert records(imported.state.values) == records(chain.store)
    assert imported.registry.broken_invariants(imported.state.values) == []


def test_default_genesis_is_valid_and_cosmos_like() -> None:
    section = DistributionGenesis()
    assert section.params == DistributionParams(
        community_tax="0.020000000000000000",
        base_proposer_reward="0.000000000000000000",
        bonus_proposer_reward="0.000000000000000000",
        withdraw_addr_enabled=True,
    )
    validate_genesis(reward_genesis(distribution=section))


def invalid(section: DistributionGenesis, problem: str) -> None:
    with pytest.raises(InvalidTx, match=problem):
        validate_genesis(reward_genesis(distribution=section))


def test_invalid_params() -> None:
    invalid(DistributionGenesis(params=DistributionParams(community_tax="1.5")), "community tax too large")
    invalid(DistributionGenesis(params=DistributionParams(community_tax="-0.1")), "must be positive")
    invalid(DistributionGenesis(params=DistributionParams(base_proposer_reward="0.01")), "deprecated")
    invalid(DistributionGenesis(params=DistributionParams(community_tax="x")), "community tax")


def test_invalid_records() -> None:
    coin = DecCoinJSON(denom="udepin", amount="1.5")
    rewards = ValidatorRewardsJSON(validator_address=valoper(ALICE), rewards=[coin])
    invalid(DistributionGenesis(community_pool=[DecCoinJSON(denom="udepin", amount="-1")]), "negative")
    invalid(DistributionGenesis(community_pool=[coin, coin]), "sorted and distinct")
    invalid(DistributionGenesis(outstanding_rewards=[rewards, rewards]), "duplicate outstanding")
    invalid(
        DistributionGenesis(
            outstanding_rewards=[ValidatorRewardsJSON(validator_address=ALICE.address, rewards=[])]
        ),
        "invalid address",
    )
    slash = SlashEventJSON(validator_address=valoper(ALICE), height=1, period=1, fraction="1.1")
    invalid(DistributionGenesis(slash_events=[slash]), "slash fraction above one")


def test_invalid_module_account_balance() -> None:
    pool = [DecCoinJSON(denom="udepin", amount="10.5")]  # 10 whole coins the account does not hold
    invalid(DistributionGenesis(community_pool=pool), "does not match the module holdings")
