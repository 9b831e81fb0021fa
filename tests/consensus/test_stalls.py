"""The stall meter sees the longest step any task took without yielding."""

from __future__ import annotations

import time

import trio

from consensus.stalls import StallMeter


async def test_the_longest_step_is_measured_and_named() -> None:
    meter = StallMeter()
    trio.lowlevel.add_instrument(meter)
    try:

        async def blocking() -> None:
            time.sleep(0.05)  # noqa: ASYNC251  # the event loop can do nothing else meanwhile
            await trio.lowlevel.checkpoint()

        async def polite() -> None:
            for _ in range(10):
                await trio.lowlevel.checkpoint()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(polite)
            nursery.start_soon(blocking, name="blocking")
    finally:
        trio.lowlevel.remove_instrument(meter)
    assert meter.longest_s >= 0.05
    assert meter.task == "blocking"
    meter.reset()
    assert (meter.longest_s, meter.task) == (0.0, "")
