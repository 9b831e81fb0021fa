"""One validator of four runs out of disk space under load, stops, and comes back.

Its data folder (LevelDB, consensus WAL, signing state) lives on a small tmpfs the test
mounts; the rest of its home and its log stay on the ordinary disk. Once the network
commits, a filler file takes all but a little of the tmpfs, and bank sends through the
other three make blocks that the victim cannot store. Then:

- the victim stops by itself with a non-zero exit code and one line that says the disk is
  full and what to do, and no traceback;
- the other three go on committing without it;
- with the filler deleted, the victim starts on the same data folder (nothing was torn:
  its handshake and WAL replay accept what is there), catches up from its peers, and holds
  the same block hash and app hash as the others at every height.

Mounting needs root (CAP_SYS_ADMIN); where it is refused the test skips (tests/tmpfs.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import PacedLoad, Wallet, b64, e2e_key
from tests.e2e.network import NetworkFactory, ValidatorNode, app_hash_at, check_same_chain
from tests.tmpfs import fill, mounted_tmpfs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
DISK_BYTES = 64 * 1024 * 1024  # room for the data folder of a young chain, many times over
SLACK_BYTES = 256 * 1024  # what the filler leaves: a few blocks under load
LOAD_TXS_PER_S = 60
MAX_LOAD_TXS = 6_000  # at most 100 s of load
EXIT_S = 90.0  # from the filler to the victim's exit
BLOCKS_WHILE_DOWN = 3  # committed by the other three while the victim's disk is full
WAIT_S = 60.0
START_S = 60.0  # a start imports the whole node: slow while three others and the load share 2 cores
RECIPIENTS = [e2e_key(1700 + i).address for i in range(VALIDATORS - 1)]
DISK_FULL_LINE = "Error: disk full: no space left on device"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        yield disk


def test_disk_full_stops_the_node_and_it_recovers(small_disk: Path, network_factory: NetworkFactory) -> None:
    network = network_factory(VALIDATORS, start=False)
    *others, victim = network.nodes
    move_data_dir(victim, small_disk / "data")
    network.start_all(min_height=2, timeout=START_S)

    load = Load(others)
    load.start()
    try:
        filler = fill(small_disk, SLACK_BYTES)
        exit_code = victim.wait_exit(EXIT_S)
        down_at = max(network.heights(others))
        network.wait_all_height(down_at + BLOCKS_WHILE_DOWN, WAIT_S, nodes=others)
    finally:
        load.stop()
    assert load.sent > 0, "no tx reached the network"
    assert exit_code != 0
    check_one_error_line(victim)

    # Started again on a disk still full, it stops the same way.
    last_bytes = fill(small_disk, 0)
    victim.launch()
    assert victim.wait_exit(START_S) != 0
    check_one_error_line(victim)

    filler.unlink()
    last_bytes.unlink()
    victim.launch()
    victim.wait_started(timeout=START_S)
    height = network.wait_caught_up(victim, WAIT_S)
    check_same_chain(network.nodes, height)
    check_same_app_hashes(others[0], victim, height)


def move_data_dir(node: ValidatorNode, target: Path) -> None:
    """Put the node's data folder at ``target`` behind a symlink, as an operator would mount a
    volume there."""
    data_dir = node.home.data_dir
    shutil.copytree(data_dir, target)
    shutil.rmtree(data_dir)
    data_dir.symlink_to(target, target_is_directory=True)


def check_one_error_line(node: ValidatorNode) -> None:
    """What the stopped node wrote last: one ``Error:`` line, and it says the disk is full."""
    last_start = node.log_tail(10**8).rsplit("===== start #", 1)[-1]
    errors = [line for line in last_start.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, f"expected one error line, got {errors}"
    assert errors[0].startswith(DISK_FULL_LINE), errors[0]
    assert errors[0].endswith("free space and restart"), errors[0]


def check_same_app_hashes(reference: ValidatorNode, node: ValidatorNode, through: int) -> None:
    differ = [h for h in range(1, through + 1) if app_hash_at(node, h) != app_hash_at(reference, h)]
    assert not differ, f"{node.name}'s app hash differs from {reference.name}'s at heights {differ}"


class Load(PacedLoad):
    """Bank sends from each node's own funded account through that node, round robin, until
    stopped or MAX_LOAD_TXS; a refused tx fails the test."""

    def __init__(self, nodes: list[ValidatorNode]) -> None:
        super().__init__("e2e-disk-full-load", LOAD_TXS_PER_S, MAX_LOAD_TXS)
        self.lanes = [
            (Wallet(node, node.account_key), recipient, node.url)
            for node, recipient in zip(nodes, RECIPIENTS, strict=True)
        ]
        self.sent = 0

    def send_all(self) -> None:
        with httpx.Client(timeout=WAIT_S) as http:  # this thread's own connections
            self.pace(lambda index: self.send_one(http, index))

    def send_one(self, http: httpx.Client, index: int) -> None:
        wallet, recipient, url = self.lanes[index % len(self.lanes)]
        raw = wallet.sign([wallet.send_msg(recipient, index + 1)])
        payload = {"jsonrpc": "2.0", "id": index, "method": "broadcast_tx_sync", "params": {"tx": b64(raw)}}
        result = http.post(url, json=payload).json()["result"]
        if result["code"] != 0:
            raise AssertionError(f"load tx refused by {url}: {result}")
        wallet.sequence += 1
        self.sent += 1
