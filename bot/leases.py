"""Heartbeats for claims held across a network call (an approval's carrier call, an outbox row's Slack post).

    async with heartbeat(lambda: renew(token), every=claim / 3, name="outbox row 1f…"):
        await client.chat_postMessage(...)

A claim in the database has a deadline, so a dead holder's work is taken over; a live holder renews the
deadline while its call runs, however long Slack or Orange take, so it is never overtaken while alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = ["MIN_BEAT", "heartbeat"]

log = logging.getLogger("bot.leases")

MIN_BEAT = 0.1
"""Seconds between two renewals at least (a zero-length claim in tests must not spin)."""


@contextlib.asynccontextmanager
async def heartbeat(renew: Callable[[], Awaitable[bool]], *, every: float, name: str) -> AsyncIterator[None]:
    """Call `renew` every `every` seconds while the block runs; it stops when `renew` says the claim is gone."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(max(every, MIN_BEAT))
            try:
                if not await renew():
                    log.warning("%s: the claim was taken over while its call ran", name)
                    return
            except Exception:  # a failed renewal is retried at the next beat; the deadline is the safety net
                log.exception("%s: renewing the claim failed", name)

    task = asyncio.create_task(beat(), name=f"heartbeat {name}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
