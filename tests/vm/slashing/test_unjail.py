"""MsgUnjail (Cosmos's keeper/unjail.go): a validator jailed for downtime comes back once
its jail time has passed, if its operator's own stake still meets its minimum; a
tombstoned one never does. Each rejection has Cosmos's code in the ``slashing``
codespace."""

from __future__ import annotations

import pytest

from tests.vm.helpers import ALICE, BOB, CAROL, DAVE
from tests.vm.slashing.helpers import Evidence, SlashingChain
from tests.vm.staking.helpers import create_validator, delegate, undelegate
from tests.vm.staking.vectors import valoper
from vm.errors import InvalidTx
from vm.slashing.msgs import MsgUnjail
from vm.slashing.types import DOUBLE_SIGN_JAIL_END


def jailed_for_downtime(min_self_delegation: int = 1) -> SlashingChain:
    """Alice (1000 of her own, 500 of Bob's) and Dave bonded at height 1; Alice misses every
    block and is jailed at height 12, until 60 s of header time later."""
    chain = SlashingChain()
    chain.run(create_validator(ALICE, 1000, min_self_delegation=min_self_delegation))
    chain.run(delegate(BOB, ALICE, 500))
    chain.run(create_validator(DAVE, 1000))
    chain.end_block()
    while not chain.jailed(ALICE):
        chain.block(absent=[ALICE])
    return chain


def serve_time(chain: SlashingChain) -> None:
    while chain.time_ns < chain.info(ALICE).jailed_until.ns():
        chain.block()


def rejection(chain: SlashingChain, msg: MsgUnjail) -> tuple[str, int]:
    error = chain.fails(msg)
    return error.codespace, error.code


def test_unjail_once_the_jail_time_has_passed() -> None:
    chain = jailed_for_downtime()
    serve_time(chain)
    assert chain.time_ns == chain.info(ALICE).jailed_until.ns()  # the very first instant allowed
    chain.run(MsgUnjail(valoper(ALICE)))
    assert not chain.jailed(ALICE)
    assert chain.end_block() != []  # back in the set
    assert chain.validator(ALICE).is_bonded()
    assert chain.broken() == []


def test_invalid_unjail_before_the_jail_time() -> None:
    chain = jailed_for_downtime()
    while chain.time_ns + 5 * 10**9 < chain.info(ALICE).jailed_until.ns():
        chain.block()
    assert chain.time_ns < chain.info(ALICE).jailed_until.ns()
    assert rejection(chain, MsgUnjail(valoper(ALICE))) == ("slashing", 4)
    assert chain.jailed(ALICE)


def test_invalid_unjail_of_no_validator() -> None:
    chain = jailed_for_downtime()
    assert rejection(chain, MsgUnjail(valoper(CAROL))) == ("slashing", 2)


def test_invalid_unjail_of_a_validator_that_is_not_jailed() -> None:
    chain = jailed_for_downtime()
    assert rejection(chain, MsgUnjail(valoper(DAVE))) == ("slashing", 5)


def test_invalid_unjail_without_a_self_delegation() -> None:
    chain = jailed_for_downtime()
    serve_time(chain)
    chain.run(undelegate(ALICE, ALICE, 990))  # all of hers: 1000 less the 1% slash
    assert chain.delegation(ALICE, ALICE) is None
    assert rejection(chain, MsgUnjail(valoper(ALICE))) == ("slashing", 6)


def test_invalid_unjail_below_the_minimum_self_delegation() -> None:
    chain = jailed_for_downtime(min_self_delegation=990)
    serve_time(chain)
    chain.run(undelegate(ALICE, ALICE, 1))  # 990 of hers after the 1% slash, then 989
    error = chain.fails(MsgUnjail(valoper(ALICE)))
    assert (error.codespace, error.code) == ("slashing", 7)
    assert "989 less than 990" in error.log
    chain.run(delegate(ALICE, ALICE, 1))
    chain.run(MsgUnjail(valoper(ALICE)))
    assert not chain.jailed(ALICE)


def test_invalid_unjail_of_a_tombstoned_validator_ever() -> None:
    chain = jailed_for_downtime()
    chain.block(evidence=[Evidence(chain.cons(ALICE), 5, 1500)])  # double signed while it was bonded
    assert chain.info(ALICE).tombstoned
    chain.time_ns = DOUBLE_SIGN_JAIL_END.ns() + 1  # even past the end of its jail
    assert rejection(chain, MsgUnjail(valoper(ALICE))) == ("slashing", 4)
    assert chain.jailed(ALICE)


def test_a_validator_jailed_before_it_ever_bonded_may_unjail_at_once() -> None:
    """Jailed by staking for dropping below its minimum: no signing info, no jail time."""
    chain = SlashingChain()
    chain.run(create_validator(ALICE, 1000))
    chain.run(create_validator(BOB, 1000))
    chain.run(create_validator(DAVE, 1000))
    chain.run(create_validator(CAROL, 10, min_self_delegation=10))  # fourth of max 3: never bonded
    chain.end_block()
    chain.run(undelegate(CAROL, CAROL, 1))
    assert chain.jailed(CAROL) and chain.signing_info(CAROL) is None
    chain.run(delegate(CAROL, CAROL, 1))
    chain.run(MsgUnjail(valoper(CAROL)))
    assert not chain.jailed(CAROL)


def test_invalid_unjail_message() -> None:
    with pytest.raises(InvalidTx) as wrong:
        MsgUnjail(ALICE.address).validate()  # an account address, not an operator's
    assert (wrong.value.codespace, wrong.value.code) == ("sdk", 7)
    assert MsgUnjail("depinvaloper1nonsense").signer() == ""
    assert MsgUnjail(valoper(ALICE)).signer() == ALICE.address
