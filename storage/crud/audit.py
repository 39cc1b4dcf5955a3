"""The audit trail of requests, decisions, carrier calls and watches."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import AuditEvent

AUDIT_CSV_FIELDS: tuple[str, ...] = ("at", "actor", "action", "approval_id", "backend", "subject", "detail", "id")


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
