from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from storage import crud, migrate
from storage.db import is_postgres, is_sqlite, make_engine, normalize_url, session_scope
from storage.models import Watch


def test_sqlite_file_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: see storage.db
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert is_sqlite(engine) and not is_postgres(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_one_database_for_every_thread(url: str) -> None:
    engine = make_engine(url)
    try:
        assert isinstance(engine.pool, StaticPool)
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            crud.create_watch(
                session=session, team_id="T", channel_id="C", backend="carrier", order_id="1", created_by="U"
            )
        seen: list[int] = []

        def count() -> None:
            with session_scope(engine) as session:
                seen.append(len(crud.list_live_watches(session=session, team_id="T", channel_id="C")))

        thread = threading.Thread(target=count)
        thread.start()
        thread.join()
        assert seen == [1]
    finally:
        engine.dispose()


def test_session_scope_commits_or_rolls_back(engine: Engine) -> None:
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            crud.create_watch(
                session=session, team_id="T", channel_id="C", backend="carrier", order_id="1", created_by="U"
            )
            raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert crud.list_live_watches(session=session, team_id="T", channel_id="C") == []
        watch, _ = crud.create_watch(
            session=session, team_id="T", channel_id="C", backend="carrier", order_id="1", created_by="U"
        )
    # Readable after the scope ended.
    assert watch.order_id == "1"
    with session_scope(engine) as session:
        assert [w.id for w in crud.list_live_watches(session=session, team_id="T", channel_id="C")] == [watch.id]


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            crud.enqueue_outbox(session=session, watch_id=uuid.uuid4(), fingerprint="f", kind="order_state", payload={})


def test_deleting_a_watch_cascades_to_its_rows(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = crud.create_watch(
            session=session, team_id="T", channel_id="C", backend="carrier", order_id="1", created_by="U"
        )
        crud.save_snapshot(session=session, watch_id=watch.id, view={"state": "acknowledged"})
        crud.enqueue_outbox(session=session, watch_id=watch.id, fingerprint="f", kind="order_state", payload={})
    with session_scope(engine) as session:
        session.delete(session.get(Watch, watch.id))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM order_snapshot")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM outbox_message")).scalar() == 0


def test_urls() -> None:
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
    engine = make_engine("postgresql://u:p@127.0.0.1:1/db")  # lazy: nothing connects yet
    try:
        assert is_postgres(engine) and engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://u:p@h/db")
