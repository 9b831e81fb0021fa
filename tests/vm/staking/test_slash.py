"""StakingKeeper.slash, jail and unjail (Cosmos's keeper/slash.go), with a power reduction
of 1 so tokens and power are the same numbers.

The stake behind an infraction at height H is the validator's power then; whatever left
it since (unbonding delegations and redelegations begun at H or later) pays its share of
the slash first, the validator's tokens the rest."""

from __future__ import annotations

import msgspec
import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, raw
from tests.vm.staking.helpers import (
    PARAMS,
    Chain,
    create_validator,
    delegate,
    fresh_registry,
    staking_genesis,
    undelegate,
)
from tests.vm.staking.test_genesis import genesis_validator, self_delegation, with_validators
from tests.vm.staking.test_redelegations import redelegate
from tests.vm.staking.vectors import valoper
from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.errors import InvalidTx
from vm.staking.hooks import NoHooks
from vm.types import Address

TENTH = dec.parse("0.1")
UNIT = msgspec.structs.replace(PARAMS, power_reduction=1, unbonding_blocks=10)


class SlashRecorder(NoHooks):
    def __init__(self) -> None:
        self.fractions: list[Dec] = []

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        self.fractions.append(fraction)


def staked(registry: object = None) -> Chain:
    """Alice's validator with 100 of her own and 100 of Bob's, bonded at height 1."""
    chain = Chain(staking_genesis(UNIT), registry=registry)  # type: ignore[arg-type]
    chain.run(create_validator(ALICE, 100))
    chain.run(delegate(BOB, ALICE, 100))
    chain.end_block()
    return chain


def cons(chain: Chain, operator: object = ALICE) -> bytes:
    return chain.validator(operator).cons_address  # type: ignore[arg-type]


def test_slash_at_the_current_height_burns_from_the_bonded_pool() -> None:
    chain = staked()
    supply = chain.supply()
    burnt = chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 200, TENTH)
    assert burnt == 20
    assert chain.validator(ALICE).tokens == 180
    assert chain.bonded_pool() == 180 and chain.supply() == supply - 20
    assert chain.keeper.delegation_tokens(chain.store, raw(BOB), raw(ALICE)) == dec.from_int(90)
    assert chain.end_block() != []  # power 200 -> 180
    assert chain.broken() == []


def test_unbondings_begun_at_or_after_the_infraction_pay_their_share() -> None:
    chain = staked()
    chain.run(delegate(CAROL, ALICE, 40))
    chain.end_block()
    chain.run(undelegate(CAROL, ALICE, 40))  # height 2: before the infraction
    chain.end_block()
    infraction = chain.height  # 3, when Alice's power was 200
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, 50))  # height 4: after it
    supply = chain.supply()
    burnt = chain.keeper.slash(chain.ctx(), cons(chain), infraction, 200, TENTH)
    # 10% of 200 = 20: Bob's unbonding owes 10% of 50 = 5, the validator the other 15.
    assert burnt == 15
    bob = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    carol = chain.keeper.get_unbonding_delegation(chain.store, raw(CAROL), raw(ALICE))
    assert bob is not None and [(e.initial_balance, e.balance) for e in bob.entries] == [(50, 45)]
    assert carol is not None and [(e.initial_balance, e.balance) for e in carol.entries] == [(40, 40)]
    assert chain.validator(ALICE).tokens == 150 - 15
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (135, 85)
    assert chain.supply() == supply - 20
    assert chain.broken() == []


def test_redelegations_begun_after_the_infraction_are_slashed_at_their_destination() -> None:
    chain = staked()
    chain.run(create_validator(DAVE, 100))
    chain.end_block()
    infraction = chain.height
    chain.end_block()
    chain.run(redelegate(BOB, ALICE, DAVE, 50))  # Bob now holds 50 shares at Dave
    supply = chain.supply()
    burnt = chain.keeper.slash(chain.ctx(), cons(chain), infraction, 200, TENTH)
    assert burnt == 15  # 20 owed, 5 of it by the redelegation
    assert chain.validator(DAVE).tokens == 150 - 5  # the redelegated tokens are at Dave
    bob_at_dave = chain.delegation(BOB, DAVE)
    assert bob_at_dave is not None and bob_at_dave.shares == dec.from_int(45)
    red = chain.keeper.get_redelegation(chain.store, raw(BOB), raw(ALICE), raw(DAVE))
    assert red is not None and red.entries[0].shares_dst == dec.from_int(50)  # the record keeps its start
    assert chain.validator(ALICE).tokens == 150 - 15
    assert chain.supply() == supply - 20
    assert chain.broken() == []


def test_a_slash_never_takes_more_than_the_validator_holds() -> None:
    chain = staked()
    supply = chain.supply()
    assert chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 1_000, dec.ONE) == 200
    assert chain.validator(ALICE).tokens == 0
    assert chain.supply() == supply - 200
    assert chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 1_000, dec.ONE) == 0  # nothing left
    assert chain.broken() == []


def test_the_hook_gets_the_effective_fraction() -> None:
    chain = staked(fresh_registry())
    recorder = SlashRecorder()
    chain.keeper.set_hooks(recorder)
    chain.run(undelegate(BOB, ALICE, 100))  # tokens 100; power at the infraction was 200
    chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 200, dec.parse("0.3"))
    # 60 owed, all from the validator's 100 tokens: 0.6 of them
    assert recorder.fractions == [dec.parse("0.6")]
    chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 3, dec.parse("0.5"))
    # trunc(1.5) = 1 token of the 40 left: 1/40 = 0.025 exactly
    assert recorder.fractions[-1] == dec.parse("0.025")
    chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 2, dec.parse("0.5"))
    # 1 token of 39: 0.025641025641025641025..., rounded up at the 18th digit (QuoRoundUp)
    assert recorder.fractions[-1] == dec.parse("0.025641025641025642")


def test_unknown_consensus_address_is_ignored() -> None:
    chain = staked()
    assert chain.keeper.slash(chain.ctx(), b"\x09" * 20, chain.height, 100, TENTH) == 0


def test_invalid_slashes() -> None:
    chain = staked()
    with pytest.raises(InvalidTx, match="negative"):
        chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 100, -1)
    with pytest.raises(InvalidTx, match="cannot slash an infraction"):
        chain.keeper.slash(chain.ctx(), cons(chain), chain.height + 1, 100, TENTH)


def test_invalid_slash_of_an_unbonded_validator() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(UNIT, max_validators=1)))
    chain.run(create_validator(ALICE, 100))
    chain.run(create_validator(BOB, 10))  # outside the set of one
    chain.end_block()
    with pytest.raises(InvalidTx, match="unbonded"):
        chain.keeper.slash(chain.ctx(), cons(chain, BOB), chain.height, 10, TENTH)


def test_invalid_jail_and_unjail() -> None:
    chain = staked()
    with pytest.raises(InvalidTx) as missing:
        chain.keeper.jail(chain.ctx(), b"\xab" * 20)
    assert (missing.value.codespace, missing.value.code) == ("staking", 3)
    assert missing.value.detail == f"no validator with consensus address {'AB' * 20}"
    with pytest.raises(InvalidTx, match="not jailed"):
        chain.keeper.unjail(chain.ctx(), cons(chain))
    chain.keeper.jail(chain.ctx(), cons(chain))
    with pytest.raises(InvalidTx) as twice:
        chain.keeper.jail(chain.ctx(), cons(chain))
    assert twice.value.code == 7
    assert twice.value.detail == f"cannot jail already jailed validator {valoper(ALICE)}"


def test_each_unbonding_entry_from_the_infraction_height_on_pays() -> None:
    chain = staked()
    chain.run(undelegate(BOB, ALICE, 10))  # before the infraction: does not pay
    chain.end_block()
    infraction = chain.height  # Alice's power is 190
    chain.run(undelegate(BOB, ALICE, 20))  # at the infraction's height: pays
    chain.end_block()
    chain.run(undelegate(BOB, ALICE, 30))  # after it: pays
    supply = chain.supply()
    burnt = chain.keeper.slash(chain.ctx(), cons(chain), infraction, 190, TENTH)
    # 19 owed: the entries pay 2 and 3, the validator the other 14.
    assert burnt == 14
    bob = chain.keeper.get_unbonding_delegation(chain.store, raw(BOB), raw(ALICE))
    assert bob is not None and [(e.initial_balance, e.balance) for e in bob.entries] == [
        (10, 10),
        (20, 18),
        (30, 27),
    ]
    assert chain.validator(ALICE).tokens == 140 - 14
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (126, 55)
    assert chain.supply() == supply - 19
    assert chain.broken() == []


def test_each_redelegation_entry_from_the_infraction_height_on_pays() -> None:
    chain = staked()
    chain.run(create_validator(DAVE, 100))
    chain.run(redelegate(BOB, ALICE, DAVE, 20))  # before the infraction: does not pay
    chain.end_block()
    infraction = chain.height  # Alice's power is 180
    chain.run(redelegate(BOB, ALICE, DAVE, 10))  # at the infraction's height: 1 share pays
    chain.end_block()
    chain.run(redelegate(BOB, ALICE, DAVE, 30))  # after it: 3 shares pay
    supply = chain.supply()
    burnt = chain.keeper.slash(chain.ctx(), cons(chain), infraction, 180, TENTH)
    # 18 owed: the redelegations 1 + 3 at Dave, the validator the other 14.
    assert burnt == 14
    bob_at_dave = chain.delegation(BOB, DAVE)
    assert bob_at_dave is not None and bob_at_dave.shares == dec.from_int(60 - 4)
    assert chain.validator(DAVE).tokens == 160 - 4
    assert chain.validator(ALICE).tokens == 140 - 14
    assert chain.bonded_pool() == 126 + 156
    assert chain.supply() == supply - 18
    assert chain.broken() == []


def test_a_zero_fraction_burns_nothing() -> None:
    chain = staked()
    supply = chain.supply()
    assert chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 200, dec.from_int(0)) == 0
    assert chain.supply() == supply and chain.validator(ALICE).tokens == 200


def test_an_unbonding_validator_is_slashed_from_the_not_bonded_pool() -> None:
    chain = staked()
    chain.keeper.jail(chain.ctx(), cons(chain))
    chain.end_block()  # jailed: leaves the set and begins unbonding
    assert chain.validator(ALICE).is_unbonding()
    pools = (chain.bonded_pool(), chain.not_bonded_pool())
    assert chain.keeper.slash(chain.ctx(), cons(chain), chain.height, 200, TENTH) == 20
    assert (chain.bonded_pool(), chain.not_bonded_pool()) == (pools[0], pools[1] - 20)
    assert chain.broken() == []


def redelegate_20_and_30_after_an_infraction(chain: Chain) -> int:
    """Bob moves 20 and then 30 tokens from Alice to Dave, in the two blocks after the one
    Alice (power 200) misbehaves in; that block's height."""
    chain.end_block()
    infraction = chain.height
    chain.end_block()
    chain.run(redelegate(BOB, ALICE, DAVE, 20))
    chain.end_block()
    chain.run(redelegate(BOB, ALICE, DAVE, 30))
    return infraction


def test_redelegations_to_an_unbonded_validator_burn_from_the_not_bonded_pool() -> None:
    chain = Chain(staking_genesis(msgspec.structs.replace(UNIT, max_validators=1)))
    chain.run(create_validator(ALICE, 100))
    chain.run(delegate(BOB, ALICE, 100))
    chain.run(create_validator(DAVE, 10))  # outside the set of one: unbonded
    infraction = redelegate_20_and_30_after_an_infraction(chain)
    supply, not_bonded = chain.supply(), chain.not_bonded_pool()
    assert chain.keeper.slash(chain.ctx(), cons(chain), infraction, 200, TENTH) == 15
    # The redelegations owe 2 + 3, unbonded from Dave and burnt where his tokens are.
    assert chain.validator(DAVE).tokens == 60 - 5
    assert chain.not_bonded_pool() == not_bonded - 5
    assert chain.supply() == supply - 20
    assert chain.broken() == []


def test_a_redelegation_entry_owing_no_share_spares_only_itself() -> None:
    """Dave's genesis validator holds 8 tokens for 2 shares, so Bob's redelegations of 1 and 4
    tokens get 0.25 and 1 share there. A slash of 10^-18 owes round(0.25e-18) = no share for
    the first, which is skipped, and 10^-18 share, the least there is, for the second."""
    dave = genesis_validator(DAVE, 8, 4, delegator_shares="2.000000000000000000")
    chain = Chain(with_validators(dave, delegations=[self_delegation(DAVE, 2)], params=UNIT))
    chain.run(create_validator(ALICE, 100))
    chain.run(delegate(BOB, ALICE, 100))
    chain.end_block()
    infraction = chain.height
    chain.end_block()
    chain.run(redelegate(BOB, ALICE, DAVE, 1))
    chain.run(redelegate(BOB, ALICE, DAVE, 4))
    chain.keeper.slash(chain.ctx(), cons(chain), infraction, 200, dec.parse("0.000000000000000001"))
    bob_at_dave = chain.delegation(BOB, DAVE)
    assert bob_at_dave is not None and bob_at_dave.shares == dec.parse("1.25") - 1
    assert chain.broken() == []


def test_redelegations_whose_delegation_is_gone_still_owe_their_share() -> None:
    chain = staked()
    chain.run(create_validator(DAVE, 100))
    infraction = redelegate_20_and_30_after_an_infraction(chain)
    chain.run(undelegate(BOB, DAVE, 50))  # nothing left at Dave to take
    supply = chain.supply()
    # 20 owed: the redelegations' 2 + 3 count though nothing is taken; the validator pays 15.
    assert chain.keeper.slash(chain.ctx(), cons(chain), infraction, 200, TENTH) == 15
    assert chain.supply() == supply - 15
    assert chain.broken() == []
