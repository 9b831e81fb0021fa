"""node.rpc.dispatch: typed parameters from handler signatures, and OpenRPC."""

from __future__ import annotations

from typing import Any

import pytest

from node.rpc.dispatch import MAX_INT, Method, Param, Registry, bind, coerce, openrpc
from node.rpc.errors import INVALID_PARAMS, RPCError


async def echo(
    ctx: Any, hash: str, height: int | None = None, prove: bool = False, order_by: str = "asc"
) -> dict[str, Any]:
    """Echo the params back.

    Longer description that is not the summary."""
    return {"hash": hash, "height": height, "prove": prove, "order_by": order_by}


async def no_params(ctx: Any) -> dict[str, Any]:
    return {}


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.add("echo", echo)
    registry.add("no_params", no_params)
    registry.add("listen", no_params, websocket_only=True)
    return registry


@pytest.fixture
def method(registry: Registry) -> Method:
    return registry.methods["echo"]


def invalid(method: Method, params: Any, match: str = "") -> RPCError:
    with pytest.raises(RPCError, match=match) as caught:
        bind(method, params)
    assert caught.value.code == INVALID_PARAMS
    return caught.value


# -- the registry ------------------------------------------------------------------------------


def test_params_from_signature(method: Method) -> None:
    assert method.params == (
        Param("hash", str, True, None),
        Param("height", int, False, None),
        Param("prove", bool, False, False),
        Param("order_by", str, False, "asc"),
    )


def test_summary_is_first_docstring_line(registry: Registry, method: Method) -> None:
    assert method.summary == "Echo the params back."
    assert registry.methods["no_params"].summary == ""


def test_websocket_only_flag(registry: Registry) -> None:
    assert registry.methods["listen"].websocket_only
    assert not registry.methods["echo"].websocket_only


# -- binding -------------------------------------------------------------------------------------


def test_bind_named(method: Method) -> None:
    assert bind(method, {"hash": "ab", "height": 5, "prove": True}) == {
        "hash": "ab",
        "height": 5,
        "prove": True,
        "order_by": "asc",
    }


def test_bind_defaults(method: Method) -> None:
    assert bind(method, {"hash": "ab"}) == {"hash": "ab", "height": None, "prove": False, "order_by": "asc"}


def test_bind_null_means_default(method: Method) -> None:
    assert bind(method, {"hash": "ab", "height": None, "prove": None})["prove"] is False


def test_bind_positional(method: Method) -> None:
    assert bind(method, ["ab", "7", "true"]) == {"hash": "ab", "height": 7, "prove": True, "order_by": "asc"}


def test_bind_no_params(registry: Registry) -> None:
    no = registry.methods["no_params"]
    assert bind(no, None) == bind(no, {}) == bind(no, []) == {}


def test_invalid_too_many_positional(method: Method) -> None:
    invalid(method, ["ab", 1, True, "asc", "extra"], "at most 4")


def test_invalid_unknown_param(method: Method) -> None:
    invalid(method, {"hash": "ab", "heigth": 5, "zzz": 1}, "heigth, zzz")


def test_invalid_unknown_param_on_a_method_without_params(registry: Registry) -> None:
    invalid(registry.methods["no_params"], {"x": 1}, "x")


def test_invalid_missing_required(method: Method) -> None:
    invalid(method, {"height": 5}, "'hash'")
    invalid(method, {"hash": None}, "'hash'")
    invalid(method, [], "'hash'")


@pytest.mark.parametrize("params", ["ab", 5, True])
def test_invalid_params_shape(method: Method, params: Any) -> None:
    invalid(method, params, "object or an array")


# -- coercion ---------------------------------------------------------------------------------------

INT = Param("height", int, False, None)
BOOL = Param("prove", bool, False, False)
STR = Param("hash", str, True, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("5", 5), ("-5", -5), (" 7 ", 7), ("0", 0), (MAX_INT, MAX_INT), (str(MAX_INT), MAX_INT)],
)
def test_coerce_int(value: Any, expected: int) -> None:
    assert coerce(INT, value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "5.0",
        "1e3",
        "0x10",
        "--5",
        "5-",
        "²",
        "٥",
        "9" * 5000,
        str(MAX_INT + 1),
        MAX_INT + 1,
        True,
        5.0,
        5.5,
        [5],
        {"n": 5},
    ],
)
def test_invalid_int(value: Any) -> None:
    with pytest.raises(RPCError, match="'height' must be an integer") as caught:
        coerce(INT, value)
    assert caught.value.code == INVALID_PARAMS


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("true", True), ("false", False)]
)
def test_coerce_bool(value: Any, expected: bool) -> None:
    assert coerce(BOOL, value) is expected


@pytest.mark.parametrize("value", ["True", "yes", "1", "", 1, 0, "on"])
def test_invalid_bool(value: Any) -> None:
    with pytest.raises(RPCError, match="'prove' must be a boolean"):
        coerce(BOOL, value)


def test_coerce_str() -> None:
    assert coerce(STR, "ABCD") == "ABCD"


@pytest.mark.parametrize("value", [5, True, ["a"], {"a": 1}])
def test_invalid_str(value: Any) -> None:
    with pytest.raises(RPCError, match="'hash' must be a string"):
        coerce(STR, value)


# -- OpenRPC ---------------------------------------------------------------------------------------------


def test_openrpc_document(registry: Registry) -> None:
    doc = openrpc(registry, "9.9.9")
    assert doc["openrpc"].startswith("1.")
    assert doc["info"] == {"title": "depind JSON-RPC", "version": "9.9.9"}
    assert [m["name"] for m in doc["methods"]] == ["echo", "listen", "no_params"]
    (echo_doc,) = [m for m in doc["methods"] if m["name"] == "echo"]
    assert echo_doc["summary"] == "Echo the params back."
    assert echo_doc["params"] == [
        {"name": "hash", "required": True, "schema": {"type": "string"}},
        {"name": "height", "required": False, "schema": {"type": "integer"}},
        {"name": "prove", "required": False, "schema": {"type": "boolean"}},
        {"name": "order_by", "required": False, "schema": {"type": "string"}},
    ]


def test_openrpc_marks_websocket_only(registry: Registry) -> None:
    (listen,) = [m for m in openrpc(registry, "1")["methods"] if m["name"] == "listen"]
    assert listen["summary"].endswith("(WebSocket only)")
