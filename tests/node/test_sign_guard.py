"""The start-up checks of node/sign_guard.py on a real single-validator home: a node whose
priv_validator_state.json is gone refuses to start while its key signed a recent block, and
``double_sign_check_height`` refuses a start while the key signed within that many blocks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import trio

from node import config as node_config
from node.home import Home
from node.node import Node
from node.sign_guard import MISSING_STATE_LOOKBACK, SigningRiskError, last_signed_height
from node.validator_home import init_solo_home

BLOCKS = 3


def home_with_blocks(tmp_path: Path, blocks: int = BLOCKS) -> Home:
    home = Home(tmp_path / "home")
    init_solo_home(home, "guard", "guard-1")
    node = Node.open(home)
    try:
        for _ in range(blocks):
            trio.run(node.solo().produce_block)
    finally:
        node.close()
    return home


def set_check_height(home: Home, height: int) -> None:
    config = node_config.load(home.config_file)
    consensus = dataclasses.replace(config.consensus, double_sign_check_height=height)
    home.config_file.write_text(node_config.render(dataclasses.replace(config, consensus=consensus)))


def test_a_node_with_its_signing_state_starts(tmp_path: Path) -> None:
    home = home_with_blocks(tmp_path)
    node = Node.open(home)
    try:
        assert last_signed_height(node.chain, node.pv.address, MISSING_STATE_LOOKBACK) == BLOCKS
    finally:
        node.close()


def test_a_missing_signing_state_after_signing_refuses_to_start(tmp_path: Path) -> None:
    home = home_with_blocks(tmp_path)
    home.state_file.unlink()
    with pytest.raises(SigningRiskError, match=f"missing, but .* signed the commit of block {BLOCKS}"):
        Node.open(home)
    home.state_file.write_text('{"height": 100, "round": 0, "step": 3}')  # restored: past the chain
    Node.open(home).close()


def test_a_missing_signing_state_before_any_block_starts(tmp_path: Path) -> None:
    home = home_with_blocks(tmp_path, blocks=0)
    home.state_file.unlink(missing_ok=True)
    Node.open(home).close()


def test_double_sign_check_height_refuses_a_key_that_signed_recently(tmp_path: Path) -> None:
    home = home_with_blocks(tmp_path)
    set_check_height(home, 2)
    with pytest.raises(SigningRiskError, match=f"double_sign_check_height = 2: .* block {BLOCKS}"):
        Node.open(home)
    set_check_height(home, 0)
    Node.open(home).close()
