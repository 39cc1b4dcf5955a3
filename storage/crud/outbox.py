"""The outbox: Slack posts owed to a watch's thread or to a channel, each claimed by one sender just before it is
sent.

A row belongs to a lane: a watch (its thread replies and root, `watch_id`) or a channel (posts of their own, the
daily digest: `team_id` and `channel_id`, no watch). A lane's rows go out one after the other, in order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, update
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, OutboxMessageCreate, Watch

from ._common import insert_ignore, refresh_loaded

ROOT = "root"
"""The fingerprint of a watch's thread root when the outbox posts it (a rule's new watch)."""
AFTER_ROOTS = "after_roots"
"""A channel post's payload key: the watches whose thread roots must be posted (or given up) before the post is
claimed, because it links to them."""
KEEP_WHILE_WATCHED = "polling_failing"
"""The one kind whose fingerprint a live watch may owe again (every failed poll of a streak owes its notice)."""


def enqueue_outbox(
    *,
    session: Session,
    watch_id: uuid.UUID,
    fingerprint: str,
    kind: str,
    payload: dict[str, Any],
    broadcast: bool = False,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Owe a Slack post to the watch's thread (not before `not_before`); False when that fingerprint is already owed
    or sent. `now`: the notifier's clock (the row's creation, which orders a lane, and its first attempt)."""
    message = OutboxMessageCreate(
        watch_id=watch_id, fingerprint=fingerprint, kind=kind, payload=payload, broadcast=broadcast
    )
    values = _timed(message.model_dump(), now=now, not_before=not_before)
    return insert_ignore(session, OutboxMessage, values, conflict=("watch_id", "fingerprint"))


def _timed(values: dict[str, Any], *, now: datetime | None, not_before: datetime | None) -> dict[str, Any]:
    if now is not None:
        values.update(created_at=now, next_attempt_at=now)
    if not_before is not None:
        values["next_attempt_at"] = not_before
    return values


def enqueue_channel_post(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    fingerprint: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Owe a post of its own to a channel (no watch, no thread); False when that fingerprint is already owed or
    sent there. `now`: the notifier's clock."""
    message = OutboxMessageCreate(
        team_id=team_id, channel_id=channel_id, fingerprint=fingerprint, kind=kind, payload=payload
    )
    values = _timed(message.model_dump(), now=now, not_before=None)
    return insert_ignore(session, OutboxMessage, values, conflict=("team_id", "channel_id", "fingerprint"))


def owe_in_roots_summary(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    kind: str,
    batch: str,
    watch_id: uuid.UUID,
    payload: dict[str, Any],
    not_before: datetime,
    now: datetime | None = None,
) -> None:
    """List a new watch in the channel's post about its `batch` (a fingerprint prefix: one subject, a rule) that is
    still waiting, never tried; or owe a new one listing it. The post is sent once the roots it lists are
    (`AFTER_ROOTS`). Call it in the transaction that makes the watch, the batch's subject locked: one post per batch,
    whichever scan or replica made its watches, and none lost to a crash between the watch and the post."""
    waiting = session.exec(
        select(OutboxMessage)
        .where(
            _lane(None, (team_id, channel_id)),
            col(OutboxMessage.kind) == kind,
            col(OutboxMessage.fingerprint).startswith(batch, autoescape=True),
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.attempts) == 0,
        )
        .order_by(col(OutboxMessage.created_at))
        .with_for_update()
    ).first()
    if waiting is not None:
        listed = [str(w) for w in waiting.payload.get(AFTER_ROOTS) or []]
        waiting.payload = {**waiting.payload, **payload, AFTER_ROOTS: list(dict.fromkeys([*listed, str(watch_id)]))}
        waiting.next_attempt_at = max(waiting.next_attempt_at, not_before)
        session.add(waiting)
        session.flush()
        return
    message = OutboxMessageCreate(
        team_id=team_id,
        channel_id=channel_id,
        fingerprint=f"{batch}{watch_id}",
        kind=kind,
        payload={**payload, AFTER_ROOTS: [str(watch_id)]},
    )
    insert_ignore(
        session,
        OutboxMessage,
        _timed(message.model_dump(), now=now, not_before=not_before),
        conflict=("team_id", "channel_id", "fingerprint"),
    )


def _waits_for_roots(session: Session, row: OutboxMessage) -> bool:
    """Whether a root the row links to is still owed (`AFTER_ROOTS`)."""
    listed = row.payload.get(AFTER_ROOTS) if isinstance(row.payload, dict) else None
    if not listed:
        return False
    owed = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.watch_id).in_([uuid.UUID(str(w)) for w in listed]),
            col(OutboxMessage.fingerprint) == ROOT,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
        )
    )
    return bool(session.exec(owed).one())


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
        .where(_outbox_due(now), col(OutboxMessage.watch_id).is_not(None))
        .group_by(col(OutboxMessage.watch_id))
        .order_by(oldest, col(OutboxMessage.watch_id))
        .limit(limit)
    )
    return [watch_id for watch_id in session.exec(stmt).all() if watch_id is not None]


def due_outbox_channels(*, session: Session, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
    """(team, channel) of the channels with a post of their own due, the longest waiting first."""
    oldest = func.min(col(OutboxMessage.created_at))
    stmt = (
        select(col(OutboxMessage.team_id), col(OutboxMessage.channel_id))
        .where(_outbox_due(now), col(OutboxMessage.watch_id).is_(None))
        .group_by(col(OutboxMessage.team_id), col(OutboxMessage.channel_id))
        .order_by(oldest, col(OutboxMessage.team_id), col(OutboxMessage.channel_id))
        .limit(limit)
    )
    return [(str(team), str(channel)) for team, channel in session.exec(stmt).all()]


class DueLane(NamedTuple):
    """A lane with a row due and the channel it posts to."""

    team_id: str
    channel_id: str
    watch_id: uuid.UUID | None
    """None: the channel's own posts."""
    oldest: datetime
    """When its oldest row still owed was created."""


def due_outbox_lanes(*, session: Session, now: datetime, limit: int = 100) -> list[DueLane]:
    """The lanes with a row due, the longest waiting first: up to `limit` watches (with the team and channel of the
    watch) and up to `limit` channels with a post of their own."""
    oldest = func.min(col(OutboxMessage.created_at))
    watches = (
        select(col(Watch.team_id), col(Watch.channel_id), col(Watch.id), oldest)
        .join(Watch, col(Watch.id) == col(OutboxMessage.watch_id))
        .where(_outbox_due(now))
        .group_by(col(Watch.id), col(Watch.team_id), col(Watch.channel_id))
        .order_by(oldest, col(Watch.id))
        .limit(limit)
    )
    lanes = [DueLane(team, channel, watch_id, first) for team, channel, watch_id, first in session.exec(watches).all()]
    channels = (
        select(col(OutboxMessage.team_id), col(OutboxMessage.channel_id), oldest)
        .where(_outbox_due(now), col(OutboxMessage.watch_id).is_(None))
        .group_by(col(OutboxMessage.team_id), col(OutboxMessage.channel_id))
        .order_by(oldest, col(OutboxMessage.team_id), col(OutboxMessage.channel_id))
        .limit(limit)
    )
    lanes += [DueLane(str(team), str(channel), None, first) for team, channel, first in session.exec(channels).all()]
    return sorted(lanes, key=lambda lane: (lane.oldest, lane.team_id, lane.channel_id, str(lane.watch_id)))


def _lane(watch_id: uuid.UUID | None, channel: tuple[str, str] | None) -> ColumnElement[bool]:
    """A watch's rows, or a channel's own posts (exactly one of the two is given)."""
    if (watch_id is None) == (channel is None):
        raise ValueError("give a watch_id or a channel, not both")
    if watch_id is not None:
        return col(OutboxMessage.watch_id) == watch_id
    assert channel is not None
    return and_(
        col(OutboxMessage.watch_id).is_(None),
        col(OutboxMessage.team_id) == channel[0],
        col(OutboxMessage.channel_id) == channel[1],
    )


def _outbox_order(row: OutboxMessage) -> tuple[datetime, int, str]:
    seq = row.payload.get("seq", 0) if isinstance(row.payload, dict) else 0
    return (row.created_at, seq if isinstance(seq, int) else 0, str(row.id))


def unsent_outbox(
    *, session: Session, watch_id: uuid.UUID | None = None, channel: tuple[str, str] | None = None
) -> list[OutboxMessage]:
    """A watch's rows (or a channel's own posts: `channel=(team, channel)`) not sent nor given up yet, in posting
    order: creation, then the payload's `seq`."""
    stmt = select(OutboxMessage).where(
        _lane(watch_id, channel),
        col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
    )
    return sorted(session.exec(stmt).all(), key=_outbox_order)


def claim_outbox_row(
    *, session: Session, message_id: uuid.UUID, token: str, now: datetime, until: datetime
) -> OutboxMessage | None:
    """Take one due row for sending, just before the Slack call; None when it is not due or another took it.

    A row taken from a claim that ran out becomes `uncertain`: its sender may have posted it. A row listing roots
    (`AFTER_ROOTS`) is not taken while one of them is owed.
    """
    row = session.get(OutboxMessage, message_id)
    if row is not None and _waits_for_roots(session, row):
        return None
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


def mark_outbox_sent(
    *, session: Session, message_id: uuid.UUID, token: str, slack_ts: str | None, now: datetime | None = None
) -> bool:
    """Sent (at `now`, by default the wall clock); only by the holder of the claim (False: the claim ran out and
    another sender has the row)."""
    stmt = (
        update(OutboxMessage)
        .where(_mine(message_id, token))
        .values(
            status=OutboxStatus.SENT.value,
            slack_ts=slack_ts,
            sent_at=now or utcnow(),
            last_error=None,
            claim_token=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    done = session.exec(stmt).rowcount == 1
    if done:
        refresh_loaded(session, OutboxMessage, message_id)
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
        refresh_loaded(session, OutboxMessage, message_id)
    return done


def defer_outbox(
    *, session: Session, until: datetime, watch_id: uuid.UUID | None = None, channel: tuple[str, str] | None = None
) -> int:
    """The lane's pending rows wait until at least `until` (they come after one that failed)."""
    stmt = (
        update(OutboxMessage)
        .where(
            _lane(watch_id, channel),
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.next_attempt_at) < until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(session.exec(stmt).rowcount)


def give_up_channel_posts(*, session: Session, channel: tuple[str, str], kind: str, keep: str, reason: str) -> int:
    """Give up the channel's waiting posts of `kind` other than `keep` (a newer one replaces them); a row a sender
    holds right now is left to it."""
    stmt = (
        update(OutboxMessage)
        .where(
            _lane(None, channel),
            col(OutboxMessage.kind) == kind,
            col(OutboxMessage.fingerprint) != keep,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.DEAD.value, last_error=reason)
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


def prune_outbox(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` rows sent (or given up) before `older_than`; how many went.

    Never a row still owed (pending, sending). A "polling is failing" notice stays while its watch is live: its
    fingerprint is what keeps a long failure streak to one notice.
    """
    done = [OutboxStatus.SENT.value, OutboxStatus.DEAD.value]
    ended_watch = exists().where(
        col(Watch.id) == col(OutboxMessage.watch_id), col(Watch.ended_at).is_not(None), col(Watch.ended_at) < older_than
    )
    old = (
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.status).in_(done),
            # next_attempt_at is the last claim's time, never after sent_at: the index finds the old rows
            col(OutboxMessage.next_attempt_at) < older_than,
            or_(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.sent_at) < older_than),
            or_(col(OutboxMessage.kind) != KEEP_WHILE_WATCHED, ended_watch),
        )
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(limit)
    )
    stmt = delete(OutboxMessage).where(col(OutboxMessage.id).in_(old.scalar_subquery()))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
