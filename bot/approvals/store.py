"""Database helpers the approvals need beyond storage/crud (kept here: crud belongs to the storage layer)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalState
from storage.models import Approval

__all__ = ["LIVE_STATES", "list_submitting", "open_approval", "set_message_ts"]

LIVE_STATES = (ApprovalState.PENDING.value, ApprovalState.SUBMITTING.value, ApprovalState.SUBMITTED.value)


def set_message_ts(*, session: Session, approval_id: uuid.UUID, message_ts: str) -> bool:
    """Remember where the request was posted (not a state change: the version stays)."""
    stmt = (
        update(Approval)
        .where(col(Approval.id) == approval_id)
        .values(message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount == 1)


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
    lock_suffix: str | None = None,
) -> tuple[Approval, bool]:
    """A new pending approval, or the live one (pending, submitting, submitted) already there for the same target.

    Two racing requests for the same target: a delivery key numbered after the approvals already stored lets
    exactly one of them insert.
    """
    same = select(Approval).where(
        col(Approval.kind) == kind, col(Approval.backend) == backend, col(Approval.target_id) == target_id
    )
    existing = list(session.exec(same.order_by(col(Approval.created_at))).all())
    live = [a for a in existing if a.state in LIVE_STATES]
    if live:
        return live[-1], False
    key = f"approval-open:{kind}:{backend}:{target_id}:{len(existing)}:{lock_suffix or ''}"
    if not crud.mark_delivery_processed(session=session, key=key[:255]):
        again = list(session.exec(same.order_by(col(Approval.created_at))).all())
        live = [a for a in again if a.state in LIVE_STATES]
        if live:
            return live[-1], False
        raise RuntimeError("a concurrent request for the same approval target")
    approval = crud.create_approval(
        session=session,
        kind=kind,
        team_id=team_id,
        channel_id=channel_id,
        requester_id=requester_id,
        backend=backend,
        target_id=target_id,
        payload=payload,
        message_ts=message_ts,
    )
    return approval, True


def list_submitting(*, session: Session, updated_before: datetime | None = None) -> list[Approval]:
    """Approvals left `submitting` (the carrier was, or was about to be, called), oldest first."""
    stmt = select(Approval).where(col(Approval.state) == ApprovalState.SUBMITTING.value)
    if updated_before is not None:
        stmt = stmt.where(col(Approval.updated_at) <= updated_before)
    return list(session.exec(stmt.order_by(col(Approval.updated_at))).all())


def now() -> datetime:
    return utcnow()
