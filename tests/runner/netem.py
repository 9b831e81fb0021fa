"""A link shaper for one network namespace: what ``tc qdisc ... netem delay D J loss L`` does
to the packets leaving a host, in user space, for kernels built without sch_netem.

iptables sends each packet leaving the namespace's link to NFQUEUE (hosts.py). This process
binds that queue through nfnetlink_queue, reading only each packet's id (copy mode META), and
for each packet:

- drops it with probability ``loss_pct`` / 100 (NF_DROP): TCP sees a lost segment;
- otherwise gives it back (NF_ACCEPT) after a delay drawn uniformly from
  ``delay_ms +- jitter_ms``, netem's default distribution. As with netem, a packet drawn a
  shorter delay may overtake one queued before it.

The kernel holds each packet until its verdict, and drops packets past ``QUEUE_MAXLEN``
queued, as netem drops past its limit. The choices come from a seeded generator. Run with
``python -m tests.runner.netem`` inside the namespace (``ip netns exec``); it stops on
SIGTERM or after ``--seconds``, and writes what it did as JSON to ``--stats``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

NETLINK_NETFILTER = 12
NETLINK_NO_ENOBUFS = 5  # socket option: a full receive buffer drops packets without an error
SOL_NETLINK = 270
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_DROP, NF_ACCEPT = 0, 1
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLA_TYPE_MASK = 0x3FFF  # without the nested and byte-order flags
HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
NFGEN = struct.Struct("=BBH")  # nfgenmsg: family, version, queue number (big-endian)
ATTR = struct.Struct("=HH")  # nlattr: length, type

QUEUE_MAXLEN = 4096  # packets the kernel holds for verdicts, as netem's limit (1000 by default)
RECEIVE_BUFFER = 4 * 1024 * 1024
READ_BYTES = 256 * 1024
IDLE_WAIT_S = 0.5  # the longest wait with nothing queued, so SIGTERM and --seconds are seen


@dataclass(frozen=True)
class Shape:
    """One link's shape, as netem's parameters."""

    delay_ms: float
    jitter_ms: float = 0.0
    loss_pct: float = 0.0

    def describe(self) -> str:
        return f"{self.delay_ms:g} ms +- {self.jitter_ms:g} ms, {self.loss_pct:g}% loss"


@dataclass
class Stats:
    packets: int = 0
    dropped: int = 0
    delay_ms_total: float = 0.0
    most_queued: int = 0

    @property
    def accepted(self) -> int:
        return self.packets - self.dropped

    def summary(self) -> dict[str, float]:
        mean = self.delay_ms_total / self.accepted if self.accepted else 0.0
        return {**asdict(self), "accepted": self.accepted, "mean_delay_ms": round(mean, 2)}


class NetlinkError(OSError):
    pass


# -- the netlink messages ------------------------------------------------------------------


def attribute(kind: int, payload: bytes) -> bytes:
    length = ATTR.size + len(payload)
    return ATTR.pack(length, kind) + payload + bytes(-length % 4)


def message(kind: int, queue: int, attributes: bytes, flags: int = 0) -> bytes:
    body = NFGEN.pack(socket.AF_UNSPEC, 0, socket.htons(queue)) + attributes
    header = HEADER.pack(
        HEADER.size + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, NLM_F_REQUEST | flags, 0, 0
    )
    return header + body


def messages(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, payload after nlmsghdr) of each netlink message in one read."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, _, _, _ = HEADER.unpack_from(data, offset)
        if length < HEADER.size:
            return
        yield kind, data[offset + HEADER.size : offset + length]
        offset += (length + 3) & ~3


def attributes(payload: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each attribute after the nfgenmsg header."""
    offset = NFGEN.size
    while offset + ATTR.size <= len(payload):
        length, kind = ATTR.unpack_from(payload, offset)
        if length < ATTR.size:
            return
        yield kind & NLA_TYPE_MASK, payload[offset + ATTR.size : offset + length]
        offset += (length + 3) & ~3


def packet_id(payload: bytes) -> int | None:
    for kind, value in attributes(payload):
        if kind == NFQA_PACKET_HDR:
            return int(struct.unpack_from("!I", value)[0])
    return None


# -- the queue ------------------------------------------------------------------------------


class Queue:
    """NFQUEUE ``number``, bound by this process, handing over packet ids only."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.socket = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, 33, RECEIVE_BUFFER)  # SO_RCVBUFFORCE (root)
            self.socket.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
            self.socket.bind((0, 0))
            self.configure(attribute(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, 0)))
            self.configure(attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)))
            self.configure(attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", QUEUE_MAXLEN)))
        except BaseException:
            self.socket.close()
            raise

    def configure(self, attrs: bytes) -> None:
        """Send one config message and wait for the kernel's acknowledgement."""
        self.socket.send(message(NFQNL_MSG_CONFIG, self.number, attrs, NLM_F_ACK))
        for kind, payload in messages(self.socket.recv(READ_BYTES)):
            if kind == NLMSG_ERROR:
                code = struct.unpack_from("=i", payload)[0]
                if code != 0:
                    raise NetlinkError(-code, f"nfnetlink_queue {self.number}: {os.strerror(-code)}")
                return
        raise NetlinkError(0, f"nfnetlink_queue {self.number}: no acknowledgement")

    def read(self) -> list[int]:
        """The ids of the packets queued since the last read."""
        data = self.socket.recv(READ_BYTES)
        ids = []
        for kind, payload in messages(data):
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                found = packet_id(payload)
                if found is not None:
                    ids.append(found)
        return ids

    def verdict(self, packet: int, accept: bool) -> None:
        header = struct.pack("!II", NF_ACCEPT if accept else NF_DROP, packet)
        self.socket.send(message(NFQNL_MSG_VERDICT, self.number, attribute(NFQA_VERDICT_HDR, header)))

    def close(self) -> None:
        self.socket.close()


# -- the shaper -----------------------------------------------------------------------------


class Shaper:
    """Packets of ``queue`` shaped as ``shape``, until ``deadline`` (monotonic) or ``stop``."""

    def __init__(self, queue: Queue, shape: Shape, seed: int) -> None:
        self.queue = queue
        self.shape = shape
        self.random = random.Random(seed)
        self.stats = Stats()
        self.held: list[tuple[float, int]] = []  # (release time, packet id), a heap
        self.stopping = False

    def run(self, deadline: float) -> None:
        while not self.stopping and time.monotonic() < deadline:
            self.release(time.monotonic())
            wait = self.held[0][0] - time.monotonic() if self.held else IDLE_WAIT_S
            readable, _, _ = select.select([self.queue.socket], [], [], max(min(wait, IDLE_WAIT_S), 0))
            if readable:
                self.admit(self.queue.read(), time.monotonic())
        for _, packet in self.held:  # what is still held leaves at once
            self.queue.verdict(packet, accept=True)

    def admit(self, packets: list[int], now: float) -> None:
        for packet in packets:
            self.stats.packets += 1
            if self.random.random() * 100 < self.shape.loss_pct:
                self.stats.dropped += 1
                self.queue.verdict(packet, accept=False)
                continue
            delay_ms = max(self.random.uniform(-1, 1) * self.shape.jitter_ms + self.shape.delay_ms, 0.0)
            self.stats.delay_ms_total += delay_ms
            heapq.heappush(self.held, (now + delay_ms / 1000, packet))
        self.stats.most_queued = max(self.stats.most_queued, len(self.held))

    def release(self, now: float) -> None:
        while self.held and self.held[0][0] <= now:
            _, packet = heapq.heappop(self.held)
            self.queue.verdict(packet, accept=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.runner.netem", description=__doc__.split("\n")[0])
    parser.add_argument("--queue", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--loss-pct", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, required=True, help="stop after this long at the latest")
    parser.add_argument("--stats", type=Path, required=True, help="where to write what was done (JSON)")
    args = parser.parse_args(argv)
    shape = Shape(args.delay_ms, args.jitter_ms, args.loss_pct)
    queue = Queue(args.queue)
    shaper = Shaper(queue, shape, args.seed)
    signal.signal(signal.SIGTERM, lambda *_: setattr(shaper, "stopping", True))
    print(f"shaping queue {args.queue}: {shape.describe()}", flush=True)  # the caller waits for this
    try:
        shaper.run(time.monotonic() + args.seconds)
    finally:
        queue.close()
        write_stats(args.stats, shaper.stats)
    return 0


def write_stats(path: Path, stats: Stats) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stats.summary()))
    temporary.replace(path)


if __name__ == "__main__":
    sys.exit(main())
