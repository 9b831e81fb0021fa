"""Cosmos query pagination (``cosmos.base.query.v1beta1.PageRequest``).

A page starts at ``key`` (a previous answer's ``next_key``) or after skipping
``offset`` entries, holds at most ``limit`` (default 100, at most 1000, so an
answer stays bounded), and its ``next_key`` is the key of the entry after it,
empty on the last page. ``count_total`` counts every entry, as Cosmos does when
paging by offset. Entries come in store order; ``reverse`` is not supported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest, PageResponse

from vm.errors import InvalidRequest, NotSupported

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Entries = Callable[[bytes], Iterator[tuple[bytes, T]]]
"""Entries from a key on (``b""``: from the first), each with its key, in key order."""


def paginate(entries: Entries[T], page: PageRequest) -> tuple[list[T], PageResponse]:
    if page.key and page.offset:
        raise InvalidRequest("either offset or key is expected, got both")
    if page.reverse:
        raise NotSupported("reverse pagination is not supported")
    limit = min(page.limit or DEFAULT_LIMIT, MAX_LIMIT)
    items: list[T] = []
    next_key = b""
    seen = 0
    for key, item in entries(bytes(page.key)):
        seen += 1
        if seen <= page.offset:
            continue
        if len(items) < limit:
            items.append(item)
            continue
        if not next_key:
            next_key = key
        if not page.count_total:
            break
    total = seen if page.count_total else 0
    return items, PageResponse(next_key=next_key, total=total)
