"""Telling the channels of a backend outage: one post in each channel watching the backend's orders when it goes
down, one when it answers again, however many replicas see it. The outage is kept in the database
(`storage.crud.open_outage` / `close_outage`): the replica whose INSERT (or DELETE) wins owes the posts, in the
same transaction. An order failing alone keeps its own notice in its thread (`bot.jobs.poll`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot.backend_health import BACKEND_DOWN, BACKEND_UP, Outage
from bot.blocks.outages import backend_down_text, backend_up_text
from bot.context import BotContext
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
            lambda orders: backend_down_text(backend, reason=opened.reason, since=opened.since, orders=orders),
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
        return _owe(session, backend, BACKEND_UP, closed.since, lambda orders: backend_up_text(backend), now=now)

    return await _announce(ctx, backend, work)


def _owe(
    session: Session, backend: str, kind: str, since: datetime, text: Callable[[int], str], *, now: datetime
) -> int:
    """One post of `kind` to each channel watching the backend's orders (`text(how many orders there)`), keyed by the
    outage so that it is owed once; how many channels."""
    channels = crud.watched_channels(session=session, backend=backend)
    for (team, channel), orders in channels.items():
        crud.enqueue_channel_post(
            session=session,
            team_id=team,
            channel_id=channel,
            fingerprint=f"{kind}:{backend}:{since.isoformat()}",
            kind=kind,
            payload={"text": text(orders)},
            now=now,
        )
    return len(channels)


async def _announce(ctx: BotContext, backend: str, work: Callable[[Session], int]) -> int:
    try:
        return await ctx.db(work)
    except Exception:  # the poll goes on: its watches still wait, and the outage is still logged
        log.exception("%s: the channels could not be told of its outage", backend)
        return 0
