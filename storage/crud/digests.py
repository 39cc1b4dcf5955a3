"""Daily digests: one schedule per channel, owed once a day however many replicas look at it (the outbox posts it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import DigestSchedule

from .outbox import enqueue_channel_post, give_up_channel_posts


def set_digest_schedule(
    *, session: Session, team_id: str, channel_id: str, at_time: str, tz: str, backend: str | None, created_by: str
) -> DigestSchedule:
    """The channel's daily digest at `at_time` in `tz`, replacing the one it had."""
    end_digest_schedule(session=session, team_id=team_id, channel_id=channel_id)
    session.flush()
    schedule = DigestSchedule(
        team_id=team_id, channel_id=channel_id, at_time=at_time, tz=tz, backend=backend, created_by=created_by
    )
    session.add(schedule)
    session.flush()
    return schedule


def end_digest_schedule(*, session: Session, team_id: str, channel_id: str) -> bool:
    stmt = (
        update(DigestSchedule)
        .where(
            col(DigestSchedule.team_id) == team_id,
            col(DigestSchedule.channel_id) == channel_id,
            col(DigestSchedule.ended_at).is_(None),
        )
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount >= 1)


def live_digest_schedules(*, session: Session) -> list[DigestSchedule]:
    stmt = select(DigestSchedule).where(col(DigestSchedule.ended_at).is_(None))
    return list(session.exec(stmt.order_by(col(DigestSchedule.created_at))).all())


def get_digest_schedule(*, session: Session, team_id: str, channel_id: str) -> DigestSchedule | None:
    stmt = select(DigestSchedule).where(
        col(DigestSchedule.team_id) == team_id,
        col(DigestSchedule.channel_id) == channel_id,
        col(DigestSchedule.ended_at).is_(None),
    )
    return session.exec(stmt).first()


def claim_digest(*, session: Session, schedule_id: uuid.UUID, local_date: str) -> bool:
    """Take today's digest of this schedule (compare-and-set on the date): True for the one replica that sends it."""
    stmt = (
        update(DigestSchedule)
        .where(
            col(DigestSchedule.id) == schedule_id,
            col(DigestSchedule.ended_at).is_(None),
            or_(col(DigestSchedule.last_sent_on).is_(None), col(DigestSchedule.last_sent_on) < local_date),
        )
        .values(last_sent_on=local_date)
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount == 1)


def owe_digest(
    *, session: Session, schedule_id: uuid.UUID, local_date: str, fingerprint: str, kind: str, payload: dict[str, Any]
) -> bool:
    """Take the day's digest of this schedule and owe it to the channel's outbox, in the caller's transaction: True
    for the one caller that did (the schedule's date is a compare-and-set; the row is keyed by channel and
    `fingerprint`, so a schedule replaced the same day owes nothing twice). An older digest of the channel still
    waiting (Slack refused it all day) is given up: today's replaces it."""
    schedule = session.get(DigestSchedule, schedule_id)
    if schedule is None or not claim_digest(session=session, schedule_id=schedule_id, local_date=local_date):
        return False
    channel = (schedule.team_id, schedule.channel_id)
    if not enqueue_channel_post(
        session=session,
        team_id=channel[0],
        channel_id=channel[1],
        fingerprint=fingerprint,
        kind=kind,
        payload=payload,
    ):
        return False
    give_up_channel_posts(
        session=session, channel=channel, kind=kind, keep=fingerprint, reason=f"replaced by {fingerprint}"
    )
    return True


def prune_ended_digest_schedules(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` schedules turned off before `older_than`; how many went."""
    old = (
        select(col(DigestSchedule.id))
        .where(col(DigestSchedule.ended_at).is_not(None), col(DigestSchedule.ended_at) < older_than)
        .limit(limit)
    )
    stmt = delete(DigestSchedule).where(col(DigestSchedule.id).in_(old.scalar_subquery()))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
