"""Block intervals of one validator while explorer pages and a metrics scraper read it.

Starts a real single-validator ``depind start`` on free 127.0.0.1 ports (JSON-RPC, REST, p2p,
metrics) and measures, one after the other:

- A (``--duration`` seconds): no pages, no scrapes;
- L: Chromium starting, ``--loads`` fresh loads of the explorer's overview, each in a new
  browser context and timed from navigation start to the height tile showing a number (with
  the JSON-RPC requests sent by then and the bytes of their answers), then ``--pages`` pages
  opening on the overview; the chain is first grown past the charts' 60 blocks, so a load
  reads a full chart window;
- B (``--duration`` seconds): those pages open on the overview, which refreshes its figures and
  charts on every block, and a Prometheus-style scraper GETting /metrics every
  ``--scrape-interval`` seconds (1 s is 15 times Prometheus's default rate); each scrape reads
  the market, compute and slashing summaries from state;
- C (``--duration`` seconds; ``--no-cycle`` leaves it out): the same pages moving through the
  blocks, validators, market prices and jobs pages, ``--dwell`` seconds on each, in the
  explorer's own navigation (as a reader clicking links), the scraper still running.

The JSON-RPC handlers share the consensus task's thread, so what matters is how much later
blocks come while the pages and the scraper read: the first table gives the intervals between
consecutive block header times in each window against ``timeout_commit``, and the CPU the node
process and the whole machine used. The second gives what the readers asked in B and C: the
pages' HTTP POSTs to the JSON-RPC and the calls in them (a batch holds several; counted from
the pages' request events), the WebSocket bytes the node pushed to them, and the scrapes'
latency and size. A last line gives the fresh loads of L.

Chromium is Debian's /usr/bin/chromium driven by Playwright's sync API (as the explorer's tests
drive it; never a browser downloaded by Playwright), on a thread of its own that owns every
Playwright object. The chain is a fresh one with no market or jobs; its blocks are empty (but
for the beacon entry) unless ``--tx-rate`` sends bank sends at that rate through every window
(pre-signed, in one JSON-RPC batch a second), so that the pages read blocks full of txs.

    uv run python scripts/bench_explorer.py --pages 4 --duration 30
    uv run python scripts/bench_explorer.py --tx-rate 200
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from bench_common import (
    free_port,
    launch_node,
    percentile,
    rfc3339_seconds,
    rpc,
    sender_keys,
    sign_sends,
    stop_nodes,
    submit,
    wait_height,
)
from bench_rpc_load import block_metas
from bench_throughput import CHAIN_ID, FIRST_SENDER_NUMBER, make_home
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, sync_playwright
from playwright.sync_api import Request as PageRequest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
CYCLE = ["blocks", "validators", "market?tab=prices", "jobs"]  # the heavier pages, in turn
CHART_BLOCKS = 60  # blocks in the overview's charts (WINDOW in pages/overview.js)
READY_LIMIT_S = 60.0
READERS_LIMIT_S = 1800.0  # the browser closes past it, whatever the windows do
LOAD_TIMEOUT_MS = 30_000
SETTLE_MS = 1_500  # after a first load, for the answers of the requests sent by then
PUMP_MS = 100  # Playwright dispatches the pages' events while the browser thread waits in it
SCRAPE_TIMEOUT_S = 10.0
SENDERS = 50
TRAFFIC_MARGIN_S = 180.0  # sends signed for this long past the windows and the waits between them
# Performance.now() (ms since navigation start) once the overview's height tile shows a number.
HEIGHT_SHOWN = """() => {
  const tile = document.getElementById("height");
  return tile && /^[0-9,]+$/.test(tile.textContent.trim()) ? performance.now() : 0;
}"""
# A click on a link the explorer's router follows (a[data-nav]), as a reader moves on.
FOLLOW_LINK = """(path) => {
  const anchor = Object.assign(document.createElement("a"), { href: path });
  anchor.dataset.nav = "";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}"""


@dataclass(frozen=True)
class Ports:
    rpc: int
    rest: int
    p2p: int
    metrics: int


@dataclass(frozen=True)
class RpcPost:
    at: float  # monotonic clock, when the page sent it
    calls: int  # JSON-RPC calls in it (a batch holds several)


@dataclass(frozen=True)
class FirstLoad:
    seconds: float  # navigation start to the height tile showing a number
    posts: int  # JSON-RPC POSTs sent by then
    calls: int
    answer_bytes: int  # their response bodies


@dataclass
class Scrapes:
    latencies_s: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    failures: int = 0


@dataclass(frozen=True)
class Window:
    name: str
    started: float  # monotonic clock
    ended: float
    intervals: list[float]
    txs_per_block: float
    node_cpu: float  # percent of one core
    machine_cpu: float  # percent of all cores
    scrapes: Scrapes | None = None


# -- the node ---------------------------------------------------------------------------------


def serve_on(config_file: Path, ports: Ports) -> None:
    """Point the REST server, p2p and the metrics at ``ports`` (make_home set the JSON-RPC's
    and turned the metrics off)."""
    text = config_file.read_text()
    for old, new in (
        ('address = "127.0.0.1:1317"', f'address = "127.0.0.1:{ports.rest}"'),
        ('listen_addr = "/ip4/127.0.0.1/tcp/26656"', f'listen_addr = "/ip4/127.0.0.1/tcp/{ports.p2p}"'),
        ("prometheus = false", "prometheus = true"),
        (
            'prometheus_listen_addr = "127.0.0.1:26660"',
            f'prometheus_listen_addr = "127.0.0.1:{ports.metrics}"',
        ),
    ):
        if old not in text:
            raise RuntimeError(f"{config_file} has no {old!r}")
        text = text.replace(old, new)
    config_file.write_text(text)


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> tuple[float, float]:
    """CPU seconds all cores have been busy, and in all, from /proc/stat."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    per_second = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / per_second, sum(ticks) / per_second


def latest(url: str) -> int:
    return int(rpc(url, "status")["sync_info"]["latest_block_height"])


@dataclass(frozen=True)
class Mark:
    """Where a window starts."""

    first: int  # its first block
    at: float  # monotonic clock
    node_cpu_s: float
    machine_cpu_s: tuple[float, float]


def mark(url: str, pid: int) -> Mark:
    return Mark(latest(url) + 1, time.monotonic(), process_cpu_s(pid), machine_cpu_s())


def window_since(name: str, start: Mark, url: str, pid: int, scrapes: Scrapes | None = None) -> Window:
    """Block intervals (header times) and CPU from ``start`` to now."""
    ended, node_cpu, (busy, total) = time.monotonic(), process_cpu_s(pid), machine_cpu_s()
    metas = block_metas(url, start.first, latest(url))
    times = [rfc3339_seconds(metas[h]["header"]["time"]) for h in sorted(metas)]
    return Window(
        name,
        start.at,
        ended,
        [later - earlier for earlier, later in itertools.pairwise(times)],
        statistics.fmean(int(meta["num_txs"]) for meta in metas.values()) if metas else 0.0,
        node_cpu=100 * (node_cpu - start.node_cpu_s) / (ended - start.at),
        machine_cpu=100 * (busy - start.machine_cpu_s[0]) / max(total - start.machine_cpu_s[1], 1e-9),
        scrapes=scrapes,
    )


def measure(name: str, url: str, pid: int, duration_s: float, scrapes: Scrapes | None = None) -> Window:
    """Block intervals and CPU over the next ``duration_s`` seconds."""
    start = mark(url, pid)
    time.sleep(duration_s)
    return window_since(name, start, url, pid, scrapes)


# -- the traffic -----------------------------------------------------------------------------


class Traffic(threading.Thread):
    """Bank sends at ``rate`` tx/s, one batch a second, for about ``seconds`` or until stopped;
    signed when made, before the node starts."""

    def __init__(self, url: str, rate: float, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url, self.rate = url, rate
        keys = sender_keys(SENDERS)
        self.txs = sign_sends(keys, int(rate * seconds), CHAIN_ID, first_account_number=FIRST_SENDER_NUMBER)
        self.rejected = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        batch = max(int(self.rate), 1)
        start = time.monotonic()
        for turn, offset in enumerate(range(0, len(self.txs), batch)):
            if self.stopped.wait(max(start + turn * batch / self.rate - time.monotonic(), 0)):
                return
            self.rejected += submit(self.url, self.txs[offset : offset + batch], batch, self.rate)[1]


# -- the scraper ------------------------------------------------------------------------------


class Scraper(threading.Thread):
    """GET /metrics every ``interval_s`` seconds (on a schedule, not back to back), as
    Prometheus does, until stopped or ``limit_s`` has passed."""

    def __init__(self, url: str, interval_s: float, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.url, self.interval_s, self.limit_s = url, interval_s, limit_s
        self.scrapes = Scrapes()
        self.stopped = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        with httpx.Client(timeout=SCRAPE_TIMEOUT_S) as http:
            for turn in range(int(self.limit_s / self.interval_s) + 1):
                if self.stopped.wait(max(start + turn * self.interval_s - time.monotonic(), 0)):
                    return
                sent = time.monotonic()
                try:
                    response = http.get(self.url)
                    response.raise_for_status()
                except httpx.HTTPError:
                    self.scrapes.failures += 1
                    continue
                self.scrapes.latencies_s.append(time.monotonic() - sent)
                self.scrapes.sizes.append(len(response.content))


def scraped(name: str, url: str, pid: int, args: argparse.Namespace, metrics_url: str) -> Window:
    """``measure`` while a Scraper reads ``metrics_url`` every ``--scrape-interval`` seconds."""
    scraper = Scraper(metrics_url, args.scrape_interval, limit_s=args.duration + 5)
    scraper.start()
    try:
        return measure(name, url, pid, args.duration, scraper.scrapes)
    finally:
        scraper.stopped.set()
        scraper.join(SCRAPE_TIMEOUT_S + 1)


# -- the pages --------------------------------------------------------------------------------


def calls_in(body: str | None) -> int:
    """JSON-RPC calls in a request body: a batch's length, else one."""
    try:
        parsed = json.loads(body or "")
    except ValueError:
        return 1
    return len(parsed) if isinstance(parsed, list) else 1


class Readers(threading.Thread):
    """Chromium with explorer pages open. Playwright's sync objects belong to the thread that
    made them, so this thread makes and drives all of them: first the timed fresh loads, then
    ``pages`` pages on the overview (``ready`` set once each shows the height), kept open (and
    from ``cycle`` on, moved through CYCLE) until ``stopped`` or ``limit_s``."""

    def __init__(self, explorer_url: str, rpc_url: str, args: argparse.Namespace, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.explorer_url, self.rpc_url = explorer_url, rpc_url
        self.pages, self.loads, self.dwell_s, self.limit_s = args.pages, args.loads, args.dwell, limit_s
        self.first_loads: list[FirstLoad] = []
        self.posts: list[RpcPost] = []
        self.pushed: list[tuple[float, int]] = []  # (monotonic clock, bytes) of WebSocket frames received
        self.problems: list[str] = []  # uncaught exceptions and console errors of the pages
        self.ready, self.cycle, self.stopped = threading.Event(), threading.Event(), threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                try:
                    self.first_loads = [self.first_load(browser) for _ in range(self.loads)]
                    pages = [self.open_overview(browser) for _ in range(self.pages)]
                    self.ready.set()
                    self.keep_open(pages)
                finally:
                    browser.close()
        except Exception as error:  # handed to the main thread, which raises it
            self.error = error
            self.ready.set()

    def new_page(self, browser: Browser) -> tuple[BrowserContext, Page]:
        """A page in a context of its own (its own cache and connections, as another reader's)."""
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")  # type: ignore[arg-type]
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on(
            "console",
            lambda message: self.problems.append(message.text) if message.type == "error" else None,
        )
        return context, page

    def is_rpc(self, request: PageRequest) -> bool:
        return request.method == "POST" and request.url == self.rpc_url

    def first_load(self, browser: Browser) -> FirstLoad:
        context, page = self.new_page(browser)
        try:
            sent: list[PageRequest] = []
            page.on("request", lambda request: sent.append(request) if self.is_rpc(request) else None)
            page.goto(self.explorer_url, wait_until="commit")
            shown_ms = float(page.wait_for_function(HEIGHT_SHOWN, timeout=LOAD_TIMEOUT_MS).json_value())
            shown_at_ms = float(page.evaluate("performance.timeOrigin")) + shown_ms
            page.wait_for_timeout(SETTLE_MS)
            load = [request for request in sent if request.timing["startTime"] <= shown_at_ms]
            return FirstLoad(
                shown_ms / 1000,
                len(load),
                sum(calls_in(request.post_data) for request in load),
                sum(request.sizes()["responseBodySize"] for request in load),
            )
        finally:
            context.close()

    def open_overview(self, browser: Browser) -> Page:
        _, page = self.new_page(browser)
        page.on("request", self.on_request)
        page.on("websocket", self.on_websocket)
        page.goto(self.explorer_url, wait_until="commit")
        page.wait_for_function(HEIGHT_SHOWN, timeout=LOAD_TIMEOUT_MS)
        return page

    def on_request(self, request: PageRequest) -> None:
        if self.is_rpc(request):
            self.posts.append(RpcPost(time.monotonic(), calls_in(request.post_data)))

    def on_websocket(self, socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: self.pushed.append((time.monotonic(), len(payload))))

    def keep_open(self, pages: list[Page]) -> None:
        """Wait (dispatching the pages' events) until stopped; while ``cycle`` is set, move one
        page at a time, each page every ``dwell_s`` seconds, the pages on different routes."""
        deadline = time.monotonic() + self.limit_s
        step_s = self.dwell_s / len(pages)
        moves = itertools.count()
        next_move: float | None = None
        while not self.stopped.is_set() and time.monotonic() < deadline:
            if self.cycle.is_set():
                next_move = time.monotonic() if next_move is None else next_move
                if time.monotonic() >= next_move:
                    move = next(moves)
                    page, rounds = pages[move % len(pages)], move // len(pages)
                    page.evaluate(FOLLOW_LINK, CYCLE[(rounds + move % len(pages)) % len(CYCLE)])
                    next_move += step_s
            pages[0].wait_for_timeout(PUMP_MS)

    def in_window(self, window: Window) -> tuple[list[RpcPost], int]:
        """The POSTs the pages sent and the WebSocket bytes they received during ``window``."""
        posts = [post for post in self.posts if window.started <= post.at < window.ended]
        pushed = sum(size for at, size in self.pushed if window.started <= at < window.ended)
        return posts, pushed


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=4, help="explorer pages open in windows B and C")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each window")
    parser.add_argument("--scrape-interval", type=float, default=1.0, help="seconds between scrapes")
    parser.add_argument("--cycle", action=argparse.BooleanOptionalAction, default=True, help="window C")
    parser.add_argument("--dwell", type=float, default=2.0, help="seconds on each page in window C")
    parser.add_argument("--loads", type=int, default=5, help="fresh loads of the overview, timed")
    parser.add_argument("--tx-rate", type=float, default=0.0, help="bank sends a second, all along")
    parser.add_argument("--timeout-commit", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the node's home folder")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")

    root = Path(tempfile.mkdtemp(prefix="depind-bench-explorer-"))
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    home = make_home(root / "home", sender_keys(SENDERS), ports.rpc, args.timeout_commit)
    serve_on(home.config_file, ports)
    url = f"http://127.0.0.1:{ports.rpc}"
    metrics_url = f"http://127.0.0.1:{ports.metrics}/metrics"
    lasting_s = 3 * args.duration + CHART_BLOCKS * args.timeout_commit + TRAFFIC_MARGIN_S
    traffic = Traffic(url, args.tx_rate, lasting_s) if args.tx_rate > 0 else None
    log = (root / "node.log").open("wb")
    process = launch_node(home.root, log)
    readers = Readers(f"{url}/explorer/", f"{url}/", args, limit_s=READERS_LIMIT_S)
    try:
        wait_height(url, 3, READY_LIMIT_S)
        report(args, run_windows(args, url, metrics_url, process.pid, readers, traffic), readers)
    finally:
        readers.stopped.set()
        if traffic is not None:
            traffic.stopped.set()
            traffic.join(SCRAPE_TIMEOUT_S)
        if readers.is_alive():
            readers.join(30)
        stop_nodes([process])
        log.close()
        tracebacks = (root / "node.log").read_text(errors="replace").count("Traceback")
        print(f"node log: {tracebacks} tracebacks", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def run_windows(
    args: argparse.Namespace, url: str, metrics_url: str, pid: int, readers: Readers, traffic: Traffic | None
) -> list[Window]:
    """A; the timed fresh loads and the pages opening; B; C. The sends, if any, run all along."""
    if traffic is not None:
        traffic.start()
        time.sleep(5)  # blocks full of sends before the first window
    windows = [measure("A: no pages, no scrapes", url, pid, args.duration)]
    wait_height(url, CHART_BLOCKS + 1, CHART_BLOCKS * args.timeout_commit * 3 + READY_LIMIT_S)
    start = mark(url, pid)
    readers.start()
    readers.ready.wait((args.loads + args.pages) * LOAD_TIMEOUT_MS / 1000 + READY_LIMIT_S)
    if readers.error is not None or not readers.ready.is_set():
        raise RuntimeError(f"the pages did not open: {readers.error}")
    name = f"L: Chromium starting, {args.loads} fresh overview loads, {args.pages} pages opening"
    windows.append(window_since(name, start, url, pid))
    time.sleep(2)  # past the pages' first loads
    name = f"B: {args.pages} overviews, scrape every {args.scrape_interval:g} s"
    windows.append(scraped(name, url, pid, args, metrics_url))
    if args.cycle:
        readers.cycle.set()
        name = f"C: {args.pages} pages cycling every {args.dwell:g} s, scrapes"
        windows.append(scraped(name, url, pid, args, metrics_url))
    if readers.error is not None:
        raise RuntimeError(f"the pages stopped: {readers.error}")
    if traffic is not None and not traffic.is_alive():
        raise RuntimeError("the sends ran out before the last window ended")
    return windows


# -- the report -------------------------------------------------------------------------------


def report(args: argparse.Namespace, windows: list[Window], readers: Readers) -> None:
    command = " ".join(["uv run python scripts/bench_explorer.py", *sys.argv[1:]])
    print(
        f"\n`{command}` on {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"timeout_commit {args.timeout_commit:g} s, {args.duration:g} s per window, "
        f"{args.tx_rate:g} sends/s\n"
    )
    print(
        "| window | blocks | txs/block | mean interval s | p95 s | max s | mean over timeout_commit "
        "| node CPU % | machine CPU % |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for window in windows:
        intervals = window.intervals
        cpu = f"{window.node_cpu:.0f} | {window.machine_cpu:.0f}"
        if not intervals:
            print(f"| {window.name} | 0 | - | - | - | - | - | {cpu} |")
            continue
        mean = statistics.fmean(intervals)
        over = (mean / args.timeout_commit - 1) * 100
        print(
            f"| {window.name} | {len(intervals)} | {window.txs_per_block:.0f} | {mean:.3f} | "
            f"{percentile(intervals, 0.95):.3f} | {max(intervals):.3f} | {over:+.1f}% | {cpu} |"
        )
    print(
        "\n| window | page POSTs/s | JSON-RPC calls/s | calls per page per block | WebSocket KB/s "
        "| scrapes | scrape p50 ms | scrape p99 ms | exposition bytes |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for window in windows:
        if window.scrapes is not None:
            print(readers_row(args, window, readers))
    print(first_loads(readers.first_loads))
    if readers.problems:
        print(f"\nthe pages reported {len(readers.problems)} errors, the first: {readers.problems[0]}")


def readers_row(args: argparse.Namespace, window: Window, readers: Readers) -> str:
    seconds = window.ended - window.started
    posts, pushed = readers.in_window(window)
    calls = sum(post.calls for post in posts)
    blocks = len(window.intervals) + 1
    row = (
        f"| {window.name} | {len(posts) / seconds:.1f} | {calls / seconds:.1f} | "
        f"{calls / args.pages / blocks:.1f} | {pushed / seconds / 1e3:.1f} |"
    )
    scrapes = window.scrapes
    if scrapes is None or not scrapes.latencies_s:
        return row + f" {0 if scrapes is None else scrapes.failures} failed | - | - | - |"
    failed = f" ({scrapes.failures} failed)" if scrapes.failures else ""
    return row + (
        f" {len(scrapes.latencies_s)}{failed} | {statistics.median(scrapes.latencies_s) * 1e3:.1f} | "
        f"{percentile(scrapes.latencies_s, 0.99) * 1e3:.1f} | {statistics.median(scrapes.sizes):,.0f} |"
    )


def first_loads(loads: list[FirstLoad]) -> str:
    if not loads:
        return "\nno fresh loads of the overview"
    seconds = [load.seconds for load in loads]
    return (
        f"\nOverview, {len(loads)} fresh loads (navigation start to the height tile showing a number): "
        f"median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}); "
        f"by then {statistics.median(load.posts for load in loads):.0f} JSON-RPC POSTs holding "
        f"{statistics.median(load.calls for load in loads):.0f} calls, "
        f"{statistics.median(load.answer_bytes for load in loads):,.0f} bytes of answers (medians)"
    )


if __name__ == "__main__":
    main()
