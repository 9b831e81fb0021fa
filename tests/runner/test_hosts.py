"""Separate hosts (hosts.py) and their link shaper (netem.py): real namespaces, a real bridge
and iptables, real sockets across them. The shaper's netlink messages are checked on their own."""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import REPO_ROOT
from tests.runner import netem
from tests.runner.hosts import Hosts
from tests.runner.netem import Shape

PORT = 7000
CONNECT_TIMEOUT_S = 2.0
RUN_TIMEOUT_S = 30.0
DATAGRAMS = 400

# Inside a namespace: connect to argv[1]:PORT argv[2] times; print each connect's milliseconds,
# or "timeout".
CONNECT = f"""
import socket, sys, time
for _ in range(int(sys.argv[2])):
    began = time.monotonic()
    try:
        socket.create_connection((sys.argv[1], {PORT}), timeout={CONNECT_TIMEOUT_S}).close()
        print(round((time.monotonic() - began) * 1000))
    except OSError:
        print("timeout")
"""
# Inside a namespace: accept connections on argv[1]:PORT; count UDP datagrams there until
# argv[2] seconds pass, then print the count.
LISTEN = f"""
import select, socket, sys, time
tcp = socket.create_server((sys.argv[1], {PORT}))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((sys.argv[1], {PORT}))
print("listening", flush=True)
count, end = 0, time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    ready, _, _ = select.select([tcp, udp], [], [], 0.1)
    if tcp in ready:
        tcp.accept()[0].close()
    if udp in ready:
        udp.recv(64)
        count += 1
print(count, flush=True)
"""
# Inside a namespace: send argv[2] UDP datagrams to argv[1]:PORT, 2 ms apart.
SEND = f"""
import socket, sys, time
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    udp.sendto(b"x", (sys.argv[1], {PORT}))
    time.sleep(0.002)
"""


@contextlib.contextmanager
def made_hosts(tmp_path: Path, shape: Shape | None) -> Iterator[Hosts]:
    made = Hosts(["a", "b", "c"], tmp_path / "hosts", shape, seconds=120, seed=3)
    try:
        yield made
    finally:
        made.close()


@contextlib.contextmanager
def listening(made: Hosts, name: str, seconds: float = 20) -> Iterator[subprocess.Popen[str]]:
    command = [*made.prefix(name), sys.executable, "-c", LISTEN, made.address(name), str(seconds)]
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "listening"
            yield server
        finally:
            server.kill()


def connect(made: Hosts, source: str, target: str, times: int = 1) -> list[str]:
    command = [*made.prefix(source), sys.executable, "-c", CONNECT, made.address(target), str(times)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=True
    ).stdout.split()


pytestmark = pytest.mark.usefixtures("namespaces")


def test_shaped_links_delay_every_packet_leaving_a_host(tmp_path: Path) -> None:
    with made_hosts(tmp_path, Shape(50, 20)) as made:
        with listening(made, "b"):
            times = connect(made, "a", "b", times=10)
        made.close()
        stats = made.shaper_stats()
    # A connect waits for the SYN to leave a and the SYN-ACK to leave b: 30 ms at least each.
    assert all(int(ms) >= 60 for ms in times), times
    assert stats["a"]["packets"] >= 20 and stats["a"]["dropped"] == 0  # a SYN and an ACK a connect
    assert 30 <= stats["a"]["mean_delay_ms"] <= 70 and 30 <= stats["b"]["mean_delay_ms"] <= 70


def test_shaped_links_lose_the_share_asked(tmp_path: Path) -> None:
    with made_hosts(tmp_path, Shape(1, 0, 25)) as made:
        with listening(made, "b", seconds=8) as server:
            send = [*made.prefix("a"), sys.executable, "-c", SEND, made.address("b"), str(DATAGRAMS)]
            subprocess.run(send, timeout=RUN_TIMEOUT_S, check=True)
            received = int(server.communicate(timeout=RUN_TIMEOUT_S)[0].strip())
        made.close()
        stats = made.shaper_stats()
    assert stats["a"]["packets"] == DATAGRAMS
    assert received == DATAGRAMS - stats["a"]["dropped"]
    assert 0.15 * DATAGRAMS < stats["a"]["dropped"] < 0.35 * DATAGRAMS  # 25%, 10 standard deviations wide


def test_a_partition_drops_packets_between_groups_until_it_heals(tmp_path: Path) -> None:
    with made_hosts(tmp_path, None) as made, listening(made, "b"), listening(made, "c"):
        assert connect(made, "a", "b") != ["timeout"]
        made.partition([["a", "c"], ["b"]])
        assert connect(made, "a", "b") == ["timeout"]
        assert connect(made, "c", "b") == ["timeout"]
        assert connect(made, "a", "c") != ["timeout"]
        made.heal()
        assert connect(made, "a", "b") != ["timeout"]
        made.isolate("c")
        assert connect(made, "a", "c") == ["timeout"] and connect(made, "a", "b") != ["timeout"]
        made.rejoin("c")
        assert connect(made, "b", "c") != ["timeout"]


def test_the_runner_reaches_every_host_and_close_removes_them(tmp_path: Path) -> None:
    with made_hosts(tmp_path, None) as made:
        with listening(made, "c"):
            socket.create_connection((made.address("c"), PORT), timeout=CONNECT_TIMEOUT_S).close()
        namespaces, bridge = list(made.namespaces.values()), made.bridge
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert not [name for name in namespaces if name in listed]
    assert subprocess.run(["ip", "link", "show", bridge], capture_output=True, check=False).returncode != 0


def test_netlink_messages_round_trip() -> None:
    header = struct.pack("!IHB", 77, 0x0800, 3)  # packet id 77, IPv4, LOCAL_OUT
    packet = netem.message(netem.NFQNL_MSG_PACKET, 0, netem.attribute(netem.NFQA_PACKET_HDR, header))
    other = netem.message(netem.NFQNL_MSG_PACKET, 0, netem.attribute(9, b"\x01"))  # odd length: padded
    assert len(other) % 4 == 0
    parsed = list(netem.messages(other + packet))
    assert [kind for kind, _ in parsed] == [(netem.NFNL_SUBSYS_QUEUE << 8) | netem.NFQNL_MSG_PACKET] * 2
    assert [netem.packet_id(payload) for _, payload in parsed] == [None, 77]
    assert list(netem.messages(b"\x00" * 16)) == []  # a zero length ends the read, not loops
