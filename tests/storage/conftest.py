"""Storage fixtures: every test runs on a SQLite file and, when TEST_DATABASE_URL is set, on PostgreSQL.

PostgreSQL tests get a schema of their own (``search_path`` in the URL), dropped afterwards, so
they never see each other's rows, even when several test runs share one database.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from storage import migrate
from storage.db import make_engine, normalize_url

PG_ENV = "TEST_DATABASE_URL"
T = TypeVar("T")


def _postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server for this run (`make test` sets one up)")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = normalize_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orange-bot.db'}"
    else:
        yield from _postgres_url(request)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The process engine on a database migrated to head."""
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _run_concurrently(count: int, fn: Callable[[int], T]) -> list[T]:
    barrier = threading.Barrier(count, timeout=30)

    def worker(i: int) -> T:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


@pytest.fixture
def concurrently() -> Callable[[int, Callable[[int], T]], list[T]]:
    """``concurrently(n, fn)`` calls ``fn(0..n-1)`` from n threads released at the same moment."""
    return _run_concurrently
