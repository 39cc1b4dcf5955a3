"""Engines and sessions: one engine per process, one session per unit of work.

    engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    with session_scope(engine) as session:
        watch, created = crud.create_watch(session=session, ...)

SQLite is the single-process default; PostgreSQL (``postgresql+psycopg://…``) is for
several replicas. On SQLite every transaction starts with ``BEGIN IMMEDIATE``: writers
queue on ``busy_timeout`` instead of failing with "database is locked" when a
read-then-write transaction loses a race. The price is that a session holds the write
lock from its first statement until it ends, so never keep one open across a network call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import Pool, StaticPool
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///./orange-bot.db"
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(
    url: str | URL = DEFAULT_DATABASE_URL,
    *,
    echo: bool = False,
    sqlite_foreign_keys: bool = True,
    poolclass: type[Pool] | None = None,
) -> Engine:
    """The process's engine for `url`: a SQLite file or memory, or PostgreSQL through psycopg.

    In-memory SQLite (``sqlite://``) is one connection shared by all threads: fine for tests
    and one session at a time, not for concurrent sessions (use a file for that).
    `sqlite_foreign_keys` and `poolclass` are for migrations (see ``storage.migrate``).
    """
    u = normalize_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if poolclass is not None:
            kwargs["poolclass"] = poolclass
        return create_engine(u, echo=echo, json_serializer=_json_serializer, **kwargs)
    if backend != "sqlite":
        raise ValueError(f"unsupported database {u.drivername!r}: use sqlite:/// or postgresql+psycopg://")

    memory = is_memory_sqlite(u)
    if memory:
        # One connection shared by every thread, or each would see its own empty database.
        poolclass = StaticPool
    engine = create_engine(
        u,
        echo=echo,
        json_serializer=_json_serializer,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **({"poolclass": poolclass} if poolclass is not None else {}),
    )
    _configure_sqlite(engine, wal=not memory, foreign_keys=sqlite_foreign_keys)
    return engine


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work (a Slack request, a poll run): commits at the end, rolls back on error.

    Objects stay readable after the block (``expire_on_commit=False``).
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(session: Session) -> None:
    """One round trip to the database (a health check); raises when it cannot be reached."""
    session.connection().exec_driver_sql("SELECT 1").one()


def normalize_url(url: str | URL) -> URL:
    """Parse `url`; bare ``postgresql://`` and ``postgres://`` mean psycopg 3 (the driver we ship)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _json_serializer(value: Any) -> str:
    # Readable in the database shell; PostgreSQL json/jsonb takes UTF-8 either way.
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _configure_sqlite(engine: Engine, *, wal: bool, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it never BEGINs before a
        # SELECT or a SAVEPOINT); the "begin" hook below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock now, waiting up to busy_timeout for it. A DEFERRED
        # transaction that has read and then writes after another commit fails at once
        # (SQLITE_BUSY_SNAPSHOT) whatever the timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = [
    "DEFAULT_DATABASE_URL",
    "is_memory_sqlite",
    "is_postgres",
    "is_sqlite",
    "make_engine",
    "normalize_url",
    "ping",
    "session_scope",
]
