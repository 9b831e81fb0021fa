"""The explorer's pages under /explorer/: the files of the web root, and ``config.json``,
which tells the pages where to send JSON-RPC and where to open the WebSocket.

The pages route with the History API, so a deep link such as /explorer/blocks/5 must load the
app: a path that names no file and whose last segment has no extension is answered with
index.html. A missing path with an extension is a missing asset and gets 404, so that a broken
link shows as an error rather than as the app. Only regular files inside the web root are
served: a path that leaves it (``..``, an absolute path, a link pointing out) is treated as
missing, and a folder is never listed.

index.html and config.json are never cached (a new release or another node shows at once);
the other files may be cached for a minute.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

WEB_ROOT = Path(__file__).resolve().parent / "web"
PREFIX = "/explorer"
INDEX = "index.html"
NO_CACHE = {"cache-control": "no-cache"}
BRIEF_CACHE = {"cache-control": "public, max-age=60"}
NO_SNIFF = {"x-content-type-options": "nosniff"}
# Named here so a served type never depends on the machine's mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, VERSION
}


@dataclass(frozen=True)
class Endpoints:
    """Where the pages send JSON-RPC POSTs and open the JSON-RPC WebSocket: a path on the
    server that serves them, or an absolute URL."""

    rpc: str
    websocket: str
    chain_id: str | None = None

    def to_json(self) -> dict[str, str]:
        answer = {"rpc": self.rpc, "websocket": self.websocket}
        if self.chain_id is not None:
            answer["chain_id"] = self.chain_id
        return answer


def routes(endpoints: Endpoints, root: Path = WEB_ROOT) -> list[BaseRoute]:
    """The routes serving the pages from ``root`` and ``endpoints`` as config.json. They
    match only paths under /explorer, so they may stand before an app's catch-all routes."""

    async def config(request: Request) -> Response:
        return JSONResponse(endpoints.to_json(), headers=NO_CACHE)

    async def page(request: Request) -> Response:
        return answer(root, request.path_params.get("path", ""))

    return [
        Route(PREFIX, page),
        Route(f"{PREFIX}/config.json", config),
        Route(PREFIX + "/{path:path}", page),
    ]


def answer(root: Path, path: str) -> Response:
    """The file ``path`` names under ``root``; else the app for a route; else 404."""
    found = find_file(root, path)
    if found is not None:
        return file_response(found)
    if not is_route(path):
        return PlainTextResponse(f"{PREFIX}/{path} not found", status_code=404, headers=NO_CACHE)
    index = root / INDEX
    if not index.is_file():
        return PlainTextResponse(f"the explorer's pages are missing ({index})", status_code=404)
    return file_response(index)


def find_file(root: Path, path: str) -> Path | None:
    """The regular file at ``path`` under ``root``, or None: None for anything outside it."""
    base = root.resolve()
    try:
        candidate = (base / path).resolve()
        inside = candidate.is_relative_to(base) and candidate.is_file()
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    return candidate if inside else None


def is_route(path: str) -> bool:
    """A path the pages route themselves: its last segment has no extension."""
    return not PurePosixPath(path).suffix


def file_response(path: Path) -> FileResponse:
    cache = NO_CACHE if path.name == INDEX else BRIEF_CACHE
    return FileResponse(path, media_type=content_type(path), headers={**cache, **NO_SNIFF})


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
