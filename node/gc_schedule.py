"""When the node collects garbage: rarely by the collector's own counts, and fully every minute.

`depind start` raises the collector's thresholds (``tune_gc``) so that the many short-lived
objects of each tx cost little. With them CPython collects its oldest generation only after
hundreds of young collections, and then only once it has grown by a quarter: under steady
load, about once an hour. Objects that die in reference cycles after surviving two young
collections wait there all that time: the HTTP responses and connections of the verifier's
fetches, libp2p's messages, trio's cancel scopes, with the buffers they hold. A soak under
mixed load measured about 12 MiB a minute of such garbage per validator, which one full
collection freed at once (240 MiB after 40 minutes).

A full collection every minute keeps that garbage to a minute's worth, for a pause of a tenth
of a second or so on the soak's 2 cores, far inside any consensus timeout.
"""

from __future__ import annotations

import gc
import logging
import time

import trio

from consensus.tasks import TaskStatus

log = logging.getLogger("depind.gc")

GC_THRESHOLDS = (50_000, 20, 20)
FULL_COLLECTION_INTERVAL_S = 60.0


def tune_gc() -> None:
    """Collect less often: a node allocates many short-lived objects per tx and keeps large
    long-lived ones (caches, the state tree's top levels) that every full collection would
    scan again. What is alive after start-up is frozen out of collections altogether."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def collect_fully() -> tuple[int, float]:
    """One full collection: the objects it freed and the seconds it took."""
    started = time.perf_counter()
    freed = gc.collect()
    return freed, time.perf_counter() - started


async def collect_periodically(
    interval_s: float = FULL_COLLECTION_INTERVAL_S,
    *,
    task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a full collection every ``interval_s`` seconds, for as long as the node runs."""
    task_status.started()
    while True:
        await trio.sleep(interval_s)
        freed, seconds = collect_fully()
        log.debug("full collection: %d objects freed in %.3f s", freed, seconds)
