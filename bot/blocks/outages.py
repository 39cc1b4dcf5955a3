"""The two posts a channel gets about a backend outage: one when it starts, one when it ends (never one per order).

backend_down_text("wholesale", reason="HTTP 503", since=now, orders=12)
backend_up_text("wholesale")
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n import _, n_

from .format import escape, posted_date

__all__ = ["backend_down_text", "backend_up_text"]


def backend_down_text(backend: str, *, reason: str, since: datetime, orders: int) -> str:
    return n_(
        ":warning: Orange {backend} is not answering ({reason}) since {since}: the order watched here waits; "
        "nothing is lost, every change will follow.",
        ":warning: Orange {backend} is not answering ({reason}) since {since}: the {n} orders watched here wait; "
        "nothing is lost, every change will follow.",
        orders,
        backend=escape(backend),
        reason=escape(reason),
        since=posted_date(since),
    )


def backend_up_text(backend: str) -> str:
    return _(
        "✅ Orange {backend} answers again: the orders watched here are polled again, and what changed "
        "meanwhile follows in their threads.",
        backend=escape(backend),
    )
