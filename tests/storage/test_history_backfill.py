"""Migration 0012 backfills the order history from what the tables before it knew: each order watch's start, its
snapshot (state, label, dates, errors), its change sets and the per-event rows of the notifier before change sets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bot.history.keep import entry_of
from integrations.states import OrderState
from storage import crud, migrate
from storage.db import make_engine, session_scope

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(day: int, hour: int = 9) -> str:
    return datetime(2026, 11, day, hour, 0).isoformat(sep=" ")  # SQLite's own text form; PostgreSQL parses it


def test_the_migration_backfills_history_from_watches_snapshots_and_outbox_rows(db_url: str) -> None:
    migrate.upgrade(db_url, "0011")
    engine = make_engine(db_url, poolclass=NullPool)
    a, b, product = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    snapshot = {
        "version": 1,
        "view": {
            "backend": "wholesale",
            "id": "W1",
            "reference": "wholesale:W1",
            "state": "completed",
            "external_ids": ["ACME-42"],
            "description": "Fibre 1G Lyon",
            "order_date": "2026-11-01T08:00:00+00:00",
            "requested_completion_date": "2026-11-20T00:00:00+00:00",
            "expected_completion_date": "2026-11-18T00:00:00+00:00",
            "completion_date": "2026-11-19T15:00:00+00:00",
            "error_messages": [
                {"item_id": "1", "message": "Site closed", "reason": "ORT", "status": "closed",
                 "timestamp": "2026-11-05T10:00:00+00:00"}
            ],
        },
        "states": {},
        "transitions": {"order:>acknowledged": 1, "order:acknowledged>inProgress": 1},
    }  # fmt: skip
    moved = {
        "changes": {
            "order_ref": "wholesale:W1",
            "events": [
                {"kind": "order_state", "order_ref": "wholesale:W1", "old": "acknowledged", "new": "in_progress",
                 "fingerprint": "f1"},
                {"kind": "item_state", "order_ref": "wholesale:W1", "item_id": "1", "old": "acknowledged",
                 "new": "in_progress", "fingerprint": "f2"},
            ],
        },
        "seq": 0,
    }  # fmt: skip
    legacy = {
        "text": "error",
        "seq": 0,
        "event": {"kind": "error_opened", "order_ref": "wholesale:W1", "item_id": "1", "message": "Site closed",
                  "reason": "ORT", "timestamp": "2026-11-05T10:00:00+00:00", "fingerprint": "f3"},
    }  # fmt: skip
    watch_sql = sa.text(
        "INSERT INTO watch (id, team_id, channel_id, kind, backend, order_id, created_by, filter, created_at,"
        " consecutive_failures) VALUES (:id, 'T1', :channel, :kind, 'wholesale', :order, 'U1', 'all', :at, 0)"
    )
    outbox_sql = sa.text(
        "INSERT INTO outbox_message (id, watch_id, fingerprint, kind, payload, broadcast, status, attempts,"
        " next_attempt_at, uncertain, created_at) VALUES (:id, :watch, :fp, :kind, :payload, false, 'sent', 1, :at,"
        " false, :at)"
    )
    with engine.begin() as conn:
        conn.execute(watch_sql, {"id": a.hex if "sqlite" in db_url else a, "channel": "C1", "kind": "order",
                                 "order": "W1", "at": _at(2)})  # fmt: skip
        # A second channel's watch of the same order (later): one history, not two.
        conn.execute(watch_sql, {"id": b.hex if "sqlite" in db_url else b, "channel": "C2", "kind": "order",
                                 "order": "W1", "at": _at(3)})  # fmt: skip
        conn.execute(watch_sql, {"id": product.hex if "sqlite" in db_url else product, "channel": "C1",
                                 "kind": "product", "order": "P1", "at": _at(2)})  # fmt: skip

        def uid(u: uuid.UUID) -> object:
            return u.hex if "sqlite" in db_url else u

        conn.execute(
            sa.text("INSERT INTO order_snapshot (watch_id, view, digest, updated_at) VALUES (:w, :view, 'd', :at)"),
            {"w": uid(a), "view": json.dumps(snapshot), "at": _at(19, 16)},
        )
        for watch in (a, b):  # both channels were owed the same change set
            conn.execute(outbox_sql, {"id": uid(uuid.uuid4()), "watch": uid(watch), "fp": "changes:abc",
                                      "kind": "changes", "payload": json.dumps(moved), "at": _at(4)})  # fmt: skip
        conn.execute(outbox_sql, {"id": uid(uuid.uuid4()), "watch": uid(a), "fp": "f3", "kind": "error_opened",
                                  "payload": json.dumps(legacy), "at": _at(5, 11)})  # fmt: skip
    engine.dispose()

    migrate.upgrade(db_url)
    engine = make_engine(db_url, poolclass=NullPool)
    with session_scope(engine) as session:
        rows = crud.history_of(session=session, team_id="T1", backend="wholesale", order_id="W1")
        entries = [entry_of(r) for r in rows]
        assert crud.history_of(session=session, team_id="T1", backend="wholesale", order_id="P1") == []
    engine.dispose()

    assert [(e.kind, e.seen_at.day, e.state) for e in entries] == [
        ("seen", 2, OrderState.acknowledged),
        ("changes", 4, OrderState.in_progress),
        ("changes", 5, None),
        ("dates", 19, OrderState.completed),
    ]
    error = entries[2].marks[0]
    assert (error.kind, error.item_id, error.text, error.reason) == ("error_opened", "1", "Site closed", "ORT")
    assert error.at == datetime(2026, 11, 5, 10, tzinfo=UTC)
    last = entries[-1]
    assert last.label == "ACME-42 · Fibre 1G Lyon"
    assert last.completion_date == last.happened_at == datetime(2026, 11, 19, 15, tzinfo=UTC)
    assert last.requested_date == datetime(2026, 11, 20, tzinfo=UTC)
    assert [m.kind for m in last.marks] == ["error_opened", "error_closed"]
