"""A committed chain with staking state of every kind, built with signed txs in real
blocks, for the query tests (gRPC, JSON paths, REST, JSON-RPC and the CLI):

    height 1  ALICE, BOB and CAROL create validators (2, 4 and 6 DEPIN): all three bond
    height 2  DAVE creates one with 8 DEPIN: ALICE drops out of the set (max 3) and
              unbonds; ERIN creates one with 1 DEPIN, which stays unbonded; FRANK
              delegates 1 DEPIN to BOB, 0.5 to CAROL and 0.3 to DAVE
    height 3  FRANK undelegates 0.3 DEPIN from BOB and redelegates 0.2 from CAROL to DAVE

Answers are read at height 3; unbonding takes 3 blocks, so everything is still maturing.
"""

from __future__ import annotations

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, DENOM, FUNDS, apply_block, key, new_app, signed
from tests.vm.staking.helpers import PARAMS, create_validator, delegate, staking_genesis, undelegate
from tests.vm.staking.vectors import valoper
from vm.app import App
from vm.msg import Msg
from vm.staking.msgs import MsgBeginRedelegate
from vm.types import Coin

ERIN, FRANK = key(5), key(6)
DEPIN = 1_000_000
GAS = 600_000
FEE = 6_000  # the minimum for GAS at the default price

ALICE_STAKE, BOB_STAKE, CAROL_STAKE, DAVE_STAKE, ERIN_STAKE = (
    2 * DEPIN,
    4 * DEPIN,
    6 * DEPIN,
    8 * DEPIN,
    DEPIN,
)
UNDELEGATED = 300_000
REDELEGATED = 200_000
UNBONDING_BLOCKS = PARAMS.unbonding_blocks
QUERY_HEIGHT = 3


def tx(app: App, signer: PrivateKey, msgs: list[Msg]) -> bytes:
    return signed(app, signer, msgs, gas=GAS, fee=FEE)


def staked_app() -> App:
    funded = {k: FUNDS for k in (ALICE, BOB, CAROL, DAVE, ERIN, FRANK)}
    app = new_app(staking_genesis(funded=funded))
    first = [
        tx(app, ALICE, [create_validator(ALICE, ALICE_STAKE)]),
        tx(app, BOB, [create_validator(BOB, BOB_STAKE)]),
        tx(app, CAROL, [create_validator(CAROL, CAROL_STAKE)]),
    ]
    second = [
        tx(app, DAVE, [create_validator(DAVE, DAVE_STAKE)]),
        tx(app, ERIN, [create_validator(ERIN, ERIN_STAKE, key=5, moniker="erin")]),
        tx(
            app,
            FRANK,
            [delegate(FRANK, BOB, DEPIN), delegate(FRANK, CAROL, DEPIN // 2), delegate(FRANK, DAVE, 300_000)],
        ),
    ]
    for block in (first, second):
        results = apply_block(app, block).tx_results
        assert all(r.code == 0 for r in results), [r.log for r in results]
    third = [
        tx(
            app,
            FRANK,
            [
                undelegate(FRANK, BOB, UNDELEGATED),
                MsgBeginRedelegate(FRANK.address, valoper(CAROL), valoper(DAVE), Coin(DENOM, REDELEGATED)),
            ],
        )
    ]
    results = apply_block(app, third).tx_results
    assert all(r.code == 0 for r in results), [r.log for r in results]
    assert app.state.height() == QUERY_HEIGHT
    return app
