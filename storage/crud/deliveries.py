"""Slack deliveries and clicks already handled, so a redelivery finds its key and stops."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.columns import utcnow
from storage.models import ProcessedDelivery

from ._common import insert_ignore


def mark_delivery_processed(*, session: Session, key: str) -> bool:
    """True only the first time `key` is seen (committed with the work it guards)."""
    return insert_ignore(session, ProcessedDelivery, {"key": key, "created_at": utcnow()}, conflict=("key",))


def prune_processed_deliveries(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Forget up to `limit` delivery keys older than any redelivery (Slack retries for minutes, not days); how many
    went."""
    old = (
        select(col(ProcessedDelivery.key))
        .where(col(ProcessedDelivery.created_at) < older_than)
        .order_by(col(ProcessedDelivery.created_at))
        .limit(limit)
    )
    stmt = delete(ProcessedDelivery).where(col(ProcessedDelivery.key).in_(old.scalar_subquery()))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
