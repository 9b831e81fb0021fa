"""Queries of module parameters."""

from __future__ import annotations

from typing import Any

import msgspec

from genesis.schema import AuthParams, BankParams, ProviderParams
from vm.errors import NotFound
from vm.params.keeper import get_params
from vm.store.cache import ReadStore

MODULE_PARAMS: dict[str, type[msgspec.Struct]] = {
    "auth": AuthParams,
    "bank": BankParams,
    "provider": ProviderParams,
}


def query_params(store: ReadStore, module: str | None = None) -> dict[str, Any]:
    if module is None:
        return {name: msgspec.to_builtins(get_params(store, name, t)) for name, t in MODULE_PARAMS.items()}
    if module not in MODULE_PARAMS:
        raise NotFound(f"no module {module!r}; modules: {', '.join(MODULE_PARAMS)}")
    return {module: msgspec.to_builtins(get_params(store, module, MODULE_PARAMS[module]))}
