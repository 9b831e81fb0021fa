"""Clock skew on a running network of four validators (real ``depind start`` processes):
one validator's wall clock runs 30 s ahead, another's 30 s behind, and the chain goes on
as BFT time (consensus/bfttime.py) says it should.

The skew comes from libfaketime (installed with apt when missing), preloaded into the two
skewed processes with ``FAKETIME`` at +30 s and -30 s. Only the wall clock is skewed
(``FAKETIME_DONT_FAKE_MONOTONIC``): a machine whose clock is set wrong still measures
intervals right, and trio's timeouts run on the monotonic clock (with the monotonic clock
faked too, libfaketime 0.9.10 sets it to the faked wall clock and timed waits hang). A
probe checks that the hook takes effect in this Python before the network starts; the
skewed validators' precommit times show that it took effect in the nodes. One known
fault of libfaketime 0.9.10 (wolfcw/libfaketime#426): ``time.sleep`` fails with EINVAL
when the monotonic clock is not faked, as Python 3.11 sleeps with an absolute monotonic
deadline. Nothing a validator runs here calls it (trio sleeps in epoll), and a node that
did would log a traceback, which fails the test.

Each validator holds a quarter of the power, so neither skewed one can move a median on
its own. Over BLOCKS blocks:

- the network keeps committing, every node the same chain;
- every block's time is the power-weighted median of its last commit's COMMIT times,
  and block times strictly increase;
- the honest validators precommit at their own clocks, later than the block's time (the
  chain's time is never ahead of honest clocks), and every block's time lies between the
  honest precommits' times in its last commit: the validator ahead cannot drag it forward,
  nor the one behind drag it back;
- the validator ahead precommits at least 30 s after the block's time, the one behind at
  the block's time + 1 ms (a vote never precedes its block), and the precommits of both
  are counted;
- no evidence, no jailing, no slash, no tombstone, with a signed-blocks window short
  enough that a validator whose precommits were refused would be jailed within the run.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consensus.bfttime import MIN_BLOCK_INTERVAL_NS, weighted_median
from consensus.types import BlockIDFlag
from genesis.schema import GenesisDoc, SlashingGenesis, get_section, set_section
from node.light import parse_rfc3339
from node.testnet import VALIDATOR_STAKE
from tests.e2e.network import Network, NetworkFactory, ValidatorNode, check_same_chain
from vm.crypto import VALOPER_HRP, address_from_pubkey

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALIDATORS = 4
SKEW_S = 30
SKEW_NS = SKEW_S * 10**9
BLOCKS = 20
WAIT_S = 120.0  # for BLOCKS blocks: well under a minute on an idle machine
START_S = 60.0
SIGNED_BLOCKS_WINDOW = 10  # missing more than half of it jails: within the run
# Of the BLOCKS commits, those a validator's precommit may miss by coming late on a busy
# machine (0-2 on 2 quiet cores, up to half under heavy load, skewed or not); a validator
# whose votes were refused would miss them all.
MISSED_TOLERANCE = BLOCKS // 2
PROBE_TIMEOUT_S = 60
INSTALL_TIMEOUT_S = 600
LIBRARY = "libfaketimeMT.so.1"  # the build for threaded processes
LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu/faketime",
    "/usr/lib/aarch64-linux-gnu/faketime",
    "/usr/lib/faketime",
)
PROBE = "import json, time; print(json.dumps([time.time_ns(), time.monotonic_ns()]))"
FIRST_HEIGHT = 2  # the first block with a last commit, so with a time of BFT time


def test_network_commits_in_bft_time_with_clocks_30s_apart(
    faketime: Path, network_factory: NetworkFactory
) -> None:
    for offset_s in (SKEW_S, -SKEW_S):
        check_skew_applies(skew_env(faketime, offset_s), offset_s * 10**9)
    network = network_factory(VALIDATORS, start=False)
    network.edit_genesis(shorten_window)
    reader, ahead, behind, other = network.nodes
    ahead.env = skew_env(faketime, SKEW_S)
    behind.env = skew_env(faketime, -SKEW_S)
    network.start_all(min_height=FIRST_HEIGHT, timeout=START_S)

    first = max(network.heights())
    last = first + BLOCKS
    network.wait_all_height(last + 1, WAIT_S)  # block last + 1 holds the commit of block last
    check_same_chain(network.nodes, last + 1)
    blocks = [read_block(reader, height) for height in range(FIRST_HEIGHT, last + 2)]
    assert blocks[-1].time_ns <= time.time_ns(), "the chain's time is ahead of this (honest) clock"

    honest = {reader.validator_address, other.validator_address}
    for parent, child in itertools.pairwise(blocks):
        check_bft_time(parent, child, honest)
        check_skewed_votes(parent, child, ahead.validator_address, behind.validator_address)
    check_rarely_missed([block for block in blocks if block.height > first], network.nodes)
    # Block 1 has nothing before it to carry evidence of.
    assert not [block.height for block in blocks if block.evidence], "a block carries evidence"
    check_not_punished(reader, network)


# -- the skew ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def faketime() -> Path:
    """libfaketime's preload library, installed with apt when the machine has none."""
    found = find_faketime()
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=INSTALL_TIMEOUT_S)
        install = ["apt-get", "install", "-y", "-qq", "libfaketime"]
        subprocess.run(install, check=True, timeout=INSTALL_TIMEOUT_S)
        found = find_faketime()
    assert found is not None, "libfaketime is not installed and apt could not install it"
    return found


def find_faketime() -> Path | None:
    return next((Path(d) / LIBRARY for d in LIBRARY_DIRS if (Path(d) / LIBRARY).is_file()), None)


def skew_env(library: Path, offset_s: int) -> dict[str, str]:
    """The environment that runs a process with its wall clock ``offset_s`` off and its
    monotonic clock true."""
    return {"LD_PRELOAD": str(library), "FAKETIME": f"{offset_s:+d}s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def check_skew_applies(env: Mapping[str, str], offset_ns: int) -> None:
    """A Python child under ``env`` reads our wall clock + ``offset_ns`` and our monotonic
    clock (CLOCK_MONOTONIC is system-wide): each within the span of the child's run."""
    wall_before, monotonic_before = time.time_ns(), time.monotonic_ns()
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    wall_after, monotonic_after = time.time_ns(), time.monotonic_ns()
    assert done.returncode == 0, done.stderr
    wall, monotonic = json.loads(done.stdout)
    assert wall_before + offset_ns <= wall <= wall_after + offset_ns, f"wall clock not {offset_ns} ns off"
    assert monotonic_before <= monotonic <= monotonic_after, "the monotonic clock is skewed too"


def shorten_window(doc: GenesisDoc) -> None:
    slashing = get_section(doc, "slashing", SlashingGenesis)
    slashing.params.signed_blocks_window = SIGNED_BLOCKS_WINDOW
    set_section(doc, "slashing", slashing)


# -- the blocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Precommit:
    address: str
    time_ns: int
    power: int


@dataclass(frozen=True)
class BlockView:
    """What a block says about time: its own, and the COMMIT entries of its last commit,
    each with the power its validator had at the height the commit decided."""

    height: int
    time_ns: int
    last_commit: list[Precommit]
    evidence: list[str]

    def precommit_times(self) -> dict[str, int]:
        return {precommit.address: precommit.time_ns for precommit in self.last_commit}


def read_block(node: ValidatorNode, height: int) -> BlockView:
    """Block ``height`` (past the first) as ``node`` serves it over RPC."""
    block = node.rpc("block", height=height)["block"]
    powers = validator_powers(node, height - 1)
    last_commit = [
        Precommit(sig["validator_address"], parse_rfc3339(sig["timestamp"]), powers[sig["validator_address"]])
        for sig in block["last_commit"]["signatures"]
        if sig["block_id_flag"] == BlockIDFlag.COMMIT
    ]
    time_ns = parse_rfc3339(block["header"]["time"])
    return BlockView(height, time_ns, last_commit, block["evidence"]["evidence"])


def validator_powers(node: ValidatorNode, height: int) -> dict[str, int]:
    found = node.rpc("validators", height=height, per_page=100)["validators"]
    return {v["address"]: int(v["voting_power"]) for v in found}


def check_bft_time(parent: BlockView, child: BlockView, honest: set[str]) -> None:
    """The child's time is the weighted median of its last commit (the precommits for the
    parent) and after the parent's; the honest precommits carry their clocks, past the
    parent's time + 1 ms, and the child's time lies between them."""
    assert child.time_ns == weighted_median((p.time_ns, p.power) for p in child.last_commit), child.height
    assert child.time_ns >= parent.time_ns + MIN_BLOCK_INTERVAL_NS, child.height
    clocks = [time_ns for address, time_ns in child.precommit_times().items() if address in honest]
    assert clocks, f"no honest precommit for block {parent.height}"
    assert min(clocks) > parent.time_ns + MIN_BLOCK_INTERVAL_NS, f"block {parent.height} ahead of clocks"
    assert min(clocks) <= child.time_ns <= max(clocks), f"block {child.height}: time off the honest clocks"


def check_skewed_votes(parent: BlockView, child: BlockView, ahead: str, behind: str) -> None:
    """The skewed clocks show in the precommits for the parent: the one ahead votes at least
    the skew after the parent's time (which honest clocks made, earlier); the one behind,
    whose clock is before the parent's time, at that time + 1 ms."""
    times = child.precommit_times()
    if ahead in times:
        assert times[ahead] >= parent.time_ns + SKEW_NS, f"block {parent.height}: no skew ahead"
    if behind in times:
        assert times[behind] == parent.time_ns + MIN_BLOCK_INTERVAL_NS, f"block {parent.height}: no lag"


def check_rarely_missed(blocks: list[BlockView], nodes: list[ValidatorNode]) -> None:
    """Every validator's precommit is in all but MISSED_TOLERANCE of the blocks' last commits."""
    for node in nodes:
        missed = [block.height for block in blocks if node.validator_address not in block.precommit_times()]
        assert len(missed) <= MISSED_TOLERANCE, f"{node.name}'s precommit is missing from blocks {missed}"


# -- the slashing record ----------------------------------------------------------------------


def check_not_punished(reader: ValidatorNode, network: Network) -> None:
    """Every validator keeps its whole stake, unjailed and not tombstoned, with few missed
    blocks in its signing window."""
    for node in network.nodes:
        valoper = address_from_pubkey(node.account_key.public_key, VALOPER_HRP)
        staking = reader.rpc("validator_staking", address=valoper)
        assert (staking["jailed"], int(staking["tokens"])) == (False, VALIDATOR_STAKE), node.name
        info: dict[str, Any] = reader.rpc("signing_info", cons_address=node.validator_address)
        assert info["tombstoned"] is False, node.name
        assert int(info["missed_blocks_counter"]) <= MISSED_TOLERANCE, f"{node.name}: {info}"
