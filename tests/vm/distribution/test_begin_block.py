"""Whole blocks with mint and distribution registered: each block's minted coins and the
previous block's fees reach the validators that signed, and every coin stays counted."""

from __future__ import annotations

import hashlib

from consensus.abci import CommitInfo, FinalizeBlockRequest, VoteInfo
from genesis.schema import MintGenesis
from tests.vm.distribution.test_rewards import one_validator
from tests.vm.helpers import (
    ALICE,
    BLOCK_INTERVAL_NS,
    BOB,
    DENOM,
    FEE,
    FUNDS,
    GENESIS_TIME_NS,
    balance,
    events_of,
    make_genesis,
    new_app,
    raw,
    send,
    signed,
    supply,
)
from tests.vm.staking.helpers import POWER, create_validator
from vm.app import App, FinalizeResult
from vm.block import COMMIT_FLAG
from vm.distribution.deccoins import DecCoins
from vm.distribution.keeper import DistributionKeeper
from vm.staking.keeper import StakingKeeper
from vm.types import Coin, module_address

FEE_COLLECTOR = module_address("fee_collector")
DISTRIBUTION = module_address("distribution")
POUW_POOL = module_address("pouw_rewards")


def block(app: App, txs: list[bytes], votes: tuple[VoteInfo, ...]) -> FinalizeResult:
    """The next block, its last commit signed by ``votes``."""
    height = app.state.height() + 1
    request = FinalizeBlockRequest(
        height,
        GENESIS_TIME_NS + height * BLOCK_INTERVAL_NS,
        b"\x01" * 20,
        hashlib.sha256(b"block %d" % height).digest(),
        hashlib.sha256(b"%d" % height).digest(),
        txs,
        CommitInfo(0, votes),
    )
    result = app.finalize_block(request)
    app.commit()
    return result


def test_minted_coins_and_fees_reach_the_signers() -> None:
    app = new_app(make_genesis({ALICE: FUNDS, BOB: FUNDS}, mint=MintGenesis()))  # 13% inflation
    start_supply = supply(app)
    create_fee = 4_000
    created = signed(app, ALICE, [create_validator(ALICE, 10 * POWER)], gas=400_000, fee=create_fee)
    first = block(app, [created], ())  # the first block pays no one: its coins wait a block
    minted = sum(int(event["amount"]) for event in events_of(first.events, "mint"))
    fees = create_fee
    staking: StakingKeeper = app.registry.keeper("staking")
    distribution: DistributionKeeper = app.registry.keeper("distribution")
    votes = (VoteInfo(staking.validator(app.state.values, raw(ALICE)).cons_address, 10, COMMIT_FLAG),)
    for txs in ([signed(app, BOB, [send(BOB, ALICE, 1)])], [], []):
        result = block(app, txs, votes)
        minted += sum(int(event["amount"]) for event in events_of(result.events, "mint"))
        fees += FEE * len(txs)
    assert minted > 0
    assert supply(app) == start_supply + minted
    assert balance(app, FEE_COLLECTOR) == 0  # each block's minting is shared in that same block
    shared = minted - balance(app, POUW_POOL) + fees
    assert balance(app, DISTRIBUTION) == shared
    assert distribution.module_holdings(app.state.values) == DecCoins.from_coins([Coin(DENOM, shared)])
    assert not distribution.get_outstanding(app.state.values, raw(ALICE)).is_zero()
    assert app.registry.broken_invariants(app.state.values) == []


# -- invariants ----------------------------------------------------------------------------------


def test_module_account_invariant_sees_a_coin_leave_uncounted() -> None:
    chain = one_validator()
    chain.pass_blocks(1, [], 100)
    assert chain.broken() == []
    chain.bank.send_from_module(chain.store, "distribution", raw(BOB), [Coin(DENOM, 1)])
    assert any(problem.startswith("distribution/module-account") for problem in chain.broken())


def test_supply_invariant_counts_module_accounts() -> None:
    chain = one_validator()
    key = chain.bank.balance_key(DISTRIBUTION, DENOM)
    chain.store.set(key, (5).to_bytes(8, "big"))  # coins in a module account that no supply counts
    assert any(problem.startswith("bank/total-supply") for problem in chain.broken())
