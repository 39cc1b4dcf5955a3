"""Daily digests: one schedule per channel, owed once a day however many replicas look at it (the outbox posts it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import DigestSchedule

from .schedules import (
    claim_occurrence,
    end_schedule,
    get_schedule,
    live_schedules,
    owe_occurrence,
    prune_ended_schedules,
    set_schedule,
)


def set_digest_schedule(
    *, session: Session, team_id: str, channel_id: str, at_time: str, tz: str, backend: str | None, created_by: str
) -> DigestSchedule:
    """The channel's daily digest at `at_time` in `tz`, replacing the one it had."""
    return set_schedule(
        DigestSchedule,
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        at_time=at_time,
        tz=tz,
        backend=backend,
        created_by=created_by,
    )


def end_digest_schedule(*, session: Session, team_id: str, channel_id: str) -> bool:
    return end_schedule(DigestSchedule, session=session, team_id=team_id, channel_id=channel_id)


def live_digest_schedules(*, session: Session) -> list[DigestSchedule]:
    return live_schedules(DigestSchedule, session=session)


def get_digest_schedule(*, session: Session, team_id: str, channel_id: str) -> DigestSchedule | None:
    return get_schedule(DigestSchedule, session=session, team_id=team_id, channel_id=channel_id)


def claim_digest(*, session: Session, schedule_id: uuid.UUID, local_date: str) -> bool:
    """Take today's digest of this schedule (compare-and-set on the date): True for the one replica that sends it."""
    return claim_occurrence(DigestSchedule, session=session, schedule_id=schedule_id, local_date=local_date)


def owe_digest(
    *, session: Session, schedule_id: uuid.UUID, local_date: str, fingerprint: str, kind: str, payload: dict[str, Any]
) -> bool:
    """Take the day's digest of this schedule and owe it to the channel's outbox (`owe_occurrence`)."""
    return owe_occurrence(
        DigestSchedule,
        session=session,
        schedule_id=schedule_id,
        local_date=local_date,
        fingerprint=fingerprint,
        kind=kind,
        payload=payload,
    )


def prune_ended_digest_schedules(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` schedules turned off before `older_than`; how many went."""
    return prune_ended_schedules(DigestSchedule, session=session, older_than=older_than, limit=limit)
