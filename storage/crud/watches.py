"""Watches and their snapshots: one live watch per channel and order, leased to one poller at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.digest import digest
from storage.enums import AuditAction, OutboxStatus, WatchFilter, WatchKind
from storage.models import OrderSnapshot, OutboxMessage, Watch, WatchCreate

from ._common import refresh_loaded
from .audit import record_audit


def _live_watch_filter(*, team_id: str, channel_id: str, backend: str, order_id: str, kind: str) -> ColumnElement[bool]:
    return and_(
        col(Watch.team_id) == team_id,
        col(Watch.channel_id) == channel_id,
        col(Watch.kind) == kind,
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
    kind: str = WatchKind.ORDER,
    thread_ts: str | None = None,
    next_poll_at: datetime | None = None,
    subscription_id: uuid.UUID | None = None,
    state_since: datetime | None = None,
) -> tuple[Watch, bool]:
    """The channel's live watch of the order (or product): a new one (``created=True``) or the one already there.

    An order watched by hand and by a subscription in one channel is one watch: whoever came first keeps it.
    """
    watch_in = WatchCreate(
        team_id=team_id,
        channel_id=channel_id,
        backend=backend,  # type: ignore[arg-type]  # validated into Backend
        order_id=order_id,
        created_by=created_by,
        filter=filter,  # type: ignore[arg-type]  # validated into WatchFilter
        kind=kind,  # type: ignore[arg-type]  # validated into WatchKind
        thread_ts=thread_ts,
        next_poll_at=next_poll_at,
        subscription_id=subscription_id,
    )
    key = {
        "team_id": team_id,
        "channel_id": channel_id,
        "backend": watch_in.backend,
        "order_id": order_id,
        "kind": watch_in.kind.value,
    }
    existing = get_live_watch(session=session, **key)
    if existing is not None:
        return existing, False
    watch = Watch.model_validate(
        watch_in,
        update={
            "backend": watch_in.backend,
            "filter": watch_in.filter.value,
            "kind": watch_in.kind.value,
            "state_since": state_since or utcnow(),
        },
    )
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


def get_watches(*, session: Session, watch_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Watch]:
    """These watches, in one query (a missing one is left out)."""
    if not watch_ids:
        return {}
    return {w.id: w for w in session.exec(select(Watch).where(col(Watch.id).in_(list(watch_ids)))).all()}


def get_live_watch(
    *, session: Session, team_id: str, channel_id: str, backend: str, order_id: str, kind: str = WatchKind.ORDER
) -> Watch | None:
    stmt = select(Watch).where(
        _live_watch_filter(team_id=team_id, channel_id=channel_id, backend=backend, order_id=order_id, kind=kind)
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


@dataclass(frozen=True, slots=True)
class ClaimedWatch:
    """A watch as a claim leased it: what polling it reads (`Watch`'s names), nothing more."""

    id: uuid.UUID
    team_id: str
    channel_id: str
    backend: str
    order_id: str
    kind: str
    filter: str
    created_by: str
    thread_ts: str | None
    consecutive_failures: int
    last_polled_at: datetime | None
    created_at: datetime
    next_poll_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    subscription_id: uuid.UUID | None


_CLAIMED_COLUMNS = tuple(f.name for f in fields(ClaimedWatch))


_POLLED = (col(Watch.ended_at).is_(None), col(Watch.paused_at).is_(None))
"""A watch the poll reads: live, not paused."""


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(Watch.next_poll_at).is_(None), col(Watch.next_poll_at) <= now)


def claim_due_watches(
    *,
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int = 500,
    now: datetime | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    backend: str | None = None,
    skip_backends: Sequence[str] = (),
) -> list[ClaimedWatch]:
    """Lease up to `limit` live, unpaused watches whose poll is due and whose lease is free or expired; with `ids`,
    those watches whether due or not (an event said their order moved). With `backend`, only that backend's
    watches; watches of `skip_backends` are left (another replica walks their list this cycle).

    Two statements whatever `limit`: the candidates (``SKIP LOCKED`` on PostgreSQL sends replicas to different
    watches), and the lease as one compare-and-set ``UPDATE … WHERE id IN (…) AND <free> RETURNING <what a poll
    reads>`` (replicas racing for a watch get it once), in the candidates' order. Plain rows, not ORM objects: a
    cycle claims every watch, and loading 100,000 instances costs more than polling them.
    """
    now = now or utcnow()
    free = or_(col(Watch.lease_until).is_(None), col(Watch.lease_until) <= now)
    due = col(Watch.id).in_(list(ids)) if ids is not None else _due(now)
    wanted: list[ColumnElement[bool]] = [*_POLLED, due, free]
    if backend is not None:
        wanted.append(col(Watch.backend) == backend)
    if skip_backends:
        wanted.append(col(Watch.backend).not_in(list(skip_backends)))
    candidates = list(
        session.exec(
            select(col(Watch.id))
            .where(*wanted)
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
        .returning(*(col(getattr(Watch, name)) for name in _CLAIMED_COLUMNS))
        .execution_options(synchronize_session=False)
    )
    claimed = [ClaimedWatch(*row) for row in session.execute(stmt).all()]
    rank = {watch_id: n for n, watch_id in enumerate(candidates)}
    return sorted(claimed, key=lambda w: rank[w.id])


def backends_due(*, session: Session, backends: Sequence[str], at_least: int, now: datetime | None = None) -> list[str]:
    """Those of `backends` with at least `at_least` live, unpaused watches due now (one short query each)."""
    now = now or utcnow()
    found: list[str] = []
    for backend in backends:
        due = select(col(Watch.id)).where(col(Watch.backend) == backend, *_POLLED, _due(now)).limit(at_least).subquery()
        if session.exec(select(func.count()).select_from(due)).one() >= at_least:
            found.append(backend)
    return found


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
    ids = list(watch_ids)
    stmt = (
        update(Watch)
        .where(col(Watch.id).in_(ids), col(Watch.lease_owner) == owner)
        .values(
            lease_owner=None,
            lease_until=None,
            next_poll_at=next_poll_at,
            consecutive_failures=0,
            last_polled_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    released = session.exec(stmt).rowcount
    if released == len(set(ids)):
        return set(ids)  # the usual case: every lease was still ours (no id is read back)
    # Some lease was lost to another poller: ours are the rows this UPDATE stamped with `now`.
    mine = select(col(Watch.id)).where(col(Watch.id).in_(ids), col(Watch.last_polled_at) == now)
    return set(session.exec(mine).all())


def release_watches_unpolled(*, session: Session, watch_ids: Sequence[uuid.UUID], owner: str) -> int:
    """End `owner`'s leases on watches it did not poll after all (their backend is down): no failure counted, the
    last poll and the schedule kept, so a due watch stays due. Returns how many leases were still `owner`'s."""
    if not watch_ids:
        return 0
    stmt = (
        update(Watch)
        .where(col(Watch.id).in_(list(watch_ids)), col(Watch.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(session.exec(stmt).rowcount)


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


def load_poll_marks(
    *, session: Session, watch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, str | None]]:
    """(source digest, state) of these watches' snapshots, without their views: what a poll compares first."""
    if not watch_ids:
        return {}
    stmt = select(col(OrderSnapshot.watch_id), col(OrderSnapshot.source_digest), col(OrderSnapshot.state)).where(
        col(OrderSnapshot.watch_id).in_(list(watch_ids))
    )
    return {watch_id: (source, state) for watch_id, source, state in session.exec(stmt).all()}


def get_snapshot(*, session: Session, watch_id: uuid.UUID) -> OrderSnapshot | None:
    return session.get(OrderSnapshot, watch_id)


def save_snapshot(
    *,
    session: Session,
    watch_id: uuid.UUID,
    view: dict[str, Any],
    source_digest: str | None = None,
    state: str | None = None,
) -> bool:
    """Store the order view last seen (with the digest of the entry it was read from, and its state); True when
    the view differs from the stored one (or is the first)."""
    new_digest = digest(view)
    snapshot = session.get(OrderSnapshot, watch_id)
    if snapshot is None:
        session.add(
            OrderSnapshot(watch_id=watch_id, view=view, digest=new_digest, source_digest=source_digest, state=state)
        )
        session.flush()
        return True
    changed = snapshot.digest != new_digest
    if not changed and snapshot.source_digest == source_digest and snapshot.state == state:
        return False
    if changed:
        snapshot.view = view
        snapshot.digest = new_digest
        snapshot.updated_at = utcnow()
    snapshot.source_digest = source_digest
    snapshot.state = state
    session.add(snapshot)
    session.flush()
    return changed


def live_watches_of(*, session: Session, backend: str, order_id: str, kind: str = WatchKind.ORDER) -> list[Watch]:
    """Every channel's live watch of one order (or product): what an event about it concerns."""
    stmt = select(Watch).where(
        col(Watch.backend) == backend,
        col(Watch.order_id) == order_id,
        col(Watch.kind) == kind,
        col(Watch.ended_at).is_(None),
    )
    return list(session.exec(stmt.order_by(col(Watch.created_at))).all())


def mark_watches_due(*, session: Session, watch_ids: Sequence[uuid.UUID], now: datetime | None = None) -> int:
    """Poll these watches at the next chance (an event said their order moved); a leased one keeps its lease."""
    if not watch_ids:
        return 0
    stmt = (
        update(Watch)
        .where(col(Watch.id).in_(list(watch_ids)), col(Watch.ended_at).is_(None))
        .values(next_poll_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(session.exec(stmt).rowcount)


def set_state_since(*, session: Session, watch_id: uuid.UUID, at: datetime) -> None:
    """The watched order entered a new state at `at` (as seen by the poll)."""
    stmt = update(Watch).where(col(Watch.id) == watch_id).values(state_since=at)
    session.exec(stmt.execution_options(synchronize_session=False))


def count_live_watches(*, session: Session, subscription_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(col(Watch.subscription_id) == subscription_id, col(Watch.ended_at).is_(None))
    return int(session.exec(stmt).one())


def resume_channel(*, session: Session, team_id: str, channel_id: str, now: datetime | None = None) -> list[uuid.UUID]:
    """Un-pause every watch of a channel the bot can post in again; their owed posts become due now, in order."""
    now = now or utcnow()
    paused = session.exec(
        select(col(Watch.id)).where(
            col(Watch.team_id) == team_id,
            col(Watch.channel_id) == channel_id,
            col(Watch.ended_at).is_(None),
            col(Watch.paused_at).is_not(None),
        )
    ).all()
    resumed = [watch_id for watch_id in paused if resume_watch(session=session, watch_id=watch_id)]
    if resumed:
        session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.watch_id).in_(resumed),
                col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            )
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    return resumed


def prune_ended_snapshots(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` snapshots of watches that ended before `older_than` (nothing diffs against them again;
    the watch row and its audit stay); how many went."""
    ended = (
        select(col(OrderSnapshot.watch_id))
        .join(Watch, col(Watch.id) == col(OrderSnapshot.watch_id))
        .where(col(Watch.ended_at).is_not(None), col(Watch.ended_at) < older_than)
        .limit(limit)
    )
    stmt = delete(OrderSnapshot).where(col(OrderSnapshot.watch_id).in_(ended.scalar_subquery()))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
