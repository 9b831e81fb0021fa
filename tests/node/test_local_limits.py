"""Local settings make a node's own mempool stricter; they never change a block's verdict."""

from __future__ import annotations

from pathlib import Path

from genesis.schema import CoinJSON
from node import config as node_config
from node.client import build_tx
from node.home import Home, add_genesis_account
from node.node import Node
from node.validator_home import init_solo_home
from tests.vm.helpers import ALICE, DENOM, block_request
from vm.bank.msgs import Input, MsgMultiSend, Output
from vm.types import Coin

CHAIN_ID = "limits-1"
OUTPUTS = 30  # about 2 KB of tx


def test_a_smaller_mempool_tx_limit_does_not_change_a_block_verdict(tmp_path: Path) -> None:
    home = Home(tmp_path / "node")
    init_solo_home(home, "limits", CHAIN_ID)
    add_genesis_account(home, ALICE.address, [CoinJSON(denom=DENOM, amount=10**12)])
    settings = node_config.Config(mempool=node_config.MempoolSettings(max_tx_bytes=1_000))
    home.config_file.write_text(node_config.render(settings))
    node = Node.open(home)
    try:
        recipients = [Output(ALICE.address, [Coin(DENOM, 1)]) for _ in range(OUTPUTS)]
        send = MsgMultiSend([Input(ALICE.address, [Coin(DENOM, OUTPUTS)])], recipients)
        tx = build_tx(ALICE, CHAIN_ID, 1, 0, [send], [Coin(DENOM, 5_000)], 500_000)  # account 0: the operator
        assert 1_000 < len(tx) <= node.app.consensus_params().block.max_tx_bytes
        assert node.mempool.check_tx(tx).code == 21  # this node keeps it out of its own mempool
        result = node.app.finalize_block(block_request(1, 2 * 10**18, [tx]))
        assert result.tx_results[0].code == 0  # but executes it in a block like every other node
    finally:
        node.close()
