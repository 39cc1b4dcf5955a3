"""Socket Mode that heals itself.

slack_sdk's aiohttp Socket Mode client can end up connected in name only: a dropped network leaves it retrying
on a closed session, or a silently dead socket never delivers another envelope, while `is_connected()` may still
say yes (python-slack-sdk#1379, #1701). Slack pings every few seconds on a healthy connection, so a watchdog that
also looks at the age of the last ping/pong, and rebuilds the handler (a fresh session) when it is stale, brings
the bot back without a restart.

slack_sdk also reconnects by itself when its pings go unanswered (4 ping intervals): it forgets its last ping/pong
time, opens a new session, and only sets the time again at the new session's first ping. The watchdog gives such a
session, and a client reconnecting on its own, a whole stale period of its own (`_reference`), so it never closes a
connection slack_sdk has just made (an envelope Slack sent there would wait for its redelivery).

A connection attempt is bounded too (`connect_timeout`): slack_sdk's `connect()` retries a refused handshake on the
same URL without end, and a URL Slack no longer honours (used, expired) would hold the watchdog there for good; a
fresh handler asks apps.connections.open for a new one. `run(stop)` also hears `stop` while it connects or backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

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
        connect_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._make_handler = make_handler
        self._check_every = check_every
        self._connect_timeout = connect_timeout
        self._stale_after = stale_after if stale_after is not None else ping_interval * 6
        self._clock = clock
        self.handler: _Handler | None = None
        self.connected_at: float | None = None
        self.reconnects = 0
        self._reference: float | None = None
        """Since when the current session has been given its stale period: connected by us, or seen reconnecting
        or reconnected by slack_sdk itself."""
        self._session: object | None = None
        self._pinged = False

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
        session = getattr(handler.client, "current_session", None)
        if session is not self._session or (self._pinged and last is None):  # slack_sdk reconnects on its own
            self._reference = now
        self._session, self._pinged = session, last is not None
        reference = max(last or 0.0, self._reference or 0.0) or None
        return reference is None or now - reference <= self._stale_after

    async def connect(self, stop: asyncio.Event | None = None) -> bool:
        """Connect a fresh handler, backing off between attempts; False when `stop` was set first."""
        attempt = 0
        while stop is None or not stop.is_set():
            handler = self._make_handler()
            try:
                connected = await _unless_stopped(handler.connect_async(), stop, timeout=self._connect_timeout)
            except Exception as err:  # Slack down, bad network, a handshake that never succeeds: back off, retry
                delay = min(60.0, 2.0**attempt)
                log.warning("Socket Mode connection failed (%s); retrying in %.0fs", type(err).__name__, delay)
                await _close_quietly(handler)
                attempt += 1
                if await _stopped_within(stop, delay):
                    return False
                continue
            if not connected:
                await _close_quietly(handler)
                return False
            self.handler = handler
            self.connected_at = self._reference = self._clock()
            self._session = getattr(handler.client, "current_session", None)
            self._pinged = False
            return True
        return False

    async def check(self, stop: asyncio.Event | None = None) -> bool:
        """One watchdog round; True when it had to rebuild the connection."""
        if await self.healthy():
            return False
        log.warning("Socket Mode connection is dead or stale; reconnecting with a fresh session")
        old, self.handler = self.handler, None
        if old is not None:
            await _close_quietly(old)
        if await self.connect(stop):
            self.reconnects += 1
        return True

    async def run(self, stop: asyncio.Event) -> None:
        try:
            if not await self.connect(stop):
                return
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._check_every)
                except TimeoutError:
                    await self.check(stop)
        finally:
            if self.handler is not None:
                await _close_quietly(self.handler)


async def _unless_stopped(connecting: Awaitable[None], stop: asyncio.Event | None, *, timeout: float) -> bool:
    """Await `connecting` for at most `timeout` s (TimeoutError after); False, abandoning it, once `stop` is set."""
    task = asyncio.ensure_future(connecting)
    stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
    waiting: set[asyncio.Future[Any]] = {task} if stopping is None else {task, stopping}
    try:
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if stopping is not None:
            stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task in done:
        task.result()
        return True
    if stop is not None and stop.is_set():
        return False
    raise TimeoutError(f"not connected within {timeout:g}s")


async def _stopped_within(stop: asyncio.Event | None, seconds: float) -> bool:
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def _close_quietly(handler: _Handler) -> None:
    try:
        await asyncio.wait_for(handler.close_async(), timeout=5)
    except Exception:  # closing a wedged client may fail in any way; we are replacing it anyway
        log.debug("closing the old Socket Mode client failed", exc_info=True)
