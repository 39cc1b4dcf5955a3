"""order_history: every kept read of a watched order (the history `/orange history` and `/orange report` read);
report_schedule: `/orange report weekly <day> HH:MM [tz]`.

Reviewed by hand. The upgrade backfills order_history from what the existing tables know, for order watches:

* each watch's start: a `seen` row at `watch.created_at` (its first state from the snapshot's `order:>…` transition);
* each change set owed to a watch's thread (outbox rows of kind `changes`, sent or not) and each per-event row of
  the notifier before change sets (`order_state`, `error_opened`, …, with the event in the payload): a `changes`
  row at the row's creation, with the order's move, the errors, milestones and alerts it carried;
* each stored snapshot: a `dates` row at its last update, with the order's state, label, dates and the errors and
  milestones it lists.

Rows of two channels watching one order collapse on the key (team, backend, order, fingerprint), the first kept.
This copy of the conversion is frozen here on purpose (the code's may change; a migration must not).
The downgrade drops both tables.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:50:30
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

from storage.columns import JSONDocument, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINAL = frozenset({"completed", "cancelled", "rejected", "failed", "partial"})
_MARKS = {"error_opened": "error_opened", "error_closed": "error_closed", "milestone_added": "milestone",
          "jeopardy_alert": "jeopardy"}  # fmt: skip
_LEGACY = frozenset({"order_state", "item_state", "error_opened", "error_closed", "milestone_added",
                     "jeopardy_alert", "final"})  # fmt: skip
_BATCH = 500


def _history_table() -> sa.Table:
    return sa.Table(
        "order_history",
        sa.MetaData(),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seen_at", UTCDateTime, nullable=False),
        sa.Column("happened_at", UTCDateTime, nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("order_date", UTCDateTime, nullable=True),
        sa.Column("requested_date", UTCDateTime, nullable=True),
        sa.Column("expected_date", UTCDateTime, nullable=True),
        sa.Column("completion_date", UTCDateTime, nullable=True),
        sa.Column("marks", JSONDocument, nullable=False),
        sa.Column("moves", JSONDocument, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "backend", "order_id", "fingerprint", name="pk_order_history"),
    )


def upgrade() -> None:
    history = _history_table()
    history.create(op.get_bind())
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.create_index("ix_order_history_team_id_seen_at", ["team_id", "seen_at"], unique=False)

    op.create_table(
        "report_schedule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("backend", sa.String(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at_time", sa.String(), nullable=False),
        sa.Column("tz", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_on", sa.String(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedule")),
    )
    with op.batch_alter_table("report_schedule", schema=None) as batch_op:
        batch_op.create_index(
            "uq_report_schedule_live",
            ["team_id", "channel_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
    _backfill(history)


def downgrade() -> None:
    with op.batch_alter_table("report_schedule", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_report_schedule_live",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
    op.drop_table("report_schedule")
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.drop_index("ix_order_history_team_id_seen_at")
    op.drop_table("order_history")


# --- the backfill --------------------------------------------------------------------------------


def _backfill(history: sa.Table) -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    watch = sa.Table(
        "watch",
        meta,
        sa.Column("id", sa.Uuid()),
        sa.Column("team_id", sa.String()),
        sa.Column("backend", sa.String()),
        sa.Column("order_id", sa.String()),
        sa.Column("kind", sa.String()),
        sa.Column("created_at", UTCDateTime),
    )
    snapshot = sa.Table(
        "order_snapshot",
        meta,
        sa.Column("watch_id", sa.Uuid()),
        sa.Column("view", JSONDocument),
        sa.Column("updated_at", UTCDateTime),
    )
    outbox = sa.Table(
        "outbox_message",
        meta,
        sa.Column("watch_id", sa.Uuid()),
        sa.Column("fingerprint", sa.String()),
        sa.Column("kind", sa.String()),
        sa.Column("payload", JSONDocument),
        sa.Column("created_at", UTCDateTime),
    )
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        if rows:
            _insert_ignore(bind, history, rows)
            rows.clear()

    joined = sa.select(watch, snapshot.c.view, snapshot.c.updated_at).select_from(
        watch.outerjoin(snapshot, snapshot.c.watch_id == watch.c.id)
    )
    for w in bind.execute(joined.where(watch.c.kind == "order").order_by(watch.c.created_at)).mappings():
        key = {"team_id": w["team_id"], "backend": w["backend"], "order_id": w["order_id"]}
        stored = _json(w["view"]) or {}
        view = stored.get("view") if isinstance(stored.get("view"), Mapping) else {}
        first = next((k.split(">", 1)[1] for k in stored.get("transitions") or {} if k.startswith("order:>")), None)
        rows.append(_row(key, "seen", "seen", w["created_at"], state=first))
        if view and w["updated_at"] is not None:
            rows.append(_snapshot_row(key, view, w["updated_at"]))
        if len(rows) >= _BATCH:
            flush()
    flush()

    changes = (
        sa.select(
            watch.c.team_id,
            watch.c.backend,
            watch.c.order_id,
            outbox.c.fingerprint,
            outbox.c.kind,
            outbox.c.payload,
            outbox.c.created_at,
        )  # fmt: skip
        .select_from(outbox.join(watch, outbox.c.watch_id == watch.c.id))
        .where(watch.c.kind == "order", outbox.c.kind.in_(["changes", *_LEGACY]))
        .order_by(outbox.c.created_at)
    )
    for r in bind.execute(changes).mappings():
        payload = _json(r["payload"]) or {}
        if r["kind"] == "changes":
            events = ((payload.get("changes") or {}).get("events")) or []
        else:
            events = [payload.get("event")] if isinstance(payload.get("event"), Mapping) else []
        events = [e for e in events if isinstance(e, Mapping)]
        if not events:
            continue
        key = {"team_id": r["team_id"], "backend": r["backend"], "order_id": r["order_id"]}
        rows.append(_changes_row(key, str(r["fingerprint"]), events, r["created_at"]))
        if len(rows) >= _BATCH:
            flush()
    flush()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _at(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row(key: Mapping[str, str], kind: str, fingerprint: str, seen_at: datetime, **values: Any) -> dict[str, Any]:
    state = values.get("state")
    return {
        **key,
        "fingerprint": fingerprint,
        "kind": kind,
        "seen_at": seen_at,
        "happened_at": values.get("happened_at"),
        "state": state,
        "final": state in _FINAL,
        "label": values.get("label"),
        "order_date": values.get("order_date"),
        "requested_date": values.get("requested_date"),
        "expected_date": values.get("expected_date"),
        "completion_date": values.get("completion_date"),
        "marks": values.get("marks") or [],
        "moves": values.get("moves") or [],
    }


def _label(view: Mapping[str, Any]) -> str | None:
    refs = " / ".join(dict.fromkeys(r for r in (*(view.get("external_ids") or ()), view.get("buyer_pon")) if r))
    parts = [
        " ".join(str(p).split()) for p in (refs, view.get("description"), view.get("place")) if p and str(p).strip()
    ]
    return " · ".join(parts) or None


def _snapshot_marks(view: Mapping[str, Any]) -> Iterator[list[Any]]:
    for e in view.get("error_messages") or ():
        yield ["error_opened", e.get("item_id"), e.get("message"), e.get("reason"), e.get("code"), e.get("timestamp")]
        if e.get("status") == "closed":
            yield [
                "error_closed",
                e.get("item_id"),
                e.get("message"),
                e.get("reason"),
                e.get("code"),
                e.get("timestamp"),
            ]
    for m in view.get("milestones") or ():
        yield ["milestone", m.get("item_id"), m.get("name") or m.get("message"), None, None, m.get("date")]
    for j in view.get("jeopardy_alerts") or ():
        yield ["jeopardy", j.get("item_id"), j.get("name") or j.get("message"), None, None, j.get("date")]


def _snapshot_row(key: Mapping[str, str], view: Mapping[str, Any], updated_at: datetime) -> dict[str, Any]:
    state = view.get("state") if view.get("state") not in (None, "unknown") else None
    completion = _at(view.get("completion_date"))
    return _row(
        key,
        "dates",
        "backfill:snapshot",
        updated_at,
        state=state,
        happened_at=completion if state == "completed" else None,
        label=_label(view),
        order_date=_at(view.get("order_date")),
        requested_date=_at(view.get("requested_completion_date")),
        expected_date=_at(view.get("expected_completion_date")),
        completion_date=completion,
        marks=list(_snapshot_marks(view)),
    )


def _changes_row(
    key: Mapping[str, str], fingerprint: str, events: Sequence[Mapping[str, Any]], seen_at: datetime
) -> dict[str, Any]:
    state = next((e.get("new") for e in events if e.get("kind") in ("order_state", "final") and e.get("new")), None)
    marks = [
        [_MARKS[e["kind"]], e.get("item_id"), e.get("message") if e["kind"].startswith("error") else
         (e.get("name") or e.get("message")), e.get("reason"), e.get("code"), e.get("timestamp")]
        for e in events if e.get("kind") in _MARKS
    ]  # fmt: skip
    moves = [[e.get("item_id"), e.get("old"), e.get("new")] for e in events if e.get("kind") == "item_state"]
    return _row(key, "changes", fingerprint, seen_at, state=state, marks=marks, moves=moves)


def _insert_ignore(bind: sa.engine.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    conflict = ["team_id", "backend", "order_id", "fingerprint"]
    for row in rows:  # one by one: a batch's own duplicates (two channels, one order) must not abort it
        if bind.dialect.name == "postgresql":
            bind.execute(postgresql.insert(table).values(**row).on_conflict_do_nothing(index_elements=conflict))
        else:
            bind.execute(sqlite.insert(table).values(**row).on_conflict_do_nothing(index_elements=conflict))
