"""Counts for the operators' metrics, read at scrape time: the outbox's backlog, approvals, watches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.columns import utcnow
from storage.enums import OutboxStatus
from storage.models import Approval, OutboxMessage, Subscription, Watch


@dataclass(frozen=True)
class OperationalCounts:
    outbox_pending: int
    outbox_oldest_seconds: float
    """Age of the oldest post still owed (0 when none)."""
    outbox_dead: int
    approvals: dict[str, int] = field(default_factory=dict)
    watches_live: int = 0
    watches_paused: int = 0
    subscriptions_live: int = 0


def operational_counts(*, session: Session, now: datetime | None = None) -> OperationalCounts:
    now = now or utcnow()
    owed = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
    pending = session.exec(select(func.count()).where(col(OutboxMessage.status).in_(owed))).one()
    oldest = session.exec(
        select(col(OutboxMessage.created_at))
        .where(col(OutboxMessage.status).in_(owed))
        .order_by(col(OutboxMessage.created_at))
        .limit(1)
    ).first()
    dead = session.exec(select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.DEAD.value)).one()
    approvals = dict(session.exec(select(col(Approval.state), func.count()).group_by(col(Approval.state))).all())
    live = col(Watch.ended_at).is_(None)
    watches = session.exec(select(func.count()).where(live)).one()
    paused = session.exec(select(func.count()).where(live, col(Watch.paused_at).is_not(None))).one()
    rules = session.exec(select(func.count()).where(col(Subscription.ended_at).is_(None))).one()
    return OperationalCounts(
        outbox_pending=int(pending),
        outbox_oldest_seconds=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
        outbox_dead=int(dead),
        approvals={str(k): int(v) for k, v in approvals.items()},
        watches_live=int(watches),
        watches_paused=int(paused),
        subscriptions_live=int(rules),
    )
