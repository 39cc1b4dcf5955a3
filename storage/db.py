"""Engines and sessions: one engine per process, one session per unit of work.

    engine = make_engine(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    with session_scope(engine) as session:
        watch, created = crud.create_watch(session=session, ...)
    watches = run_unit(engine, lambda s: crud.list_live_watches(session=s, ...), write=False)

SQLite is the single-process default; PostgreSQL (``postgresql+psycopg://…``) is for
several replicas. A SQLite file runs in WAL mode: readers never wait for the writer, nor it
for them. A writing unit of work (the default) starts with ``BEGIN IMMEDIATE``: writers queue
on ``busy_timeout`` for the one write lock instead of failing with "database is locked" when
a read-then-write transaction loses a race, so the crud compare-and-set claims hold. The price
is that a writing session holds the lock from its first statement until it ends: never keep
one open across a network call. A read-only unit (``write=False``) starts a deferred ``BEGIN``
(a snapshot, no lock; on PostgreSQL a READ ONLY transaction) and may not write.

`run_unit` runs a unit of work: on SQLite, this process's writers take turns before BEGIN (so
they never poll the busy handler against each other), and a unit that could not have the lock
within ``busy_timeout`` (another process holds it; nothing of the unit ran in the database yet)
is run again, a few times with back-off.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool, StaticPool
from sqlmodel import Session

log = logging.getLogger("storage.db")

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///./orange-bot.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
BUSY_ATTEMPTS = 4
"""Times in all `run_unit` tries a unit of work whose SQLite write lock stays taken for ``busy_timeout``."""
BUSY_BACKOFF = 0.1
"""Seconds before the second attempt, doubled for each next one (with jitter)."""
WRITER_QUEUE_TIMEOUT = 60.0
"""Seconds a writing unit waits behind this process's other writers before it asks SQLite for the lock anyway."""

# This process's writers take turns on a SQLite engine before BEGIN IMMEDIATE: woken as soon as the lock is free,
# in the order the OS gives, instead of each polling SQLite's busy handler (sleeps of up to 100 ms, no order,
# "database is locked" after busy_timeout). busy_timeout and the retries are then for other processes.
_writer_turns: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()

# A connection option the "begin" hook reads: this transaction only reads (see session_scope).
_READ_ONLY = "orange_bot_read_only"
_READ_OPTIONS: dict[str, dict[str, Any]] = {
    "sqlite": {_READ_ONLY: True},
    # psycopg opens the transaction with BEGIN READ ONLY; SQLAlchemy resets it when the connection goes back.
    "postgresql": {"postgresql_readonly": True},
}


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
    _writer_turns[engine] = threading.Lock()
    return engine


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session for one unit of work (a Slack request, a poll run): commits at the end, rolls back on error.

    ``write=False``: a read-only unit, which never waits for (nor holds) SQLite's write lock; a write in it fails.
    Objects stay readable after the block (``expire_on_commit=False``).
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            if not write:
                session.connection(execution_options=_READ_OPTIONS[engine.dialect.name])
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def run_unit(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    write: bool = True,
    attempts: int = BUSY_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`work(session)` in one `session_scope`; its result. Blocking: call it from a worker thread.

    On SQLite, this process's writing units take turns (one at a time, each starting as the last ends), and a unit
    that met "database is locked" before anything of it reached the database (a writer's ``BEGIN IMMEDIATE``
    waited ``busy_timeout`` for another process; a read-only unit writes nothing) is rolled back and run again,
    up to `attempts` times in all, after ``BUSY_BACKOFF`` × 2ⁿ s with jitter. So `work` may run more than once:
    it keeps its effects inside the session until its first statement has run.
    """
    turns = _writer_turns.get(engine) if write else None
    for attempt in range(1, attempts + 1):
        try:
            with _turn(turns), session_scope(engine, write=write) as session:
                return work(session)
        except OperationalError as err:
            if attempt == attempts or not is_sqlite(engine) or not _lock_not_had(err, write=write):
                raise
            delay = BUSY_BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            log.info("the database is locked (attempt %d of %d); trying again in %.2fs", attempt, attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


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


@contextmanager
def _turn(turns: threading.Lock | None) -> Iterator[None]:
    taken = turns is not None and turns.acquire(timeout=WRITER_QUEUE_TIMEOUT)
    try:
        yield
    finally:
        if taken:
            assert turns is not None
            turns.release()


def _lock_not_had(err: OperationalError, *, write: bool) -> bool:
    """SQLITE_BUSY where retrying is safe: at a writer's BEGIN IMMEDIATE, or anywhere in a read-only unit."""
    code = getattr(err.orig, "sqlite_errorcode", None)
    busy = code & 0xFF == sqlite3.SQLITE_BUSY if isinstance(code, int) else "database is locked" in str(err.orig)
    return busy and (not write or err.statement == "BEGIN IMMEDIATE")


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
                # FULL, not NORMAL: a claim committed before a carrier POST or a Slack post must outlive a power
                # cut (NORMAL may lose the last commits), and one fsync per write is little beside the lock times.
                cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = bool(connection.get_execution_options().get(_READ_ONLY))
        info = connection.connection.info
        if info.get(_READ_ONLY, False) != read_only:
            # A stray write in a read-only unit fails ("attempt to write a readonly database") instead of
            # taking the lock mid-transaction.
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
            info[_READ_ONLY] = read_only
        # IMMEDIATE takes the write lock now, waiting up to busy_timeout for it. A DEFERRED
        # transaction that has read and then writes after another commit fails at once
        # (SQLITE_BUSY_SNAPSHOT) whatever the timeout; a read-only one takes its snapshot at
        # its first SELECT and, in WAL mode, never waits.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


__all__ = [
    "DEFAULT_DATABASE_URL",
    "is_memory_sqlite",
    "is_postgres",
    "is_sqlite",
    "make_engine",
    "normalize_url",
    "ping",
    "run_unit",
    "session_scope",
]
