"""The provider's side of its leases: what ``depind worker`` runs (docs/market.md).

The worker follows the chain over the node's WebSocket, one ``NewBlock`` event per
block, and on each block:

- accepts the provider's pending leases (``MsgAcceptLease``), so none closes with
  ``provider_fault`` for want of an answer; a lease is charged from the block that
  carries its acceptance;
- every ``withdraw_every`` blocks, withdraws the earnings of its leases
  (``MsgWithdrawLease``) that have at least ``min_withdraw`` to pay;
- with a job runner (node/worker_jobs.py), runs its pending compute jobs, each on the
  runner's thread, and submits each result (``MsgSubmitResult``) once its folder is written
  and served; the chain's capacity challenges (vm/compute/capacity.py) are jobs too, queued
  ahead of the others because their deadline is timed;
- with a job runner, answers the availability challenges of its verifying jobs
  (``MsgPostChunks``): the sampled chunks, opened from the job's result folder.

What it reads it asks the node's JSON-RPC ``leases`` and ``jobs`` queries, so a block missed while
disconnected changes nothing: the next one finds what is still pending. A tx it sent
is not sent again for ``resend_after`` blocks, the time it needs to be included.
When the node goes away the worker reconnects, waiting a little longer each time up
to ``reconnect_max_s``, and goes on where the chain is.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from gpu.errors import GpuError
from gpu.header import JobHeader, decode_header
from gpu.proofs import encode_opening
from node.client import Client, ClientError, Signer
from node.worker_jobs import FinishedJob, JobRunner
from vm.compute.msgs import MsgPostChunks, MsgSubmitResult
from vm.errors import WrongSequence
from vm.market.msgs import MsgAcceptLease, MsgWithdrawLease
from vm.msg import Msg

log = logging.getLogger("depind.worker")

NEW_BLOCK_QUERY = "tm.event='NewBlock'"
PAGE_LIMIT = 100
MAX_PAGES = 100  # 10,000 leases per pass: bounded, and more than a provider's GPUs
RECEIVE_TIMEOUT_S = 1.0  # how often the loop looks at the stop flag while the chain is quiet
FIRST_RECONNECT_S = 0.5


@dataclass(frozen=True)
class WorkerConfig:
    withdraw_every: int = 10  # blocks between withdrawals
    min_withdraw: int = 1  # the least a lease must have earned to be withdrawn
    max_msgs_per_tx: int = 50
    resend_after: int = 5  # blocks before a tx that did not land is sent again
    reconnect_max_s: float = 30.0


@dataclass
class Worker:
    """Acts for one provider key; ``on_block`` does one block's work."""

    client: Client
    signer: Signer
    config: WorkerConfig = field(default_factory=WorkerConfig)
    jobs: JobRunner | None = None  # None: leases only, no compute jobs
    last_withdraw: int = 0
    _sent: dict[tuple[str, int], int] = field(default_factory=dict)  # (action, lease or job) -> height

    @property
    def provider(self) -> str:
        return self.signer.key.address

    def on_block(self, height: int) -> None:
        self._forget_sent_before(height - self.config.resend_after)
        self.accept_pending(height)
        if self.jobs is not None:
            self.run_jobs(self.jobs, height)
            self.answer_challenges(self.jobs, height)
        if height - self.last_withdraw >= self.config.withdraw_every:
            self.withdraw_earnings(height)
            self.last_withdraw = height

    def accept_pending(self, height: int) -> None:
        pending = [int(entry["lease"]["id"]) for entry in self.leases("pending")]
        self._act("accept", pending, height, lambda lease: MsgAcceptLease(self.provider, lease))

    def withdraw_earnings(self, height: int) -> None:
        due = [
            int(entry["lease"]["id"])
            for entry in self.leases("active")
            if int(entry["escrow"]["withdrawable"]) >= self.config.min_withdraw
        ]
        self._act("withdraw", due, height, lambda lease: MsgWithdrawLease(self.provider, lease))

    def run_jobs(self, runner: JobRunner, height: int) -> None:
        """Each pending job still due, capacity challenges first (the chain times them): submit
        its result if it has one on disk, else run it."""
        for job in sorted(self.pending_jobs(), key=lambda job: job.get("capacity") is None):
            job_id = int(job["id"])
            if int(job["deadline_height"]) < height or ("result", job_id) in self._sent:
                continue
            header = header_of(job)
            if header is None:
                continue
            finished = runner.finished(job_id, header)
            if finished is None:
                if runner.schedule(job_id, header) and job.get("capacity") is not None:
                    log.info("job %d: a capacity challenge, queued first", job_id)
            elif self._send([submit_result_msg(self.provider, finished)], f"submit job {job_id}'s result"):
                self._sent[("result", job_id)] = height

    def answer_challenges(self, runner: JobRunner, height: int) -> None:
        """Each verifying job with an availability challenge still open and due: post its
        sampled chunks, opened from the result folder."""
        for job in self.verifying_jobs():
            challenge = job.get("availability")
            job_id = int(job["id"])
            if challenge is None or not is_open(challenge, height) or ("chunks", job_id) in self._sent:
                continue
            header = header_of(job)
            if header is None:
                continue
            try:
                openings = runner.open_chunks(job_id, header, [int(c) for c in challenge["chunks"]])
            except (GpuError, IndexError) as err:
                log.warning("job %d: cannot answer its availability challenge: %s", job_id, err)
                continue
            message = MsgPostChunks(self.provider, job_id, [encode_opening(o) for o in openings])
            if self._send([message], f"answer job {job_id}'s availability challenge"):
                self._sent[("chunks", job_id)] = height

    def leases(self, state: str) -> Iterator[dict[str, Any]]:
        """The provider's leases in ``state``, page by page."""
        return self._pages("leases", "leases", state=state)

    def pending_jobs(self) -> Iterator[dict[str, Any]]:
        """The provider's compute jobs waiting for a result, page by page."""
        return self._pages("jobs", "jobs", state="pending")

    def verifying_jobs(self) -> Iterator[dict[str, Any]]:
        """The provider's compute jobs under verification, page by page."""
        return self._pages("jobs", "jobs", state="verifying")

    def _pages(self, method: str, field_name: str, **params: Any) -> Iterator[dict[str, Any]]:
        next_key = ""
        for _ in range(MAX_PAGES):
            page = self.client.call(
                method, provider=self.provider, limit=PAGE_LIMIT, next_key=next_key, **params
            )
            yield from page[field_name]
            next_key = page["next_key"] or ""
            if not next_key:
                return

    def _act(self, action: str, leases: list[int], height: int, message: Any) -> None:
        todo = [lease for lease in leases if (action, lease) not in self._sent]
        for chunk in chunks(todo, self.config.max_msgs_per_tx):
            if self._send([message(lease) for lease in chunk], f"{action} lease(s) {ids_text(chunk)}"):
                self._sent.update({(action, lease): height for lease in chunk})

    def _send(self, messages: Sequence[Msg], what: str) -> bool:
        try:
            result = self.signer.send(messages)
        except ClientError as exc:  # unreachable, or the simulation that prices the tx refused it
            log.warning("could not %s: %s", what, exc)
            if exc.code == WrongSequence.code:
                self.signer.refresh()  # another client used the key (a claim, say): take the chain's
            return False
        if result.code == WrongSequence.code:
            self.signer.refresh()  # another client used the key: take the chain's sequence
        if result.code != 0:
            log.warning("could not %s: %s (code %d)", what, result.log, result.code)
            return False
        log.info("%s: tx %s", what, result.hash)
        return True

    def _forget_sent_before(self, height: int) -> None:
        self._sent = {key: sent for key, sent in self._sent.items() if sent > height}


def header_of(job: dict[str, Any]) -> JobHeader | None:
    """The job's header as the chain holds it (None, logged, if this build cannot read it)."""
    try:
        return decode_header(bytes.fromhex(job["header"]))
    except (GpuError, ValueError) as err:
        log.warning("job %s: cannot read its header: %s", job["id"], err)
        return None


def is_open(challenge: dict[str, Any], height: int) -> bool:
    """Whether a job answer's availability challenge waits for an answer that can still land."""
    return int(challenge["answered_height"]) == 0 and int(challenge["deadline_height"]) >= height


def submit_result_msg(provider: str, finished: FinishedJob) -> MsgSubmitResult:
    known = finished.energy_mj is not None
    energy = finished.energy_mj if finished.energy_mj is not None else 0
    return MsgSubmitResult(
        provider, finished.job_id, finished.output_root, energy, known, max(finished.compute_ms, 0)
    )


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ids_text(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


# -- following the chain ---------------------------------------------------------------------------


def websocket_url(node: str) -> str:
    """``http://host:port`` (or ``tcp://``, or bare ``host:port``) as its ``ws://.../websocket``."""
    parts = urlsplit(node if "://" in node else f"http://{node}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, "/websocket", "", ""))


def run(worker: Worker, node: str, stop: threading.Event) -> None:
    """Follow the chain until ``stop`` is set, reconnecting whenever the node goes away."""
    delay = FIRST_RECONNECT_S
    while not stop.is_set():
        try:
            follow(worker, websocket_url(node), stop)
            delay = FIRST_RECONNECT_S
        except (OSError, TimeoutError, WebSocketException, ClientError) as exc:
            log.warning("lost the node at %s (%s); reconnecting in %.1fs", node, exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, worker.config.reconnect_max_s)


def follow(worker: Worker, url: str, stop: threading.Event) -> None:
    """One connection: subscribe to new blocks and act on each until ``stop`` or a failure."""
    with connect(url, open_timeout=10, close_timeout=2, max_size=2**24) as connection:
        subscribe(connection)
        worker.signer.refresh()  # the node may have restarted from elsewhere: take its view
        log.info("following %s as provider %s", url, worker.provider)
        worker.on_block(worker.client.height())
        while not stop.is_set():
            height = next_block(connection)
            if height is not None:
                worker.on_block(height)


def subscribe(connection: ClientConnection) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"query": NEW_BLOCK_QUERY}}
    connection.send(json.dumps(request))
    answer = json.loads(connection.recv(timeout=10))
    if "error" in answer:
        raise ClientError(f"subscribe refused: {answer['error'].get('message')}")


def next_block(connection: ClientConnection) -> int | None:
    """The height of the next ``NewBlock`` event, or None if none came within a second."""
    try:
        text = connection.recv(timeout=RECEIVE_TIMEOUT_S)
    except TimeoutError:
        return None
    message = json.loads(text)
    if "error" in message:  # the node dropped the subscription (we fell behind): resubscribe
        raise ClientError(f"subscription ended: {message['error'].get('data') or message['error']}")
    data = message.get("result", {}).get("data", {})
    if data.get("type") != "tendermint/event/NewBlock":
        return None
    return int(data["value"]["block"]["header"]["height"])
