"""provider queries."""

from __future__ import annotations

from typing import Any

import msgspec

from vm.errors import NotFound
from vm.provider.genesis import to_json
from vm.provider.keeper import ProviderKeeper
from vm.query_args import limit_arg, text_arg
from vm.store.cache import ReadStore
from vm.types import parse_address


def query_provider(keeper: ProviderKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    owner = text_arg(request, "owner")
    found = keeper.get_provider(store, parse_address(owner))
    if found is None:
        raise NotFound(f"provider {owner} not found")
    return msgspec.to_builtins(to_json(found))


def query_providers(keeper: ProviderKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """Paginated in owner-address order; ``next_key`` resumes after the last entry."""
    limit = limit_arg(request)
    start = text_arg(request, "next_key", "")
    after = parse_address(start) if start else b""
    page: list[Any] = []
    next_key: str | None = None
    for found in keeper.iterate_providers(store, after):
        if len(page) == limit:
            next_key = page[-1]["owner"]
            break
        page.append(msgspec.to_builtins(to_json(found)))
    return {"providers": page, "next_key": next_key}
