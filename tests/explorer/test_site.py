"""node.explorer without a server: which file a path names (never one outside the web root),
what is answered for a route or a missing asset, the node URLs the standalone server relays
to, and the ``[explorer]`` section of config.toml."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest
from starlette.responses import FileResponse

from node.config import Config, ConfigError, ExplorerConfig, from_dict, load, render
from node.explorer.site import WEB_ROOT, Endpoints, answer, content_type, find_file, is_route
from node.explorer.standalone import NodeURLs, read_at_most, request_id

INDEX = b"<!doctype html><title>depind</title>"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A web root with an index, a script and a folder, beside a file outside it."""
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_bytes(INDEX)
    (web / "js" / "app.js").write_text("export {};\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return web


def served_file(response: object) -> Path:
    assert isinstance(response, FileResponse)
    return Path(response.path)


# -- which file --------------------------------------------------------------------------------


def test_a_file_under_the_root_is_found(root: Path) -> None:
    assert find_file(root, "js/app.js") == (root / "js" / "app.js").resolve()
    assert find_file(root, "js/./app.js") == (root / "js" / "app.js").resolve()


@pytest.mark.parametrize(
    "path", ["../secret.txt", "js/../../secret.txt", "js", "", "missing.js", "js/app.js\x00.png"]
)
def test_invalid_path_names_no_file(root: Path, path: str) -> None:
    assert find_file(root, path) is None


def test_invalid_absolute_path_names_no_file(root: Path) -> None:
    assert find_file(root, str(root.parent / "secret.txt")) is None


def test_invalid_link_out_of_the_root_names_no_file(root: Path) -> None:
    (root / "link.txt").symlink_to(root.parent / "secret.txt")
    (root / "out").symlink_to(root.parent)
    assert find_file(root, "link.txt") is None
    assert find_file(root, "out/secret.txt") is None


# -- what is answered ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "blocks", "blocks/5", "account/depin1abc", "js", "js/"])
def test_a_route_is_answered_with_the_app(root: Path, path: str) -> None:
    response = answer(root, path)
    assert served_file(response) == root / "index.html"
    assert response.headers["cache-control"] == "no-cache"


def test_a_file_is_answered_as_it_is(root: Path) -> None:
    response = answer(root, "js/app.js")
    assert served_file(response) == (root / "js" / "app.js").resolve()
    assert response.media_type == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"


@pytest.mark.parametrize("path", ["missing.js", "js/missing.css", "../secret.txt", "blocks/5.json"])
def test_invalid_missing_asset_is_404(root: Path, path: str) -> None:
    response = answer(root, path)
    assert response.status_code == 404 and not isinstance(response, FileResponse)


def test_invalid_root_without_pages_is_404(tmp_path: Path) -> None:
    response = answer(tmp_path, "blocks/5")
    assert response.status_code == 404 and b"pages are missing" in bytes(response.body)


def test_routes_are_paths_without_an_extension() -> None:
    assert is_route("blocks/5") and is_route("") and is_route("tx/ABCDEF")
    assert not is_route("js/app.js") and not is_route("favicon.ico")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.mjs", "text/javascript; charset=utf-8"),
        ("style.CSS", "text/css; charset=utf-8"),
        ("LICENSE", "text/plain; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(Path(name)) == expected


def test_the_web_root_holds_the_pages() -> None:
    assert (WEB_ROOT / "index.html").is_file()


def test_endpoints_name_the_chain_only_when_known() -> None:
    assert Endpoints("/rpc", "/websocket").to_json() == {"rpc": "/rpc", "websocket": "/websocket"}
    named = Endpoints("/", "/websocket", chain_id="c-1").to_json()
    assert named == {"rpc": "/", "websocket": "/websocket", "chain_id": "c-1"}


# -- the node's URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "rpc", "websocket"),
    [
        ("http://127.0.0.1:26657", "http://127.0.0.1:26657/", "ws://127.0.0.1:26657/websocket"),
        ("http://127.0.0.1:26657/", "http://127.0.0.1:26657/", "ws://127.0.0.1:26657/websocket"),
        ("tcp://127.0.0.1:26657", "http://127.0.0.1:26657/", "ws://127.0.0.1:26657/websocket"),
        ("127.0.0.1:26657", "http://127.0.0.1:26657/", "ws://127.0.0.1:26657/websocket"),
        (
            "https://rpc.example.org/chain",
            "https://rpc.example.org/chain/",
            "wss://rpc.example.org/chain/websocket",
        ),
    ],
)
def test_node_urls(node: str, rpc: str, websocket: str) -> None:
    assert NodeURLs.parse(node) == NodeURLs(rpc, websocket)


@pytest.mark.parametrize("node", ["ftp://127.0.0.1:26657", "http://", "http://[::1", "ws://127.0.0.1:26657"])
def test_invalid_node_url(node: str) -> None:
    with pytest.raises(ConfigError, match="invalid node URL"):
        NodeURLs.parse(node)


async def chunks(*parts: bytes) -> AsyncGenerator[bytes]:
    for part in parts:
        yield part


async def test_a_relayed_body_is_read_up_to_its_limit() -> None:
    assert await read_at_most(chunks(b"ab", b"cd"), 4) == b"abcd"
    assert await read_at_most(chunks(), 4) == b""


async def test_invalid_relayed_body_over_its_limit() -> None:
    async with contextlib.aclosing(chunks(b"ab", b"cd", b"e")) as parts:
        assert await read_at_most(parts, 4) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"jsonrpc": "2.0", "id": 7, "method": "status"}', 7),
        (b'{"jsonrpc": "2.0", "id": "a", "method": "status"}', "a"),
        (b'{"jsonrpc": "2.0", "id": true}', None),
        (b'{"jsonrpc": "2.0", "id": [1]}', None),
        (b'[{"jsonrpc": "2.0", "id": 1}]', None),
        (b"not json", None),
        (b"[" * 100_000, None),
    ],
)
def test_an_errors_id_is_the_requests(body: bytes, expected: object) -> None:
    assert request_id(body) == expected


# -- [explorer] in config.toml ----------------------------------------------------------------------


def test_the_explorer_is_served_by_default() -> None:
    assert Config().explorer.enabled
    assert from_dict({}).explorer == ExplorerConfig(enabled=True)


def test_explorer_setting_round_trips(tmp_path: Path) -> None:
    config = Config(explorer=ExplorerConfig(enabled=False))
    path = tmp_path / "config.toml"
    path.write_text(render(config))
    assert load(path).explorer == ExplorerConfig(enabled=False)


def test_explorer_section_is_commented() -> None:
    text = render(Config())
    section = text[text.index("\n[explorer]\n") :]
    assert "# The web explorer at http://<rpc laddr>/explorer/" in section
    assert tomllib.loads(text)["explorer"] == {"enabled": True}


@pytest.mark.parametrize(
    ("text", "name"),
    [("[explorer]\nenabled = 'yes'\n", "explorer.enabled"), ("[explorer]\nport = 1\n", "port")],
)
def test_invalid_explorer_setting(text: str, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_dict(tomllib.loads(text))
