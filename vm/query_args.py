"""Reading the JSON arguments of a module query."""

from __future__ import annotations

from typing import Any

from vm.errors import InvalidRequest

MAX_PAGE = 100


def text_arg(request: dict[str, Any], name: str, default: str | None = None) -> str:
    value = request.get(name, default)
    if not isinstance(value, str):
        raise InvalidRequest(f"query needs a string {name!r}")
    return value


def limit_arg(request: dict[str, Any]) -> int:
    limit = request.get("limit", MAX_PAGE)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1 to {MAX_PAGE}")
    return limit
