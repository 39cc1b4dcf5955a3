"""Daily digests: one schedule per channel, sent once a day however many replicas look at it."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import DigestSchedule


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
