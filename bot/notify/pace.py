"""Slack's pace for the outbox's posts: one `chat.postMessage` per channel every `POST_INTERVAL` seconds.

    async with ctx.pacer.turn(team, channel):      # waits its channel's turn, first come first served
        await client.chat_postMessage(channel=channel, ...)
    ctx.pacer.hold(team, channel, retry_after)     # Slack answered 429: the whole channel waits

Slack takes about one message per second per channel (chat.postMessage's own limit, short bursts tolerated)
and answers 429 `ratelimited` with `Retry-After` above it. Every lane of one process posting to a channel waits
its turn here, in the order it asked (an `asyncio.Lock` wakes its waiters in order), so one order's replies
never overtake each other and a storm of changes drains at Slack's pace instead of looping on 429s. A 429's
`Retry-After` holds the channel for every lane. `chat.update` (a thread root's edit) takes no turn: Slack limits
it by method tier per workspace, not per channel. The clock and the sleep are handed in, so tests run on
virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = ["POST_INTERVAL", "ChannelPacer"]

POST_INTERVAL = 1.0
"""Seconds between two posts in one channel: Slack's documented rate for chat.postMessage."""

Channel = tuple[str, str]
"""(team, channel)"""


class ChannelPacer:
    """Per-channel turns for posts, shared by every outbox round of the process (`BotContext.pacer`)."""

    def __init__(
        self,
        *,
        interval: float = POST_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[Channel, float] = {}
        """When the channel's next post may go (its last post's start plus the interval, or a 429's hold)."""
        self._locks: dict[Channel, asyncio.Lock] = {}

    def ready_at(self, team: str, channel: str) -> float | None:
        """When the channel's next post may go on the pacer's clock (None: at once, nothing posted yet)."""
        return self._next.get((team, channel))

    @contextlib.asynccontextmanager
    async def turn(self, team: str, channel: str) -> AsyncIterator[None]:
        """Wait for the channel's turn (first come, first served), then hold it while the post is made."""
        key = (team, channel)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            while (wait := self._next.get(key, float("-inf")) - self.clock()) > 0:
                await self.sleep(wait)  # again after: a 429 may have held the channel meanwhile
            started = self.clock()
            try:
                yield
            finally:
                self._next[key] = max(self._next.get(key, started), started + self.interval)

    def hold(self, team: str, channel: str, seconds: float) -> None:
        """Slack answered 429 with `Retry-After: seconds`: no post in the channel before then, whichever lane."""
        key = (team, channel)
        until = self.clock() + seconds
        self._next[key] = max(self._next.get(key, until), until)
