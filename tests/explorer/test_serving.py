"""Serving the explorer, without a browser: a real node's JSON-RPC port (``[explorer]
enabled``, the default) and a real ``depind explorer`` process against it.

The node: every file of the web root is served as it is, with its content type; /explorer,
/explorer/ and deep links are the app (index.html); a missing asset is 404; no path leaves the
web root; config.json points at the node's own JSON-RPC and WebSocket; with ``[explorer]
enabled = false`` nothing is served. The standalone server: the same pages, its JSON-RPC relay
(answers, the node's errors, its limits, an unreachable node) and its WebSocket relay (a
NewBlock subscription; closing the browser's side closes the node's).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from node import config as node_config
from node.explorer.site import WEB_ROOT
from tests.e2e.harness import CHAIN_ID, REPO_ROOT, NodeProcess, WSClient, eventually, free_port
from tests.explorer.standalone_process import ExplorerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SUBSCRIPTION_CLIENTS = 2  # the node's max_subscription_clients: a leaked relay shows at once
NEW_BLOCK = "tm.event='NewBlock'"
INDEX = (WEB_ROOT / "index.html").read_bytes()
EXPECTED_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    "": "text/plain",
}
CLI_TIMEOUT_S = 30


def make_node(root: Path, enabled: bool) -> NodeProcess:
    node = NodeProcess(root)
    config = node_config.load(node.home.config_file)
    config = dataclasses.replace(
        config,
        rpc=dataclasses.replace(config.rpc, max_subscription_clients=SUBSCRIPTION_CLIENTS),
        explorer=node_config.ExplorerConfig(enabled=enabled),
    )
    node.home.config_file.write_text(node_config.render(config))
    try:
        node.start()
    except BaseException:
        node.close()
        raise
    return node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    started = make_node(tmp_path_factory.mktemp("explorer-node"), enabled=True)
    try:
        yield started
    finally:
        started.close()
    assert not started.logged_tracebacks(), started.log_tail()


@pytest.fixture(scope="module")
def standalone(node: NodeProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExplorerProcess]:
    server = ExplorerProcess(node.url, tmp_path_factory.mktemp("standalone") / "explorer.log")
    try:
        yield server
    finally:
        code = server.stop()
    assert code == 0, server.log()
    assert "Traceback" not in server.log(), server.log()


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10.0)


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written: no client normalises its dots or escapes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def web_files() -> list[Path]:
    return sorted(path for path in WEB_ROOT.rglob("*") if path.is_file())


# -- the node ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/explorer", "/explorer/", "/explorer/blocks/5", "/explorer/account/depin1abc", "/explorer/js/"]
)
def test_the_app_answers_its_routes_and_deep_links(node: NodeProcess, path: str) -> None:
    response = get(node.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == INDEX


def test_every_file_of_the_web_root_is_served_with_its_type(node: NodeProcess) -> None:
    files = web_files()
    assert any(path.suffix == ".js" for path in files)
    for path in files:
        relative = path.relative_to(WEB_ROOT).as_posix()
        response = get(f"{node.url}/explorer/{relative}")
        assert response.status_code == 200, relative
        assert response.content == path.read_bytes(), relative
        expected = EXPECTED_TYPES.get(path.suffix)
        if expected is not None:
            assert response.headers["content-type"].split(";")[0] == expected, relative
        cache = "no-cache" if path.name == "index.html" else "public, max-age=60"
        assert response.headers["cache-control"] == cache, relative


@pytest.mark.parametrize(
    "path", ["/explorer/js/missing.js", "/explorer/missing.css", "/explorer/blocks/5.json"]
)
def test_a_missing_asset_is_404(node: NodeProcess, path: str) -> None:
    response = get(node.url + path)
    assert response.status_code == 404
    assert response.content != INDEX


ROOT_FILE = str(REPO_ROOT / "pyproject.toml").lstrip("/")


@pytest.mark.parametrize(
    "target",
    [
        "/explorer/../site.py",
        "/explorer/../../../pyproject.toml",
        "/explorer/..%2F..%2F..%2Fpyproject.toml",
        "/explorer/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/explorer/%2e%2e%2fsite.py",
        "/explorer/js/..%2F..%2Fsite.py",
        "/explorer/%2F" + ROOT_FILE,
        "/explorer//" + ROOT_FILE,
    ],
)
def test_no_path_leaves_the_web_root(node: NodeProcess, target: str) -> None:
    outside = (WEB_ROOT / unquote(target.removeprefix("/explorer/"))).resolve()
    assert outside.is_file() and not outside.is_relative_to(WEB_ROOT)  # what a naive server would send
    status, body = raw_get(node.port, target)
    assert status == 404
    assert outside.read_bytes()[:200] not in body


def test_config_points_at_the_nodes_own_rpc(node: NodeProcess) -> None:
    response = get(f"{node.url}/explorer/config.json")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"
    assert response.json() == {"rpc": "/", "websocket": "/websocket", "chain_id": CHAIN_ID}


def test_the_node_logs_where_the_explorer_is(node: NodeProcess) -> None:
    assert f"explorer at http://127.0.0.1:{node.port}/explorer/" in node.log_tail(10**7)


def test_json_rpc_beside_the_explorer_is_unchanged(node: NodeProcess) -> None:
    """The explorer's routes stand before the URI requests: those still answer."""
    assert get(f"{node.url}/health").json()["result"] == {}
    assert get(f"{node.url}/explorer_missing").status_code == 404  # an unknown method, as before


def test_a_node_with_the_explorer_disabled_serves_none(tmp_path: Path) -> None:
    node = make_node(tmp_path, enabled=False)
    try:
        for path in ("/explorer/", "/explorer/blocks/5", "/explorer/config.json", "/explorer/js/app.js"):
            response = httpx.get(node.url + path, follow_redirects=True, timeout=10.0)  # /x/ goes to /x
            assert response.status_code == 404 and response.content != INDEX, path
        assert get(node.url + "/explorer").json()["error"]["code"] == -32601  # a URI request, as before
        assert "explorer at" not in node.log_tail(10**7)
    finally:
        node.close()


# -- depind explorer ------------------------------------------------------------------------------


def test_standalone_redirects_to_the_pages(standalone: ExplorerProcess) -> None:
    response = get(standalone.url + "/")
    assert response.is_redirect and response.headers["location"] == "/explorer/"
    for path in ("/explorer/", "/explorer/blocks/5"):
        assert get(standalone.url + path).content == INDEX
    app = get(f"{standalone.url}/explorer/js/app.js")
    assert app.headers["content-type"].startswith("text/javascript")
    assert app.content == (WEB_ROOT / "js" / "app.js").read_bytes()
    assert get(f"{standalone.url}/explorer/missing.js").status_code == 404
    status, body = raw_get(standalone.port, "/explorer/..%2F..%2F..%2Fpyproject.toml")
    assert status == 404 and b"[project]" not in body


def test_standalone_config_points_at_its_relays(standalone: ExplorerProcess) -> None:
    response = get(f"{standalone.url}/explorer/config.json")
    assert response.headers["cache-control"] == "no-cache"
    assert response.json() == {"rpc": "/rpc", "websocket": "/websocket"}


def test_standalone_logs_where_it_serves(standalone: ExplorerProcess, node: NodeProcess) -> None:
    assert f"explorer at {standalone.explorer_url} for the node at {node.url}/" in standalone.log()


def test_standalone_relays_json_rpc(standalone: ExplorerProcess, node: NodeProcess) -> None:
    request = {"jsonrpc": "2.0", "id": 7, "method": "status"}
    relayed = httpx.post(f"{standalone.url}/rpc", json=request, timeout=10.0).json()
    assert relayed["id"] == 7
    assert relayed["result"]["node_info"] == node.rpc("status")["node_info"]
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "health"}, {"jsonrpc": "2.0", "id": 2, "method": "nope"}]
    answers = httpx.post(f"{standalone.url}/rpc", json=batch, timeout=10.0).json()
    assert answers[0] == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert answers[1]["error"]["code"] == -32601  # the node's own error, passed on


def test_standalone_refuses_a_body_over_its_limit(standalone: ExplorerProcess) -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "health", "pad": "' + b"x" * 1_000_000 + b'"}'
    response = httpx.post(
        f"{standalone.url}/rpc", content=body, headers={"content-type": "application/json"}, timeout=10.0
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == -32006


def test_standalone_relays_a_subscription(standalone: ExplorerProcess, node: NodeProcess) -> None:
    with WSClient(standalone.websocket_url) as client:
        assert client.call("subscribe", query=NEW_BLOCK) == {}
        event = client.next_event(timeout=10.0)
    height = int(event["result"]["data"]["value"]["block"]["header"]["height"])
    assert height >= 1 and event["result"]["query"] == NEW_BLOCK


def test_standalone_closes_the_nodes_side_when_the_browser_leaves(standalone: ExplorerProcess) -> None:
    """The node takes SUBSCRIPTION_CLIENTS subscribers: were a relayed connection left open
    after its browser left, the third of these would be refused."""
    for _ in range(3 * SUBSCRIPTION_CLIENTS):
        client = eventually(lambda: subscribed(standalone), "a subscription through the relay", timeout=10)
        client.close()


def test_standalone_passes_on_the_nodes_refusal(standalone: ExplorerProcess) -> None:
    with contextlib.ExitStack() as clients:
        for _ in range(SUBSCRIPTION_CLIENTS):
            client = eventually(
                lambda: subscribed(standalone), "a subscription through the relay", timeout=10
            )
            clients.callback(client.close)
        with (
            ws_connect(standalone.websocket_url, open_timeout=10) as refused,
            pytest.raises(ConnectionClosed) as closed,
        ):
            refused.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013


def subscribed(standalone: ExplorerProcess) -> WSClient | None:
    """A client subscribed to new blocks through the relay, or None (closed) if the node
    refused it."""
    client = WSClient(standalone.websocket_url)
    try:
        if client.call_response("subscribe", query=NEW_BLOCK).get("result") == {}:
            return client
    except ConnectionClosed:
        pass
    client.close()
    return None


def test_standalone_against_an_unreachable_node(tmp_path: Path) -> None:
    server = ExplorerProcess(f"http://127.0.0.1:{free_port()}", tmp_path / "explorer.log")
    try:
        request = {"jsonrpc": "2.0", "id": "a", "method": "status"}
        response = httpx.post(f"{server.url}/rpc", json=request, timeout=10.0)
        assert response.status_code == 502
        answer = response.json()
        assert answer["id"] == "a" and answer["error"]["code"] == -32010
        assert "cannot reach the node" in answer["error"]["data"]
        with (
            ws_connect(server.websocket_url, open_timeout=10) as socket,
            pytest.raises(ConnectionClosed) as closed,
        ):
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.log(), server.log()


# -- the command's errors ---------------------------------------------------------------------------


def depind_explorer(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "node.cli.main", "explorer", *args]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)


def test_invalid_listen_port_in_use(standalone: ExplorerProcess) -> None:
    done = depind_explorer("--listen", f"127.0.0.1:{standalone.port}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: cannot listen on 127.0.0.1:{standalone.port}: Address already in use"
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--node", "ftp://127.0.0.1:26657"), "invalid node URL 'ftp://127.0.0.1:26657'"),
        (("--node", "http://"), "invalid node URL 'http://'"),
        (("--listen", "localhost"), "invalid listen address 'localhost'"),
        (("--listen", "127.0.0.1:99999"), "invalid listen address '127.0.0.1:99999'"),
    ],
)
def test_invalid_arguments_are_one_line(args: tuple[str, ...], message: str) -> None:
    done = depind_explorer(*args)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {message}") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_relayed_answer_is_json(standalone: ExplorerProcess) -> None:
    response = httpx.post(f"{standalone.url}/rpc", content=b"not json", timeout=10.0)
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.content)["error"]["code"] == -32700  # the node's parse error, passed on
