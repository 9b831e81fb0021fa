"""The provider's output server: a result's canonical outputs by byte range, for its verifiers,
and the supplied inputs of its jobs, from their requesters and for the verifiers.

    GET  /outputs/{result_root}              the outputs (200 whole, or 206 for one Range)
    HEAD /outputs/{result_root}              their size (Content-Length), Accept-Ranges: bytes
    GET  /outputs/{result_root}/result.json  the folder's record (gpu/results.py)
    PUT  /inputs/{header_digest}             a job's supplied inputs (node/outputs/inputs.py):
                                             201 stored, 200 held already
    GET  /inputs/{header_digest}             the stored inputs (200 whole, or 206 for one Range)
    HEAD /inputs/{header_digest}             their size

A Starlette app served by hypercorn's trio worker, like the REST server (node/rest/server.py).
Result folders are published in an `OutputStore`: a directory holding one link per result,
named by its root, so what is served survives a restart and a URL can only ever name a root
(64 hex digits, checked before any path is built).

Bounded per request and in total, so that a verifier fetching 1 GiB, or a stranger, cannot take
the provider down: one answer carries at most `max_range_bytes` (a longer range is cut short and
its Content-Range says so; a whole GET of larger outputs is refused with 413: ask by Range), is
read from disk and sent in pieces of `piece_bytes` (memory stays at a piece per request), and
must be done within `response_timeout_s`; at most `max_concurrent` requests are served at once,
the others get 503 with Retry-After at once. HEAD ignores Range (RFC 9110 defines ranges for GET
only) and always gives the whole size.

Inputs are served only with an `InputStore` (node/outputs/input_store.py), which bounds what
uploads may take on disk. An upload is refused with 413 past `max_upload_bytes` (from its
Content-Length, or as its bytes arrive), with 503 while `max_concurrent_uploads` are being
checked, and with 400 unless it decodes as the inputs of exactly the job its path names.
"""

from __future__ import annotations

import logging
import os
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgspec
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from consensus.tasks import TaskStatus
from gpu.errors import ResultFileError
from node.config import parse_laddr
from node.outputs.files import ResultFiles, open_result_files
from node.outputs.input_store import InputStore
from node.outputs.inputs import InputsError
from node.outputs.layout import INPUTS_PATH, OUTPUTS_PATH, RECORD_NAME, parse_root
from node.outputs.ranges import (
    ByteRange,
    UnsatisfiableRange,
    limit_range,
    parse_range,
    unsatisfiable_content_range,
)

log = logging.getLogger("depind.outputs")

OCTETS = "application/octet-stream"
MAX_LENGTH_DIGITS = 19  # a Content-Length longer than this is over any limit: no int() of it


class ByteSource(Protocol):
    """What a range answer reads from: a result's outputs, or a job's inputs."""

    def read(self, start: int, stop: int) -> bytes: ...


@dataclass(frozen=True)
class OutputLimits:
    max_range_bytes: int = 8 << 20  # the most output bytes in one answer
    max_concurrent: int = 16  # requests served at once; more get 503
    piece_bytes: int = 256 << 10  # read from disk and sent at a time
    response_timeout_s: float = 120.0  # a request still being served after this is cut off
    retry_after_s: int = 1  # what a 503 tells the client to wait

    def __post_init__(self) -> None:
        if min(self.max_range_bytes, self.max_concurrent, self.piece_bytes, self.retry_after_s) < 1:
            raise ValueError(f"output server limits must be positive: {self}")


# -- the store: published result folders ----------------------------------------------------------


class OutputStore:
    """Result folders served under their result roots: `directory/<root hex>` links to each."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory

    def publish(self, folder: Path) -> bytes:
        """Serve the result folder `folder` (checked first) under its result root, returned."""
        root = open_result_files(folder).result_root
        link = self.directory / root.hex()
        if link.is_dir() and not link.is_symlink():
            raise ResultFileError(f"{link} is a folder, not a link; remove it to publish {folder}")
        staged = self.directory / f".{root.hex()}.{os.getpid()}.link"
        staged.unlink(missing_ok=True)
        staged.symlink_to(folder.resolve(), target_is_directory=True)
        staged.replace(link)  # atomic: a request sees the old link or the new one, never none
        return root

    def withdraw(self, root: bytes) -> None:
        """Stop serving a result (its folder is left as it is)."""
        (self.directory / root.hex()).unlink(missing_ok=True)

    def lookup(self, root: bytes) -> ResultFiles | None:
        """The published result with this root, checked; None if none is published."""
        folder = self.directory / root.hex()
        if not folder.is_dir():
            return None
        files = open_result_files(folder)
        if files.result_root != root:
            raise ResultFileError(f"{folder} holds the result {files.result_root.hex()}, not {root.hex()}")
        return files


# -- the app ------------------------------------------------------------------------------------


class OutputEndpoints:
    def __init__(self, store: OutputStore, limits: OutputLimits, inputs: InputStore | None = None) -> None:
        self.store = store
        self.limits = limits
        self.inputs = inputs
        self.uploading = 0  # uploads being received or checked

    async def outputs(self, request: Request) -> Response:
        files = await self.published(request)
        if request.method == "HEAD":
            return Response(headers={"content-length": str(files.size), "accept-ranges": "bytes"})
        byte_range, status = self.answer_range(request.headers.get("range"), files.size)
        return RangeResponse(files, byte_range, status, self.limits.piece_bytes)

    async def record(self, request: Request) -> Response:
        files = await self.published(request)
        return Response(msgspec.json.encode(files.record), media_type="application/json")

    async def published(self, request: Request) -> ResultFiles:
        root = parse_root(request.path_params["root"])
        if root is None:
            raise HTTPException(400, "a result root is 64 hex digits")
        try:
            files = await trio.to_thread.run_sync(self.store.lookup, root)
        except ResultFileError as err:
            log.error("cannot serve the result %s: %s", root.hex(), err)
            raise HTTPException(500, "the result's files are damaged (the provider's log says how)") from None
        if files is None:
            raise HTTPException(404, f"no outputs are published for the result {root.hex()}")
        return files

    async def stored_inputs(self, request: Request) -> Response:
        store, digest = self.input_store(), self.digest(request)
        found = await trio.to_thread.run_sync(store.lookup, digest)
        if found is None:
            raise HTTPException(404, f"no inputs are stored for the job header {digest.hex()}")
        if request.method == "HEAD":
            return Response(headers={"content-length": str(found.size), "accept-ranges": "bytes"})
        byte_range, status = self.answer_range(request.headers.get("range"), found.size)
        return RangeResponse(found, byte_range, status, self.limits.piece_bytes)

    async def upload_inputs(self, request: Request) -> Response:
        store, digest = self.input_store(), self.digest(request)
        if self.uploading >= store.limits.max_concurrent_uploads:
            raise HTTPException(
                503,
                f"busy: {self.uploading} uploads in progress; retry later",
                {"retry-after": str(self.limits.retry_after_s)},
            )
        self.uploading += 1
        try:
            data = await read_body(request, store.limits.max_upload_bytes)
            stored = await trio.to_thread.run_sync(store.put, digest, data)
        except InputsError as err:
            raise HTTPException(400, f"not the inputs of the job header {digest.hex()}: {err}") from None
        except OSError as err:
            log.error("cannot store the inputs of the job header %s: %s", digest.hex(), err)
            raise HTTPException(500, "the inputs could not be stored (the provider's log says why)") from None
        finally:
            self.uploading -= 1
        if not stored:
            return PlainTextResponse(f"the inputs of the job header {digest.hex()} are held already", 200)
        return PlainTextResponse(f"stored the inputs of the job header {digest.hex()}", 201)

    def input_store(self) -> InputStore:
        if self.inputs is None:  # the routes exist only with a store
            raise HTTPException(404, "this server keeps no inputs")
        return self.inputs

    def digest(self, request: Request) -> bytes:
        digest = parse_root(request.path_params["digest"])
        if digest is None:
            raise HTTPException(400, "a job header digest is 64 hex digits")
        return digest

    def answer_range(self, header: str | None, size: int) -> tuple[ByteRange, int]:
        """The bytes to send and the status: 200 for all of them, 206 for a range."""
        if header is None:
            if size > self.limits.max_range_bytes:
                raise HTTPException(
                    413,
                    f"the answer would be {size} bytes; ask by Range, at most "
                    f"{self.limits.max_range_bytes} bytes per request",
                )
            return ByteRange(0, size, size), 200
        try:
            byte_range = parse_range(header, size)
        except UnsatisfiableRange as err:
            raise HTTPException(416, str(err), {"content-range": unsatisfiable_content_range(size)}) from None
        return limit_range(byte_range, self.limits.max_range_bytes), 206


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if len(declared) > MAX_LENGTH_DIGITS or (declared.isdigit() and int(declared) > limit):
        raise HTTPException(413, f"an upload is at most {limit} bytes")
    body = bytearray()
    async with aclosing(request.stream()) as pieces:
        async for piece in pieces:
            body += piece
            if len(body) > limit:
                raise HTTPException(413, f"an upload is at most {limit} bytes")
    return bytes(body)


class RangeResponse(Response):
    """Bytes of a result's outputs (or a job's inputs), read from disk in a thread a piece at a
    time (the event loop never waits on the disk, memory holds one piece), until sent or the
    client goes away."""

    def __init__(self, files: ByteSource, byte_range: ByteRange, status: int, piece: int) -> None:
        headers = {"content-length": str(byte_range.length), "accept-ranges": "bytes"}
        if status == 206:
            headers["content-range"] = byte_range.content_range()
        super().__init__(None, status, headers, OCTETS)
        self.files, self.byte_range, self.piece = files, byte_range, piece

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_on_disconnect, receive, nursery.cancel_scope)
            await self.send_pieces(send)
            nursery.cancel_scope.cancel()

    async def send_pieces(self, send: Send) -> None:
        start, stop = self.byte_range.start, self.byte_range.stop
        while start < stop:
            end = min(start + self.piece, stop)
            data = await trio.to_thread.run_sync(self.files.read, start, end)
            await send({"type": "http.response.body", "body": data, "more_body": end < stop})
            start = end


async def _cancel_on_disconnect(receive: Receive, scope: trio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


class Admission:
    """At most `max_concurrent` requests at a time, each cut off after `response_timeout_s`, so
    slow or idle readers cannot hold the server: the slot is held until the last byte is sent."""

    def __init__(self, app: ASGIApp, limits: OutputLimits) -> None:
        self.app = app
        self.limits = limits
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limits.max_concurrent:
            busy = PlainTextResponse(
                f"busy: {self.in_flight} requests in flight; retry later",
                503,
                {"retry-after": str(self.limits.retry_after_s)},
            )
            await busy(scope, receive, send)
            return
        self.in_flight += 1
        try:
            with trio.move_on_after(self.limits.response_timeout_s) as deadline:
                await self.app(scope, receive, send)
            if deadline.cancelled_caught:
                log.warning("cut off %s after %.0f s", scope["path"], self.limits.response_timeout_s)
        finally:
            self.in_flight -= 1


def build_app(store: OutputStore, limits: OutputLimits, inputs: InputStore | None = None) -> Admission:
    endpoints = OutputEndpoints(store, limits, inputs)
    routes = [
        Route(OUTPUTS_PATH + "/{root}", endpoints.outputs, methods=["GET", "HEAD"]),
        Route(OUTPUTS_PATH + "/{root}/" + RECORD_NAME, endpoints.record, methods=["GET", "HEAD"]),
    ]
    if inputs is not None:
        routes += [
            Route(INPUTS_PATH + "/{digest}", endpoints.stored_inputs, methods=["GET", "HEAD"]),
            Route(INPUTS_PATH + "/{digest}", endpoints.upload_inputs, methods=["PUT"]),
        ]
    return Admission(Starlette(routes=routes), limits)


async def serve(
    store: OutputStore,
    address: str,
    limits: OutputLimits,
    inputs: InputStore | None = None,
    *,
    task_status: TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `store` (and `inputs`, if given) on `address` (``host:port``; port 0 picks a free
    one) until cancelled; `nursery.start` returns the server's URL, ``http://host:port``."""
    host, port = parse_laddr(address)
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.outputs.server")
    config.graceful_timeout = 1.0
    async with trio.open_nursery() as nursery:
        binds: list[str] = await nursery.start(_serve, build_app(store, limits, inputs), config)
        log.info("serving outputs from %s on %s", store.directory, binds[0])
        task_status.started(binds[0])


async def _serve(
    app: Admission, config: HypercornConfig, *, task_status: TaskStatus[Any] = trio.TASK_STATUS_IGNORED
) -> None:
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]
