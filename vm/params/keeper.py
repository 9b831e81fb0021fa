"""Stores each module's parameters under ``params/<module>``."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from vm.store.cache import ReadStore, Store

P = TypeVar("P", bound=msgspec.Struct)

PREFIX = b"params/"


def params_key(module: str) -> bytes:
    return PREFIX + module.encode()


def get_params(store: ReadStore, module: str, type_: type[P]) -> P:
    raw = store.get(params_key(module))
    if raw is None:
        return type_()
    return msgspec.msgpack.decode(raw, type=type_)


def set_params(store: Store, module: str, params: msgspec.Struct) -> None:
    store.set(params_key(module), msgspec.msgpack.encode(params))
