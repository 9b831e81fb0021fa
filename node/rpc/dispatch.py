"""The method table: typed parameters from each handler's signature, checked
and converted before the call, and the OpenRPC document generated from it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, get_type_hints

from node.rpc.errors import INVALID_PARAMS, RPCError

Handler = Callable[..., Awaitable[Any]]
MAX_INT = 2**63 - 1
_DECIMAL = re.compile(r"-?[0-9]{1,19}")  # ASCII digits only, and short enough for int()


@dataclass(frozen=True)
class Param:
    name: str
    type_: type
    required: bool
    default: Any


@dataclass(frozen=True)
class Method:
    name: str
    handler: Handler
    params: tuple[Param, ...]
    summary: str
    websocket_only: bool


class Registry:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def add(self, name: str, handler: Handler, websocket_only: bool = False) -> None:
        hints = get_type_hints(handler)
        params = []
        for p in inspect.signature(handler).parameters.values():
            if p.name in ("self", "ctx"):
                continue
            required = p.default is inspect.Parameter.empty
            params.append(Param(p.name, _base(hints[p.name]), required, None if required else p.default))
        summary = (inspect.getdoc(handler) or "").split("\n")[0]
        self.methods[name] = Method(name, handler, tuple(params), summary, websocket_only)


def _base(annotation: Any) -> type:
    """``int | None`` -> int; handlers use str, int, bool and their optionals only."""
    args = getattr(annotation, "__args__", None)
    if args:
        return next(a for a in args if a is not type(None))  # type: ignore[no-any-return]
    return annotation  # type: ignore[no-any-return]


def bind(method: Method, params: Any) -> dict[str, Any]:
    """Named (object) or positional (array) params to checked keyword arguments."""
    if params is None:
        params = {}
    if isinstance(params, list):
        if len(params) > len(method.params):
            raise RPCError(INVALID_PARAMS, f"{method.name} takes at most {len(method.params)} params")
        params = {p.name: v for p, v in zip(method.params, params, strict=False)}
    if not isinstance(params, dict):
        raise RPCError(INVALID_PARAMS, "params must be an object or an array")
    known = {p.name for p in method.params}
    unknown = set(params) - known
    if unknown:
        raise RPCError(INVALID_PARAMS, f"unknown param(s): {', '.join(sorted(unknown))}")
    bound = {}
    for param in method.params:
        value = params.get(param.name)
        if value is None:
            if param.required:
                raise RPCError(INVALID_PARAMS, f"missing param {param.name!r}")
            bound[param.name] = param.default
        else:
            bound[param.name] = coerce(param, value)
    return bound


def coerce(param: Param, value: Any) -> Any:
    """CometBFT clients send integers and booleans as strings too; accept both."""
    if param.type_ is int:
        if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not -MAX_INT <= value <= MAX_INT:
            raise RPCError(INVALID_PARAMS, f"param {param.name!r} must be an integer")
        return value
    if param.type_ is bool:
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise RPCError(INVALID_PARAMS, f"param {param.name!r} must be a boolean")
        return value
    if not isinstance(value, str):
        raise RPCError(INVALID_PARAMS, f"param {param.name!r} must be a string")
    return value


_SCHEMA = {int: {"type": "integer"}, bool: {"type": "boolean"}, str: {"type": "string"}}


def openrpc(registry: Registry, version: str) -> dict[str, Any]:
    return {
        "openrpc": "1.2.6",
        "info": {"title": "depind JSON-RPC", "version": version},
        "methods": [
            {
                "name": m.name,
                "summary": m.summary + (" (WebSocket only)" if m.websocket_only else ""),
                "params": [
                    {"name": p.name, "required": p.required, "schema": _SCHEMA[p.type_]} for p in m.params
                ],
                "result": {"name": "result", "schema": {}},
            }
            for m in sorted(registry.methods.values(), key=lambda m: m.name)
        ],
    }
