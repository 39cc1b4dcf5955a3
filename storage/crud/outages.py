"""Backend outages shared by the replicas: the first to find a backend down opens its outage (INSERT … ON CONFLICT
DO NOTHING), the first to find it answering again closes it (a DELETE compare-and-set on its `since`); each winner
owes the channels' notices in the same transaction, so every channel gets one of each per outage."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import BackendOutage, Watch

from ._common import ROWCOUNT, insert_ignore

__all__ = ["close_outage", "current_outage", "open_outage", "watched_channels"]


def open_outage(*, session: Session, backend: str, since: datetime, reason: str) -> BackendOutage | None:
    """Record the backend down since `since`; the new outage, or None when one is open already (another replica
    found it first)."""
    if not insert_ignore(
        session, BackendOutage, {"backend": backend, "since": since, "reason": reason}, conflict=("backend",)
    ):
        return None
    return BackendOutage(backend=backend, since=since, reason=reason)


def current_outage(*, session: Session, backend: str) -> BackendOutage | None:
    """The backend's open outage, if one is recorded."""
    return session.get(BackendOutage, backend)


def close_outage(*, session: Session, backend: str) -> BackendOutage | None:
    """End the backend's open outage; the one ended, or None when there was none (another replica ended it)."""
    outage = session.get(BackendOutage, backend)
    if outage is None:
        return None
    ended = BackendOutage(backend=outage.backend, since=outage.since, reason=outage.reason)
    stmt = delete(BackendOutage).where(col(BackendOutage.backend) == backend, col(BackendOutage.since) == outage.since)
    session.expunge(outage)
    if session.exec(stmt, execution_options=ROWCOUNT).rowcount != 1:
        return None
    return ended


def watched_channels(*, session: Session, backend: str) -> dict[tuple[str, str], int]:
    """(team, channel) → how many of the backend's orders are watched there (live watches, paused ones too)."""
    stmt = select(col(Watch.team_id), col(Watch.channel_id)).where(
        col(Watch.backend) == backend, col(Watch.ended_at).is_(None)
    )
    return dict(Counter((team, channel) for team, channel in session.exec(stmt).all()))
