"""Telling the channels of a backend outage: one post in each channel watching the backend's orders when it goes
down, one when it answers again, however many replicas see it. The outage is kept in the database
(`storage.crud.open_outage` / `close_outage`): the replica whose INSERT (or DELETE) wins owes the posts, in the
same transaction. An order failing alone keeps its own notice in its thread (`bot.jobs.poll`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.backend_health import BACKEND_DOWN, BACKEND_UP, Outage
from bot.context import BotContext
from bot.notify.render import NOTICE
from storage import crud

__all__ = ["announce_down", "announce_up"]

log = logging.getLogger(__name__)


async def announce_down(ctx: BotContext, backend: str, outage: Outage) -> int:
    """This process found the backend down: owe each channel watching its orders one notice, unless another replica
    found the same outage first. How many channels were owed one."""
    now = ctx.now()

    def work(session: Session) -> int:
        opened = crud.open_outage(session=session, backend=backend, since=outage.since, reason=outage.reason)
        if opened is None:
            return 0
        return _owe(
            session,
            backend,
            BACKEND_DOWN,
            opened.since,
            lambda orders: {
                "backend": backend,
                "reason": opened.reason,
                "since": opened.since.isoformat(),
                "orders": orders,
            },
            now=now,
        )

    return await _announce(ctx, backend, work)


async def announce_up(ctx: BotContext, backend: str) -> int:
    """This process found the backend answering again: owe each channel watching its orders one notice, unless
    another replica ended the outage first. How many channels were owed one."""
    now = ctx.now()

    def work(session: Session) -> int:
        closed = crud.close_outage(session=session, backend=backend)
        if closed is None:
            return 0
        return _owe(session, backend, BACKEND_UP, closed.since, lambda orders: {"backend": backend}, now=now)

    return await _announce(ctx, backend, work)


def _owe(
    session: Session, backend: str, kind: str, since: datetime, facts: Callable[[int], dict[str, Any]], *, now: datetime
) -> int:
    """One post of `kind` to each channel watching the backend's orders (`facts(how many orders there)`, worded when
    sent, in the channel's language), keyed by the outage so that it is owed once; how many channels."""
    channels = crud.watched_channels(session=session, backend=backend)
    for (team, channel), orders in channels.items():
        crud.enqueue_channel_post(
            session=session,
            team_id=team,
            channel_id=channel,
            fingerprint=f"{kind}:{backend}:{since.isoformat()}",
            kind=kind,
            payload={NOTICE: facts(orders)},
            now=now,
        )
    return len(channels)


async def _announce(ctx: BotContext, backend: str, work: Callable[[Session], int]) -> int:
    try:
        return await ctx.db(work)
    except Exception:  # the poll goes on: its watches still wait, and the outage is still logged
        log.exception("%s: the channels could not be told of its outage", backend)
        return 0
