"""Timestamps come back aware UTC and JSON comes back as it went in, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import select

from storage import crud
from storage.db import session_scope
from storage.models import Approval, AuditEvent, OrderSnapshot, OutboxMessage, Watch

PARIS_SUMMER = timezone(timedelta(hours=2))

NESTED: dict[str, Any] = {
    "id": "de76cfa1-9a55-412f-a9ee-61ca2f662a63",
    "state": "inProgress",
    "note": "Délai dépassé — 遅延 🚧 «ÉTÉ»",
    "productOrderItem": [
        {"id": "1", "state": "acknowledged", "quantity": 2, "price": 12.5, "flags": [True, False, None]},
        {"id": "2", "milestone": {"name": "Étude", "date": "2024-06-01T10:00:00Z", "empty": {}, "none": []}},
    ],
    "deep": {"a": {"b": {"c": {"d": ["e", {"f": "g"}]}}}},
    "big": 2**53 + 1,
    "negative": -0.25,
}


def _watch(session: Any, **kwargs: Any) -> Watch:
    watch, _ = crud.create_watch(
        session=session, team_id="T", channel_id="C", backend="wholesale", order_id="O1", created_by="U", **kwargs
    )
    return watch


def test_timestamps_read_back_aware_utc(engine: Engine) -> None:
    poll_at = datetime(2024, 6, 1, 12, 30, 15, 123456, tzinfo=PARIS_SUMMER)
    with session_scope(engine) as session:
        watch_id = _watch(session, next_poll_at=poll_at).id
        crud.end_watch(session=session, watch_id=watch_id, reason="completed")
    with session_scope(engine) as session:
        stored = session.get(Watch, watch_id)
        assert stored is not None
        for value in (stored.created_at, stored.ended_at, stored.next_poll_at):
            assert value is not None
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert stored.next_poll_at == poll_at
        assert stored.next_poll_at.hour == 10  # 12:30 in Paris is 10:30 UTC
        assert abs(stored.created_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_comparisons_across_offsets(engine: Engine) -> None:
    base = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        early, _ = crud.create_watch(
            session=session,
            team_id="T",
            channel_id="C",
            backend="carrier",
            order_id="1",
            created_by="U",
            next_poll_at=base,
        )
        crud.create_watch(
            session=session,
            team_id="T",
            channel_id="C",
            backend="carrier",
            order_id="2",
            created_by="U",
            next_poll_at=base + timedelta(minutes=30),
        )
    # 12:15 in Paris is 10:15 UTC: only the first watch is due.
    with session_scope(engine) as session:
        due = crud.claim_due_watches(
            session=session,
            owner="p",
            lease=timedelta(minutes=1),
            now=datetime(2024, 6, 1, 12, 15, tzinfo=PARIS_SUMMER),
        )
    assert [w.id for w in due] == [early.id]


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        with session_scope(engine) as session:
            watch = _watch(session)
            crud.end_watch(session=session, watch_id=watch.id, reason="x", at=datetime(2024, 1, 1))


def test_json_round_trips(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch = _watch(session)
        crud.save_snapshot(session=session, watch_id=watch.id, view=NESTED)
        crud.enqueue_outbox(
            session=session,
            watch_id=watch.id,
            fingerprint="f",
            kind="order_state",
            payload={"text": "é", "blocks": [NESTED]},
        )
        approval = crud.create_approval(
            session=session,
            kind="cancel_order",
            team_id="T",
            channel_id="C",
            requester_id="U",
            backend="wholesale",
            target_id="O1",
            payload=NESTED,
        )
        crud.record_audit(
            session=session, actor="U", action="approval.requested", approval_id=approval.id, detail=NESTED
        )
    with session_scope(engine) as session:
        snapshot = session.get(OrderSnapshot, watch.id)
        assert snapshot is not None and snapshot.view == NESTED
        (message,) = crud.list_outbox(session=session, watch_id=watch.id)
        assert message.payload == {"text": "é", "blocks": [NESTED]}
        stored = session.get(Approval, approval.id)
        assert stored is not None and stored.payload == NESTED
        assert stored.result is None
        event = session.exec(select(AuditEvent)).one()
        assert event.detail == NESTED


def test_none_in_a_json_column_is_sql_null(engine: Engine) -> None:
    with session_scope(engine) as session:
        approval = crud.create_approval(
            session=session,
            kind="quote_order",
            team_id="T",
            channel_id="C",
            requester_id="U",
            backend="carrier",
            target_id="Q",
        )
    with engine.connect() as connection:
        is_null = connection.exec_driver_sql("SELECT result IS NULL FROM approval").scalar()
    assert is_null in (True, 1)
    assert approval.result is None


def test_outbox_defaults(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch = _watch(session)
        crud.enqueue_outbox(
            session=session, watch_id=watch.id, fingerprint="f", kind="final", payload={}, broadcast=True
        )
    with session_scope(engine) as session:
        (message,) = crud.list_outbox(session=session, watch_id=watch.id)
    assert isinstance(message, OutboxMessage)
    assert (message.status, message.attempts, message.broadcast, message.kind) == ("pending", 0, True, "final")
    assert message.next_attempt_at.tzinfo is not None and message.created_at.tzinfo is not None
