"""Units of work under contention: reads never wait for a writer, writers take turns, a writer that cannot have
SQLite's lock is run again a bounded number of times, and only when nothing of it reached the database.

"Another process" is a second engine on the same file (its own connections, its own turns). busy_timeout is cut
to 50 ms here (5 s in production), so a unit that waits for the lock at all fails at once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, select

import storage.db
from storage import crud, migrate
from storage.db import make_engine, run_unit, session_scope
from storage.models import Watch

Concurrently = Callable[[int, Callable[[int], Any]], list[Any]]


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    url = f"sqlite:///{tmp_path / 'orange-bot.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def bot(sqlite_url: str) -> Iterator[Engine]:
    """The bot's engine."""
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def other(sqlite_url: str) -> Iterator[Connection]:
    """Another process in the middle of a write: it holds SQLite's write lock until it commits."""
    engine = make_engine(sqlite_url)
    connection = engine.connect()
    _add_watch(connection, "other")
    yield connection
    connection.close()
    engine.dispose()


def _add_watch(connection: Connection | Session, order_id: str) -> None:
    connection.execute(
        Watch.__table__.insert(),  # type: ignore[attr-defined]
        [
            {
                "id": uuid.uuid4(),
                "team_id": "T1",
                "channel_id": "C1",
                "backend": "carrier",
                "order_id": order_id,
                "filter": "all",
                "created_by": "U1",
                "kind": "order",
                "consecutive_failures": 0,
            }
        ],
    )


def _orders(session: Session) -> list[str]:
    return sorted(session.exec(select(Watch.order_id)).all())


def _create(order_id: str) -> Callable[[Session], bool]:
    def work(session: Session) -> bool:
        _, created = crud.create_watch(
            session=session, team_id="T1", channel_id="C1", backend="carrier", order_id=order_id, created_by="U1"
        )
        return created

    return work


def test_a_read_does_not_wait_for_a_writer_and_sees_what_was_committed(bot: Engine, other: Connection) -> None:
    assert run_unit(bot, _orders, write=False, attempts=1) == []  # the other's write is not committed yet
    with session_scope(bot, write=False) as session:
        assert _orders(session) == []
    other.commit()
    assert run_unit(bot, _orders, write=False, attempts=1) == ["other"]


def test_a_writer_that_cannot_have_the_lock_runs_again_once_the_other_process_commits(
    bot: Engine, other: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storage.db")
    delays: list[float] = []

    def sleep(delay: float) -> None:
        delays.append(delay)
        other.commit()  # meanwhile, the other process finishes its write

    assert run_unit(bot, _create("mine"), sleep=sleep) is True
    assert len(delays) == 1 and 0.05 <= delays[0] <= 0.15
    assert "the database is locked (attempt 1 of 4)" in caplog.text
    assert run_unit(bot, _orders, write=False) == ["mine", "other"]


def test_the_runs_are_bounded_and_back_off(bot: Engine, other: Connection) -> None:
    delays: list[float] = []
    runs: list[int] = []

    def work(session: Session) -> None:
        _add_watch(session, "never")  # its BEGIN IMMEDIATE waits busy_timeout, and fails
        runs.append(1)

    with pytest.raises(OperationalError, match="database is locked"):
        run_unit(bot, work, attempts=3, sleep=delays.append)
    assert runs == []  # nothing of `work` ran past its first statement
    assert len(delays) == 2 and 0.05 <= delays[0] <= 0.15 and 0.1 <= delays[1] <= 0.3
    other.commit()
    assert run_unit(bot, _orders, write=False) == ["other"]


def _busy(statement: str) -> OperationalError:
    return OperationalError(statement, {}, sqlite3.OperationalError("database is locked"))


@pytest.mark.parametrize(
    ("write", "statement", "runs"),
    [
        (True, "INSERT INTO watch …", 1),  # the unit has written: never run twice
        (False, "SELECT watch.id …", 2),  # a read-only unit wrote nothing: run again
    ],
)
def test_a_busy_error_inside_a_unit_is_retried_only_when_it_wrote_nothing(
    bot: Engine, write: bool, statement: str, runs: int
) -> None:
    calls: list[int] = []

    def work(session: Session) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise _busy(statement)
        return len(calls)

    if runs == 1:
        with pytest.raises(OperationalError):
            run_unit(bot, work, write=write, sleep=lambda _: None)
    else:
        assert run_unit(bot, work, write=write, sleep=lambda _: None) == runs
    assert len(calls) == runs


def test_writers_of_one_process_take_turns_instead_of_failing(bot: Engine, concurrently: Concurrently) -> None:
    """Eight writers at once, each holding the lock longer than busy_timeout, none run twice: all succeed."""

    def attempt(i: int) -> bool:
        def work(session: Session) -> bool:
            created = _create(f"o{i}")(session)
            time.sleep(0.1)  # a long unit (a poll batch): twice busy_timeout
            return created

        return run_unit(bot, work, attempts=1)

    assert concurrently(8, attempt) == [True] * 8
    with session_scope(bot, write=False) as session:
        assert session.exec(select(func.count()).select_from(Watch)).one() == 8


def test_a_read_only_unit_cannot_write_and_its_connection_writes_again_afterwards(engine: Engine) -> None:
    """On both databases: SQLite's query_only, PostgreSQL's READ ONLY transaction; neither outlives the unit."""
    with pytest.raises(DBAPIError, match="(?i)read-?only"):
        run_unit(engine, _create("11"), write=False)
    for n in range(3):  # the pooled connection goes back and forth
        assert run_unit(engine, _create(f"w{n}")) is True
        assert len(run_unit(engine, _orders, write=False)) == n + 1
    with pytest.raises(DBAPIError, match="(?i)read-?only"):
        run_unit(engine, _create("12"), write=False)


def test_only_sqlite_runs_a_unit_again(engine: Engine) -> None:
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        raise _busy("SELECT 1")

    with pytest.raises(OperationalError):
        run_unit(engine, work, write=False, sleep=lambda _: None)
    assert len(calls) == (storage.db.BUSY_ATTEMPTS if storage.db.is_sqlite(engine) else 1)
