"""The daily digest owed to a channel's outbox: once a day whatever races, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from storage import crud
from storage.db import session_scope
from storage.enums import OutboxStatus
from storage.models import OutboxMessage

Concurrently = Callable[[int, Callable[[int], Any]], list[Any]]


def _schedule(engine: Engine) -> uuid.UUID:
    with session_scope(engine) as session:
        return crud.set_digest_schedule(
            session=session, team_id="T1", channel_id="C1", at_time="08:00", tz="UTC", backend=None, created_by="U1"
        ).id


def _owe(engine: Engine, schedule_id: uuid.UUID, day: str) -> bool:
    with session_scope(engine) as session:
        return crud.owe_digest(
            session=session,
            schedule_id=schedule_id,
            local_date=day,
            fingerprint=f"digest:{day}",
            kind="digest",
            payload={"day": day},
        )


def _rows(engine: Engine) -> dict[str, OutboxMessage]:
    with session_scope(engine) as session:
        return {r.fingerprint: r for r in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at)))}


def test_replicas_racing_for_the_days_digest_owe_it_once(engine: Engine, concurrently: Concurrently) -> None:
    schedule_id = _schedule(engine)
    assert concurrently(12, lambda i: _owe(engine, schedule_id, "2026-12-03")).count(True) == 1
    (row,) = _rows(engine).values()
    assert (row.watch_id, row.team_id, row.channel_id, row.status) == (None, "T1", "C1", OutboxStatus.PENDING)
    with session_scope(engine) as session:
        assert crud.due_outbox_watches(session=session, now=row.next_attempt_at) == []  # a lane of its own
        assert crud.due_outbox_channels(session=session, now=row.next_attempt_at) == [("T1", "C1")]
        assert [r.id for r in crud.unsent_outbox(session=session, channel=("T1", "C1"))] == [row.id]


def test_a_schedule_replaced_the_same_day_owes_nothing_more_and_the_next_day_replaces_a_waiting_one(
    engine: Engine,
) -> None:
    assert _owe(engine, _schedule(engine), "2026-12-03")
    again = _schedule(engine)  # `digest daily` set again the same day: a new schedule
    assert not _owe(engine, again, "2026-12-03")
    assert list(_rows(engine)) == ["digest:2026-12-03"]

    assert _owe(engine, again, "2026-12-04")  # the 3rd's never went out (Slack refused it all day)
    rows = _rows(engine)
    assert rows["digest:2026-12-03"].status == OutboxStatus.DEAD
    assert rows["digest:2026-12-03"].last_error == "replaced by digest:2026-12-04"
    assert rows["digest:2026-12-04"].status == OutboxStatus.PENDING
    with session_scope(engine) as session:  # another channel's posts and a watch's rows are other lanes
        watch, _ = crud.create_watch(
            session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="11", created_by="U1"
        )
        session.flush()
        assert crud.enqueue_outbox(
            session=session, watch_id=watch.id, fingerprint="digest:2026-12-04", kind="x", payload={}
        )
        assert crud.enqueue_channel_post(
            session=session, team_id="T1", channel_id="C2", fingerprint="digest:2026-12-04", kind="digest", payload={}
        )
        assert not crud.enqueue_channel_post(
            session=session, team_id="T1", channel_id="C1", fingerprint="digest:2026-12-04", kind="digest", payload={}
        )
