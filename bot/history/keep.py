"""History kept as the notifier reads orders: each read of a watched order that changed something is one row of
`order_history`, written in the read's own transaction (with its snapshot and outbox rows: kept once, never lost).

    keep_first_read(session, team_id=…, view=view, now=now)          # a watch began: where the history starts
    keep_read(session, team_id=…, view=view, events=events, previous=previous_view, now=now)
    entry_of(row)                                                    # a row as `bot.history.compute` reads it

A read is kept as `changes` when it has events (every event, whatever the watch shows: an `errors` watch keeps the
order's moves too), as `dates` when only Orange's dates (requested, expected, completion) moved, and not at all
otherwise. Rows are keyed by (team, order, fingerprint): a change set's own fingerprint, so two channels watching one
order, a replayed read or a second replica keep one row — the first to see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.history.entries import Entry, Mark
from bot.notify.changes import change_set
from bot.notify.diff import Event, EventKind, utc_text
from integrations.states import OrderState, is_final, normalize_order_state
from integrations.types.common import as_datetime
from integrations.views import OrderView, order_label
from storage import crud
from storage.digest import short_digest
from storage.models import OrderHistory

__all__ = ["entry_of", "keep_first_read", "keep_read", "marks_of", "view_marks"]

SEEN = "seen"
"""The fingerprint (and kind) of an order's first read by a workspace."""

_MARK_OF: dict[EventKind, str] = {
    EventKind.error_opened: "error_opened",
    EventKind.error_closed: "error_closed",
    EventKind.milestone_added: "milestone",
    EventKind.jeopardy_alert: "jeopardy",
}


def marks_of(events: Iterable[Event]) -> list[list[Any]]:
    """The errors, milestones and alerts of a change set, as stored: `[kind, item, text, reason, code, at]`."""
    marks: list[list[Any]] = []
    for e in events:
        kind = _MARK_OF.get(e.kind)
        if kind is None:
            continue
        text = e.message if kind.startswith("error") else (e.name or e.message)
        marks.append([kind, e.item_id, text, e.reason, e.code, utc_text(e.timestamp)])
    return marks


def view_marks(view: OrderView) -> list[list[Any]]:
    """What an order shows when first read: its errors (opened, and closed ones closed), milestones and alerts."""
    marks: list[list[Any]] = []
    for e in view.error_messages:
        mark = [e.item_id, e.message, e.reason, e.code, utc_text(e.timestamp)]
        marks.append(["error_opened", *mark])
        if not e.is_open:
            marks.append(["error_closed", *mark])
    marks += [["milestone", m.item_id, m.name or m.message, None, None, utc_text(m.date)] for m in view.milestones]
    marks += [["jeopardy", j.item_id, j.name or j.message, None, None, utc_text(j.date)] for j in view.jeopardy_alerts]
    return marks


def _dates(view: OrderView) -> tuple[datetime | None, ...]:
    return (
        view.order_date,
        view.requested_completion_date,
        view.expected_completion_date,
        view.completion_date,
    )


def _values(view: OrderView, *, kind: str, fingerprint: str, now: datetime, **extra: Any) -> dict[str, Any]:
    known = view.state is not OrderState.unknown
    label = order_label(view)
    return {
        "backend": view.backend,
        "order_id": view.id,
        "fingerprint": fingerprint,
        "kind": kind,
        "seen_at": now,
        "happened_at": view.completion_date if view.state is OrderState.completed else None,
        "state": view.state.value if known else None,
        "final": known and is_final(view.state),
        "label": None if label == view.reference else label,
        "order_date": view.order_date,
        "requested_date": view.requested_completion_date,
        "expected_date": view.expected_completion_date,
        "completion_date": view.completion_date,
        **extra,
    }


def keep_first_read(session: Session, *, team_id: str, view: OrderView, now: datetime) -> bool:
    """A watch of the order began in this workspace: the start of its history (kept once per workspace: a second
    channel's watch of the same order starts nothing). True when kept."""
    values = _values(view, kind=SEEN, fingerprint=SEEN, now=now, marks=view_marks(view))
    return crud.keep_history(session=session, team_id=team_id, values=values)


def keep_read(
    session: Session,
    *,
    team_id: str,
    view: OrderView,
    events: Sequence[Event],
    previous: OrderView | None,
    now: datetime,
) -> bool:
    """One read of a watched order: a change set, or only dates that moved, or nothing. True when a row was kept."""
    if previous is None:
        return keep_first_read(session, team_id=team_id, view=view, now=now)
    changes = change_set(events, items_total=len(view.items))
    if changes is not None:
        moves = [[e.item_id, e.old.value if e.old else None, e.new.value if e.new else None]
                 for e in events if e.kind is EventKind.item_state]  # fmt: skip
        values = _values(view, kind="changes", fingerprint=changes.fingerprint, now=now, marks=marks_of(events),
                         moves=moves)  # fmt: skip
    elif _dates(view) != _dates(previous) and any(_dates(view)):
        fingerprint = "dates:" + short_digest([utc_text(d) for d in _dates(view)])
        values = _values(view, kind="dates", fingerprint=fingerprint, now=now)
    else:
        return False
    return crud.keep_history(session=session, team_id=team_id, values=values)


def _mark(raw: Sequence[Any]) -> Mark | None:
    try:
        kind, item_id, text, reason, code, at = raw
    except (TypeError, ValueError):
        return None
    if kind not in ("error_opened", "error_closed", "milestone", "jeopardy"):
        return None
    return Mark(kind=kind, item_id=item_id, text=text, reason=reason, code=code, at=as_datetime(at or None))


def _state(raw: str | None) -> OrderState | None:
    if not raw:
        return None
    try:
        return OrderState(raw)
    except ValueError:
        return normalize_order_state(raw)


def entry_of(row: OrderHistory | Any) -> Entry:
    """A stored row (or a row of the report's narrower query, with the same names) as the computations read it."""
    marks = tuple(m for m in (_mark(raw) for raw in (getattr(row, "marks", None) or ())) if m is not None)
    state = _state(row.state)
    return Entry(
        backend=row.backend,
        order_id=row.order_id,
        seen_at=row.seen_at,
        kind="seen" if row.kind == SEEN else "dates" if row.kind == "dates" else "changes",
        state=state if state is not OrderState.unknown else None,
        happened_at=row.happened_at,
        label=row.label,
        order_date=row.order_date,
        requested_date=row.requested_date,
        expected_date=row.expected_date,
        completion_date=row.completion_date,
        marks=marks,
    )
