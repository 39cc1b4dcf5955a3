"""Exactly once under races: threads released together, on a SQLite file (WAL) and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from storage import crud
from storage.db import session_scope
from storage.models import Approval, OutboxMessage, ProcessedDelivery, Watch

Concurrently = Callable[[int, Callable[[int], Any]], list[Any]]


def _watch(engine: Engine) -> uuid.UUID:
    with session_scope(engine) as session:
        watch, _ = crud.create_watch(
            session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="11", created_by="U0"
        )
    return watch.id


def test_create_watch_race(engine: Engine, concurrently: Concurrently) -> None:
    def attempt(i: int) -> tuple[uuid.UUID, bool]:
        with session_scope(engine) as session:
            watch, created = crud.create_watch(
                session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="11", created_by=f"U{i}"
            )
            return watch.id, created

    results = concurrently(20, attempt)
    assert sum(created for _, created in results) == 1
    assert len({watch_id for watch_id, _ in results}) == 1
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Watch)).one() == 1


def test_enqueue_outbox_race(engine: Engine, concurrently: Concurrently) -> None:
    watch_id = _watch(engine)

    def attempt(i: int) -> bool:
        with session_scope(engine) as session:
            return crud.enqueue_outbox(
                session=session,
                watch_id=watch_id,
                fingerprint="order_state:inProgress",
                kind="order_state",
                payload={"text": f"from thread {i}"},
            )

    results = concurrently(20, attempt)
    assert results.count(True) == 1
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 1


def test_transition_approval_race(engine: Engine, concurrently: Concurrently) -> None:
    with session_scope(engine) as session:
        approval = crud.create_approval(
            session=session,
            kind="quote_order",
            team_id="T1",
            channel_id="C1",
            requester_id="U1",
            backend="carrier",
            target_id="Q1",
        )

    def attempt(i: int) -> bool:
        with session_scope(engine) as session:
            return crud.transition_approval(
                session=session,
                approval_id=approval.id,
                expected_state="pending",
                expected_version=0,
                new_state="submitting",
                decided_by=f"U{i}",
            )

    results = concurrently(50, attempt)
    assert results.count(True) == 1
    winner = f"U{results.index(True)}"
    with session_scope(engine) as session:
        stored = session.get(Approval, approval.id)
        assert stored is not None
        assert (stored.state, stored.version, stored.decided_by) == ("submitting", 1, winner)


def test_mark_delivery_processed_race(engine: Engine, concurrently: Concurrently) -> None:
    def attempt(i: int) -> bool:
        with session_scope(engine) as session:
            return crud.mark_delivery_processed(session=session, key="Ev0123:action:approve")

    results = concurrently(20, attempt)
    assert results.count(True) == 1
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(ProcessedDelivery)).one() == 1


def test_claim_outbox_race(engine: Engine, concurrently: Concurrently) -> None:
    watch_id = _watch(engine)
    with session_scope(engine) as session:
        for n in range(30):
            crud.enqueue_outbox(session=session, watch_id=watch_id, fingerprint=f"f{n}", kind="milestone", payload={})
        ids = [m.id for m in crud.unsent_outbox(session=session, watch_id=watch_id)]

    def attempt(i: int) -> list[uuid.UUID]:
        claimed: list[uuid.UUID] = []
        for message_id in ids:
            with session_scope(engine) as session:
                now = datetime.now(UTC)
                taken = crud.claim_outbox_row(
                    session=session, message_id=message_id, token=f"s{i}", now=now, until=now + timedelta(minutes=1)
                )
                if taken is not None:
                    claimed.append(taken.id)
        return claimed

    claims = [message_id for batch in concurrently(10, attempt) for message_id in batch]
    assert len(claims) == len(set(claims)) == 30
    with session_scope(engine) as session:
        statuses = session.exec(select(col(OutboxMessage.status), col(OutboxMessage.attempts))).all()
    assert set(statuses) == {("sending", 1)}


def test_claim_due_watches_race(engine: Engine, concurrently: Concurrently) -> None:
    with session_scope(engine) as session:
        for n in range(12):
            crud.create_watch(
                session=session, team_id="T1", channel_id="C1", backend="carrier", order_id=str(n), created_by="U"
            )

    def attempt(i: int) -> list[uuid.UUID]:
        with session_scope(engine) as session:
            return [
                w.id for w in crud.claim_due_watches(session=session, owner=f"poller-{i}", lease=timedelta(minutes=1))
            ]

    claims = [watch_id for batch in concurrently(8, attempt) for watch_id in batch]
    assert len(claims) == len(set(claims)) == 12


def test_savepoint_path_when_the_read_misses_the_winner(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller whose first read missed a just-committed watch hits the index and gets that watch back."""
    winner = _watch(engine)
    real = crud.get_live_watch
    reads: list[Watch | None] = []

    def stale_first_read(**kwargs: Any) -> Watch | None:
        found = None if not reads else real(**kwargs)
        reads.append(found)
        return found

    monkeypatch.setattr(crud.watches, "get_live_watch", stale_first_read)
    with session_scope(engine) as session:
        watch, created = crud.create_watch(
            session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="11", created_by="U9"
        )
        assert (watch.id, created) == (winner, False)
        assert len(reads) == 2  # the stale read, then the re-read after the IntegrityError
        # Only the SAVEPOINT was rolled back: the transaction goes on.
        _, created_other = crud.create_watch(
            session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="12", created_by="U9"
        )
        assert created_other
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Watch)).one() == 2


def test_one_walk_per_backend_across_racing_replicas(engine: Engine, concurrently: Concurrently) -> None:
    now = datetime.now(UTC)
    minute = timedelta(minutes=1)

    def claim(owner: str, at: datetime, until: datetime) -> bool:
        with session_scope(engine) as s:
            return crud.claim_walk(session=s, backend="carrier", owner=owner, until=until, now=at)

    assert sum(concurrently(8, lambda i: claim(f"r{i}", now, now + minute))) == 1
    with session_scope(engine) as s:
        holder = next(f"r{i}" for i in range(8) if not crud.walks_of_others(session=s, owner=f"r{i}", now=now))
        assert crud.walks_of_others(session=s, owner="someone", now=now) == {"carrier"}
    # the holder keeps it; another replica cannot take it while it lives, but can once it expired or ended
    assert claim(holder, now, now + 2 * minute)
    assert not claim("late", now, now + minute)
    later = now + 3 * minute
    with session_scope(engine) as s:
        assert crud.walks_of_others(session=s, owner="late", now=later) == set()
    assert claim("late", later, later + minute)
    with session_scope(engine) as s:
        assert crud.release_walks(session=s, owner="late", backends=["carrier"], now=later) == 1
        assert crud.release_walks(session=s, owner="nobody", backends=["carrier"], now=later) == 0
    assert claim(holder, later, later + minute)
