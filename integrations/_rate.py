"""One request-rate cap per backend, shared by every caller of the client: poll, push, commands and retries alike.

    limiter = RateLimiter(25.0)              # 25 requests a second on average, bursts of 25
    await limiter.acquire()                  # before each attempt (a retry is an attempt)

Time is handed in (`clock`, `sleep`), so tests advance it instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """A token bucket: at most `rate` acquisitions per second on average, bursts of `burst` (default: one second's
    worth). A rate of 0 or less means no cap."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._lock = asyncio.Lock()
        self.acquired = 0
        """Acquisitions so far (requests let through)."""
        self.set_rate(rate, burst=burst)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float, *, burst: float | None = None) -> None:
        self._rate = float(rate)
        self._capacity = burst if burst is not None else max(self._rate, 1.0)
        self._tokens = self._capacity
        self._stamp = self._clock()

    async def acquire(self) -> None:
        self.acquired += 1
        if self._rate <= 0:
            return
        async with self._lock:  # one waiter at a time: first come, first served
            while True:
                now = self._clock()
                self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1.0 - 1e-9:  # a float clock's rounding must not leave us a hair short forever
                    self._tokens = max(self._tokens - 1.0, 0.0)
                    return
                await self._sleep((1.0 - self._tokens) / self._rate)
