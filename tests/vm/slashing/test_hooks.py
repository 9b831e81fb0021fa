"""Staking's hooks as slashing handles them: bonding starts a validator's window, removal
forgets it unless the validator is tombstoned."""

from __future__ import annotations

from tests.vm.helpers import ALICE, DAVE
from tests.vm.slashing.helpers import UNBONDING, Evidence, SlashingChain
from tests.vm.staking.helpers import create_validator, undelegate
from vm.slashing.hooks import SlashingHooks
from vm.staking.hooks import StakingHooks


def test_slashing_hooks_are_staking_hooks() -> None:
    chain = SlashingChain()
    hooks: StakingHooks = SlashingHooks(chain.slashing)  # checked by mypy: every hook is there
    assert any(isinstance(r, SlashingHooks) for r in chain.keeper.hooks.receivers)
    assert hooks is not None


def removed(tombstone: bool) -> tuple[SlashingChain, bytes]:
    """Alice and Dave bonded at height 1, with missed blocks; Alice (tombstoned if asked)
    then unbonds all her stake and is removed once her unbonding completes."""
    chain = SlashingChain()
    chain.run(create_validator(ALICE, 1000))
    chain.run(create_validator(DAVE, 1000))
    chain.end_block()
    chain.block(absent=[ALICE])
    cons = chain.cons(ALICE)
    if tombstone:
        chain.block(evidence=[Evidence(cons, 2, 1000)])
    chain.run(undelegate(ALICE, ALICE, chain.validator(ALICE).tokens))
    chain.blocks(UNBONDING + 1)
    assert chain.keeper.get_validator(chain.store, cons) is None
    assert chain.keeper.get_validator_by_cons_addr(chain.store, cons) is None
    return chain, cons


def test_a_removed_validator_is_forgotten() -> None:
    chain, cons = removed(tombstone=False)
    assert chain.slashing.get_signing_info(chain.store, cons) is None
    assert list(chain.slashing.missed_blocks(chain.store, cons)) == []
    assert chain.broken() == []


def test_a_removed_tombstoned_validator_keeps_its_tombstone() -> None:
    chain, cons = removed(tombstone=True)
    assert chain.slashing.is_tombstoned(chain.store, cons)
    chain.run(create_validator(ALICE, 1000, key=1))  # the same consensus key again
    chain.end_block()
    info = chain.info(ALICE)
    assert info.tombstoned and info.start_height == chain.height - 1
    chain.block(evidence=[Evidence(cons, chain.height - 1, 1000)])
    assert not chain.jailed(ALICE)  # tombstoned: never punished again
    assert chain.broken() == []
