"""Channel schedules (the daily digest, the weekly report): one live per channel, each occurrence owed once however
many replicas look at it — a compare-and-set on `last_sent_on`, and an outbox row keyed by channel and fingerprint."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import DigestSchedule, ReportSchedule

from .outbox import enqueue_channel_post, give_up_channel_posts

__all__ = [
    "claim_occurrence",
    "end_schedule",
    "get_schedule",
    "live_schedules",
    "owe_occurrence",
    "prune_ended_schedules",
    "set_schedule",
]

Schedule = TypeVar("Schedule", DigestSchedule, ReportSchedule)


def set_schedule(model: type[Schedule], *, session: Session, team_id: str, channel_id: str, **values: Any) -> Schedule:
    """The channel's schedule of this kind, replacing the one it had."""
    end_schedule(model, session=session, team_id=team_id, channel_id=channel_id)
    session.flush()
    schedule = model(team_id=team_id, channel_id=channel_id, **values)
    session.add(schedule)
    session.flush()
    return schedule


def end_schedule(model: type[Schedule], *, session: Session, team_id: str, channel_id: str) -> bool:
    stmt = (
        update(model)
        .where(col(model.team_id) == team_id, col(model.channel_id) == channel_id, col(model.ended_at).is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount >= 1)


def live_schedules(model: type[Schedule], *, session: Session) -> list[Schedule]:
    stmt = select(model).where(col(model.ended_at).is_(None))
    return list(session.exec(stmt.order_by(col(model.created_at))).all())


def get_schedule(model: type[Schedule], *, session: Session, team_id: str, channel_id: str) -> Schedule | None:
    stmt = select(model).where(
        col(model.team_id) == team_id, col(model.channel_id) == channel_id, col(model.ended_at).is_(None)
    )
    return session.exec(stmt).first()


def claim_occurrence(model: type[Schedule], *, session: Session, schedule_id: uuid.UUID, local_date: str) -> bool:
    """Take this occurrence of the schedule (compare-and-set on the date): True for the one replica that sends it."""
    stmt = (
        update(model)
        .where(
            col(model.id) == schedule_id,
            col(model.ended_at).is_(None),
            or_(col(model.last_sent_on).is_(None), col(model.last_sent_on) < local_date),
        )
        .values(last_sent_on=local_date)
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount == 1)


def owe_occurrence(
    model: type[Schedule],
    *,
    session: Session,
    schedule_id: uuid.UUID,
    local_date: str,
    fingerprint: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Take this occurrence and owe it to the channel's outbox, in the caller's transaction: True for the one caller
    that did (the schedule's date is a compare-and-set; the row is keyed by channel and `fingerprint`, so a schedule
    replaced the same day owes nothing twice; `now`: the notifier's clock, the row's creation). An older one of the
    channel still waiting (Slack refused it) is given up: this one replaces it."""
    schedule = session.get(model, schedule_id)
    if schedule is None or not claim_occurrence(model, session=session, schedule_id=schedule_id, local_date=local_date):
        return False
    channel = (schedule.team_id, schedule.channel_id)
    if not enqueue_channel_post(
        session=session,
        team_id=channel[0],
        channel_id=channel[1],
        fingerprint=fingerprint,
        kind=kind,
        payload=payload,
        now=now,
    ):
        return False
    give_up_channel_posts(
        session=session, channel=channel, kind=kind, keep=fingerprint, reason=f"replaced by {fingerprint}"
    )
    return True


def prune_ended_schedules(model: type[Schedule], *, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` schedules turned off before `older_than`; how many went."""
    old = select(col(model.id)).where(col(model.ended_at).is_not(None), col(model.ended_at) < older_than).limit(limit)
    stmt = delete(model).where(col(model.id).in_(old.scalar_subquery()))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
