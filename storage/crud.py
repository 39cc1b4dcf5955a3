"""Reads and writes, keyword-only, each inside the caller's session (the caller commits).

Whatever must happen once (a watch per channel and order, an outbox post per change, a carrier
call per approval, a Slack delivery) is decided by the database: a unique key with
``INSERT … ON CONFLICT DO NOTHING``, or a compare-and-set ``UPDATE … WHERE``, never by a read
followed by a write. That holds across threads, processes and replicas sharing PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, delete, select

from storage.columns import utcnow
from storage.digest import digest
from storage.enums import ApprovalState, OutboxStatus
from storage.models import (
    Approval,
    ApprovalCreate,
    ApprovalUpdate,
    AuditEvent,
    OrderSnapshot,
    OutboxMessage,
    OutboxMessageCreate,
    ProcessedDelivery,
    Watch,
    WatchCreate,
)

# Legal moves; everything else is a bug. Terminal states stay terminal, or a retry could call
# the carrier twice.
APPROVAL_TRANSITIONS: Mapping[ApprovalState, frozenset[ApprovalState]] = {
    ApprovalState.PENDING: frozenset({ApprovalState.SUBMITTING, ApprovalState.REJECTED, ApprovalState.FAILED}),
    ApprovalState.SUBMITTING: frozenset({ApprovalState.SUBMITTED, ApprovalState.FAILED}),
    ApprovalState.SUBMITTED: frozenset(),
    ApprovalState.REJECTED: frozenset(),
    ApprovalState.FAILED: frozenset(),
}

LIVE_APPROVAL_STATES: tuple[str, ...] = (
    ApprovalState.PENDING.value,
    ApprovalState.SUBMITTING.value,
    ApprovalState.SUBMITTED.value,
)
"""An approval in one of these is its target's live one (``uq_approval_live``)."""

AUDIT_CSV_FIELDS: tuple[str, ...] = ("at", "actor", "action", "approval_id", "backend", "subject", "detail", "id")


# --- helpers -------------------------------------------------------------------------------

# SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg's is gone once the cursor closes).
_ROWCOUNT = {"preserve_rowcount": True}


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]  # only table=True models have one
    assert isinstance(table, Table)
    return table


def _insert_ignore(session: Session, model: type[SQLModel], values: Mapping[str, Any], conflict: Sequence[str]) -> bool:
    """INSERT the row unless one with the same `conflict` key exists; True when inserted."""
    table = _table(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
        result = session.exec(pg_stmt, execution_options=_ROWCOUNT)
    elif dialect == "sqlite":
        lite_stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
        result = session.exec(lite_stmt, execution_options=_ROWCOUNT)
    else:  # pragma: no cover - make_engine refuses other databases
        raise NotImplementedError(dialect)
    return result.rowcount == 1


def _refresh_loaded(session: Session, model: type[SQLModel], pk: Any) -> None:
    """After a bulk UPDATE, bring an already loaded instance up to date."""
    obj = session.identity_map.get(session.identity_key(model, pk))
    if obj is not None:
        session.refresh(obj)


# --- watches -------------------------------------------------------------------------------


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
    filter: str = "all",
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
    key = {"team_id": team_id, "channel_id": channel_id, "backend": watch_in.backend.value, "order_id": order_id}
    existing = get_live_watch(session=session, **key)
    if existing is not None:
        return existing, False
    watch = Watch.model_validate(watch_in, update={"backend": watch_in.backend.value, "filter": watch_in.filter.value})
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


def end_watch(*, session: Session, watch_id: uuid.UUID, reason: str, at: datetime | None = None) -> bool:
    """End a live watch; True only for the call that ended it (post "watch ended" on True)."""
    stmt = (
        update(Watch)
        .where(col(Watch.id) == watch_id, col(Watch.ended_at).is_(None))
        .values(ended_at=at or utcnow(), ended_reason=reason, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    ended = session.exec(stmt).rowcount == 1
    if ended:
        _refresh_loaded(session, Watch, watch_id)
    return ended


def set_watch_root(*, session: Session, watch_id: uuid.UUID, thread_ts: str, replace: bool = False) -> bool:
    """Record the thread's root message; by default only the first root wins (True for it)."""
    conditions: list[ColumnElement[bool]] = [col(Watch.id) == watch_id]
    if not replace:
        conditions.append(col(Watch.thread_ts).is_(None))
    stmt = update(Watch).where(*conditions).values(thread_ts=thread_ts).execution_options(synchronize_session=False)
    updated = session.exec(stmt).rowcount == 1
    if updated:
        _refresh_loaded(session, Watch, watch_id)
    return updated


def claim_due_watches(
    *,
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int = 50,
    now: datetime | None = None,
) -> list[Watch]:
    """Lease up to `limit` live, unpaused watches whose poll is due and whose lease is free or expired.

    Each claim is a compare-and-set on the lease, so replicas racing for a watch get it once;
    on PostgreSQL ``SKIP LOCKED`` also sends them to different watches.
    """
    now = now or utcnow()
    free = or_(col(Watch.lease_until).is_(None), col(Watch.lease_until) <= now)
    due = or_(col(Watch.next_poll_at).is_(None), col(Watch.next_poll_at) <= now)
    candidates = session.exec(
        select(col(Watch.id))
        .where(col(Watch.ended_at).is_(None), col(Watch.paused_at).is_(None), due, free)
        .order_by(col(Watch.next_poll_at), col(Watch.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Watch] = []
    for watch_id in candidates:
        stmt = (
            update(Watch)
            .where(col(Watch.id) == watch_id, col(Watch.ended_at).is_(None), free)
            .values(lease_owner=owner, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if session.exec(stmt).rowcount == 1:
            watch = session.get(Watch, watch_id, populate_existing=True)
            if watch is not None:
                claimed.append(watch)
    return claimed


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
        values.update(consecutive_failures=0, failure_notified=False, last_polled_at=now)
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


# --- snapshots -----------------------------------------------------------------------------


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


# --- outbox --------------------------------------------------------------------------------


def enqueue_outbox(
    *,
    session: Session,
    watch_id: uuid.UUID,
    fingerprint: str,
    kind: str,
    payload: dict[str, Any],
    broadcast: bool = False,
) -> bool:
    """Owe a Slack post to the watch's thread; False when that fingerprint is already owed or sent."""
    message = OutboxMessageCreate(
        watch_id=watch_id, fingerprint=fingerprint, kind=kind, payload=payload, broadcast=broadcast
    )
    return _insert_ignore(session, OutboxMessage, message.model_dump(), conflict=("watch_id", "fingerprint"))


def _outbox_due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a sender whose claim ran out (it died, or its heartbeat stopped)."""
    return or_(
        and_(col(OutboxMessage.status) == OutboxStatus.PENDING.value, col(OutboxMessage.next_attempt_at) <= now),
        and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) <= now),
        ),
    )


def due_outbox_watches(*, session: Session, now: datetime, limit: int = 100) -> list[uuid.UUID]:
    """Watches with at least one outbox row due, the longest waiting first."""
    oldest = func.min(col(OutboxMessage.created_at))
    stmt = (
        select(col(OutboxMessage.watch_id))
        .where(_outbox_due(now))
        .group_by(col(OutboxMessage.watch_id))
        .order_by(oldest, col(OutboxMessage.watch_id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def _outbox_order(row: OutboxMessage) -> tuple[datetime, int, str]:
    seq = row.payload.get("seq", 0) if isinstance(row.payload, dict) else 0
    return (row.created_at, seq if isinstance(seq, int) else 0, str(row.id))


def unsent_outbox(*, session: Session, watch_id: uuid.UUID) -> list[OutboxMessage]:
    """A watch's rows not sent (nor given up) yet, in posting order: creation, then the payload's `seq`."""
    stmt = select(OutboxMessage).where(
        col(OutboxMessage.watch_id) == watch_id,
        col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
    )
    return sorted(session.exec(stmt).all(), key=_outbox_order)


def claim_outbox_row(
    *, session: Session, message_id: uuid.UUID, token: str, now: datetime, until: datetime
) -> OutboxMessage | None:
    """Take one due row for sending, just before the Slack call; None when it is not due or another took it.

    A row taken from a claim that ran out becomes `uncertain`: its sender may have posted it.
    """
    stmt = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, _outbox_due(now))
        .values(
            uncertain=or_(col(OutboxMessage.uncertain), col(OutboxMessage.status) == OutboxStatus.SENDING.value),
            status=OutboxStatus.SENDING.value,
            claim_token=token,
            claimed_until=until,
            attempts=col(OutboxMessage.attempts) + 1,
            next_attempt_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def renew_outbox_claim(*, session: Session, message_id: uuid.UUID, token: str, until: datetime) -> bool:
    """The heartbeat of a Slack call in flight; False once the claim is no longer `token`'s."""
    stmt = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.claim_token) == token,
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount == 1)


def _mine(message_id: uuid.UUID, token: str) -> ColumnElement[bool]:
    return and_(
        col(OutboxMessage.id) == message_id,
        col(OutboxMessage.status) == OutboxStatus.SENDING.value,
        col(OutboxMessage.claim_token) == token,
    )


def mark_outbox_sent(*, session: Session, message_id: uuid.UUID, token: str, slack_ts: str | None) -> bool:
    """Sent; only by the holder of the claim (False: the claim ran out and another sender has the row)."""
    stmt = (
        update(OutboxMessage)
        .where(_mine(message_id, token))
        .values(
            status=OutboxStatus.SENT.value,
            slack_ts=slack_ts,
            sent_at=utcnow(),
            last_error=None,
            claim_token=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    done = session.exec(stmt).rowcount == 1
    if done:
        _refresh_loaded(session, OutboxMessage, message_id)
    return done


def mark_outbox_failed(
    *,
    session: Session,
    message_id: uuid.UUID,
    token: str,
    error: str,
    retry_at: datetime | None,
    dead: bool = False,
    uncertain: bool | None = None,
) -> bool:
    """A failed send, by the holder of the claim: back to "pending" until `retry_at`, or "dead" (given up).

    `uncertain=True` when Slack may have the post all the same (a timeout, a 5xx): the next attempt looks first.
    """
    if not dead and retry_at is None:
        raise ValueError("retry_at is required unless dead=True")
    values: dict[str, Any] = {"last_error": error, "claim_token": None, "claimed_until": None}
    if uncertain is not None:
        values["uncertain"] = uncertain
    if dead:
        values["status"] = OutboxStatus.DEAD.value
    else:
        values.update(status=OutboxStatus.PENDING.value, next_attempt_at=retry_at)
    stmt = update(OutboxMessage).where(_mine(message_id, token)).values(**values)
    done = session.exec(stmt.execution_options(synchronize_session=False)).rowcount == 1
    if done:
        _refresh_loaded(session, OutboxMessage, message_id)
    return done


def defer_outbox(*, session: Session, watch_id: uuid.UUID, until: datetime) -> int:
    """The watch's pending rows wait until at least `until` (they come after one that failed)."""
    stmt = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.watch_id) == watch_id,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.next_attempt_at) < until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(session.exec(stmt).rowcount)


def list_outbox(*, session: Session, watch_id: uuid.UUID) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(col(OutboxMessage.watch_id) == watch_id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    )
    return list(session.exec(stmt).all())


# --- approvals -----------------------------------------------------------------------------


def create_approval(
    *,
    session: Session,
    kind: str,
    team_id: str,
    channel_id: str,
    requester_id: str,
    backend: str,
    target_id: str,
    payload: dict[str, Any] | None = None,
    message_ts: str | None = None,
    external_id: str | None = None,
) -> Approval:
    """A pending approval. `external_id` defaults to ``ob-<id hex>``: send it with the carrier order."""
    approval_in = ApprovalCreate(
        kind=kind,  # type: ignore[arg-type]  # validated into ApprovalKind
        team_id=team_id,
        channel_id=channel_id,
        requester_id=requester_id,
        backend=backend,  # type: ignore[arg-type]  # validated into Backend
        target_id=target_id,
        payload=payload or {},
        message_ts=message_ts,
        external_id=external_id,
    )
    approval_id = uuid.uuid4()
    approval = Approval.model_validate(
        approval_in,
        update={
            "id": approval_id,
            "kind": approval_in.kind.value,
            "backend": approval_in.backend.value,
            "external_id": external_id or f"ob-{approval_id.hex}",
        },
    )
    session.add(approval)
    session.flush()
    return approval


def get_approval(*, session: Session, approval_id: uuid.UUID) -> Approval | None:
    return session.get(Approval, approval_id)


def get_approval_by_external_id(*, session: Session, external_id: str) -> Approval | None:
    """The newest approval sending `external_id` (a retry reuses its failed approval's)."""
    stmt = select(Approval).where(col(Approval.external_id) == external_id)
    return session.exec(stmt.order_by(col(Approval.created_at).desc())).first()


def get_live_approval(*, session: Session, kind: str, backend: str, target_id: str) -> Approval | None:
    """The approval pending, submitting or submitted for this target, if any (``uq_approval_live``: one at most)."""
    stmt = select(Approval).where(
        col(Approval.kind) == kind,
        col(Approval.backend) == backend,
        col(Approval.target_id) == target_id,
        col(Approval.state).in_(LIVE_APPROVAL_STATES),
    )
    return session.exec(stmt).first()


def open_approval(
    *,
    session: Session,
    kind: str,
    team_id: str,
    channel_id: str,
    requester_id: str,
    backend: str,
    target_id: str,
    payload: dict[str, Any],
    message_ts: str | None = None,
    external_id: str | None = None,
) -> tuple[Approval, bool]:
    """A new pending approval (``created=True``), or the live one already there for the same target.

    The partial unique index ``uq_approval_live`` decides between racing requests; the SAVEPOINT keeps
    the caller's transaction usable when this one loses.
    """
    existing = get_live_approval(session=session, kind=kind, backend=backend, target_id=target_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            approval = create_approval(
                session=session,
                kind=kind,
                team_id=team_id,
                channel_id=channel_id,
                requester_id=requester_id,
                backend=backend,
                target_id=target_id,
                payload=payload,
                message_ts=message_ts,
                external_id=external_id,
            )
    except IntegrityError:
        existing = get_live_approval(session=session, kind=kind, backend=backend, target_id=target_id)
        if existing is None:
            raise
        return existing, False
    return approval, True


def latest_approval_for_message(*, session: Session, channel_id: str, message_ts: str) -> Approval | None:
    """The newest approval shown by one Slack message (a retry shares its failed approval's card)."""
    stmt = select(Approval).where(col(Approval.channel_id) == channel_id, col(Approval.message_ts) == message_ts)
    return session.exec(stmt.order_by(col(Approval.created_at).desc(), col(Approval.id))).first()


def set_message_ts(*, session: Session, approval_id: uuid.UUID, message_ts: str) -> bool:
    """Remember where the request was posted, as showing the approval's current version (no state change)."""
    stmt = (
        update(Approval)
        .where(col(Approval.id) == approval_id)
        .values(message_ts=message_ts, shown_version=col(Approval.version))
        .execution_options(synchronize_session=False)
    )
    done = session.exec(stmt).rowcount == 1
    if done:
        _refresh_loaded(session, Approval, approval_id)
    return done


def transition_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    expected_state: str,
    expected_version: int,
    new_state: str,
    **fields: Any,
) -> bool:
    """Compare-and-set: move the approval only if it is still in `expected_state` at `expected_version`.

    One UPDATE decides, so of any number of racing callers exactly one gets True; the winner's
    new version is ``expected_version + 1``. `fields` are those of ``ApprovalUpdate``. Moving to
    ``submitting`` takes an owner: use `claim_approval`.
    """
    expected = ApprovalState(expected_state)
    target = ApprovalState(new_state)
    if target not in APPROVAL_TRANSITIONS[expected]:
        raise ValueError(f"approval cannot go from {expected.value} to {target.value}")
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    stmt = (
        update(Approval)
        .where(
            col(Approval.id) == approval_id,
            col(Approval.state) == expected.value,
            col(Approval.version) == expected_version,
        )
        .values(state=target.value, version=col(Approval.version) + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    moved = session.exec(stmt).rowcount == 1
    if moved:
        _refresh_loaded(session, Approval, approval_id)
    return moved


def _owned(approval_id: uuid.UUID, owner: str) -> ColumnElement[bool]:
    return and_(
        col(Approval.id) == approval_id,
        col(Approval.state) == ApprovalState.SUBMITTING.value,
        col(Approval.lease_owner) == owner,
    )


def _update_approval(session: Session, approval_id: uuid.UUID, where: ColumnElement[bool], **values: Any) -> bool:
    stmt = update(Approval).where(where).values(**values).execution_options(synchronize_session=False)
    done = session.exec(stmt).rowcount == 1
    if done:
        _refresh_loaded(session, Approval, approval_id)
    return done


def claim_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    expected_version: int,
    owner: str,
    lease_until: datetime,
    now: datetime,
    **fields: Any,
) -> bool:
    """pending → submitting, owned by `owner` until `lease_until`: of racing callers one wins and calls the carrier.

    `called_at` is set now: from here on Orange may have the order.
    """
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    where = and_(
        col(Approval.id) == approval_id,
        col(Approval.state) == ApprovalState.PENDING.value,
        col(Approval.version) == expected_version,
    )
    return _update_approval(
        session,
        approval_id,
        where,
        state=ApprovalState.SUBMITTING.value,
        version=col(Approval.version) + 1,
        updated_at=now,
        lease_owner=owner,
        lease_until=lease_until,
        called_at=now,
        next_check_at=None,
        checks=0,
        **values,
    )


def renew_approval_lease(*, session: Session, approval_id: uuid.UUID, owner: str, lease_until: datetime) -> bool:
    """The heartbeat of a carrier call in flight; False once the row is no longer `owner`'s."""
    return _update_approval(session, approval_id, _owned(approval_id, owner), lease_until=lease_until)


def _due_check(now: datetime) -> ColumnElement[bool]:
    waiting = and_(
        col(Approval.lease_owner).is_(None),
        or_(col(Approval.next_check_at).is_(None), col(Approval.next_check_at) <= now),
    )
    abandoned = and_(col(Approval.lease_owner).is_not(None), col(Approval.lease_until) <= now)
    return and_(col(Approval.state) == ApprovalState.SUBMITTING.value, or_(waiting, abandoned))


def list_due_approval_checks(*, session: Session, now: datetime, limit: int = 50) -> list[Approval]:
    """Submitting approvals to look up now: their check is due, or their owner's lease ran out (it died)."""
    stmt = select(Approval).where(_due_check(now)).order_by(col(Approval.updated_at)).limit(limit)
    return list(session.exec(stmt).all())


def take_approval(
    *, session: Session, approval_id: uuid.UUID, owner: str, now: datetime, lease_until: datetime
) -> bool:
    """Claim a due submitting approval for a look-up (compare-and-set: one taker wins)."""
    where = and_(col(Approval.id) == approval_id, _due_check(now))
    return _update_approval(session, approval_id, where, lease_owner=owner, lease_until=lease_until)


def release_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    owner: str,
    check_at: datetime,
    error: str,
    now: datetime,
    checked: bool,
) -> bool:
    """Orange's answer is not known yet: the row stays submitting, ownerless, to be looked up at `check_at`.

    `checked` counts a look-up that found nothing (yet).
    """
    return _update_approval(
        session,
        approval_id,
        _owned(approval_id, owner),
        lease_owner=None,
        lease_until=None,
        next_check_at=check_at,
        checks=col(Approval.checks) + (1 if checked else 0),
        error=error,
        version=col(Approval.version) + 1,
        updated_at=now,
    )


def settle_approval(
    *, session: Session, approval_id: uuid.UUID, owner: str, new_state: str, now: datetime, **fields: Any
) -> bool:
    """submitting → submitted or failed, only by the owner of the row (its lease may have been taken over)."""
    target = ApprovalState(new_state)
    if target not in APPROVAL_TRANSITIONS[ApprovalState.SUBMITTING]:
        raise ValueError(f"approval cannot go from submitting to {target.value}")
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    return _update_approval(
        session,
        approval_id,
        _owned(approval_id, owner),
        state=target.value,
        version=col(Approval.version) + 1,
        updated_at=now,
        lease_owner=None,
        lease_until=None,
        next_check_at=None,
        **values,
    )


def mark_card_shown(*, session: Session, approval_id: uuid.UUID, version: int) -> bool:
    """The Slack card now shows `version`; never moves back (a late update of an older version changes nothing)."""
    where = and_(
        col(Approval.id) == approval_id,
        or_(col(Approval.shown_version).is_(None), col(Approval.shown_version) < version),
    )
    return _update_approval(session, approval_id, where, shown_version=version)


def list_stale_cards(*, session: Session, updated_before: datetime, limit: int = 50) -> list[Approval]:
    """Approvals whose Slack card shows an older version than the row (its update failed or was lost).

    Only the newest approval of each message counts: a failed approval's card belongs to its retry.
    """
    newer = aliased(Approval)
    superseded = (
        select(newer.id)
        .where(
            newer.channel_id == Approval.channel_id,
            newer.message_ts == Approval.message_ts,
            newer.created_at > Approval.created_at,
        )
        .exists()
    )
    stmt = (
        select(Approval)
        .where(
            col(Approval.message_ts).is_not(None),
            or_(col(Approval.shown_version).is_(None), col(Approval.shown_version) < col(Approval.version)),
            col(Approval.updated_at) <= updated_before,
            ~superseded,
        )
        .order_by(col(Approval.updated_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


# --- audit and deliveries ------------------------------------------------------------------


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    approval_id: uuid.UUID | None = None,
    backend: str | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        approval_id=approval_id,
        backend=backend,
        subject=subject,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def audit_rows(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, str]]:
    """Audit events oldest first as text columns (``AUDIT_CSV_FIELDS``), for ``csv.DictWriter``."""
    stmt = select(AuditEvent)
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < until)
    rows: list[dict[str, str]] = []
    for event in session.exec(stmt.order_by(col(AuditEvent.at), col(AuditEvent.id))):
        rows.append(
            {
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "approval_id": str(event.approval_id) if event.approval_id else "",
                "backend": event.backend or "",
                "subject": event.subject or "",
                "detail": json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
                "id": str(event.id),
            }
        )
    return rows


def mark_delivery_processed(*, session: Session, key: str) -> bool:
    """True only the first time `key` is seen (committed with the work it guards)."""
    return _insert_ignore(session, ProcessedDelivery, {"key": key, "created_at": utcnow()}, conflict=("key",))


def prune_processed_deliveries(*, session: Session, older_than: datetime) -> int:
    """Forget delivery keys older than any redelivery (Slack retries for minutes, not days)."""
    stmt = delete(ProcessedDelivery).where(col(ProcessedDelivery.created_at) < older_than)
    return session.exec(stmt).rowcount


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
        _refresh_loaded(session, Watch, watch_id)
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
        _refresh_loaded(session, Watch, watch_id)
    return resumed


def claim_due_watches_bulk(
    *,
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int = 500,
    now: datetime | None = None,
) -> list[Watch]:
    """`claim_due_watches` in three statements whatever `limit` (for the poller's large batches).

    The lease is the same compare-and-set, as one ``UPDATE … WHERE id IN (…) AND <free> RETURNING id``.
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
            failure_notified=False,
            last_polled_at=now,
        )
        .returning(col(Watch.id))
        .execution_options(synchronize_session=False)
    )
    return set(session.execute(stmt).scalars().all())
