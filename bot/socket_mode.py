"""Socket Mode that heals itself.

slack_sdk's aiohttp Socket Mode client can end up connected in name only: a dropped network leaves it retrying
on a closed session, or a silently dead socket never delivers another envelope, while `is_connected()` may still
say yes (python-slack-sdk#1379, #1701). Slack pings every few seconds on a healthy connection, so a watchdog that
also looks at the age of the last ping/pong, and rebuilds the handler (a fresh session) when it is stale, brings
the bot back without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["SocketModeRunner"]

log = logging.getLogger("bot.socket_mode")


class _Client(Protocol):
    last_ping_pong_time: float | None

    async def is_connected(self) -> bool: ...


class _Handler(Protocol):
    client: _Client

    async def connect_async(self) -> None: ...

    async def close_async(self) -> None: ...


class SocketModeRunner:
    """Keep one Socket Mode connection alive: connect, watch, rebuild when dead or stale."""

    def __init__(
        self,
        make_handler: Callable[[], _Handler],
        *,
        ping_interval: float = 10.0,
        check_every: float = 10.0,
        stale_after: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._make_handler = make_handler
        self._check_every = check_every
        self._stale_after = stale_after if stale_after is not None else ping_interval * 6
        self._clock = clock
        self.handler: _Handler | None = None
        self.connected_at: float | None = None
        self.reconnects = 0

    async def healthy(self) -> bool:
        handler = self.handler
        if handler is None:
            return False
        try:
            if not await handler.client.is_connected():
                return False
        except Exception:  # a broken client is not healthy, whatever it raised
            return False
        now = self._clock()
        last = handler.client.last_ping_pong_time
        reference = last if last is not None else self.connected_at
        return reference is None or now - reference <= self._stale_after

    async def connect(self) -> None:
        attempt = 0
        while True:
            handler = self._make_handler()
            try:
                await handler.connect_async()
            except Exception as err:  # Slack down, bad network: back off and try again
                delay = min(60.0, 2.0**attempt)
                log.warning("Socket Mode connection failed (%s); retrying in %.0fs", type(err).__name__, delay)
                await _close_quietly(handler)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self.handler = handler
            self.connected_at = self._clock()
            return

    async def check(self) -> bool:
        """One watchdog round; True when it had to rebuild the connection."""
        if await self.healthy():
            return False
        log.warning("Socket Mode connection is dead or stale; reconnecting with a fresh session")
        old, self.handler = self.handler, None
        if old is not None:
            await _close_quietly(old)
        await self.connect()
        self.reconnects += 1
        return True

    async def run(self, stop: asyncio.Event) -> None:
        await self.connect()
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._check_every)
                except TimeoutError:
                    await self.check()
        finally:
            if self.handler is not None:
                await _close_quietly(self.handler)


async def _close_quietly(handler: _Handler) -> None:
    try:
        await asyncio.wait_for(handler.close_async(), timeout=5)
    except Exception:  # closing a wedged client may fail in any way; we are replacing it anyway
        log.debug("closing the old Socket Mode client failed", exc_info=True)
