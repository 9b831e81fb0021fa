"""A committed chain with GPU market state of every kind, built with signed txs in real
blocks, for the node's market query tests (JSON-RPC and REST), one second a block:

    height 1  ALICE registers 8 H100s (eu-west), DAVE 4 L4s (us-east)
    height 2  ALICE offers 2 H100s at PRICE (offer 1) and 1 at 2 x PRICE (offer 2);
              DAVE offers 4 L4s at 3 x PRICE (offer 3)
    height 3  BOB orders 1 GPU for 2 h at most PRICE (order 1): lease 1 from offer 1;
              CAROL orders 1 at PRICE / 2 (order 2): nothing that cheap, it stays open
    height 4  ALICE accepts lease 1 (charged from this block's time); BOB orders another
              (order 3): lease 2 from offer 1
    height 5  BOB closes lease 2 before it is accepted (requester_closed, all refunded)
    height 6  no txs

Answers are read at height 6: lease 1 has run 2 s at PRICE per GPU-hour.
"""

from __future__ import annotations

from node.keys.hd import PrivateKey
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, apply_block, new_app, register_msg, signed
from tests.vm.market.helpers import H100, L4, PRICE, gpu_spec, market_genesis, offer_msg, order_msg
from vm.app import App
from vm.market.msgs import MsgAcceptLease, MsgCloseLease
from vm.msg import Msg

GAS = 2_000_000
FEE = GAS // 100
COLLATERAL = 10_000_000
QUERY_HEIGHT = 6
ACCEPT_HEIGHT = 4
DURATION_S = 7_200


def tx(app: App, signer: PrivateKey, *msgs: Msg) -> bytes:
    return signed(app, signer, list(msgs), fee=FEE, gas=GAS)


def block(app: App, *txs: bytes) -> None:
    results = apply_block(app, list(txs)).tx_results
    assert all(r.code == 0 for r in results), [r.log for r in results]


def market_app() -> App:
    app = new_app(market_genesis())
    block(
        app,
        tx(app, ALICE, register_msg(ALICE, [gpu_spec(H100, 8)], collateral=COLLATERAL)),
        tx(app, DAVE, register_msg(DAVE, [gpu_spec(L4, 4)], collateral=COLLATERAL, region="us-east")),
    )
    block(
        app,
        tx(app, ALICE, offer_msg(ALICE, 2, PRICE), offer_msg(ALICE, 1, 2 * PRICE)),
        tx(app, DAVE, offer_msg(DAVE, 4, 3 * PRICE, gpu_class=L4)),
    )
    block(
        app,
        tx(app, BOB, order_msg(BOB, 1, DURATION_S, PRICE)),
        tx(app, CAROL, order_msg(CAROL, 1, 3_600, PRICE // 2)),
    )
    block(app, tx(app, ALICE, MsgAcceptLease(ALICE.address, 1)), tx(app, BOB, order_msg(BOB, 1, 600, PRICE)))
    block(app, tx(app, BOB, MsgCloseLease(BOB.address, 2)))
    block(app)
    assert app.state.height() == QUERY_HEIGHT
    return app
