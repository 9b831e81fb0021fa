"""An in-process single-validator node for the JSON-RPC and REST targets: a real home
(LevelDB stores) in a temporary folder and three blocks, the second with a transfer, so
that blocks, txs, accounts and validators can be found. Made once per process, on first
use, and removed when the process exits."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trio

from node.home import Home
from node.node import Node
from node.validator_home import init_solo_home
from tests.vm.helpers import ALICE, BOB, send, signed
from vm.slashing.types import format_cons_address
from vm.staking.types import format_valoper
from vm.tx import tx_hash
from vm.types import parse_address

CHAIN_ID = "fuzz-1"


@dataclass(frozen=True)
class Solo:
    node: Node
    transfer: bytes  # the tx of block 2

    def names(self) -> dict[str, str]:
        """Values of the parameters that name things on this chain."""
        block = self.node.chain.load_block(2)
        return {
            "account": ALICE.address,
            "other": BOB.address,
            "valoper": format_valoper(parse_address(ALICE.address)),
            "valcons": format_cons_address(self.node.pv.address),
            "tx_hash": tx_hash(self.transfer).hex().upper(),
            "block_hash": "" if block is None else block.hash().hex().upper(),
        }


@functools.cache
def solo() -> Solo:
    folder = Path(tempfile.mkdtemp(prefix="depind-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    home = Home(folder / "solo")
    init_solo_home(home, "solo", CHAIN_ID, operator=ALICE)
    node = Node.open(home)
    atexit.register(node.close)  # before the folder goes: atexit runs last in, first out
    transfer = signed(node.app, ALICE, [send(ALICE, BOB, 5)])
    trio.run(_produce, node, transfer)
    return Solo(node, transfer)


async def _produce(node: Node, transfer: bytes) -> None:
    engine = node.solo()
    await engine.produce_block()
    result = await node.submit_tx(transfer)
    if result.code != 0:
        raise RuntimeError(f"the transfer was refused: {result.log}")
    await engine.produce_block()
    await engine.produce_block()
