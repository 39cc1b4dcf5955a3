"""Telling the channels of a backend outage: one post in each channel watching the backend's orders when it goes
down, one when it answers again, however many replicas see it. The outage is kept in the database
(`storage.crud.open_outage` / `close_outage`): the replica whose INSERT (or DELETE) wins owes the posts, in the
same transaction. An order failing alone keeps its own notice in its thread (`bot.jobs.poll`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

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

    def work(session: Session) -> int:
        opened = crud.open_outage(session=session, backend=backend, since=outage.since, reason=outage.reason)
        if opened is None:
            return 0
        channels = crud.watched_channels(session=session, backend=backend)
        for (team, channel), orders in channels.items():
            text = backend_down_text(backend, reason=opened.reason, since=opened.since, orders=orders)
            crud.enqueue_channel_post(
                session=session,
                team_id=team,
                channel_id=channel,
                fingerprint=f"{BACKEND_DOWN}:{backend}:{opened.since.isoformat()}",
                kind=BACKEND_DOWN,
                payload={"text": text},
            )
        return len(channels)

    return await _announce(ctx, backend, work)


async def announce_up(ctx: BotContext, backend: str) -> int:
    """This process found the backend answering again: owe each channel watching its orders one notice, unless
    another replica ended the outage first. How many channels were owed one."""

    def work(session: Session) -> int:
        closed = crud.close_outage(session=session, backend=backend)
        if closed is None:
            return 0
        channels = crud.watched_channels(session=session, backend=backend)
        for team, channel in channels:
            crud.enqueue_channel_post(
                session=session,
                team_id=team,
                channel_id=channel,
                fingerprint=f"{BACKEND_UP}:{backend}:{closed.since.isoformat()}",
                kind=BACKEND_UP,
                payload={"text": backend_up_text(backend)},
            )
        return len(channels)

    return await _announce(ctx, backend, work)


async def _announce(ctx: BotContext, backend: str, work: Callable[[Session], int]) -> int:
    try:
        return await ctx.db(work)
    except Exception:  # the poll goes on: its watches still wait, and the outage is still logged
        log.exception("%s: the channels could not be told of its outage", backend)
        return 0
