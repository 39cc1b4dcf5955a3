"""The two posts a channel gets about a backend outage: one when it starts, one when it ends (never one per order).

backend_down_text("wholesale", reason="HTTP 503", since=now, orders=12)
backend_up_text("wholesale")
"""

from __future__ import annotations

from datetime import datetime

from .format import escape, when

__all__ = ["backend_down_text", "backend_up_text"]


def backend_down_text(backend: str, *, reason: str, since: datetime, orders: int) -> str:
    waiting = "the order watched here waits" if orders == 1 else f"the {orders} orders watched here wait"
    return (
        f":warning: Orange {escape(backend)} is not answering ({escape(reason)}) since {when(since, token=True)}: "
        f"{waiting}; nothing is lost, every change will follow."
    )


def backend_up_text(backend: str) -> str:
    return (
        f"✅ Orange {escape(backend)} answers again: the orders watched here are polled again, and what changed "
        "meanwhile follows in their threads."
    )
