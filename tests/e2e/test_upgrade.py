"""A software upgrade on a real single-validator chain (docs/upgrades.md), scheduled in
genesis (the way to plan one without governance):

- the released binary stops after the block before the plan's height, with exit code 3,
  the log line and ``data/upgrade-info.json``, and stops again at once when restarted;
- the next release (tests/e2e/upgraded.py) runs the migration once at that height and the
  chain goes on;
- with ``--unsafe-skip-upgrades`` the released binary goes on without migrating;
- the next release started too early refuses to run the chain's blocks.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from typing import Any

from genesis.schema import GenesisDoc, MintParams, set_section
from genesis.upgrade import PlanJSON, UpgradeGenesis
from node.storage.chain import ChainStore
from node.storage.leveldb import cached, open_leveldb
from node.upgrade import EXIT_UPGRADE_NEEDED, INFO_FILE
from tests.e2e.harness import DepindProcess, NodeFactory
from tests.e2e.upgraded import upgraded_command
from vm.app import App

NAME = "v2"
HEIGHT = 4
INFO = '{"binaries":{"linux/amd64":"https://example.org/depind-v2"}}'
EXIT_TIMEOUT_S = 60.0
HALT_LINE = f"ERROR depind.node: upgrade {NAME} needed at height {HEIGHT}: {INFO}"
BLOCKS_PER_YEAR = MintParams().blocks_per_year


def schedule(height: int) -> Callable[[GenesisDoc], None]:
    def edit(doc: GenesisDoc) -> None:
        set_section(doc, "upgrade", UpgradeGenesis(plan=PlanJSON(name=NAME, height=height, info=INFO)))

    return edit


def exit_code(node: DepindProcess) -> int:
    """Launch the node and wait for it to exit by itself."""
    node.launch()
    assert node.process is not None
    try:
        return node.process.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the node did not stop in {EXIT_TIMEOUT_S}s\n{node.log_tail()}") from None


def stored_heights(node: DepindProcess) -> tuple[int, int]:
    """(block store height, application height) of a stopped node, read from its database."""
    db = open_leveldb(node.home.db_path)
    try:
        chain = ChainStore(db)
        return chain.height(), App(cached(chain.state_kv)).info()[0]
    finally:
        db.close()


def blocks_per_year(node: DepindProcess) -> int:
    return int(node.rpc("params", module="mint")["mint"]["blocks_per_year"])


def applied_height(node: DepindProcess) -> int:
    data = json.dumps({"name": NAME}).encode().hex()
    response = node.rpc("abci_query", path="/upgrade/applied_plan", data=data)["response"]
    assert response["code"] == 0, response
    answer: dict[str, Any] = json.loads(base64.b64decode(response["value"]))
    return int(answer["applied_height"])


def test_the_released_binary_halts_and_the_next_release_migrates_once(node_factory: NodeFactory) -> None:
    node = node_factory(start=False, edit_genesis=schedule(HEIGHT))
    assert exit_code(node) == EXIT_UPGRADE_NEEDED
    assert HALT_LINE in node.log_tail()
    info_file = node.home.data_dir / INFO_FILE
    assert json.loads(info_file.read_text()) == {"name": NAME, "height": HEIGHT, "info": INFO}
    assert stored_heights(node) == (HEIGHT - 1, HEIGHT - 1)  # the block before, whole

    info_file.unlink()
    assert exit_code(node) == EXIT_UPGRADE_NEEDED  # the same binary again: it stops at once
    assert node.log_tail().count(HALT_LINE) == 2
    assert info_file.exists()
    assert stored_heights(node) == (HEIGHT - 1, HEIGHT - 1)

    node.command = upgraded_command(node.home.root, NAME)
    node.start(min_height=HEIGHT + 1)
    assert node.rpc("upgrade_plan")["plan"] is None
    assert applied_height(node) == HEIGHT
    assert blocks_per_year(node) == BLOCKS_PER_YEAR + 1
    events = node.rpc("block_results", height=HEIGHT)["finalize_block_events"]
    assert [e for e in events if e["type"] == "upgrade_applied"]

    node.restart(min_height=node.height() + 2)  # replayed nothing, migrated nothing again
    assert blocks_per_year(node) == BLOCKS_PER_YEAR + 1


def test_a_node_skipping_the_upgrade_goes_on(node_factory: NodeFactory) -> None:
    node = node_factory(start=False, edit_genesis=schedule(HEIGHT))
    node.command = [*node.command, "--unsafe-skip-upgrades", str(HEIGHT)]
    node.start(min_height=HEIGHT + 2)
    assert node.rpc("upgrade_plan")["plan"] is None
    assert applied_height(node) == 0
    assert blocks_per_year(node) == BLOCKS_PER_YEAR
    assert not (node.home.data_dir / INFO_FILE).exists()


def test_invalid_next_release_before_the_upgrade_height(node_factory: NodeFactory) -> None:
    node = node_factory(start=False, edit_genesis=schedule(1_000))
    node.command = upgraded_command(node.home.root, NAME)
    assert exit_code(node) == 1
    assert (
        f"binary updated before upgrade height: upgrade {NAME} is planned at height 1000" in node.log_tail()
    )
    assert not (node.home.data_dir / INFO_FILE).exists()
    assert stored_heights(node) == (0, 0)
