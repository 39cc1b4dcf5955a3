"""Storage fixtures: every test runs on a SQLite file and, when TEST_DATABASE_URL is set, on PostgreSQL.

PostgreSQL tests get a schema of their own (``search_path`` in the URL), dropped afterwards, so
they never see each other's rows, even when several test runs share one database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from pg_schema import schema_url
from sqlalchemy import Engine

from storage import migrate
from storage.db import make_engine

T = TypeVar("T")


def _postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with schema_url() as url:
        yield url


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
