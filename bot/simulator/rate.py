"""Slack's per-channel limit on chat.postMessage: about one message per second per channel, short bursts allowed.

    fake = FakeSlack(clock=virtual.now, post_rate=PostRate(per_second=1.0, burst=4))
    ...
    assert fake.throttled == 0          # 429s the limit answered

Over it Slack answers HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with ``Retry-After`` (whole seconds).
Only chat.postMessage is limited per channel: Slack documents chat.postEphemeral and chat.update by tier (per
method and workspace), not per channel, and those tiers are far above what a test sends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_POST_RATE", "LIMITED_METHODS", "ChannelBuckets", "PostRate"]

LIMITED_METHODS = frozenset({"chat.postMessage"})


@dataclass(frozen=True)
class PostRate:
    per_second: float = 1.0
    burst: int = 4
    """Posts Slack takes at once in a quiet channel. Slack names no figure ("short bursts >1 allowed", "no
    guarantee"): a few, so that a command's answer and a reply or two pass, and a loop of posts does not."""


DEFAULT_POST_RATE = PostRate()


class ChannelBuckets:
    """A token bucket per channel on the simulator's clock (seconds)."""

    def __init__(self, rate: PostRate, clock: Callable[[], float]) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """channel -> (tokens, when they were counted)"""

    def take(self, channel: str) -> int | None:
        """Spend one post in `channel`; None when Slack takes it, else the Retry-After (seconds) it answers."""
        now = self._clock()
        tokens, then = self._buckets.get(channel, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + max(now - then, 0.0) * self.rate.per_second)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return None
        self._buckets[channel] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate.per_second))
