"""Watches and their snapshots: one live watch per channel and order, leased to one poller at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.digest import digest
from storage.enums import AuditAction, WatchFilter
from storage.models import OrderSnapshot, Watch, WatchCreate

from ._common import refresh_loaded
from .audit import record_audit


def _live_watch_filter(*, team_id: str, channel_id: str, backend: str, order_id: str) -> ColumnElement[bool]:
    return and_(
        col(Watch.team_id) == team_id,
        col(Watch.channel_id) == channel_id,
        col(Watch.backend) == backend,
        col(Watch.order_id) == order_id,
        col(Watch.ended_at).is_(None),
    )


def create_watch(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    backend: str,
    order_id: str,
    created_by: str,
    filter: str = WatchFilter.ALL,
    thread_ts: str | None = None,
    next_poll_at: datetime | None = None,
) -> tuple[Watch, bool]:
    """The channel's live watch of the order: a new one (``created=True``) or the one already there."""
    watch_in = WatchCreate(
        team_id=team_id,
        channel_id=channel_id,
        backend=backend,  # type: ignore[arg-type]  # validated into Backend
        order_id=order_id,
        created_by=created_by,
        filter=filter,  # type: ignore[arg-type]  # validated into WatchFilter
        thread_ts=thread_ts,
        next_poll_at=next_poll_at,
    )
    key = {"team_id": team_id, "channel_id": channel_id, "backend": watch_in.backend, "order_id": order_id}
    existing = get_live_watch(session=session, **key)
    if existing is not None:
        return existing, False
    watch = Watch.model_validate(watch_in, update={"backend": watch_in.backend, "filter": watch_in.filter.value})
    try:
        # The partial unique index settles a race; the SAVEPOINT keeps the caller's transaction usable.
        with session.begin_nested():
            session.add(watch)
    except IntegrityError:
        existing = get_live_watch(session=session, **key)
        if existing is None:
            raise
        return existing, False
    return watch, True


def get_watch(*, session: Session, watch_id: uuid.UUID) -> Watch | None:
    return session.get(Watch, watch_id)


def get_live_watch(*, session: Session, team_id: str, channel_id: str, backend: str, order_id: str) -> Watch | None:
    stmt = select(Watch).where(
        _live_watch_filter(team_id=team_id, channel_id=channel_id, backend=backend, order_id=order_id)
    )
    return session.exec(stmt).first()


def list_live_watches(*, session: Session, team_id: str, channel_id: str) -> list[Watch]:
    stmt = (
        select(Watch)
        .where(col(Watch.team_id) == team_id, col(Watch.channel_id) == channel_id, col(Watch.ended_at).is_(None))
        .order_by(col(Watch.created_at), col(Watch.id))
    )
    return list(session.exec(stmt).all())


def list_user_watches(*, session: Session, team_id: str, user_id: str, include_ended: bool = False) -> list[Watch]:
    stmt = select(Watch).where(col(Watch.team_id) == team_id, col(Watch.created_by) == user_id)
    if not include_ended:
        stmt = stmt.where(col(Watch.ended_at).is_(None))
    return list(session.exec(stmt.order_by(col(Watch.created_at), col(Watch.id))).all())


def end_watch(
    *, session: Session, watch_id: uuid.UUID, reason: str, actor: str = "orange-bot", at: datetime | None = None
) -> bool:
    """End a live watch, with its audit row in the same transaction; True only for the call that ended it."""
    stmt = (
        update(Watch)
        .where(col(Watch.id) == watch_id, col(Watch.ended_at).is_(None))
        .values(ended_at=at or utcnow(), ended_reason=reason, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    ended = session.exec(stmt).rowcount == 1
    if ended:
        refresh_loaded(session, Watch, watch_id)
        watch = session.get(Watch, watch_id)
        assert watch is not None
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.WATCH_ENDED,
            backend=watch.backend,
            subject=f"{watch.backend}:{watch.order_id}",
            detail={"channel": watch.channel_id, "reason": reason, "watch_id": str(watch.id)},
        )
    return ended


def set_watch_root(*, session: Session, watch_id: uuid.UUID, thread_ts: str, replace: bool = False) -> bool:
    """Record the thread's root message; by default only the first root wins (True for it)."""
    conditions: list[ColumnElement[bool]] = [col(Watch.id) == watch_id]
    if not replace:
        conditions.append(col(Watch.thread_ts).is_(None))
    stmt = update(Watch).where(*conditions).values(thread_ts=thread_ts).execution_options(synchronize_session=False)
    updated = session.exec(stmt).rowcount == 1
    if updated:
        refresh_loaded(session, Watch, watch_id)
    return updated


def claim_due_watches(
    *,
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int = 500,
    now: datetime | None = None,
) -> list[Watch]:
    """Lease up to `limit` live, unpaused watches whose poll is due and whose lease is free or expired.

    Three statements whatever `limit`: the candidates (``SKIP LOCKED`` on PostgreSQL sends replicas to different
    watches), the lease as one compare-and-set ``UPDATE … WHERE id IN (…) AND <free> RETURNING id`` (replicas
    racing for a watch get it once), and the claimed rows, in the candidates' order.
    """
    now = now or utcnow()
    free = or_(col(Watch.lease_until).is_(None), col(Watch.lease_until) <= now)
    due = or_(col(Watch.next_poll_at).is_(None), col(Watch.next_poll_at) <= now)
    candidates = list(
        session.exec(
            select(col(Watch.id))
            .where(col(Watch.ended_at).is_(None), col(Watch.paused_at).is_(None), due, free)
            .order_by(col(Watch.next_poll_at), col(Watch.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )
    if not candidates:
        return []
    stmt = (
        update(Watch)
        .where(col(Watch.id).in_(candidates), col(Watch.ended_at).is_(None), free)
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(col(Watch.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(session.execute(stmt).scalars().all())
    if not claimed:
        return []
    watches = session.exec(
        select(Watch).where(col(Watch.id).in_(claimed)).execution_options(populate_existing=True)
    ).all()
    rank = {watch_id: n for n, watch_id in enumerate(candidates)}
    return sorted(watches, key=lambda w: rank[w.id])


def release_watch(
    *,
    session: Session,
    watch_id: uuid.UUID,
    owner: str,
    next_poll_at: datetime,
    ok: bool,
    now: datetime | None = None,
) -> Watch | None:
    """End `owner`'s lease after a poll and schedule the next; counts consecutive failures.

    None when the lease was lost (expired and taken by another poller): drop the poll's results.
    """
    now = now or utcnow()
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "next_poll_at": next_poll_at}
    if ok:
        values.update(consecutive_failures=0, last_polled_at=now)
    else:
        values["consecutive_failures"] = col(Watch.consecutive_failures) + 1
    stmt = (
        update(Watch)
        .where(col(Watch.id) == watch_id, col(Watch.lease_owner) == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        return None
    return session.get(Watch, watch_id, populate_existing=True)


def release_watches_ok(
    *, session: Session, watch_ids: Sequence[uuid.UUID], owner: str, next_poll_at: datetime, now: datetime | None = None
) -> set[uuid.UUID]:
    """`release_watch(ok=True)` for many watches in one statement; the ids whose lease was still `owner`'s."""
    if not watch_ids:
        return set()
    now = now or utcnow()
    stmt = (
        update(Watch)
        .where(col(Watch.id).in_(list(watch_ids)), col(Watch.lease_owner) == owner)
        .values(
            lease_owner=None,
            lease_until=None,
            next_poll_at=next_poll_at,
            consecutive_failures=0,
            last_polled_at=now,
        )
        .returning(col(Watch.id))
        .execution_options(synchronize_session=False)
    )
    return set(session.execute(stmt).scalars().all())


def pause_watch(*, session: Session, watch_id: uuid.UUID, reason: str, at: datetime | None = None) -> bool:
    """Pause a live watch (the bot cannot post in its channel); True only for the call that paused it."""
    stmt = (
        update(Watch)
        .where(col(Watch.id) == watch_id, col(Watch.ended_at).is_(None), col(Watch.paused_at).is_(None))
        .values(paused_at=at or utcnow(), paused_reason=reason)
        .execution_options(synchronize_session=False)
    )
    paused = session.exec(stmt).rowcount == 1
    if paused:
        refresh_loaded(session, Watch, watch_id)
    return paused


def resume_watch(*, session: Session, watch_id: uuid.UUID) -> bool:
    """Un-pause a live watch (Slack took a post again); True only for the call that resumed it. Polled at once."""
    stmt = (
        update(Watch)
        .where(col(Watch.id) == watch_id, col(Watch.ended_at).is_(None), col(Watch.paused_at).is_not(None))
        .values(paused_at=None, paused_reason=None, next_poll_at=None)
        .execution_options(synchronize_session=False)
    )
    resumed = session.exec(stmt).rowcount == 1
    if resumed:
        refresh_loaded(session, Watch, watch_id)
    return resumed


def load_snapshots(*, session: Session, watch_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored views of these watches, in one query (a watch with no snapshot yet is left out).

    The rows stay in the session, so a `save_snapshot` for one of them later needs no query of its own.
    """
    if not watch_ids:
        return {}
    stmt = select(OrderSnapshot).where(col(OrderSnapshot.watch_id).in_(list(watch_ids)))
    return {s.watch_id: dict(s.view) for s in session.exec(stmt).all()}


def get_snapshot(*, session: Session, watch_id: uuid.UUID) -> OrderSnapshot | None:
    return session.get(OrderSnapshot, watch_id)


def save_snapshot(*, session: Session, watch_id: uuid.UUID, view: dict[str, Any]) -> bool:
    """Store the order view last seen; True when it differs from the stored one (or is the first)."""
    new_digest = digest(view)
    snapshot = session.get(OrderSnapshot, watch_id)
    if snapshot is None:
        session.add(OrderSnapshot(watch_id=watch_id, view=view, digest=new_digest))
        session.flush()
        return True
    if snapshot.digest == new_digest:
        return False
    snapshot.view = view
    snapshot.digest = new_digest
    snapshot.updated_at = utcnow()
    session.add(snapshot)
    session.flush()
    return True
