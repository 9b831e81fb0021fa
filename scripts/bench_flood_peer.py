"""The flooding peer of ``bench_flood.py``: one peer that sends a validator junk on its
consensus channel.

Consensus messages travel on a per-peer channel (``CHANNEL_PROTOCOL``, a long-lived
stream each way; ``node/p2p/channel.py``), so the flooder is a py-libp2p ``P2PNode``
with a NodeKey of its own that dials one validator, the victim, as a persistent peer
and sends it frames with ``send_on_channel``, as fast as they go or at ``--rate``
frames/s, in one of these modes:

junk       precommits for the victim's current height (round 1) that name a validator
           and carry a bad signature, alternating with bytes that do not decode
far-round  prevotes for ever higher rounds (from round 100 on) of the current height,
           correctly signed with one validator's key (its priv_validator_key.json)

It serves the channel too, so the victim's reactor can send it frames (``RoundStep``
when the victim's step changes, ``Has``); it counts them and takes the victim's
current height from the ``RoundStep``. The victim reads a peer's frames one at a
time, so a busy victim slows the sends through the stream's flow control. A send
that raises ``P2PError`` (``ChannelError``: the victim banned and disconnected us,
or the write timed out) is the cut; the flood pauses until the victim sends a frame
again (it sends its ``RoundStep`` to every new connection, never to a banned peer),
so sends after the cut mean that the victim let the flooder back in.

It runs in a process of its own (so that it does not share the benchmark's GIL),
driven by ``Flooder``: it prints ``ready <peer id>`` once the victim's channel has
sent it a frame, floods for the seconds in the ``go <seconds>`` line on stdin, then
prints its ``FloodReport`` as one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import msgspec
import trio
from bench_common import REPO_ROOT, free_port, latest_height, rpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consensus import privval
from consensus.tendermint.messages import VoteMsg
from consensus.tendermint.wire import CHANNEL_PROTOCOL, BadMessage, RoundStep, decode_channel, encode_gossip
from consensus.types import ZERO_BLOCK_ID, Vote, VoteType
from consensus.validators import address_of
from node.p2p.config import P2PConfig, PeerId, parse_peer_addr
from node.p2p.errors import P2PError
from node.p2p.host import P2PNode, adopt_libp2p_logging
from node.p2p.keys import NodeKey

JUNK, FAR_ROUND = "junk", "far-round"
FLOODS = (JUNK, FAR_ROUND)
FAR_ROUND_START = 100  # far past any round a 1 s network reaches
JUNK_ROUND = 1  # the round after the first: in the window, and no validator has voted in it
UNDECODABLE = b"\xc1not msgpack"  # 0xc1 is never used in MessagePack
BURST = 50  # frames sent between checks of the pace
READY_TIMEOUT_S = 60.0  # the flooder's start: import, listen, dial, the victim's first frame
GO_TIMEOUT_S = 600.0  # the flooder waits this long at most for the word to start
REPORT_TIMEOUT_S = 30.0


@dataclass
class FloodReport:
    """What the flooder did, in wall-clock seconds since the epoch."""

    peer_id: str
    mode: str
    go_at: float = 0.0
    ended_at: float = 0.0
    sent: int = 0  # frames, in all
    cut_at: float | None = None  # the first failed send after the flood began
    cut_reason: str | None = None  # that send's error
    sent_before_cut: int = 0  # all of them if no send failed
    resumed: int = 0  # times the victim sent a frame again after a failed send
    received: int = 0  # frames the victim sent the flooder
    cpu_s: float = 0.0

    @property
    def rate_before_cut(self) -> float:
        """Frames per second from the start until the cut (or the end)."""
        until = self.ended_at if self.cut_at is None else self.cut_at
        return self.sent_before_cut / (until - self.go_at) if until > self.go_at else float("nan")


# ---- the messages --------------------------------------------------------------------------


@dataclass
class Forger:
    """Makes the flood's frames for a height: ``mode`` junk or far-round votes of the
    validator ``address`` (at ``index`` in the set), signed with ``key`` for far-round."""

    mode: str
    chain_id: str
    address: bytes
    index: int
    key: Ed25519PrivateKey
    count: int = 0

    def next(self, height: int) -> bytes:
        self.count += 1
        if self.mode == FAR_ROUND:
            return encode_gossip(VoteMsg(self._far_round_vote(height)))
        if self.count % 2:
            return UNDECODABLE + self.count.to_bytes(8, "big")
        return encode_gossip(VoteMsg(self._badly_signed_vote(height)))

    def _far_round_vote(self, height: int) -> Vote:
        round_ = FAR_ROUND_START + self.count
        vote = Vote(
            VoteType.PREVOTE, height, round_, ZERO_BLOCK_ID, time.time_ns(), self.address, self.index, b""
        )
        return msgspec.structs.replace(vote, signature=self.key.sign(vote.sign_bytes(self.chain_id)))

    def _badly_signed_vote(self, height: int) -> Vote:
        # 64 bytes that differ per message, so no verdict cache spares the victim the check.
        signature = hashlib.sha512(self.count.to_bytes(8, "big")).digest()
        return Vote(
            VoteType.PRECOMMIT,
            height,
            JUNK_ROUND,
            ZERO_BLOCK_ID,
            self.count,
            self.address,
            self.index,
            signature,
        )


def make_forger(mode: str, rpc_url: str, key_file: Path) -> Forger:
    """A forger for the validator whose key is in ``key_file``, at its index in the
    victim's current validator set."""
    secret = privval.read_key_file(key_file)
    address = address_of(privval.public_key(secret))
    listed = [bytes.fromhex(v["address"]) for v in rpc(rpc_url, "validators")["validators"]]
    if address not in listed:
        raise SystemExit(f"{address.hex()} (from {key_file}) is not in the victim's validator set")
    chain_id = str(rpc(rpc_url, "status")["node_info"]["network"])
    return Forger(
        mode, chain_id, address, listed.index(address), Ed25519PrivateKey.from_private_bytes(secret)
    )


# ---- the flooding node ---------------------------------------------------------------------


@dataclass
class Victim:
    """What the victim's frames tell: its current height (from its ``RoundStep``), and
    ``heard``, set by each frame."""

    peer_id: PeerId
    height: int
    report: FloodReport
    heard: trio.Event = field(default_factory=trio.Event)

    async def receive(self, peer: PeerId, frame: bytes) -> None:
        if peer != self.peer_id:
            return
        self.report.received += 1
        self.heard.set()
        with contextlib.suppress(BadMessage):
            message = decode_channel(frame, len(frame))
            if isinstance(message, RoundStep):
                self.height = message.height

    async def wait_for_frame(self) -> None:
        """Wait for the victim's next frame."""
        self.heard = trio.Event()
        await self.heard.wait()


async def run_flooder(args: argparse.Namespace) -> None:
    """Connect to the victim, say ``ready``, flood for the seconds in the ``go`` line on
    stdin, then print the report as one JSON line."""
    forger = make_forger(args.mode, args.rpc, Path(args.key_file))
    key = NodeKey.generate()
    config = P2PConfig(listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}", persistent_peers=(args.peer,))
    node = P2PNode(config, key)
    report = FloodReport(key.peer_id, args.mode)
    victim = Victim(parse_peer_addr(args.peer).peer_id, (latest_height(args.rpc) or 0) + 1, report)
    node.set_channel(CHANNEL_PROTOCOL, victim.receive, config.max_message_bytes)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        with trio.fail_after(READY_TIMEOUT_S):
            await victim.heard.wait()
        print(f"ready {key.peer_id}", flush=True)
        with trio.fail_after(GO_TIMEOUT_S):
            line = await read_line(trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())))
        if line.startswith("go "):
            await flood(node, victim, forger, args.rate, float(line.split()[1]))
        nursery.cancel_scope.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.cpu_s = usage.ru_utime + usage.ru_stime
    print(json.dumps(asdict(report)), flush=True)


async def read_line(stream: trio.lowlevel.FdStream) -> str:
    """One line from ``stream``; what came before the end if it ends without one."""
    data = b""
    async with stream:
        while not data.endswith(b"\n") and (chunk := await stream.receive_some(1024)):
            data += chunk
    return data.decode()


async def flood(node: P2PNode, victim: Victim, forger: Forger, rate: float, seconds: float) -> None:
    """Send at ``rate`` frames/s for ``seconds``, in bursts, while sends to the victim go
    through; after a failed send, wait for the victim's next frame (sending to a peer that
    dropped us would only take CPU from the network on a shared machine)."""
    report = victim.report
    report.go_at = time.time()
    end = trio.current_time() + seconds
    due = trio.current_time()
    while trio.current_time() < end:
        try:
            for _ in range(BURST):
                await node.send_on_channel(victim.peer_id, CHANNEL_PROTOCOL, forger.next(victim.height))
                report.sent += 1
        except P2PError as exc:
            if report.cut_at is None:
                report.cut_at, report.cut_reason = time.time(), str(exc)
                report.sent_before_cut = report.sent
            if await wait_for_victim(node, victim, end):
                report.resumed += 1
            due = trio.current_time()
            continue
        due += BURST / rate
        await trio.sleep(max(0.0, due - trio.current_time()))
    report.ended_at = time.time()
    if report.cut_at is None:
        report.sent_before_cut = report.sent


async def wait_for_victim(node: P2PNode, victim: Victim, end: float) -> bool:
    """Wait for a frame from the victim while connected to it; False if ``end`` comes first.
    (A frame that it sent before it dropped us may still arrive after the failed send.)"""
    with trio.move_on_after(end - trio.current_time()):
        while True:
            await victim.wait_for_frame()
            if victim.peer_id in node.peers():
                return True
    return False


# ---- the flooder's process, seen from the benchmark ----------------------------------------


class Flooder:
    """The flooder's process: ``ready`` on its stdout, ``go`` on its stdin, then its report."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        if process.stdin is None or process.stdout is None:
            raise ValueError("the flooder's stdin and stdout must be pipes")
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        self.peer_id = ""

    def wait_ready(self) -> None:
        """Wait for ``ready <peer id>``: the victim's channel has sent the flooder a frame."""
        said = self._read_line(READY_TIMEOUT_S).split()
        if len(said) != 2 or said[0] != "ready":
            raise RuntimeError(f"the flooder did not start (it said {said}); see its log")
        self.peer_id = said[1]

    def go(self, seconds: float) -> None:
        self.stdin.write(f"go {seconds}\n")
        self.stdin.flush()

    def report(self) -> FloodReport:
        fields = json.loads(self._read_line(REPORT_TIMEOUT_S))
        return FloodReport(**fields)

    def _read_line(self, timeout_s: float) -> str:
        ready, _, _ = select.select([self.stdout], [], [], timeout_s)
        if not ready:
            raise RuntimeError(f"no word from the flooder in {timeout_s:.0f} s")
        return self.stdout.readline()


@contextlib.contextmanager
def flooder_process(
    mode: str, peer_addr: str, rpc_url: str, key_file: Path, rate: float, log_file: Path
) -> Iterator[Flooder]:
    """The flooder of ``mode`` against the victim at ``peer_addr``, ready; stopped on the way out."""
    command = [sys.executable, str(Path(__file__).resolve()), "--peer", peer_addr, "--rpc", rpc_url]
    command += ["--mode", mode, "--key-file", str(key_file), "--rate", str(rate)]
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT, text=True
        )
        try:
            flooder = Flooder(process)
            flooder.wait_ready()
            yield flooder
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)


def flooder_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peer", required=True, help="the victim: /ip4/.../tcp/.../p2p/<id>")
    parser.add_argument("--rpc", required=True, help="the victim's JSON-RPC URL")
    parser.add_argument("--mode", required=True, choices=FLOODS)
    parser.add_argument("--key-file", required=True, help="priv_validator_key.json of the named validator")
    parser.add_argument("--rate", type=float, required=True, help="frames/s (at most)")
    return parser


def main() -> None:
    # SIGTERM unwinds like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    adopt_libp2p_logging()
    trio.run(run_flooder, flooder_parser().parse_args())


if __name__ == "__main__":
    main()
